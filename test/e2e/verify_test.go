//go:build stack

package e2e

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/secure-systems-lab/go-securesystemslib/dsse"
	"github.com/sigstore/cosign/v2/pkg/oci"
	"github.com/sigstore/cosign/v2/pkg/oci/empty"
	"github.com/sigstore/cosign/v2/pkg/oci/mutate"
	ociremote "github.com/sigstore/cosign/v2/pkg/oci/remote"
	"github.com/sigstore/cosign/v2/pkg/oci/static"
	ctypes "github.com/sigstore/cosign/v2/pkg/types"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
	sigdsse "github.com/sigstore/sigstore/pkg/signature/dsse"
	"sigs.k8s.io/yaml"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/chainseal/chainseal/internal/kubetest"
	"github.com/chainseal/chainseal/internal/stacktest"
	"github.com/chainseal/chainseal/pkg/tekton/tektontest"
)

// TestVerify seals images with the real chainseal binary into the stack's
// registry and Rekor, then verifies them with `chainseal verify`: online
// by tag, offline from a bundle, against tampered copies (each failing with
// the check it breaks), and with inputs that cannot be verified at all.
// cosign verify-attestation is run on the same images to show where it
// agrees.
func TestVerify(t *testing.T) {
	env := stacktest.Load(t)
	s := newVerifyStack(t, env)

	img := s.pushAndSeal(t, "app")
	// import rego.v1: v1 syntax that cosign's (v0) policy reader accepts.
	policy := writeFile(t, s.dir, "policy.rego", `package signature

import rego.v1

default allow := false

allow if {
	input.predicate.runDetails.builder.id == "https://github.com/chainseal/chainseal"
	every tr in input.predicate.buildDefinition.internalParameters.chainseal.taskRuns { tr.succeeded }
}
`)

	t.Run("online by tag, every check", func(t *testing.T) {
		bundle := filepath.Join(s.dir, "app.bundle.json")
		out, stderr, code := s.verify(t, s.authed, img.repo+":latest", "--output", "json", "--save-bundle", bundle,
			"--builder-id", "https://github.com/chainseal/chainseal", "--pipeline", verifyPipelineRef,
			"--source-uri", "https://git.example/payments/app", "--source-digest", "sha1:"+img.commit, "--allow-tenant-sources",
			"--max-age", "1h", "--require-all-tasks-succeeded", "--namespace", "payments", "--policy", policy)
		if code != 0 {
			t.Fatalf("exit %d, want 0\n%s\n%s", code, out, stderr)
		}
		rep := parseReport(t, out)
		if rep.Outcome != "verified" || rep.Digest != img.digest || !rep.Resolved {
			t.Fatalf("outcome %s digest %s resolved %v, want verified %s resolved", rep.Outcome, rep.Digest, rep.Resolved, img.digest)
		}
		got := map[string]string{}
		for _, c := range rep.Attestations[0].Checks {
			got[c.Name] = c.Status
		}
		for _, n := range []string{"signature", "transparency-log", "subject", "builder-id", "pipeline", "source", "max-age", "tasks-succeeded", "policy"} {
			if got[n] != "pass" {
				t.Errorf("check %s: %q, want pass (%v)", n, got[n], rep.Attestations[0].Checks)
			}
		}
		// chainseal sign reports the entry ID (tree ID + leaf hash).
		if u := rep.Attestations[0].RekorUUID; u == "" || !strings.HasSuffix(strings.TrimSpace(img.results["REKOR_UUID"]), u) {
			t.Errorf("verified Rekor entry %s, chainseal sign logged %s", rep.Attestations[0].RekorUUID, img.results["REKOR_UUID"])
		}

		// Offline: the bundle and a trusted root, no registry credentials
		// and no Rekor URL. The registry refuses anonymous reads, so a pass
		// shows nothing was fetched.
		trusted := filepath.Join(s.dir, "trusted_root.json")
		run(t, s.authed, env.Cosign(), "trusted-root", "create", "--rekor",
			"url="+env.RekorURL()+",public-key="+env.RekorPublicKeyFile()+",start-time=2020-01-01T00:00:00Z", "--out", trusted)
		out, stderr, code = s.verify(t, s.anon, img.repo+"@"+img.digest, "--offline", "--bundle", bundle, "--trusted-root", trusted,
			"--builder-id", "https://github.com/chainseal/chainseal")
		if code != 0 || !strings.Contains(out, "PASS  transparency-log") || !strings.Contains(out, "VERIFIED") {
			t.Fatalf("offline: exit %d\n%s\n%s", code, out, stderr)
		}
		t.Logf("chainseal verify --offline:\n%s", out)
		// The same bundle does not vouch for another image.
		other := s.push(t, "offline-other")
		_, stderr, code = s.verify(t, s.anon, other.repo+"@"+other.digest, "--offline", "--bundle", bundle, "--trusted-root", trusted)
		if code != 1 || !strings.Contains(stderr, "subject:") {
			t.Fatalf("offline, another image: exit %d, want 1 naming the subject check: %s", code, stderr)
		}
	})

	t.Run("cosign agrees", func(t *testing.T) {
		run(t, s.authed, env.Cosign(), "verify-attestation", "--key", s.pub, "--type", "slsaprovenance1", img.repo+"@"+img.digest)
		if _, err := runErr(s.authed, env.Cosign(), "verify-attestation", "--key", s.otherPub, "--type", "slsaprovenance1", img.repo+"@"+img.digest); err == nil {
			t.Fatal("cosign verify-attestation passed with another key")
		}
		_, stderr, code := s.verify(t, s.authed, img.repo+"@"+img.digest, "--key", s.otherPub)
		if code != 1 || !strings.Contains(stderr, "signature:") {
			t.Fatalf("chainseal with another key: exit %d, want 1 naming the signature check: %s", code, stderr)
		}

		// One policy file, read by both.
		run(t, s.authed, env.Cosign(), "verify-attestation", "--key", s.pub, "--type", "slsaprovenance1", "--policy", policy, img.repo+"@"+img.digest)
		deny := writeFile(t, s.dir, "deny.rego", `package signature

import rego.v1

default allow := false

allow if input.predicate.runDetails.builder.id == "https://example.com/other-builder"

deny contains "built by another builder" if not allow
`)
		if _, err := runErr(s.authed, env.Cosign(), "verify-attestation", "--key", s.pub, "--type", "slsaprovenance1", "--policy", deny, img.repo+"@"+img.digest); err == nil {
			t.Fatal("cosign verify-attestation passed a policy that denies")
		}
		_, stderr, code = s.verify(t, s.authed, img.repo+"@"+img.digest, "--policy", deny)
		if code != 1 || !strings.Contains(stderr, "policy: ") || !strings.Contains(stderr, "built by another builder") {
			t.Fatalf("chainseal with a denying policy: exit %d, want 1 naming the policy check and its reason: %s", code, stderr)
		}
	})

	t.Run("KMS key (Vault transit)", func(t *testing.T) {
		key := kubetest.Name("verify")
		root := vaultClient(t, env, env.Must(t, "VAULT_TOKEN"))
		if _, err := root.Logical().Write("transit/keys/"+key, map[string]any{"type": "ecdsa-p256"}); err != nil {
			t.Fatalf("creating transit key: %v", err)
		}
		// A KMS signer signs only a run read through the API (sign
		// --from-file refuses it), so this run is written to the API server.
		f := newBuildFixture(t, env, "verify-kms")
		run(t, f.userEnv, s.bin, append(f.signArgs(t), "--config-map", "",
			"--config", "artifacts.pipelinerun.storage=oci", "--config", "artifacts.oci.signer=none",
			"--config", "transparency.enabled=true", "--config", "transparency.url="+env.RekorURL(),
			"--rekor-public-key", env.RekorPublicKeyFile(),
			"--config", "artifacts.pipelinerun.signer=kms", "--config", "signers.kms.kmsref=hashivault://"+key)...)
		out, stderr, code := s.verify(t, s.authed, f.image(), "--key", "hashivault://"+key)
		if code != 0 {
			t.Fatalf("exit %d\n%s\n%s", code, out, stderr)
		}
		_, stderr, code = s.verify(t, s.authed, f.image())
		if code != 1 || !strings.Contains(stderr, "signature:") {
			t.Fatalf("the team's file key on a KMS-signed image: exit %d: %s", code, stderr)
		}
		run(t, s.authed, env.Cosign(), "verify-attestation", "--key", "hashivault://"+key, "--type", "slsaprovenance1", f.image())
	})

	t.Run("policy flags that do not hold", func(t *testing.T) {
		cases := []struct {
			args  []string
			check string
		}{
			{[]string{"--builder-id", "https://example.com/other-builder"}, "builder-id:"},
			{[]string{"--pipeline", verifyPipelineBundle + "@sha256:" + strings.Repeat("0", 64)}, "pipeline:"},
			{[]string{"--source-uri", "https://git.example/payments/app", "--source-digest", "sha1:" + strings.Repeat("0", 40), "--allow-tenant-sources"}, "source:"},
			// The clone task's CHAINS-GIT_* results are the task's own
			// word: not a source without --allow-tenant-sources.
			{[]string{"--source-uri", "https://git.example/payments/app", "--source-digest", "sha1:" + img.commit}, "source:"},
			{[]string{"--namespace", "billing"}, "namespace:"},
		}
		for _, tc := range cases {
			_, stderr, code := s.verify(t, s.authed, img.repo+"@"+img.digest, tc.args...)
			if code != 1 || !strings.Contains(stderr, tc.check) {
				t.Errorf("%v: exit %d, want 1 naming %s: %s", tc.args, code, tc.check, stderr)
			}
		}
	})

	t.Run("tampered copies fail naming the check", func(t *testing.T) {
		donor := s.pushAndSeal(t, "donor") // a real, different seal by the same key
		donorLayer := s.attLayers(t, donor)[0]
		cases := []struct {
			name     string
			tamper   func(t *testing.T, d name.Digest, l oci.Signature) []byte // the new .att layer's envelope
			bundleOf func(l oci.Signature) oci.Signature                       // whose Rekor bundle to keep
			check    string
			detail   string
			cosign   bool // whether cosign verify-attestation still passes (it never does here)
		}{
			{name: "payload changed", tamper: func(t *testing.T, d name.Digest, l oci.Signature) []byte {
				env := envelopeOf(t, l)
				payload, _ := base64.StdEncoding.DecodeString(env.Payload)
				env.Payload = base64.StdEncoding.EncodeToString(bytes.Replace(payload, []byte(`"succeeded":true`), []byte(`"succeeded":false`), 1))
				return mustJSON(t, env)
			}, check: "signature", detail: "does not verify with the key"},
			{name: "signature from another key", tamper: func(t *testing.T, d name.Digest, l oci.Signature) []byte {
				env := envelopeOf(t, l)
				payload, _ := base64.StdEncoding.DecodeString(env.Payload)
				return s.otherSign(t, payload)
			}, check: "signature", detail: "does not verify with the key"},
			{name: "subject digest is not the image", tamper: func(t *testing.T, d name.Digest, l oci.Signature) []byte {
				raw, err := donorLayer.Payload()
				if err != nil {
					t.Fatal(err)
				}
				return raw
			}, bundleOf: func(oci.Signature) oci.Signature { return donorLayer },
				check: "subject", detail: "is not a subject of the statement"},
			{name: "Rekor entry for a different envelope", tamper: func(t *testing.T, d name.Digest, l oci.Signature) []byte {
				raw, err := l.Payload()
				if err != nil {
					t.Fatal(err)
				}
				return raw
			}, bundleOf: func(oci.Signature) oci.Signature { return donorLayer },
				check: "transparency-log", detail: "does not record this attestation"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				victim := s.pushAndSeal(t, "victim")
				d := victim.ref(t)
				l := s.attLayers(t, victim)[0]
				keep := l
				if tc.bundleOf != nil {
					keep = tc.bundleOf(l)
				}
				s.replaceAtt(t, d, tc.tamper(t, d, l), keep)

				out, stderr, code := s.verify(t, s.authed, d.String(), "--output", "json")
				if code != 1 {
					t.Fatalf("exit %d, want 1 (verification failed)\n%s\n%s", code, out, stderr)
				}
				if !strings.Contains(stderr, "verification failed for "+d.String()+": "+tc.check+": ") || !strings.Contains(stderr, tc.detail) {
					t.Fatalf("stderr does not name the %s check with %q: %s", tc.check, tc.detail, stderr)
				}
				rep := parseReport(t, out)
				if rep.Outcome != "failed" {
					t.Fatalf("outcome %s", rep.Outcome)
				}
				_, err := runErr(s.authed, env.Cosign(), "verify-attestation", "--key", s.pub, "--type", "slsaprovenance1", d.String())
				if (err == nil) != tc.cosign {
					t.Fatalf("cosign verify-attestation: %v, want passing=%v", err, tc.cosign)
				}
			})
		}
	})

	t.Run("an attestation without its Rekor bundle is found in the log", func(t *testing.T) {
		victim := s.pushAndSeal(t, "nobundle")
		d := victim.ref(t)
		l := s.attLayers(t, victim)[0]
		raw, err := l.Payload()
		if err != nil {
			t.Fatal(err)
		}
		s.replaceAtt(t, d, raw, nil)
		out, stderr, code := s.verify(t, s.authed, d.String())
		if code != 0 || !strings.Contains(out, "PASS  transparency-log") {
			t.Fatalf("exit %d\n%s\n%s", code, out, stderr)
		}
	})

	t.Run("could not verify", func(t *testing.T) {
		bare := s.push(t, "unsealed")
		badPolicy := writeFile(t, s.dir, "bad.rego", "package signature\nallow if {{\n")
		cases := []struct {
			name  string
			env   []string
			image string
			args  []string
			want  string
		}{
			{"no attestation", s.authed, bare.repo + "@" + bare.digest, nil, "no attestation found for " + bare.repo + "@" + bare.digest},
			{"registry refuses", s.anon, img.repo + ":latest", nil, "401 Unauthorized"},
			{"policy does not parse", s.authed, img.repo + "@" + img.digest, []string{"--policy", badPolicy}, "does not parse as Rego"},
			{"KMS unreachable", append(s.authed, "VAULT_ADDR=http://127.0.0.1:1", "VAULT_TOKEN=x"), img.repo + "@" + img.digest, []string{"--key", "hashivault://chainseal-verify"}, "hashivault://chainseal-verify"},
			{"Rekor unreachable", s.authed, img.repo + "@" + img.digest, []string{"--rekor-url", "http://127.0.0.1:1"}, "transparency-log: fetching Rekor entry"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				_, stderr, code := s.verify(t, tc.env, tc.image, tc.args...)
				if code != 3 || !strings.Contains(stderr, tc.want) {
					t.Fatalf("exit %d, want 3 (could not verify) with %q: %s", code, tc.want, stderr)
				}
			})
		}
	})
}

