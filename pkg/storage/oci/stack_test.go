//go:build stack

package oci_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/chainseal/chainseal/internal/sigtest"
	"github.com/chainseal/chainseal/internal/stacktest"
	"github.com/chainseal/chainseal/pkg/storage"
	"github.com/chainseal/chainseal/pkg/storage/oci"
	"github.com/chainseal/chainseal/pkg/transparency/rekor"
)

// sealed is one image pushed to the stack's registry, with its provenance and
// signature logged in the stack's Rekor and stored by the oci backend.
type sealed struct {
	repo   string
	digest name.Digest
	batch  storage.Batch
	pubKey string // file
}

func sealImage(t *testing.T, env *stacktest.Env, opts ...oci.Option) sealed {
	t.Helper()
	ctx := context.Background()
	repo, d := pushRandom(t, env.Must(t, "REGISTRY")+"/chainseal/oci-"+strings.ToLower(t.Name()), stackRemote(t, env)...)
	k := newTestKey(t)
	batch := storage.Batch{
		Attestations: []storage.Attestation{k.attestation(t, repo, mustHash(t, d), "1")},
		Images:       []storage.ImageSignature{k.imageSignature(t, d)},
	}
	key, err := os.ReadFile(env.Must(t, "REKOR_PUBLIC_KEY_FILE"))
	if err != nil {
		t.Fatal(err)
	}
	log, err := rekor.New(env.Must(t, "REKOR_URL"), rekor.WithPublicKey(key))
	if err != nil {
		t.Fatal(err)
	}
	if err := log.Log(ctx, &batch); err != nil {
		t.Fatal(err)
	}
	b, err := oci.New(append([]oci.Option{oci.WithKeychain(stackKeychain(t, env))}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Store(ctx, batch); err != nil {
		t.Fatal(err)
	}
	pub := filepath.Join(t.TempDir(), "pub.pem")
	if err := os.WriteFile(pub, k.pubPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	return sealed{repo: repo, digest: d, batch: batch, pubKey: pub}
}

// TestCosignVerifiesStoredAttestation is the acceptance test: the stored
// provenance and signature pass cosign's own verification, offline against
// the Rekor bundle and with the transparency log ignored, and rekor-cli finds
// the entries by the image digest.
func TestCosignVerifiesStoredAttestation(t *testing.T) {
	env := stacktest.Load(t)
	s := sealImage(t, env)
	ce := clientEnv(t, env)
	cosign := env.Must(t, "COSIGN")
	img := s.digest.String()

	out := mustRun(t, ce, cosign, "verify-attestation", "--key", s.pubKey, "--type", "slsaprovenance1", "--offline", img)
	if !strings.Contains(out, "Existence of the claims in the transparency log was verified offline") {
		t.Errorf("verify-attestation did not check the Rekor bundle offline:\n%s", out)
	}
	mustRun(t, ce, cosign, "verify-attestation", "--key", s.pubKey, "--type", "slsaprovenance1", "--insecure-ignore-tlog", img)
	out = mustRun(t, ce, cosign, "verify", "--key", s.pubKey, "--offline", img)
	if !strings.Contains(out, "verified offline") {
		t.Errorf("verify did not check the Rekor bundle offline:\n%s", out)
	}

	// A trusted root made by cosign itself, as cosign v3 needs.
	tr := trustedRoot(t, env, ce)
	trEnv := withoutRekorKey(ce)
	for _, args := range [][]string{
		{"verify-attestation", "--key", s.pubKey, "--type", "slsaprovenance1", "--trusted-root", tr, "--offline", img},
		{"verify", "--key", s.pubKey, "--trusted-root", tr, "--offline", img},
	} {
		if out := mustRun(t, trEnv, cosign, args...); !strings.Contains(out, "verified offline") {
			t.Errorf("cosign %s with a trusted root did not check the Rekor entry offline:\n%s", args[0], out)
		}
	}

	// Another key does not verify (the check is real).
	other := filepath.Join(t.TempDir(), "other.pem")
	_ = os.WriteFile(other, newTestKey(t).pubPEM, 0o600)
	if out, err := run(t, ce, cosign, "verify-attestation", "--key", other, "--type", "slsaprovenance1", "--offline", img); err == nil {
		t.Errorf("verify-attestation passed with another key:\n%s", out)
	}

	// rekor-cli finds the attestation by the image digest, and shows it.
	rekorCLI := env.Must(t, "REKOR_CLI")
	a := s.batch.Attestations[0].Transparency
	out = mustRun(t, ce, rekorCLI, "search", "--sha", s.digest.DigestStr(), "--rekor_server", env.Must(t, "REKOR_URL"))
	if !strings.Contains(out, a.UUID[len(a.UUID)-64:]) {
		t.Errorf("rekor-cli search --sha %s does not list %s:\n%s", s.digest.DigestStr(), a.UUID, out)
	}
	out = mustRun(t, ce, rekorCLI, "get", "--uuid", a.UUID, "--rekor_server", env.Must(t, "REKOR_URL"))
	if !strings.Contains(out, "Index: ") {
		t.Errorf("rekor-cli get --uuid %s:\n%s", a.UUID, out)
	}
}

// TestCosignVerifiesSigstoreBundle: storage.oci.encoding-format
// sigstore-bundle attaches a Sigstore bundle through the referrers API (the
// tag fallback on docker-registry), which cosign verifies with a trusted
// root; storing again adds no second bundle.
func TestCosignVerifiesSigstoreBundle(t *testing.T) {
	env := stacktest.Load(t)
	s := sealImage(t, env, oci.WithEncoding("sigstore-bundle"))
	ce := withoutRekorKey(clientEnv(t, env))
	cosign := env.Must(t, "COSIGN")
	tr := trustedRoot(t, env, ce)
	out := mustRun(t, ce, cosign, "verify-attestation", "--key", s.pubKey, "--type", "slsaprovenance1",
		"--new-bundle-format", "--trusted-root", tr, s.digest.String())
	if !strings.Contains(out, "verified offline") {
		t.Errorf("verify-attestation --new-bundle-format did not check the Rekor entry offline:\n%s", out)
	}

	b, err := oci.New(oci.WithKeychain(stackKeychain(t, env)), oci.WithEncoding("sigstore-bundle"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Store(context.Background(), s.batch); err != nil {
		t.Fatal(err)
	}
	idx, err := remote.Referrers(s.digest, stackRemote(t, env)...)
	if err != nil {
		t.Fatal(err)
	}
	im, _ := idx.IndexManifest()
	if len(im.Manifests) != 1 {
		t.Errorf("%d referrers after storing twice, want 1: %+v", len(im.Manifests), im.Manifests)
	}
}

func trustedRoot(t *testing.T, env *stacktest.Env, ce []string) string {
	t.Helper()
	tr := filepath.Join(t.TempDir(), "trusted_root.json")
	mustRun(t, ce, env.Must(t, "COSIGN"), "trusted-root", "create",
		"--rekor", "url="+env.Must(t, "REKOR_URL")+",public-key="+env.Must(t, "REKOR_PUBLIC_KEY_FILE")+",start-time=2020-01-01T00:00:00Z",
		"--out", tr)
	return tr
}

func withoutRekorKey(environ []string) []string {
	var out []string
	for _, e := range environ {
		if !strings.HasPrefix(e, "SIGSTORE_REKOR_PUBLIC_KEY=") {
			out = append(out, e)
		}
	}
	return out
}

// TestCosignRepository: with storage.oci.repository the tags go to another
// repository, where cosign finds them with COSIGN_REPOSITORY.
func TestCosignRepository(t *testing.T) {
	env := stacktest.Load(t)
	target := env.Must(t, "REGISTRY") + "/chainseal/attestations"
	s := sealImage(t, env, oci.WithRepository(target))
	ce := append(clientEnv(t, env), "COSIGN_REPOSITORY="+target)
	cosign := env.Must(t, "COSIGN")
	mustRun(t, ce, cosign, "verify-attestation", "--key", s.pubKey, "--type", "slsaprovenance1", "--offline", s.digest.String())
	mustRun(t, ce, cosign, "verify", "--key", s.pubKey, "--offline", s.digest.String())
	if n := len(layers(t, attTag(target, s.digest), stackRemote(t, env)...)); n != 1 {
		t.Errorf("%s has %d layers", attTag(target, s.digest), n)
	}
}

// TestRegistryFaultsThenRerun: the stack's registry behind a proxy that
// answers 503. Down for good: a clear error after bounded retries. A re-run
// then completes, and a third run adds nothing (layers counted with crane).
func TestRegistryFaultsThenRerun(t *testing.T) {
	env := stacktest.Load(t)
	ctx := context.Background()
	p := sigtest.NewFaultyProxy(t, "http://"+env.Must(t, "REGISTRY"))
	host := strings.TrimPrefix(p.URL, "http://")
	repo, d := pushRandom(t, host+"/chainseal/faults", stackRemote(t, env)...)
	k := newTestKey(t)
	batch := storage.Batch{
		Attestations: []storage.Attestation{k.attestation(t, repo, mustHash(t, d), "1")},
		Images:       []storage.ImageSignature{k.imageSignature(t, d)},
	}
	b, err := oci.New(oci.WithKeychain(stackKeychain(t, env)),
		oci.WithRetryBackoff(remote.Backoff{Duration: 20 * time.Millisecond, Factor: 2, Steps: 4}))
	if err != nil {
		t.Fatal(err)
	}

	p.FailAll.Store(true)
	_, err = b.Store(ctx, batch)
	if err == nil || !strings.HasPrefix(err.Error(), "oci: ") || !strings.Contains(err.Error(), d.String()) {
		t.Fatalf("err = %v, want one naming the oci backend and %s", err, d)
	}
	if strings.Contains(err.Error(), env.Must(t, "REGISTRY_PASSWORD")) {
		t.Fatal("the error shows the registry password")
	}
	if p.Failed.Load() < 2 {
		t.Errorf("%d requests failed before giving up, want retries", p.Failed.Load())
	}
	p.FailAll.Store(false)
	p.FailNext.Store(2) // and a transient blip during the re-run
	if _, err := b.Store(ctx, batch); err != nil {
		t.Fatalf("re-run: %v", err)
	}
	if _, err := b.Store(ctx, batch); err != nil {
		t.Fatalf("third run: %v", err)
	}
	ce := clientEnv(t, env, host)
	crane := env.Must(t, "CRANE")
	for _, tag := range []string{attTag(repo, d), sigTag(repo, d)} {
		m := mustRun(t, ce, crane, "manifest", tag)
		if n := strings.Count(m, `"digest"`) - 1; n != 1 { // config + layers
			t.Errorf("%s has %d layers after a failed and two good runs, want 1:\n%s", tag, n, m)
		}
	}
}
