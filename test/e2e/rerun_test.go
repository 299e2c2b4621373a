//go:build stack

package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/chainseal/chainseal/internal/kubetest"
	"github.com/chainseal/chainseal/internal/sigtest"
	"github.com/chainseal/chainseal/internal/stacktest"
)

// TestRerunAfterEachBackendFails fails each store in turn with a real fault
// (registry credentials missing, the log unreachable, the annotation patch
// forbidden by RBAC, the file store unwritable), checks that nothing is
// marked signed, fixes the fault and re-runs: the re-run completes every
// store and duplicates nothing (one .att layer, one .sig layer, one Rekor
// entry for the image).
func TestRerunAfterEachBackendFails(t *testing.T) {
	t.Parallel()
	env := stacktest.Load(t)
	bin := buildChainseal(t)
	for _, fault := range []string{"oci", "rekor", "tekton", "file"} {
		t.Run(fault, func(t *testing.T) {
			t.Parallel()
			r := newRerunCase(t, env, bin)
			first := r.sign(t, fault)
			if first.err == nil {
				t.Fatalf("sign succeeded with %s broken:\n%s", fault, first.out)
			}
			if !strings.Contains(first.out, fault) {
				t.Errorf("the failure does not name the %s backend:\n%s", fault, first.out)
			}
			if r.signedAnnotation(t) {
				t.Fatalf("PipelineRun marked chains.tekton.dev/signed=true although %s failed", fault)
			}
			second := r.sign(t, "")
			if second.err != nil {
				t.Fatalf("re-run after fixing %s: %v\n%s", fault, second.err, second.out)
			}
			if !r.signedAnnotation(t) {
				t.Fatal("re-run did not mark the PipelineRun signed")
			}
			r.expectOne(t)
		})
	}
}

type rerunCase struct {
	*buildFixture
	bin      string
	secrets  string
	filesDir string
}

func newRerunCase(t *testing.T, env *stacktest.Env, bin string) *rerunCase {
	r := &rerunCase{buildFixture: newBuildFixture(t, env, "rerun"), bin: bin}
	r.secrets = filepath.Join(r.work, "signing")
	writeECKey(t, filepath.Join(r.secrets, "x509.pem"))
	r.filesDir = filepath.Join(r.work, "store")
	return r
}

type result struct {
	out string
	err error
}

// sign runs chainseal as the namespace's ServiceAccount with one fault.
func (r *rerunCase) sign(t *testing.T, fault string) result {
	t.Helper()
	admin := kubetest.Admin(t, r.env)
	rekorURL, docker, filesDir := r.env.RekorURL(), r.docker, r.filesDir
	switch fault {
	case "oci":
		docker = filepath.Join(r.work, "no-credentials")
	case "rekor":
		rekorURL = "http://127.0.0.1:1"
	case "tekton":
		if err := admin.RbacV1().RoleBindings(r.ns).Delete(context.Background(), "chainseal-annotate", metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		defer run(t, r.env.Environ(), r.env.Kubectl(), "apply", "-n", r.ns, "-f", "../../tasks/rbac.yaml")
	case "file":
		blocker := filepath.Join(r.work, "not-a-dir")
		if err := os.WriteFile(blocker, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		filesDir = filepath.Join(blocker, "store")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, r.bin, append(r.signArgs(t), "--config-map", "",
		"--secret-dir", r.secrets, "--rekor-public-key", r.env.RekorPublicKeyFile(),
		"--config", "artifacts.pipelinerun.storage=oci,tekton,file",
		"--config", "storage.file.dir="+filesDir,
		"--config", "transparency.enabled=true",
		"--config", "transparency.url="+rekorURL)...)
	cmd.Env = append(os.Environ(), "DOCKER_CONFIG="+docker)
	out, err := cmd.CombinedOutput()
	return result{string(out), err}
}

func (r *rerunCase) signedAnnotation(t *testing.T) bool {
	pr, err := kubetest.AdminTekton(t, r.env).TektonV1().PipelineRuns(r.ns).Get(context.Background(), r.build.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return pr.Annotations["chains.tekton.dev/signed"] == "true"
}

// expectOne checks every store holds exactly one copy, with the clients a
// user would use.
func (r *rerunCase) expectOne(t *testing.T) {
	t.Helper()
	e := append(r.env.Environ(), "DOCKER_CONFIG="+r.docker, "TUF_ROOT="+filepath.Join(r.work, "tuf"))
	hex := strings.TrimPrefix(r.build.Digest, "sha256:")
	for _, suffix := range []string{".att", ".sig"} {
		m := run(t, e, r.env.Crane(), "manifest", r.build.Image+":sha256-"+hex+suffix)
		if n := strings.Count(m, `"digest"`) - 1; n != 1 { // minus the config
			t.Errorf("%s image has %d layers after a re-run, want 1:\n%s", suffix, n, m)
		}
	}
	found := strings.Fields(run(t, e, r.env.RekorCLI(), "search", "--rekor_server", r.env.RekorURL(), "--sha", hex))
	uuids := 0
	for _, f := range found {
		if len(f) >= 64 && !strings.Contains(f, " ") {
			uuids++
		}
	}
	if uuids != 1 {
		t.Errorf("rekor-cli search --sha finds %d entries for the image after a re-run, want 1: %v", uuids, found)
	}
	pub := filepath.Join(r.secrets, "x509.pub")
	run(t, e, r.env.Cosign(), "verify-attestation", "--key", pub, "--type", "slsaprovenance1", r.image())
	if _, err := os.Stat(filepath.Join(r.filesDir, r.ns)); err != nil {
		t.Errorf("the file store holds nothing for the namespace: %v", err)
	}
}

func buildChainseal(t testing.TB) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "chainseal")
	if out, err := exec.Command("go", "build", "-o", bin, "../../cmd/chainseal").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// writeECKey writes an unencrypted PKCS#8 ECDSA P-256 key, as x509.pem in a
// signing Secret, and its public key beside it.
func writeECKey(t testing.TB, path string) { t.Helper(); sigtest.WriteKeyFile(t, path) }

func writeTokenKubeconfig(t testing.TB, env *stacktest.Env, path, token string) {
	t.Helper()
	kc := "apiVersion: v1\nkind: Config\nclusters:\n- name: stack\n  cluster:\n    server: " + env.KubeAPIURL() +
		"\n    certificate-authority: " + env.KubeCAFile() + "\nusers:\n- name: sa\n  user:\n    token: " + token +
		"\ncontexts:\n- name: stack\n  context: {cluster: stack, user: sa}\ncurrent-context: stack\n"
	if err := os.WriteFile(path, []byte(kc), 0o600); err != nil {
		t.Fatal(err)
	}
}