// The sealed runs' Pipeline comes from this bundle (as Tekton records a
// bundles-resolver refSource), so --pipeline can name it.
const verifyPipelineBundle = "registry.example/tekton/pipelines:v3"

var verifyPipelineRef = verifyPipelineBundle + "@sha256:" + tektontest.Digest(verifyPipelineBundle)

// verifyStack is what the subtests share: the binary, the keys, and
// environments with and without registry credentials.
type verifyStack struct {
	env           *stacktest.Env
	bin, dir      string
	secretDir     string
	pub, otherPub string
	other         signature.SignerVerifier
	authed, anon  []string
	auth          authn.Authenticator
}

type sealed struct {
	repo, digest, commit string
	results              map[string]string
}

func (i sealed) ref(t testing.TB) name.Digest {
	t.Helper()
	d, err := name.NewDigest(i.repo + "@" + i.digest)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func newVerifyStack(t *testing.T, env *stacktest.Env) *verifyStack {
	t.Helper()
	dir := t.TempDir()
	s := &verifyStack{env: env, dir: dir, bin: filepath.Join(dir, "chainseal"), secretDir: filepath.Join(dir, "secret")}
	if out, err := exec.Command("go", "build", "-o", s.bin, "../../cmd/chainseal").CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/chainseal: %v\n%s", err, out)
	}
	if err := os.MkdirAll(s.secretDir, 0o700); err != nil {
		t.Fatal(err)
	}
	priv := newECKey(t)
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, s.secretDir, "x509.pem", string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})))
	s.pub = writeFile(t, dir, "chainseal.pub", string(pubPEM(t, priv)))
	otherPriv := newECKey(t)
	s.otherPub = writeFile(t, dir, "other.pub", string(pubPEM(t, otherPriv)))
	if s.other, err = signature.LoadECDSASignerVerifier(otherPriv, crypto.SHA256); err != nil {
		t.Fatal(err)
	}

	docker := filepath.Join(dir, "docker")
	s.authed = append(env.Environ(), "DOCKER_CONFIG="+docker, "TUF_ROOT="+filepath.Join(dir, "tuf"))
	run(t, s.authed, env.Must(t, "CRANE"), "auth", "login", env.Registry(), "-u", env.Must(t, "REGISTRY_USERNAME"), "-p", env.Must(t, "REGISTRY_PASSWORD"))
	s.anon = append(env.Environ(), "DOCKER_CONFIG="+filepath.Join(dir, "anon"), "TUF_ROOT="+filepath.Join(dir, "tuf"))
	s.auth = &authn.Basic{Username: env.RegistryUsername(), Password: env.RegistryPassword()}
	return s
}

