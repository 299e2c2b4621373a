//go:build stack

package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/chainseal/chainseal/internal/kubetest"
	"github.com/chainseal/chainseal/internal/stacktest"
)

// TestKeylessVerifyRefusesAnotherCA is the attack on verification by
// identity: an attacker makes their own CA (openssl), a certificate from it
// naming the victim's identity and the stack's OIDC issuer exactly as
// Fulcio would, and attests an image with cosign (signature, certificate
// and a real Rekor entry). `chainseal verify --key cert.pem` accepts it (a
// certificate given as --key is its key only: what the old code did with a
// certificate); by identity against the stack's trusted root it fails:
// the certificate does not chain to the stack Fulcio's CA.
func TestKeylessVerifyRefusesAnotherCA(t *testing.T) {
	t.Parallel()
	env := stacktest.Load(t)
	bin := buildChainseal(t)
	dir := t.TempDir()
	environ := append(env.Environ(), "DOCKER_CONFIG="+dockerConfig(t, env), "TUF_ROOT="+filepath.Join(dir, "tuf"), "COSIGN_PASSWORD=")
	issuer, rootFile := env.Must(t, "OIDC_ISSUER"), env.Must(t, "SIGSTORE_TRUSTED_ROOT_FILE")
	ns := kubetest.Name("victim")
	victim := "https://kubernetes.io/namespaces/" + ns + "/serviceaccounts/chainseal"
	in := func(name string) string { return filepath.Join(dir, name) }

	run(t, environ, "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1",
		"-subj", "/CN=attacker-ca", "-keyout", in("ca.key"), "-out", in("ca.pem"),
		"-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign")
	run(t, environ, "openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/",
		"-keyout", in("leaf.key"), "-out", in("leaf.csr"))
	// Fulcio's extensions: the OIDC issuer (1.3.6.1.4.1.57264.1.8, and the
	// deprecated 1.3.6.1.4.1.57264.1.1).
	ext := "subjectAltName=URI:" + victim + "\nextendedKeyUsage=codeSigning\nkeyUsage=critical,digitalSignature\n" +
		"1.3.6.1.4.1.57264.1.8=ASN1:UTF8String:" + issuer + "\n1.3.6.1.4.1.57264.1.1=ASN1:UTF8String:" + issuer + "\n"
	if err := os.WriteFile(in("leaf.ext"), []byte(ext), 0o644); err != nil {
		t.Fatal(err)
	}
	run(t, environ, "openssl", "x509", "-req", "-in", in("leaf.csr"), "-CA", in("ca.pem"), "-CAkey", in("ca.key"),
		"-CAcreateserial", "-days", "1", "-extfile", in("leaf.ext"), "-out", in("leaf.pem"))
	run(t, environ, env.Cosign(), "import-key-pair", "--key", in("leaf.key"), "--output-key-prefix", in("attacker"))

	writeTar(t, in("layer.tar"), "f", "the victim's image")
	repo := env.Registry() + "/" + ns + "/app"
	run(t, environ, env.Crane(), "append", "--oci-empty-base", "-f", in("layer.tar"), "-t", repo+":latest")
	image := repo + "@" + strings.TrimSpace(run(t, environ, env.Crane(), "digest", repo+":latest"))
	if err := os.WriteFile(in("predicate.json"), []byte(`{"buildDefinition":{"buildType":"https://tekton.dev/chains/v2/slsa"},"runDetails":{"builder":{"id":"https://github.com/chainseal/chainseal"}}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	run(t, environ, env.Cosign(), "attest", "--key", in("attacker.key"), "--certificate", in("leaf.pem"), "--certificate-chain", in("ca.pem"),
		"--type", "slsaprovenance1", "--predicate", in("predicate.json"), "--rekor-url", env.RekorURL(), "--yes", image)

	// The certificate as a bare key verifies the attacker's attestation.
	run(t, environ, bin, "verify", "--key", in("leaf.pem"), "--rekor-url", env.RekorURL(), "--rekor-public-key", env.RekorPublicKeyFile(), image)
	// By identity it does not.
	out, err := runErr(environ, bin, "verify", "--trusted-root", rootFile, "--certificate-identity", victim,
		"--certificate-oidc-issuer", issuer, "--insecure-ignore-sct", "--rekor-url", env.RekorURL(), image)
	if err == nil || !strings.Contains(out, "FAIL  certificate") || !strings.Contains(out, "does not chain to a Fulcio certificate authority") {
		t.Fatalf("chainseal verify by identity of an attestation certified by another CA: want a failed certificate check, got %v\n%s", err, out)
	}
	if !strings.Contains(out, "PASS  signature") || !strings.Contains(out, "PASS  transparency-log") {
		t.Errorf("the attack's signature and Rekor entry are real; only the certificate check should fail:\n%s", out)
	}
}

// TestKeylessSignRefusedLeavesNothing: chainseal sign with keyless config
// and a token for another audience, or a Fulcio that cannot be reached,
// fails with an error naming the key to fix, and leaves nothing: no .att or
// .sig in the registry, no Rekor entry for the image, the PipelineRun not
// marked signed.
func TestKeylessSignRefusedLeavesNothing(t *testing.T) {
	t.Parallel()
	env := stacktest.Load(t)
	bin := buildChainseal(t)
	f := newBuildFixture(t, env, "keyless-refused")
	for _, tc := range []struct {
		name, audience, fulcio, want string
	}{
		{"a token for another audience", "vault", env.Must(t, "FULCIO_URL"), `not "sigstore"`},
		{"Fulcio unreachable", "sigstore", "http://127.0.0.1:1", "signers.x509.fulcio.address"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			token := filepath.Join(f.work, "oidc-token")
			tok := run(t, env.Environ(), env.Kubectl(), "create", "token", "chainseal", "-n", f.ns, "--audience", tc.audience)
			if err := os.WriteFile(token, []byte(tok), 0o600); err != nil {
				t.Fatal(err)
			}
			root, err := os.ReadFile(env.Must(t, "SIGSTORE_TRUSTED_ROOT_FILE"))
			if err != nil {
				t.Fatal(err)
			}
			out, err := runErr(f.userEnv, bin, append(f.signArgs(t), "--config-map", "", "--rekor-public-key", env.RekorPublicKeyFile(),
				"--config", "artifacts.pipelinerun.storage=oci,tekton",
				"--config", "transparency.enabled=true", "--config", "transparency.url="+env.RekorURL(),
				"--config", "signers.x509.fulcio.enabled=true", "--config", "signers.x509.fulcio.address="+tc.fulcio,
				"--config", "signers.x509.fulcio.issuer="+env.Must(t, "OIDC_ISSUER"),
				"--config", "signers.x509.fulcio.trusted-root="+string(root),
				"--config", "signers.x509.identity.token.file="+token)...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("chainseal sign: want an error saying %q, got %v\n%s", tc.want, err, out)
			}
			if strings.Contains(err.Error()+out, strings.TrimSpace(tok)) {
				t.Error("the token is in chainseal's output")
			}
			tags := run(t, f.userEnv, env.Crane(), "ls", f.repo)
			if strings.Contains(tags, ".att") || strings.Contains(tags, ".sig") {
				t.Errorf("the registry holds signatures after a refused keyless sign: %s", tags)
			}
			found, _ := runErr(env.Environ(), env.RekorCLI(), "search", "--rekor_server", env.RekorURL(), "--sha", strings.TrimPrefix(f.digest, "sha256:"))
			if strings.TrimSpace(found) != "" && !strings.Contains(found, "No matching entries") {
				t.Errorf("Rekor holds an entry for the image: %s", found)
			}
			pr, err := kubetest.AdminTekton(t, env).TektonV1().PipelineRuns(f.ns).Get(context.Background(), f.build.Name, metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			for k := range pr.Annotations {
				if strings.HasPrefix(k, "chains.tekton.dev/") {
					t.Errorf("the PipelineRun carries %s after a refused keyless sign", k)
				}
			}
		})
	}
}

// TestKeylessSigstoreBundleVerifiedWithTrustedRoot: chainseal sign,
// keyless, storing a Sigstore bundle (OCI 1.1 referrer) that carries the
// certificate; cosign verify-attestation --new-bundle-format takes the
// stack's trusted root as a file (--trusted-root) and verifies it by
// identity, and refuses another identity; chainseal verify too.
func TestKeylessSigstoreBundleVerifiedWithTrustedRoot(t *testing.T) {
	t.Parallel()
	env := stacktest.Load(t)
	bin := buildChainseal(t)
	f := newBuildFixture(t, env, "keyless-bundle")
	issuer, rootFile := env.Must(t, "OIDC_ISSUER"), env.Must(t, "SIGSTORE_TRUSTED_ROOT_FILE")
	identity := "https://kubernetes.io/namespaces/" + f.ns + "/serviceaccounts/chainseal"
	token := filepath.Join(f.work, "oidc-token")
	if err := os.WriteFile(token, []byte(run(t, env.Environ(), env.Kubectl(), "create", "token", "chainseal", "-n", f.ns, "--audience", "sigstore")), 0o600); err != nil {
		t.Fatal(err)
	}
	root, err := os.ReadFile(rootFile)
	if err != nil {
		t.Fatal(err)
	}
	run(t, f.userEnv, bin, append(f.signArgs(t), "--config-map", "", "--rekor-public-key", env.RekorPublicKeyFile(),
		"--config", "artifacts.pipelinerun.storage=oci", "--config", "storage.oci.encoding-format=sigstore-bundle",
		"--config", "transparency.enabled=true", "--config", "transparency.url="+env.RekorURL(),
		"--config", "signers.x509.fulcio.enabled=true", "--config", "signers.x509.fulcio.address="+env.Must(t, "FULCIO_URL"),
		"--config", "signers.x509.fulcio.issuer="+issuer,
		"--config", "signers.x509.fulcio.trusted-root="+string(root),
		"--config", "signers.x509.identity.token.file="+token)...)

	cosign := func(id string) (string, error) {
		return runErr(f.userEnv, env.Cosign(), "verify-attestation", "--new-bundle-format", "--trusted-root", rootFile,
			"--certificate-identity", id, "--certificate-oidc-issuer", issuer, "--insecure-ignore-sct",
			"--type", "slsaprovenance1", f.image())
	}
	if out, err := cosign(identity); err != nil {
		t.Fatalf("cosign verify-attestation --new-bundle-format --trusted-root by identity: %v\n%s", err, out)
	}
	other := "https://kubernetes.io/namespaces/" + f.ns + "-other/serviceaccounts/chainseal"
	if out, err := cosign(other); err == nil {
		t.Fatalf("cosign verified the bundle for another identity %s:\n%s", other, out)
	}
	run(t, f.userEnv, bin, "verify", "--trusted-root", rootFile, "--certificate-identity", identity,
		"--certificate-oidc-issuer", issuer, "--insecure-ignore-sct", "--rekor-url", env.RekorURL(), f.image())
}
