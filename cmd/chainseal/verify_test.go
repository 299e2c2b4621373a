//go:build !chainseal_task

package main

import (
	"bytes"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chainseal/chainseal/internal/sigtest"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/sigstore/cosign/v2/pkg/oci/mutate"
	ociremote "github.com/sigstore/cosign/v2/pkg/oci/remote"
	"github.com/sigstore/cosign/v2/pkg/oci/static"
	ctypes "github.com/sigstore/cosign/v2/pkg/types"
	"github.com/sigstore/sigstore/pkg/signature"
	sigdsse "github.com/sigstore/sigstore/pkg/signature/dsse"
)

// The command's exit codes and output, with an in-process registry and the
// transparency log check off; test/e2e/verify_test.go runs the real stack.

func TestVerifyBadUsageExits2(t *testing.T) {
	t.Setenv("SIGSTORE_REKOR_PUBLIC_KEY", "")
	pub, _ := verifyKey(t)
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"no image", []string{"verify", "--key", pub}, "name one image"},
		{"two images", []string{"verify", "a", "b", "--key", pub}, "got 2 arguments"},
		{"unknown flag", []string{"verify", "img", "--kye", pub}, "unknown flag"},
		{"no key", []string{"verify", "registry.example/app@sha256:" + strings.Repeat("a", 64)}, "--key or --certificate-identity is required"},
		{"key and identity", []string{"verify", "img", "--key", pub, "--certificate-identity", "id", "--certificate-oidc-issuer", "https://iss"}, "not both"},
		{"identity without issuer", []string{"verify", "img", "--certificate-identity", "id", "--trusted-root", "tr.json"}, "--certificate-oidc-issuer"},
		{"identity and its regexp", []string{"verify", "img", "--certificate-identity", "id", "--certificate-identity-regexp", "i.*", "--certificate-oidc-issuer", "https://iss", "--trusted-root", "tr.json"}, "one of --certificate-identity or --certificate-identity-regexp"},
		{"bad identity regexp", []string{"verify", "img", "--certificate-identity-regexp", "(", "--certificate-oidc-issuer", "https://iss", "--trusted-root", "tr.json"}, "verifying by identity"},
		{"identity without trusted root", []string{"verify", "img", "--certificate-identity", "id", "--certificate-oidc-issuer", "https://iss"}, "needs --trusted-root"},
		{"bad output", []string{"verify", "img", "--key", pub, "--output", "xml"}, "--output"},
		{"offline with a KMS key", []string{"verify", "img", "--key", "hashivault://k", "--offline", "--bundle", "b.json"}, "--offline reads no KMS"},
		{"save-bundle offline", []string{"verify", "img", "--key", pub, "--offline", "--bundle", "b.json", "--save-bundle", "x"}, "--save-bundle"},
		{"no log trust", []string{"verify", "img", "--key", pub}, "--rekor-public-key"},
		{"offline without bundle", []string{"verify", "img", "--key", pub, "--insecure-ignore-tlog", "--offline"}, "--bundle"},
		{"bad source digest", []string{"verify", "img", "--key", pub, "--insecure-ignore-tlog", "--source-digest", "main"}, "--source-digest"},
		{"archivista not a URL", []string{"verify", "pkg:generic/a@sha256:" + strings.Repeat("a", 64), "--key", pub, "--insecure-ignore-tlog", "--from-archivista", "archivista.example"}, "--from-archivista"},
		{"gcs not gs://", []string{"verify", "pkg:generic/a@sha256:" + strings.Repeat("a", 64), "--key", pub, "--insecure-ignore-tlog", "--from-gcs", "bucket"}, "--from-gcs"},
		{"archivista offline", []string{"verify", "pkg:generic/a@sha256:" + strings.Repeat("a", 64), "--key", pub, "--insecure-ignore-tlog", "--from-archivista", "https://archivista.example", "--offline", "--bundle", "b.json"}, "--from-archivista"},
		{"pipeline by name", []string{"verify", "img", "--key", pub, "--insecure-ignore-tlog", "--pipeline", "release"}, "URI@ALG:HEX"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := execute(t, tc.args...)
			if exitCode(err) != 2 || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("exit %d, want 2 with %q: %v", exitCode(err), tc.want, err)
			}
		})
	}
}

func TestVerifyCouldNotVerifyExits3(t *testing.T) {
	reg := verifyRegistry(t)
	d := verifyPush(t, reg+"/team/bare")
	pub, _ := verifyKey(t)
	dir := t.TempDir()
	badPolicy := filepath.Join(dir, "bad.rego")
	os.WriteFile(badPolicy, []byte("package signature\nallow if {{"), 0o644)
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"no attestation", []string{d.String(), "--key", pub, "--insecure-ignore-tlog"}, "no attestation found for " + d.String()},
		{"missing key file", []string{d.String(), "--key", filepath.Join(dir, "nope.pub"), "--insecure-ignore-tlog"}, "reading the key (--key)"},
		{"key is not a key", []string{d.String(), "--key", badPolicy, "--insecure-ignore-tlog"}, "loading the key"},
		{"policy does not parse", []string{d.String(), "--key", pub, "--policy", badPolicy, "--insecure-ignore-tlog"}, "does not parse as Rego"},
		{"missing bundle", []string{d.String(), "--key", pub, "--offline", "--bundle", filepath.Join(dir, "nope.json"), "--insecure-ignore-tlog"}, "reading the bundle (--bundle)"},
		{"bundle is not a bundle", []string{d.String(), "--key", pub, "--offline", "--bundle", badPolicy, "--insecure-ignore-tlog"}, "not a Sigstore bundle"},
		{"missing trusted root", []string{d.String(), "--key", pub, "--trusted-root", filepath.Join(dir, "nope.json")}, "--trusted-root"},
		{"identity with a missing trusted root", []string{d.String(), "--certificate-identity", "id", "--certificate-oidc-issuer", "https://iss", "--trusted-root", filepath.Join(dir, "nope.json")}, "--trusted-root"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, _, err := execute(t, append([]string{"verify"}, tc.args...)...)
			if exitCode(err) != 3 || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("exit %d, want 3 with %q: %v", exitCode(err), tc.want, err)
			}
			if !strings.Contains(out, "COULD NOT VERIFY") {
				t.Fatalf("the report does not say it could not verify:\n%s", out)
			}
		})
	}
}