// push pushes a one-layer image with crane and returns its digest.
func (s *verifyStack) push(t *testing.T, name string) sealed {
	t.Helper()
	repo := s.env.Registry() + "/verify/" + kubetest.Name(name)
	layer := filepath.Join(s.dir, kubetest.Name("layer")+".tar")
	writeTar(t, layer, "app", repo+" "+time.Now().String())
	run(t, s.authed, s.env.Crane(), "append", "-f", layer, "-t", repo+":latest")
	return sealed{repo: repo, digest: strings.TrimSpace(run(t, s.authed, s.env.Crane(), "digest", repo+":latest"))}
}

// pushAndSeal pushes an image and runs `chainseal sign` on a PipelineRun
// whose build task reports it (IMAGE_URL/IMAGE_DIGEST) and whose clone task
// reports the git source.
func (s *verifyStack) pushAndSeal(t *testing.T, name string, signArgs ...string) sealed {
	t.Helper()
	img := s.push(t, name)
	img.commit = tektontest.Digest(img.repo)[:40]
	r := tektontest.NewRun("payments", kubetest.Name("release")).FromBundle(verifyPipelineBundle)
	r.Add(tektontest.Task{Name: "clone", Steps: []string{"clone"}, Results: []string{
		"CHAINS-GIT_URL", "https://git.example/payments/app", "CHAINS-GIT_COMMIT", img.commit,
	}})
	r.Add(tektontest.Task{Name: "build", Steps: []string{"build"}, Results: []string{
		"IMAGE_URL", img.repo + ":latest", "IMAGE_DIGEST", img.digest,
	}})
	r.Add(tektontest.Task{Name: "chainseal", Finally: true, Steps: []string{"sign"}, Running: true})
	recent(r, time.Since(tektontest.Start)-time.Minute)
	files := []string{"sign", "--taskrun", r.PipelineRun.Name + "-chainseal", "--secret-dir", s.secretDir,
		"--config", "artifacts.pipelinerun.storage=oci", "--config", "artifacts.oci.signer=none",
		"--config", "transparency.enabled=true", "--config", "transparency.url=" + s.env.RekorURL(),
		"--rekor-public-key", s.env.RekorPublicKeyFile()}
	runDir := filepath.Join(s.dir, r.PipelineRun.Name)
	results := filepath.Join(runDir, "results")
	if err := os.MkdirAll(results, 0o755); err != nil {
		t.Fatal(err)
	}
	files = append(append(files, "--results-dir", results), signArgs...)
	objs := []any{r.PipelineRun}
	for _, tr := range r.TaskRuns {
		objs = append(objs, tr)
	}
	for i, o := range objs {
		b, err := yaml.Marshal(o)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, "--from-file", writeFile(t, runDir, string(rune('a'+i))+".yaml", string(b)))
	}
	run(t, s.authed, s.bin, files...)
	img.results = map[string]string{}
	for _, k := range []string{"REKOR_UUID", "ATTESTATION_DIGEST"} {
		b, err := os.ReadFile(filepath.Join(results, k))
		if err != nil {
			t.Fatalf("chainseal sign wrote no %s result: %v", k, err)
		}
		img.results[k] = string(b)
	}
	return img
}

