//go:build stack

package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"knative.dev/pkg/apis"

	"github.com/chainseal/chainseal/internal/demo"
	"github.com/chainseal/chainseal/internal/kubetest"
	"github.com/chainseal/chainseal/internal/stacktest"
)

// The chainseal bundle and the build step's image, pushed once for the
// tests of this file (ko builds chainseal, as `make bundle` does).
var (
	stepImagesOnce sync.Once
	stepBundle     *demo.Bundle
	stepBuilder    string
	stepImagesErr  error
)

func stepImages(t testing.TB, env *stacktest.Env) (*demo.Bundle, string) {
	t.Helper()
	stepImagesOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		if stepBundle, stepImagesErr = demo.PushBundle(ctx, env, repoRoot(t), "e2e"); stepImagesErr != nil {
			return
		}
		stepBuilder, stepImagesErr = demo.PushGoImage(ctx, env, "./testdata/pushimage", "pushimage")
	})
	if stepImagesErr != nil {
		t.Fatal(stepImagesErr)
	}
	return stepBundle, stepBuilder
}

// stepNamespace is a namespace with chainseal's RBAC (runs and TaskRun
// annotations), registry access for the chainseal ServiceAccount, a
// signing Secret and a config, and a Tekton controller of its own.
func stepNamespace(t testing.TB, env *stacktest.Env, prefix string, secret map[string][]byte, config map[string]string) string {
	t.Helper()
	ctx := context.Background()
	admin := kubetest.Admin(t, env)
	ns := kubetest.Namespace(t, admin, prefix)
	for _, f := range []string{"../../tasks/rbac.yaml", "../../tasks/rbac-taskruns.yaml"} {
		run(t, env.Environ(), env.Kubectl(), "apply", "-n", ns, "-f", f)
	}
	docker, err := os.ReadFile(filepath.Join(dockerConfig(t, env), "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := demo.RegistryAccess(ctx, admin, ns, docker); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "chainseal-signing"}, Data: secret}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "chainseal-config"}, Data: config}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	env.TektonController(t, ns)
	return ns
}

// stepTaskRun is a standalone TaskRun as the Chains walkthrough has it: a
// step builds and pushes an image and reports IMAGE_URL and IMAGE_DIGEST;
// chainseal, the chainseal-step StepAction resolved from its bundle, is the
// Task's last step.
func stepTaskRun(t *testing.T, ns, builder, bundle, repo string, sealParams string) *pipelinev1.TaskRun {
	t.Helper()
	tr := &pipelinev1.TaskRun{}
	mustYAML(t, fmt.Sprintf(`
metadata: {name: %[1]s, namespace: %[2]s}
spec:
  serviceAccountName: chainseal
  workspaces:
  - name: registry
    secret: {secretName: registry}
  taskSpec:
    workspaces: [{name: registry, mountPath: /docker, readOnly: true}]
    results: [{name: IMAGE_URL}, {name: IMAGE_DIGEST}]
    steps:
    - name: build-and-push
      image: %[3]s
      env: [{name: DOCKER_CONFIG, value: /docker}]
      args: [-image=%[5]s:$(context.taskRun.name), -content=$(context.taskRun.uid), -results=/tekton/results]
    - name: seal
      ref:
        resolver: bundles
        params:
        - {name: bundle, value: "%[4]s"}
        - {name: name, value: chainseal-step}
        - {name: kind, value: stepaction}
%[6]s`, kubetest.Name("build"), ns, builder, bundle, repo, sealParams), tr)
	return tr
}

// runTaskRun creates tr and waits until Tekton's controller finishes it.
func runTaskRun(t *testing.T, env *stacktest.Env, tr *pipelinev1.TaskRun) *pipelinev1.TaskRun {
	t.Helper()
	tk := kubetest.AdminTekton(t, env)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	if _, err := tk.TektonV1().TaskRuns(tr.Namespace).Create(ctx, tr, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating TaskRun %s: %v", tr.Name, err)
	}
	for {
		got, err := tk.TektonV1().TaskRuns(tr.Namespace).Get(ctx, tr.Name, metav1.GetOptions{})
		if err == nil {
			if c := got.Status.GetCondition(apis.ConditionSucceeded); c != nil && c.Status != corev1.ConditionUnknown {
				t.Logf("TaskRun %s: %s, %s", got.Name, c.Reason, span(got.Status.StartTime, got.Status.CompletionTime))
				return got
			}
		}
		if ctx.Err() != nil {
			t.Fatalf("TaskRun %s/%s did not finish in 4m (last error: %v)", tr.Namespace, tr.Name, err)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func succeeded(tr *pipelinev1.TaskRun) bool {
	c := tr.Status.GetCondition(apis.ConditionSucceeded)
	return c != nil && c.Status == corev1.ConditionTrue
}

// stepLog is the log of one step of tr's pod.
func stepLog(t *testing.T, env *stacktest.Env, tr *pipelinev1.TaskRun, step string) string {
	t.Helper()
	out, err := runErr(env.Environ(), env.Kubectl(), "logs", "-n", tr.Namespace, tr.Status.PodName, "-c", "step-"+step)
	if err != nil {
		return err.Error()
	}
	return out
}

func taskResult(tr *pipelinev1.TaskRun, name string) string {
	for _, r := range tr.Status.Results {
		if r.Name == name {
			return r.Value.StringVal
		}
	}
	return ""
}

func stepResult(tr *pipelinev1.TaskRun, step, name string) string {
	for _, s := range tr.Status.Steps {
		if s.Name == step {
			for _, r := range s.Results {
				if r.Name == name {
					return r.Value.StringVal
				}
			}
		}
	}
	return ""
}

// TestStepFormChainsWalkthroughPGP is Tekton Chains' original walkthrough
// on real Tekton, with chainseal's step form: a TaskRun whose first step
// pushes an image and whose last step is the chainseal StepAction from the
// bundle runs to Succeeded; its payload and signature are read from the
// TaskRun's annotations (chains.tekton.dev/payload-taskrun-<uid>,
// signature-taskrun-<uid>) with kubectl and base64, and
// `gpg --verify signature payload` says "Good signature". The payload is the
// TaskRun's status as Tekton recorded it before the chainseal step: the
// build step and the image's IMAGE_DIGEST, which the build step wrote.
func TestStepFormChainsWalkthroughPGP(t *testing.T) {
	t.Parallel()
	env := stacktest.Load(t)
	bundle, builder := stepImages(t, env)
	work := t.TempDir()

	gnupg := filepath.Join(work, "gnupg")
	if err := os.Mkdir(gnupg, 0o700); err != nil {
		t.Fatal(err)
	}
	gpgEnv := append(os.Environ(), "GNUPGHOME="+gnupg)
	const pass = "step-walkthrough-passphrase"
	gpg := func(args ...string) string {
		return run(t, gpgEnv, "gpg", append([]string{"--batch", "--pinentry-mode", "loopback", "--passphrase", pass}, args...)...)
	}
	gpg("--quick-gen-key", "chainseal step form <step@example.com>", "ed25519", "sign", "never")
	private := gpg("--armor", "--export-secret-keys", "step@example.com")
	ns := stepNamespace(t, env, "step-pgp",
		map[string][]byte{"pgp.private-key": []byte(private), "pgp.passphrase": []byte(pass)},
		map[string]string{
			"artifacts.taskrun.format":  "tekton",
			"artifacts.taskrun.storage": "tekton",
			"artifacts.taskrun.signer":  "pgp",
			"artifacts.oci.signer":      "none",
		})
	repo := env.Registry() + "/" + ns + "/app"
	done := runTaskRun(t, env, stepTaskRun(t, ns, builder, bundle.Ref, repo, ""))
	if !succeeded(done) {
		t.Fatalf("TaskRun %s did not succeed: %+v\nseal log:\n%s", done.Name, done.Status.Conditions, stepLog(t, env, done, "seal"))
	}
	digest := taskResult(done, "IMAGE_DIGEST")
	if !strings.HasPrefix(digest, "sha256:") {
		t.Fatalf("IMAGE_DIGEST = %q", digest)
	}

	// As the walkthrough does it: kubectl, base64 -d, gpg --verify.
	uid := string(done.UID)
	jsonpath := func(key string) string {
		return run(t, env.Environ(), env.Kubectl(), "get", "taskrun", done.Name, "-n", ns,
			"-o", "jsonpath={.metadata.annotations.chains\\.tekton\\.dev/"+key+"-taskrun-"+uid+"}")
	}
	write := func(name, b64 string) string {
		raw, err := base64.StdEncoding.DecodeString(b64)
		if err != nil || len(raw) == 0 {
			t.Fatalf("annotation %s is not base64 or is empty (%v); seal log:\n%s", name, err, stepLog(t, env, done, "seal"))
		}
		return writeFile(t, work, name, string(raw))
	}
	payload := write("payload", jsonpath("payload"))
	sig := write("signature", jsonpath("signature"))
	cmd := exec.Command("gpg", "--verify", sig, payload)
	cmd.Env = gpgEnv
	if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "Good signature") {
		t.Fatalf("gpg --verify signature payload: %v\n%s", err, out)
	}
	if v := jsonpath("signed"); v != "" {
		t.Logf("signed-taskrun annotation: %s", v)
	}
	got, err := kubetest.AdminTekton(t, env).TektonV1().TaskRuns(ns).Get(context.Background(), done.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Annotations["chains.tekton.dev/signed"] != "true" {
		t.Errorf("TaskRun not annotated chains.tekton.dev/signed=true: %v", got.Annotations)
	}

	// What was signed is what Tekton recorded: the build step as it
	// terminated, the results it wrote, and not the chainseal step.
	raw, _ := os.ReadFile(payload)
	var status pipelinev1.TaskRunStatus
	if err := json.Unmarshal(raw, &status); err != nil {
		t.Fatalf("the payload is not a TaskRun status: %v\n%.300s", err, raw)
	}
	if len(status.Steps) != 1 || status.Steps[0].Name != "build-and-push" || status.Steps[0].Terminated == nil ||
		status.Steps[0].ImageID != done.Status.Steps[0].ImageID {
		t.Errorf("signed steps %+v, want the build step alone as Tekton recorded it (%+v)", status.Steps, done.Status.Steps[0])
	}
	signedResults := map[string]string{}
	for _, r := range status.Results {
		signedResults[r.Name] = r.Value.StringVal
	}
	if signedResults["IMAGE_DIGEST"] != digest || signedResults["IMAGE_URL"] != taskResult(done, "IMAGE_URL") {
		t.Errorf("signed results %v, want the results Tekton recorded: IMAGE_URL %s IMAGE_DIGEST %s",
			signedResults, taskResult(done, "IMAGE_URL"), digest)
	}
	if d := stepResult(done, "seal", "ATTESTATION_DIGEST"); !strings.HasPrefix(d, "sha256:") {
		t.Errorf("the seal step's ATTESTATION_DIGEST result = %q", d)
	}

	// Tampering is caught.
	writeFile(t, work, "payload", strings.Replace(string(raw), digest, "sha256:"+fill64("0"), 1))
	cmd = exec.Command("gpg", "--verify", sig, payload)
	cmd.Env = gpgEnv
	if out, err := cmd.CombinedOutput(); err == nil {
		t.Fatalf("gpg verified a changed payload:\n%s", out)
	}
}

// TestStepFormCosignKey: the step form with a cosign key pair in the
// Secret (x509 signer), SLSA v1.0 provenance of the TaskRun stored in the
// registry and in the annotations, the image signed, Rekor on. cosign
// verify and cosign verify-attestation check the image, rekor-cli finds
// the entry.
func TestStepFormCosignKey(t *testing.T) {
	t.Parallel()
	env := stacktest.Load(t)
	bundle, builder := stepImages(t, env)
	work := t.TempDir()
	const password = "step-cosign-password"
	gen := exec.Command(env.Cosign(), "generate-key-pair")
	gen.Dir, gen.Env = work, append(os.Environ(), "COSIGN_PASSWORD="+password)
	if out, err := gen.CombinedOutput(); err != nil {
		t.Fatalf("cosign generate-key-pair: %v\n%s", err, out)
	}
	keyPEM, _ := os.ReadFile(filepath.Join(work, "cosign.key"))
	pub := filepath.Join(work, "cosign.pub")
	rekorKey, err := os.ReadFile(env.RekorPublicKeyFile())
	if err != nil {
		t.Fatal(err)
	}
	ns := stepNamespace(t, env, "step-cosign",
		map[string][]byte{"cosign.key": keyPEM, "cosign.password": []byte(password)},
		map[string]string{
			"artifacts.taskrun.format":  "slsa/v2alpha4",
			"artifacts.taskrun.storage": "oci,tekton",
			"artifacts.taskrun.signer":  "x509",
			"artifacts.oci.signer":      "x509",
			"artifacts.oci.storage":     "oci",
			"transparency.enabled":      "true",
			"transparency.url":          env.RekorURL(),
			"transparency.publickey":    string(rekorKey),
		})
	repo := env.Registry() + "/" + ns + "/app"
	done := runTaskRun(t, env, stepTaskRun(t, ns, builder, bundle.Ref, repo, ""))
	if !succeeded(done) {
		t.Fatalf("TaskRun %s did not succeed: %+v\nseal log:\n%s", done.Name, done.Status.Conditions, stepLog(t, env, done, "seal"))
	}
	image := repo + "@" + taskResult(done, "IMAGE_DIGEST")
	userEnv := append(cleanEnv(env), "DOCKER_CONFIG="+dockerConfig(t, env), "TUF_ROOT="+filepath.Join(work, "tuf"))
	run(t, userEnv, env.Cosign(), "verify", "--key", pub, image)
	run(t, userEnv, env.Cosign(), "verify-attestation", "--key", pub, "--type", "slsaprovenance1", image)
	uuid := stepResult(done, "seal", "REKOR_UUID")
	if uuid == "" {
		t.Fatalf("the seal step recorded no REKOR_UUID: %+v", done.Status.Steps)
	}
	found := run(t, userEnv, env.RekorCLI(), "search", "--rekor_server", env.RekorURL(), "--sha", strings.TrimPrefix(taskResult(done, "IMAGE_DIGEST"), "sha256:"))
	if !strings.Contains(found, uuid) {
		t.Errorf("rekor-cli search --sha did not find entry %s:\n%s", uuid, found)
	}
	// Another key does not verify it.
	other := t.TempDir()
	gen = exec.Command(env.Cosign(), "generate-key-pair")
	gen.Dir, gen.Env = other, append(os.Environ(), "COSIGN_PASSWORD=x")
	if out, err := gen.CombinedOutput(); err != nil {
		t.Fatalf("cosign generate-key-pair: %v\n%s", err, out)
	}
	if out, err := runErr(userEnv, env.Cosign(), "verify-attestation", "--key", filepath.Join(other, "cosign.pub"), "--type", "slsaprovenance1", image); err == nil {
		t.Fatalf("cosign verify-attestation passed with another key:\n%s", out)
	}
}
