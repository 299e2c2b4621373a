//go:build stack

package e2e

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/chainseal/chainseal/internal/demo"
	"github.com/chainseal/chainseal/internal/kubetest"
	"github.com/chainseal/chainseal/internal/stacktest"
)

// TestChainsUserMovesInOneCommand is issue #17's acceptance test, on real
// Tekton. A Chains user's installation, as Chains' docs write it
// (`kubectl patch configmap chains-config`: slsa/v1 TaskRun provenance
// kept in annotations and the registry, image signatures, the transparency
// log on; `cosign generate-key-pair k8s://<ns>/signing-secrets`), and a
// tenant whose Pipeline builds and pushes an image, with the push
// credentials on the default ServiceAccount as Chains found them. A run
// before `chainseal migrate` is sealed by nobody: the verifiers fail. Then
// one `chainseal migrate --patch-pipelines`, a run under Tekton's real
// controller, and clients nobody here wrote see what Chains made: `cosign
// verify-attestation --type slsaprovenance` and `cosign verify` with
// Chains' key, `rekor-cli search --sha` finding the entry the TaskRun
// names, `kubectl get` showing chains.tekton.dev/signed=true; and the
// TaskRun's payload is, field by field, Chains v0.28.1's slsa/v1
// formatter's on the same TaskRun, less the compat suite's accepted
// differences (test/compat cmd/chainsformat -compare-taskrun).
func TestChainsUserMovesInOneCommand(t *testing.T) {
	t.Parallel()
	env := stacktest.Load(t)
	ctx := context.Background()
	start := time.Now()
	work := t.TempDir()
	root := repoRoot(t)

	// Chains' formatter is its own module (test/compat): built while the
	// rest runs, it takes minutes cold.
	chainsFormat := filepath.Join(work, "chainsformat")
	built := make(chan error, 1)
	go func() { built <- buildChainsFormat(root, chainsFormat) }()

	bin := buildChainseal(t)
	bundle, err := demo.PushBundle(ctx, env, root, "e2e")
	if err != nil {
		t.Fatal(err)
	}
	builder, err := demo.PushGoImage(ctx, env, "./testdata/pushimage", "pushimage")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: bundle %s and the build image pushed", time.Since(start).Round(time.Second), bundle.Ref)

	admin := kubetest.Admin(t, env)
	tk := kubetest.AdminTekton(t, env)
	chains := kubetest.Namespace(t, admin, "chains") // stands for tekton-chains
	ns := kubetest.Namespace(t, admin, "chains-user")
	env.TektonController(t, ns)
	kubectl := func(args ...string) string { return run(t, env.Environ(), env.Kubectl(), args...) }
	userEnv := append(cleanEnv(env), "DOCKER_CONFIG="+dockerConfig(t, env), "TUF_ROOT="+filepath.Join(work, "tuf"))

	// Chains' installation: the release's empty ConfigMap, then the keys
	// of Chains' docs, patched in; the key made by cosign into the Secret.
	if _, err := admin.CoreV1().ConfigMaps(chains).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "chains-config",
		Labels: map[string]string{"app.kubernetes.io/instance": "default", "app.kubernetes.io/part-of": "tekton-chains"}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	kubectl("patch", "configmap", "chains-config", "-n", chains, "-p", `{"data":{"artifacts.taskrun.format": "slsa/v1"}}`)
	kubectl("patch", "configmap", "chains-config", "-n", chains, "-p", `{"data":{"artifacts.taskrun.storage": "tekton,oci", "artifacts.oci.storage": "oci"}}`)
	kubectl("patch", "configmap", "chains-config", "-n", chains, "-p",
		fmt.Sprintf(`{"data":{"transparency.enabled": "true", "transparency.url": %q}}`, env.RekorURL()))
	gen := exec.Command(env.Cosign(), "generate-key-pair", "k8s://"+chains+"/signing-secrets")
	gen.Dir, gen.Env = work, append(env.Environ(), "COSIGN_PASSWORD=chains-password")
	if out, err := gen.CombinedOutput(); err != nil {
		t.Fatalf("cosign generate-key-pair k8s://%s/signing-secrets: %v\n%s", chains, err, out)
	}
	key, err := admin.CoreV1().Secrets(chains).Get(ctx, "signing-secrets", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pub := writeFile(t, work, "chains-cosign.pub", string(key.Data["cosign.pub"])) // what Chains' users verify with

	// The tenant: push credentials on the default ServiceAccount (Chains
	// found them there through k8schain), mounted by the build too, and
	// a Pipeline without any chainseal.
	cfg, err := os.ReadFile(filepath.Join(dockerConfig(t, env), "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "registry"},
		Type: corev1.SecretTypeDockerConfigJson, Data: map[string][]byte{corev1.DockerConfigJsonKey: cfg, "config.json": cfg}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	defaultSA := waitServiceAccount(t, env, ns, "default")
	defaultSA.ImagePullSecrets = append(defaultSA.ImagePullSecrets, corev1.LocalObjectReference{Name: "registry"})
	if _, err := admin.CoreV1().ServiceAccounts(ns).Update(ctx, defaultSA, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	repo := env.Registry() + "/" + ns + "/app"
	p := &pipelinev1.Pipeline{}
	mustYAML(t, fmt.Sprintf(`
metadata: {name: release, namespace: %[1]s}
spec:
  workspaces: [{name: registry}]
  results:
  - {name: IMAGE_URL, value: $(tasks.build.results.IMAGE_URL)}
  - {name: IMAGE_DIGEST, value: $(tasks.build.results.IMAGE_DIGEST)}
  tasks:
  - name: build
    workspaces: [{name: registry, workspace: registry}]
    taskSpec:
      workspaces: [{name: registry, mountPath: /docker, readOnly: true}]
      results: [{name: IMAGE_URL}, {name: IMAGE_DIGEST}]
      steps:
      - name: build-and-push
        image: %[2]s
        env: [{name: DOCKER_CONFIG, value: /docker}]
        args: [-image=%[3]s:$(context.pipelineRun.name), -content=$(context.pipelineRun.uid), -results=/tekton/results]
`, ns, builder, repo), p)
	if _, err := tk.TektonV1().Pipelines(ns).Create(ctx, p, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	release := func(name string, sealed bool) (*pipelinev1.PipelineRun, string) {
		t.Helper()
		pr := &pipelinev1.PipelineRun{}
		doc := fmt.Sprintf(`
metadata: {name: %s, namespace: %s}
spec:
  pipelineRef: {name: release}
  workspaces: [{name: registry, secret: {secretName: registry}}]
`, name, ns)
		if sealed { // docs/migrate.md step 5: the finally task runs as chainseal
			doc += "  taskRunSpecs: [{pipelineTaskName: chainseal, serviceAccountName: chainseal}]\n"
		}
		mustYAML(t, doc, pr)
		done := runPipeline(t, env, pr)
		return done, repo + "@" + pipelineResult(done, "IMAGE_DIGEST")
	}
	signed := func(kind, name string) string {
		return kubectl("get", kind, name, "-n", ns, "-o", `jsonpath={.metadata.annotations.chains\.tekton\.dev/signed}`)
	}

	// Before migrate: the same Pipeline runs, and nothing seals it.
	before, beforeImage := release("before-migrate", false)
	if s := signed("pipelinerun", before.Name); s != "" {
		t.Errorf("before migrate, PipelineRun %s has chains.tekton.dev/signed=%q", before.Name, s)
	}
	if out, err := runErr(userEnv, env.Cosign(), "verify-attestation", "--type", "slsaprovenance", "--key", pub, beforeImage); err == nil {
		t.Errorf("before migrate, cosign verify-attestation of %s passed:\n%s", beforeImage, out)
	}
	t.Logf("%s: before migrate, %s ran unsealed", time.Since(start).Round(time.Second), before.Name)

	// One command.
	report, err := runErr(env.Environ(), bin, "migrate", "--kubeconfig", env.Kubeconfig(), "--chains-namespace", chains, "-n", ns,
		"--patch-pipelines", "--bundle", bundle.Ref, "--rekor-public-key", env.RekorPublicKeyFile())
	if err != nil {
		t.Fatalf("chainseal migrate: %v\n%s", err, report)
	}
	t.Logf("chainseal migrate:\n%s", report)
	if !strings.Contains(report, "release: got the chainseal finally task") {
		t.Errorf("the report does not say Pipeline release got the finally task")
	}

	done, image := release("after-migrate", true)
	digest := strings.TrimPrefix(image, repo+"@")
	trs := childTaskRuns(t, env, done)
	build := trs["build"]
	if build == nil || trs["chainseal"] == nil {
		t.Fatalf("TaskRuns of %s: %v, want build and chainseal", done.Name, keys(trs))
	}
	t.Logf("%s: after migrate, %s ran and was sealed; image %s", time.Since(start).Round(time.Second), done.Name, image)

	// kubectl: the marks Chains' watchers wait for.
	for _, o := range [][2]string{{"pipelinerun", done.Name}, {"taskrun", build.Name}} {
		if s := signed(o[0], o[1]); s != "true" {
			t.Errorf("kubectl get %s %s: chains.tekton.dev/signed = %q, want true", o[0], o[1], s)
		}
	}
	payload, err := base64.StdEncoding.DecodeString(kubectl("get", "taskrun", build.Name, "-n", ns, "-o",
		`jsonpath={.metadata.annotations.chains\.tekton\.dev/payload-taskrun-`+string(build.UID)+"}"))
	if err != nil || len(payload) == 0 {
		t.Fatalf("TaskRun %s: no payload annotation (%v)", build.Name, err)
	}

	// cosign, as Chains' users verify: the TaskRun's attestation in the
	// registry is the payload in the annotation; the image is signed.
	out, err := runErr(userEnv, env.Cosign(), "verify-attestation", "--type", "slsaprovenance", "--key", pub, image)
	if err != nil {
		t.Fatalf("cosign verify-attestation --type slsaprovenance --key <Chains' cosign.pub> %s: %v\n%s", image, err, out)
	}
	if !attestationHolds(out, payload) {
		t.Errorf("no attestation cosign verified is the TaskRun's payload annotation:\n%s", out)
	}
	run(t, userEnv, env.Cosign(), "verify", "--key", pub, image)

	// rekor-cli: the image's digest finds the entry the TaskRun names.
	found := run(t, userEnv, env.RekorCLI(), "search", "--rekor_server", env.RekorURL(), "--sha", strings.TrimPrefix(digest, "sha256:"))
	entry := kubectl("get", "taskrun", build.Name, "-n", ns, "-o", `jsonpath={.metadata.annotations.chains\.tekton\.dev/transparency}`)
	m := regexp.MustCompile(`logIndex=(\d+)$`).FindStringSubmatch(entry)
	if m == nil {
		t.Fatalf("TaskRun %s: chains.tekton.dev/transparency = %q, want the entry's URL", build.Name, entry)
	}
	var got struct{ UUID string }
	if err := json.Unmarshal([]byte(run(t, userEnv, env.RekorCLI(), "get", "--rekor_server", env.RekorURL(), "--log-index", m[1], "--format", "json")), &got); err != nil {
		t.Fatal(err)
	}
	// An entry id is the tree id and the 64-hex UUID; the UUID is common to both forms.
	if len(got.UUID) < 64 || !strings.Contains(found, got.UUID[len(got.UUID)-64:]) {
		t.Errorf("rekor-cli search --sha %s did not find entry %s (log index %s, the TaskRun's):\n%s", digest, got.UUID, m[1], found)
	}

	// Field by field, against Chains' own formatter on the same TaskRun.
	if err := <-built; err != nil {
		t.Fatal(err)
	}
	statement := writeFile(t, work, "statement.json", string(payload))
	taskRun := writeFile(t, work, "taskrun.yaml", kubectl("get", "taskrun", build.Name, "-n", ns, "-o", "yaml"))
	compare := func(builderID string) (string, error) {
		return runErr(os.Environ(), chainsFormat, "-compare-taskrun", statement, "-case", "chains-user-slsa02/build",
			"-format", "slsa/v1", "-builder-id", builderID, taskRun)
	}
	out, err = compare("https://tekton.dev/chains/v2")
	t.Logf("Chains v0.28.1 slsa/v1 on TaskRun %s against its payload:\n%s", build.Name, out)
	if err != nil {
		t.Errorf("the TaskRun's payload differs from Chains' beyond the accepted differences: %v", err)
	}
	// The comparison sees a difference verifiers would: the builder id of
	// chainseal's default mode is not Chains'.
	if out, err := compare("https://github.com/chainseal/chainseal"); err == nil || !strings.Contains(out, "NEW: predicate.builder.id") {
		t.Errorf("against another builder id, chainsformat passed or did not name predicate.builder.id: %v\n%s", err, out)
	}
	t.Logf("%s in all", time.Since(start).Round(time.Second))
}

// buildChainsFormat builds test/compat's cmd/chainsformat (Chains' own
// formatters; its own module, so Chains' dependencies stay out of
// chainseal's go.mod).
func buildChainsFormat(root, out string) error {
	cmd := exec.Command("go", "build", "-o", out, "./cmd/chainsformat")
	cmd.Dir = filepath.Join(root, "test", "compat")
	// The checksum database does not serve github.com/tektoncd (test/compat/run).
	cmd.Env = append(os.Environ(), "GONOSUMDB="+strings.Trim(os.Getenv("GONOSUMDB")+",github.com/tektoncd", ","))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build test/compat/cmd/chainsformat (inside the stack's network namespace, Chains' modules must be fetched already: run test/compat/run first): %v\n%s", err, stderr.String())
	}
	return nil
}

// waitServiceAccount waits for the controller-manager to make a
// namespace's ServiceAccount.
func waitServiceAccount(t *testing.T, env *stacktest.Env, ns, name string) *corev1.ServiceAccount {
	t.Helper()
	for start := time.Now(); ; time.Sleep(250 * time.Millisecond) {
		sa, err := kubetest.Admin(t, env).CoreV1().ServiceAccounts(ns).Get(context.Background(), name, metav1.GetOptions{})
		if err == nil {
			return sa
		}
		if time.Since(start) > 30*time.Second {
			t.Fatalf("ServiceAccount %s/%s: %v", ns, name, err)
		}
	}
}

// attestationHolds: one of the DSSE envelopes cosign printed carries payload.
func attestationHolds(cosignOut string, payload []byte) bool {
	for _, line := range strings.Split(strings.TrimSpace(cosignOut), "\n") {
		var env struct{ Payload string }
		if json.Unmarshal([]byte(line), &env) != nil {
			continue
		}
		if b, err := base64.StdEncoding.DecodeString(env.Payload); err == nil && bytes.Equal(b, payload) {
			return true
		}
	}
	return false
}