// recent moves the run's times (fixed by tektontest) to a minute ago, so
// that --max-age is about a build that just ran.
func recent(r *tektontest.Run, by time.Duration) {
	shift := func(t *metav1.Time) {
		if t != nil {
			t.Time = t.Time.Add(by)
		}
	}
	shift(r.PipelineRun.Status.StartTime)
	shift(r.PipelineRun.Status.CompletionTime)
	for _, tr := range r.TaskRuns {
		shift(tr.Status.StartTime)
		shift(tr.Status.CompletionTime)
	}
}

// verify runs `chainseal verify` with the stack's Rekor and the team key
// unless args say otherwise; it returns stdout, stderr and the exit code.
func (s *verifyStack) verify(t *testing.T, env []string, image string, args ...string) (string, string, int) {
	t.Helper()
	all := []string{"verify", image}
	if !contains(args, "--key") {
		all = append(all, "--key", s.pub)
	}
	if !contains(args, "--offline") {
		if !contains(args, "--rekor-url") {
			all = append(all, "--rekor-url", s.env.RekorURL())
		}
		all = append(all, "--rekor-public-key", s.env.RekorPublicKeyFile())
	}
	all = append(all, args...)
	cmd := exec.Command(s.bin, all...)
	cmd.Env = env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return out.String(), errb.String(), 0
	case errors.As(err, &ee):
		return out.String(), errb.String(), ee.ExitCode()
	}
	t.Fatalf("running chainseal verify: %v", err)
	return "", "", -1
}