func TestVerifyOutcomeAndOutput(t *testing.T) {
	reg := verifyRegistry(t)
	pub, sv := verifyKey(t)
	_, otherSV := verifyKey(t)

	good := verifyPush(t, reg+"/team/app")
	verifyAttach(t, good, sv, good)
	out, _, err := execute(t, "verify", reg+"/team/app:latest", "--key", pub, "--insecure-ignore-tlog", "--output", "json")
	if err != nil {
		t.Fatalf("exit %d: %v\n%s", exitCode(err), err, out)
	}
	var rep struct {
		Outcome, Digest, Reference string
		Attestations               []struct {
			Checks []struct{ Name, Status string }
		}
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("--output json is not JSON: %v\n%s", err, out)
	}
	if rep.Outcome != "verified" || rep.Reference != good.String() || len(rep.Attestations) != 1 {
		t.Fatalf("report %+v", rep)
	}

	// The text summary names the resolved digest and each check.
	out, _, err = execute(t, "verify", reg+"/team/app:latest", "--key", pub, "--insecure-ignore-tlog")
	if err != nil || !strings.Contains(out, "resolved to "+good.String()) || !strings.Contains(out, "PASS  subject") || !strings.Contains(out, "VERIFIED") {
		t.Fatalf("text output (%v):\n%s", err, out)
	}

	bad := verifyPush(t, reg+"/team/other")
	verifyAttach(t, bad, otherSV, bad)
	out, _, err = execute(t, "verify", bad.String(), "--key", pub, "--insecure-ignore-tlog")
	if exitCode(err) != 1 || !strings.Contains(err.Error(), "verification failed for "+bad.String()+": signature: ") || !strings.Contains(out, "FAILED") {
		t.Fatalf("another key: exit %d: %v\n%s", exitCode(err), err, out)
	}
}

func verifyKey(t *testing.T) (string, signature.SignerVerifier) {
	k := sigtest.NewKey(t)
	return k.PubFile(t), k.SV
}

func verifyRegistry(t *testing.T) string {
	return sigtest.Registry(t)
}

func verifyPush(t *testing.T, repo string) name.Digest {
	return sigtest.PushRandom(t, repo)
}

// verifyAttach signs a minimal SLSA v1 statement about subject and attaches
// it to d's .att tag as cosign attest does.
func verifyAttach(t *testing.T, d name.Digest, sv signature.SignerVerifier, subject name.Digest) {
	t.Helper()
	alg, hex, _ := strings.Cut(subject.DigestStr(), ":")
	stmt, _ := json.Marshal(map[string]any{
		"_type": "https://in-toto.io/Statement/v1", "predicateType": "https://slsa.dev/provenance/v1",
		"subject":   []any{map[string]any{"name": subject.Context().Name(), "digest": map[string]string{alg: hex}}},
		"predicate": map[string]any{"runDetails": map[string]any{"builder": map[string]any{"id": "https://github.com/chainseal/chainseal"}}},
	})
	env, err := sigdsse.WrapSigner(sv, "application/vnd.in-toto+json").SignMessage(bytes.NewReader(stmt))
	if err != nil {
		t.Fatal(err)
	}
	tag, _ := ociremote.AttestationTag(d)
	base, err := ociremote.Signatures(tag)
	if err != nil {
		t.Fatal(err)
	}
	att, err := static.NewAttestation(env, static.WithLayerMediaType(ctypes.DssePayloadType))
	if err != nil {
		t.Fatal(err)
	}
	next, err := mutate.AppendSignatures(base, false, att)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(tag, next); err != nil {
		t.Fatal(err)
	}
}

// A deploy gate must not hang (issue #13): with a registry that accepts
// connections and never answers, verify gives up at --timeout and exits 3.
func TestVerifyTimeoutExits3(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { c.Close() })
		}
	}()
	pub, _ := verifyKey(t)
	done := make(chan struct{})
	var out string
	go func() {
		defer close(done)
		out, _, err = execute(t, "verify", l.Addr().String()+"/team/app:latest", "--key", pub, "--insecure-ignore-tlog", "--timeout", "1s")
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("verify still waiting after 20s: a deploy gate would hang")
	}
	if exitCode(err) != 3 || !strings.Contains(err.Error(), "--timeout 1s") || !strings.Contains(out, "COULD NOT VERIFY") {
		t.Fatalf("exit %d, want 3 naming --timeout: %v\n%s", exitCode(err), err, out)
	}
	if _, _, err := execute(t, "verify", "img", "--key", pub, "--insecure-ignore-tlog", "--timeout", "0s"); exitCode(err) != 2 {
		t.Fatalf("--timeout 0s: exit %d, want 2: %v", exitCode(err), err)
	}
}
