//go:build stack

package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/chainseal/chainseal/internal/kubetest"
	"github.com/chainseal/chainseal/internal/stacktest"
	"github.com/chainseal/chainseal/pkg/tekton/tektontest"
)

// TestMigrateFromChains installs Tekton Chains' configuration on the real
// API server as Chains' release and docs write it (an empty chains-config
// and signing-secrets, `kubectl patch configmap chains-config`, `cosign
// generate-key-pair k8s://<ns>/signing-secrets`), runs the built `chainseal
// migrate` against it for a tenant namespace, and checks what the tenant
// got: the ConfigMap, the copied key, the RBAC (asked of the API server as
// the chainseal ServiceAccount), the patched Pipeline, a second run that
// changes nothing, and `chainseal sign --dry-run` reading the migrated
// config as the chainseal ServiceAccount and making what Chains made by
// default: in-toto statements by https://tekton.dev/chains/v2.
func TestMigrateFromChains(t *testing.T) {
	t.Parallel()
	env := stacktest.Load(t)
	bin := buildChainseal(t)
	ctx := context.Background()
	work := t.TempDir()
	admin := kubetest.Admin(t, env)
	tk := kubetest.AdminTekton(t, env)
	chains := kubetest.Namespace(t, admin, "chains") // stands for tekton-chains
	tenant := kubetest.Namespace(t, admin, "tenant")
	kubectl := func(args ...string) string { return run(t, env.Environ(), env.Kubectl(), args...) }

	// Chains' release: both objects empty, labelled as Chains labels them.
	labels := map[string]string{"app.kubernetes.io/instance": "default", "app.kubernetes.io/part-of": "tekton-chains"}
	if _, err := admin.CoreV1().ConfigMaps(chains).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "chains-config", Labels: labels}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// Chains' docs: patch the keys in (getting-started tutorial, and the
	// experimental pubsub backend, which chainseal's kafka backend takes).
	kubectl("patch", "configmap", "chains-config", "-n", chains, "-p",
		`{"data":{"artifacts.oci.storage": "oci", "artifacts.taskrun.format":"in-toto", "artifacts.taskrun.storage": "tekton"}}`)
	kubectl("patch", "configmap", "chains-config", "-n", chains, "-p",
		`{"data": {"storage.pubsub.provider": "kafka","storage.pubsub.topic": "chains"}}`)
	// Chains' signing docs: cosign writes the Secret (it refuses to
	// overwrite the release's empty one, so that one is not made here).
	gen := exec.Command(env.Cosign(), "generate-key-pair", "k8s://"+chains+"/signing-secrets")
	gen.Dir, gen.Env = work, append(env.Environ(), "COSIGN_PASSWORD=chains-password")
	if out, err := gen.CombinedOutput(); err != nil {
		t.Fatalf("cosign generate-key-pair k8s://%s/signing-secrets: %v\n%s", chains, err, out)
	}
	source, err := admin.CoreV1().Secrets(chains).Get(ctx, "signing-secrets", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}

	// The tenant's Pipelines: one without the finally task, one with it.
	for _, p := range []*v1.Pipeline{migratePipeline(tenant, "build"), migratePipeline(tenant, "sealed", v1.PipelineTask{
		Name: "chainseal", TaskRef: &v1.TaskRef{Name: "chainseal"},
		Params: v1.Params{{Name: "pipelinerun-name", Value: *v1.NewStructuredValues("$(context.pipelineRun.name)")},
			{Name: "pipelinerun-namespace", Value: *v1.NewStructuredValues("$(context.pipelineRun.namespace)")}},
	})} {
		if _, err := tk.TektonV1().Pipelines(tenant).Create(ctx, p, metav1.CreateOptions{}); err != nil {
			t.Fatalf("creating Pipeline %s: %v", p.Name, err)
		}
	}

	const bundle = "registry.example/tasks/chainseal:0.1@sha256:a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90"
	migrate := func(args ...string) string {
		out, err := runErr(env.Environ(), bin, append([]string{"migrate", "--kubeconfig", env.Kubeconfig(), "--chains-namespace", chains}, args...)...)
		if err != nil {
			t.Fatalf("chainseal migrate %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return out
	}

	// A dry run writes nothing.
	migrate("-n", tenant, "--dry-run", "--patch-pipelines", "--bundle", bundle)
	if _, err := admin.CoreV1().ConfigMaps(tenant).Get(ctx, "chainseal-config", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("after --dry-run, chainseal-config: %v (want not found)", err)
	}

	report := migrate("-n", tenant, "--patch-pipelines", "--bundle", bundle)
	for _, want := range []string{
		"create    ConfigMap " + tenant + "/chainseal-config (done)",
		"signing-secrets/cosign.key -> cosign.key: copied",
		"build: got the chainseal finally task",
		"sealed: has the chainseal finally task (chainseal)",
	} {
		if !strings.Contains(report, want) {
			t.Errorf("the report lacks %q:\n%s", want, report)
		}
	}

	cm, err := admin.CoreV1().ConfigMaps(tenant).Get(ctx, "chainseal-config", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if cm.Data["chainseal.compat"] != "chains" || cm.Data["artifacts.taskrun.format"] != "in-toto" ||
		cm.Data["storage.pubsub.provider"] != "kafka" || cm.Data["storage.pubsub.topic"] != "chains" {
		t.Errorf("chainseal-config = %v", cm.Data)
	}
	s, err := admin.CoreV1().Secrets(tenant).Get(ctx, "chainseal-signing", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"cosign.key", "cosign.password", "cosign.pub"} {
		if len(s.Data[f]) == 0 || string(s.Data[f]) != string(source.Data[f]) {
			t.Errorf("chainseal-signing %s is not signing-secrets' (%d bytes)", f, len(s.Data[f]))
		}
	}
	// RBAC, asked of the API server for the chainseal ServiceAccount.
	sa := "system:serviceaccount:" + tenant + ":chainseal"
	for _, can := range [][]string{
		{"get", "configmaps/chainseal-config"}, {"get", "secrets/chainseal-signing"}, {"list", "pipelineruns.tekton.dev"},
		{"patch", "pipelineruns.tekton.dev"}, {"patch", "taskruns.tekton.dev"},
	} {
		if got := strings.TrimSpace(kubectl("auth", "can-i", can[0], can[1], "-n", tenant, "--as", sa)); got != "yes" {
			t.Errorf("kubectl auth can-i %s %s as %s: %s", can[0], can[1], sa, got)
		}
	}
	if out, _ := runErr(env.Environ(), env.Kubectl(), "auth", "can-i", "get", "secrets/signing-secrets", "-n", chains, "--as", sa); strings.TrimSpace(out) != "no" {
		t.Errorf("the tenant's chainseal can read the Chains namespace's Secret: %s", out)
	}
	p, err := tk.TektonV1().Pipelines(tenant).Get(ctx, "build", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Spec.Finally) != 1 || p.Spec.Finally[0].Name != "chainseal" || p.Spec.Finally[0].TaskRef.Params[0].Value.StringVal != bundle {
		t.Errorf("Pipeline build's finally tasks: %+v", p.Spec.Finally)
	}

	// Again: nothing changes.
	again := migrate("-n", tenant)
	if !strings.Contains(again, "unchanged ConfigMap "+tenant+"/chainseal-config") || strings.Contains(again, "\n    create ") {
		t.Errorf("a second migrate changed something:\n%s", again)
	}

	// chainseal sign reads the migrated config as the chainseal
	// ServiceAccount and makes Chains' default format.
	r := tektontest.NewRun(tenant, "release-1")
	r.Add(tektontest.Task{Name: "build", Steps: []string{"build"}, Results: []string{
		"IMAGE_URL", env.Registry() + "/" + tenant + "/app:1.0", "IMAGE_DIGEST", "sha256:" + tektontest.Digest(tenant),
	}})
	r.Add(tektontest.Task{Name: "chainseal", Finally: true, Steps: []string{"sign"}, Running: true})
	r.Results("IMAGE_URL", env.Registry()+"/"+tenant+"/app:1.0", "IMAGE_DIGEST", "sha256:"+tektontest.Digest(tenant))
	kc := filepath.Join(work, "kubeconfig")
	writeTokenKubeconfig(t, env, kc, kubetest.Token(t, admin, tenant, "chainseal"))
	args := []string{"sign", "--dry-run", "--kubeconfig", kc, "-n", tenant, "--taskrun", "release-1-chainseal", "--results-dir", ""}
	for i, obj := range append([]any{r.PipelineRun}, taskRunsOf(r)...) {
		b, err := sigsyaml.Marshal(obj)
		if err != nil {
			t.Fatal(err)
		}
		f := filepath.Join(work, "run-"+string(rune('a'+i))+".yaml")
		if err := os.WriteFile(f, b, 0o600); err != nil {
			t.Fatal(err)
		}
		args = append(args, "--from-file", f)
	}
	out, err := runErr(env.Environ(), bin, args...)
	if err != nil {
		t.Fatalf("chainseal sign --dry-run with the migrated config: %v\n%s", err, out)
	}
	statements, images := 0, 0
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var st struct {
			PredicateType string `json:"predicateType"`
			Predicate     struct {
				Builder struct{ ID string } `json:"builder"`
			} `json:"predicate"`
			Critical json.RawMessage `json:"critical"`
		}
		if err := json.Unmarshal([]byte(line), &st); err != nil {
			t.Fatalf("chainseal sign --dry-run printed a line that is not JSON: %s", line)
		}
		if st.Critical != nil {
			images++
			continue
		}
		statements++
		if st.PredicateType != "https://slsa.dev/provenance/v0.2" || st.Predicate.Builder.ID != "https://tekton.dev/chains/v2" {
			t.Errorf("statement %s by %q, want Chains' default: https://slsa.dev/provenance/v0.2 by https://tekton.dev/chains/v2", st.PredicateType, st.Predicate.Builder.ID)
		}
	}
	if statements != 2 || images != 1 {
		t.Errorf("%d statements, %d image signatures; want the PipelineRun's and the build TaskRun's, and the image's:\n%s", statements, images, out)
	}
}

func migratePipeline(ns, name string, finally ...v1.PipelineTask) *v1.Pipeline {
	return &v1.Pipeline{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: v1.PipelineSpec{
			Tasks:   []v1.PipelineTask{{Name: "build", TaskRef: &v1.TaskRef{Name: "build"}}},
			Finally: finally,
		},
	}
}

func taskRunsOf(r *tektontest.Run) []any {
	out := make([]any, len(r.TaskRuns))
	for i, tr := range r.TaskRuns {
		out[i] = tr
	}
	return out
}

// TestMigratedNamespaceSealsAsChains: a namespace migrated from Chains'
// release configuration (an empty chains-config and a cosign key made by
// `cosign generate-key-pair k8s://`) seals a real run as Chains did: the
// PipelineRun and the build TaskRun are marked chains.tekton.dev/signed=true,
// the TaskRun holds an in-toto SLSA v0.2 payload by
// https://tekton.dev/chains/v2 (read with kubectl), and cosign verifies the
// signature of the image the build TaskRun named, with the key Chains had
// (Chains signs each TaskRun's images whatever the deep inspection).
func TestMigratedNamespaceSealsAsChains(t *testing.T) {
	t.Parallel()
	env := stacktest.Load(t)
	bin := buildChainseal(t)
	ctx := context.Background()
	admin := kubetest.Admin(t, env)
	chains := kubetest.Namespace(t, admin, "chains")
	f := newBuildFixture(t, env, "migrated", "../../tasks/rbac-taskruns.yaml")
	if _, err := admin.CoreV1().ConfigMaps(chains).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "chains-config"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	gen := exec.Command(env.Cosign(), "generate-key-pair", "k8s://"+chains+"/signing-secrets")
	gen.Dir, gen.Env = f.work, append(env.Environ(), "COSIGN_PASSWORD=chains-password")
	if out, err := gen.CombinedOutput(); err != nil {
		t.Fatalf("cosign generate-key-pair: %v\n%s", err, out)
	}
	if out, err := runErr(env.Environ(), bin, "migrate", "--kubeconfig", env.Kubeconfig(), "--chains-namespace", chains, "-n", f.ns, "--overwrite"); err != nil {
		t.Fatalf("chainseal migrate: %v\n%s", err, out)
	}
	// As the finally task runs it: the namespace's chainseal-config and
	// chainseal-signing read through the API as the chainseal ServiceAccount.
	if out, err := runErr(f.userEnv, bin, f.signArgs(t)...); err != nil {
		t.Fatalf("chainseal sign in the migrated namespace: %v\n%s", err, out)
	}

	get := func(kind, name, path string) string {
		return run(t, env.Environ(), env.Kubectl(), "get", kind, name, "-n", f.ns, "-o", "jsonpath={"+path+"}")
	}
	for _, o := range [][2]string{{"pipelinerun", f.build.Name}, {"taskrun", f.build.BuildTaskRun}} {
		if signed := get(o[0], o[1], `.metadata.annotations.chains\.tekton\.dev/signed`); signed != "true" {
			t.Errorf("kubectl get %s %s: chains.tekton.dev/signed = %q, want true", o[0], o[1], signed)
		}
		if o[0] == "pipelinerun" {
			// Its results name no artifact, and deep inspection is off as in
			// Chains: Chains wrote a statement without a subject, chainseal
			// none (docs/provenance.md); the run is still marked signed.
			continue
		}
		uid := get(o[0], o[1], ".metadata.uid")
		payload, err := base64.StdEncoding.DecodeString(get(o[0], o[1], `.metadata.annotations.chains\.tekton\.dev/payload-`+o[0]+"-"+uid))
		if err != nil {
			t.Fatalf("%s %s payload annotation: %v", o[0], o[1], err)
		}
		var st struct {
			PredicateType string `json:"predicateType"`
			Predicate     struct {
				Builder struct{ ID string } `json:"builder"`
			} `json:"predicate"`
		}
		if err := json.Unmarshal(payload, &st); err != nil || st.PredicateType != "https://slsa.dev/provenance/v0.2" || st.Predicate.Builder.ID != "https://tekton.dev/chains/v2" {
			t.Errorf("%s %s payload: %s by %q (%v), want Chains' default: SLSA v0.2 by https://tekton.dev/chains/v2", o[0], o[1], st.PredicateType, st.Predicate.Builder.ID, err)
		}
	}
	key, err := admin.CoreV1().Secrets(chains).Get(ctx, "signing-secrets", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pub := filepath.Join(f.work, "chains-cosign.pub")
	if err := os.WriteFile(pub, key.Data["cosign.pub"], 0o644); err != nil {
		t.Fatal(err)
	}
	run(t, f.userEnv, env.Cosign(), "verify", "--insecure-ignore-tlog", "--key", pub, f.image())
}