func (s *verifyStack) remote() []remote.Option {
	return []remote.Option{remote.WithAuth(s.auth), remote.WithContext(context.Background())}
}

// attLayers reads the image's .att tag as cosign does.
func (s *verifyStack) attLayers(t *testing.T, img sealed) []oci.Signature {
	t.Helper()
	tag, err := ociremote.AttestationTag(img.ref(t))
	if err != nil {
		t.Fatal(err)
	}
	sigs, err := ociremote.Signatures(tag, ociremote.WithRemoteOptions(s.remote()...))
	if err != nil {
		t.Fatal(err)
	}
	layers, err := sigs.Get()
	if err != nil || len(layers) == 0 {
		t.Fatalf("reading %s: %v (%d layers)", tag, err, len(layers))
	}
	return layers
}

// replaceAtt overwrites d's .att tag with one layer: envelope, with the
// Rekor bundle annotation of bundleFrom (none when nil), as an attacker
// with push access to the repository could.
func (s *verifyStack) replaceAtt(t *testing.T, d name.Digest, envelope []byte, bundleFrom oci.Signature) {
	t.Helper()
	opts := []static.Option{static.WithLayerMediaType(ctypes.DssePayloadType),
		static.WithAnnotations(map[string]string{"predicateType": "https://slsa.dev/provenance/v1"})}
	if bundleFrom != nil {
		b, err := bundleFrom.Bundle()
		if err != nil || b == nil {
			t.Fatalf("no Rekor bundle to keep: %v", err)
		}
		opts = append(opts, static.WithBundle(b))
	}
	att, err := static.NewAttestation(envelope, opts...)
	if err != nil {
		t.Fatal(err)
	}
	next, err := mutate.AppendSignatures(empty.Signatures(), false, att)
	if err != nil {
		t.Fatal(err)
	}
	tag, err := ociremote.AttestationTag(d)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(tag, next, s.remote()...); err != nil {
		t.Fatal(err)
	}
}

