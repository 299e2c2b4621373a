//go:build stack

package e2e

import (
	"context"
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/chainseal/chainseal/internal/demo"
	"github.com/chainseal/chainseal/internal/kubetest"
	"github.com/chainseal/chainseal/internal/stacktest"
)

// TestOriginalChainsWalkthrough follows the walkthrough of Tekton Chains'
// original README, TaskRun-centred: a PGP key made with gpg goes into the
// namespace's signing Secret, a TaskRun is sealed, its payload and signature
// are read back from the TaskRun's annotations with kubectl and base64, and
// `gpg --verify signature payload` says "Good signature". The one difference
// from the original text: the annotation keys are Chains' current ones,
// chains.tekton.dev/payload-taskrun-<uid> and signature-taskrun-<uid>.
func TestOriginalChainsWalkthrough(t *testing.T) {
	t.Parallel()
	env := stacktest.Load(t)
	bin := buildChainseal(t)
	work := t.TempDir()
	ctx := context.Background()
	admin := kubetest.Admin(t, env)
	ns := kubetest.Namespace(t, admin, "walkthrough")
	for _, f := range []string{"../../tasks/rbac.yaml", "../../tasks/rbac-taskruns.yaml"} {
		run(t, env.Environ(), env.Kubectl(), "apply", "-n", ns, "-f", f)
	}

	// gpg --gen-key, exported as pgp.private-key and pgp.passphrase.
	gnupg := filepath.Join(work, "gnupg")
	if err := os.Mkdir(gnupg, 0o700); err != nil {
		t.Fatal(err)
	}
	gpgEnv := append(os.Environ(), "GNUPGHOME="+gnupg)
	const pass = "walkthrough-passphrase"
	gpg := func(args ...string) string {
		return run(t, gpgEnv, "gpg", append([]string{"--batch", "--pinentry-mode", "loopback", "--passphrase", pass}, args...)...)
	}
	gpg("--quick-gen-key", "chainseal walkthrough <walkthrough@example.com>", "ed25519", "sign", "never")
	private := gpg("--armor", "--export-secret-keys", "walkthrough@example.com")
	if _, err := admin.CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "chainseal-signing"},
		Data:       map[string][]byte{"pgp.private-key": []byte(private), "pgp.passphrase": []byte(pass)},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "chainseal-config"},
		Data: map[string]string{
			"artifacts.taskrun.format":     "tekton",
			"artifacts.taskrun.storage":    "tekton",
			"artifacts.taskrun.signer":     "pgp",
			"artifacts.pipelinerun.signer": "none",
			"artifacts.oci.signer":         "none",
		},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	b, err := demo.CreateBuild(ctx, kubetest.AdminTekton(t, env), ns, "walkthrough", env.Registry()+"/walkthrough/app", "sha256:"+fill64("c"))
	if err != nil {
		t.Fatal(err)
	}
	kc := filepath.Join(work, "kubeconfig")
	writeTokenKubeconfig(t, env, kc, kubetest.Token(t, admin, ns, "chainseal"))
	out, err := runErr(os.Environ(), bin, "sign", "--kubeconfig", kc, "-n", ns, "--pipelinerun", b.Name,
		"--taskrun", b.OwnTaskRun, "--results-dir", "")
	if err != nil {
		t.Fatalf("chainseal sign: %v\n%s", err, out)
	}

	// As the walkthrough does it: kubectl, base64 -d, gpg --verify.
	tr, err := kubetest.AdminTekton(t, env).TektonV1().TaskRuns(ns).Get(ctx, b.BuildTaskRun, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	uid := string(tr.UID)
	jsonpath := func(key string) string {
		return run(t, env.Environ(), env.Kubectl(), "get", "taskrun", b.BuildTaskRun, "-n", ns,
			"-o", "jsonpath={.metadata.annotations.chains\\.tekton\\.dev/"+key+"-taskrun-"+uid+"}")
	}
	write := func(name, b64 string) string {
		raw, err := base64.StdEncoding.DecodeString(b64)
		if err != nil || len(raw) == 0 {
			t.Fatalf("annotation %s is not base64 or empty: %v", name, err)
		}
		p := filepath.Join(work, name)
		if err := os.WriteFile(p, raw, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	payload := write("payload", jsonpath("payload"))
	sig := write("signature", jsonpath("signature"))
	cmd := exec.Command("gpg", "--verify", sig, payload)
	cmd.Env = gpgEnv
	verified, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(verified), "Good signature") {
		t.Fatalf("gpg --verify signature payload: %v\n%s", err, verified)
	}
	if tr.Annotations["chains.tekton.dev/signed"] != "true" {
		t.Errorf("TaskRun not annotated chains.tekton.dev/signed=true: %v", tr.Annotations)
	}
	// The payload is the TaskRun's status, as Chains' tekton format signs it.
	if p, _ := os.ReadFile(payload); !strings.Contains(string(p), "IMAGE_DIGEST") {
		t.Errorf("the signed payload is not the TaskRun's status: %.200s", p)
	}
	// Tampering is caught.
	if err := os.WriteFile(payload, []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd = exec.Command("gpg", "--verify", sig, payload)
	cmd.Env = gpgEnv
	if out, err := cmd.CombinedOutput(); err == nil {
		t.Fatalf("gpg verified a changed payload:\n%s", out)
	}
}

// TestCosignKeyPairFromK8sSecret: `cosign generate-key-pair
// k8s://<namespace>/chainseal-signing` writes cosign.key, cosign.password and
// cosign.pub into the Secret chainseal reads by default; chainseal signs with
// it as is, and cosign verifies with the same Secret as the key.
func TestCosignKeyPairFromK8sSecret(t *testing.T) {
	t.Parallel()
	env := stacktest.Load(t)
	bin := buildChainseal(t)
	f := newBuildFixture(t, env, "cosign-k8s")
	userEnv := append(f.userEnv, "COSIGN_PASSWORD=k8s-secret-password")
	// It also writes cosign.pub to the working directory: keep that in work.
	gen := exec.Command(env.Cosign(), "generate-key-pair", "k8s://"+f.ns+"/chainseal-signing")
	gen.Dir, gen.Env = f.work, userEnv
	if out, err := gen.CombinedOutput(); err != nil {
		t.Fatalf("cosign generate-key-pair k8s://: %v\n%s", err, out)
	}
	if out, err := runErr(userEnv, bin, append(f.signArgs(t), "--config-map", "")...); err != nil {
		t.Fatalf("chainseal sign with the k8s:// cosign key: %v\n%s", err, out)
	}
	key := "k8s://" + f.ns + "/chainseal-signing"
	run(t, userEnv, env.Cosign(), "verify-attestation", "--insecure-ignore-tlog", "--type", "slsaprovenance1", "--key", key, f.image())
	run(t, userEnv, env.Cosign(), "verify", "--insecure-ignore-tlog", "--key", key, f.image())
}