func (s *verifyStack) otherSign(t *testing.T, payload []byte) []byte {
	t.Helper()
	env, err := sigdsse.WrapSigner(s.other, "application/vnd.in-toto+json").SignMessage(bytes.NewReader(payload))
	if err != nil {
		t.Fatal(err)
	}
	return env
}

// report is the part of `chainseal verify --output json` the test reads.
type report struct {
	Outcome      string
	Digest       string
	Resolved     bool
	Attestations []struct {
		RekorUUID string
		Checks    []struct{ Name, Status, Detail string }
	}
}

func parseReport(t *testing.T, out string) report {
	t.Helper()
	var r report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("chainseal verify --output json: %v\n%s", err, out)
	}
	return r
}

func envelopeOf(t *testing.T, l oci.Signature) dsse.Envelope {
	t.Helper()
	raw, err := l.Payload()
	if err != nil {
		t.Fatal(err)
	}
	var env dsse.Envelope
	if err := json.Unmarshal(raw, &env); err != nil {
		t.Fatal(err)
	}
	return env
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func newECKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func pubPEM(t *testing.T, k *ecdsa.PrivateKey) []byte {
	t.Helper()
	b, err := cryptoutils.MarshalPublicKeyToPEM(k.Public())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeFile(t testing.TB, dir, name, content string) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}
