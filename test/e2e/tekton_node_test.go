//go:build stack

package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"knative.dev/pkg/apis"
	"sigs.k8s.io/yaml"

	"github.com/chainseal/chainseal/internal/demo"
	"github.com/chainseal/chainseal/internal/kubetest"
	"github.com/chainseal/chainseal/internal/stacktest"
)

// TestTektonPipelineRunOnNode runs a PipelineRun under the stack's real
// Tekton controller (in the namespace it reconciles), on its real node (kubelet, containerd, runc): a task's
// script step on the stack's busybox image hashes a random word into a
// result, and a finally task, on an image whose entrypoint Tekton looks up
// in the registry, reads its PipelineRun and the build task's result back
// through the API with rest.InClusterConfig, as chainseal's finally task
// does. `tkn pipelinerun describe` shows the pipeline's result.
func TestTektonPipelineRunOnNode(t *testing.T) {
	t.Parallel()
	env := stacktest.Load(t)
	ns, shell := env.Must(t, "TEKTON_NAMESPACE"), env.Must(t, "TEKTON_SHELL_IMAGE")
	nodeName := env.Must(t, "NODE_NAME")
	admin := kubetest.Admin(t, env)
	probe := pushProbe(t, env)

	// The finally task's ServiceAccount may read runs in its namespace only.
	sa := kubetest.Name("reader")
	kubetest.ReaderRole(t, admin, ns, sa)
	t.Cleanup(func() {
		ctx := context.Background()
		_ = admin.RbacV1().RoleBindings(ns).Delete(ctx, sa, metav1.DeleteOptions{})
		_ = admin.RbacV1().Roles(ns).Delete(ctx, sa, metav1.DeleteOptions{})
		_ = admin.CoreV1().ServiceAccounts(ns).Delete(ctx, sa, metav1.DeleteOptions{})
	})

	word := kubetest.Name("word")
	sum := sha256.Sum256([]byte(word))
	want := "sha256:" + hex.EncodeToString(sum[:])
	pr := &pipelinev1.PipelineRun{}
	mustYAML(t, fmt.Sprintf(`
metadata: {name: %[1]s, namespace: %[2]s}
spec:
  taskRunTemplate: {serviceAccountName: %[3]s}
  params: [{name: word, value: %[4]s}]
  pipelineSpec:
    params: [{name: word, type: string}]
    results: [{name: digest, value: $(tasks.build.results.digest)}]
    tasks:
    - name: build
      params: [{name: word, value: $(params.word)}]
      taskSpec:
        params: [{name: word, type: string}]
        results: [{name: digest}]
        steps:
        - name: hash
          image: %[5]s
          script: |
            #!/bin/sh
            set -e
            printf 'sha256:%%s' "$(printf '%%s' '$(params.word)' | sha256sum | cut -d' ' -f1)" >"$(results.digest.path)"
    finally:
    - name: read-back
      taskSpec:
        results: [{name: pipelinerun-uid}, {name: task-result}, {name: api-host}]
        steps:
        - name: read
          image: %[6]s
          args: [--namespace=$(context.pipelineRun.namespace), --pipelinerun=$(context.pipelineRun.name),
                 --task=build, --result=digest, --results=/tekton/results]
`, kubetest.Name("node-smoke"), ns, sa, word, shell, probe), pr)

	done := runPipeline(t, env, pr)
	if got := pipelineResult(done, "digest"); got != want {
		t.Errorf("pipeline result digest = %q, want %q (sha256 of %q)", got, want, word)
	}
	trs := childTaskRuns(t, env, done)
	build, readBack := trs["build"], trs["read-back"]
	if build == nil || readBack == nil {
		t.Fatalf("TaskRuns of %s: %v, want build and read-back", done.Name, keys(trs))
	}
	results := map[string]string{}
	for _, r := range readBack.Status.Results {
		results[r.Name] = r.Value.StringVal
	}
	if results["pipelinerun-uid"] != string(done.UID) {
		t.Errorf("the finally task read PipelineRun uid %q through the API, want %q", results["pipelinerun-uid"], done.UID)
	}
	if results["task-result"] != want {
		t.Errorf("the finally task read build's result %q through the API, want %q", results["task-result"], want)
	}
	if results["api-host"] != "https://10.0.0.1:443" {
		t.Errorf("in-cluster config used %q, want the kubernetes Service https://10.0.0.1:443", results["api-host"])
	}

	// Real pods on the real node: the kubelet ran the steps' containers
	// from the registry, by digest. (A TaskRun is done when its last step
	// ends; the kubelet reports the pod's phase a moment later.)
	for task, tr := range trs {
		var pod *corev1.Pod
		for start := time.Now(); ; time.Sleep(250 * time.Millisecond) {
			var err error
			if pod, err = admin.CoreV1().Pods(ns).Get(context.Background(), tr.Status.PodName, metav1.GetOptions{}); err != nil {
				t.Fatalf("the pod of %s: %v", task, err)
			}
			if pod.Status.Phase != corev1.PodRunning && pod.Status.Phase != corev1.PodPending || time.Since(start) > time.Minute {
				break
			}
		}
		if pod.Spec.NodeName != nodeName || !pod.Spec.HostNetwork || pod.Status.Phase != corev1.PodSucceeded {
			t.Errorf("pod %s: node %q hostNetwork %v phase %s, want node %q, host network, Succeeded",
				pod.Name, pod.Spec.NodeName, pod.Spec.HostNetwork, pod.Status.Phase, nodeName)
		}
		for _, s := range tr.Status.Steps {
			if !strings.Contains(s.ImageID, "@sha256:") || s.Terminated == nil || s.Terminated.ExitCode != 0 {
				t.Errorf("step %s of %s: imageID %q, terminated %+v", s.Name, task, s.ImageID, s.Terminated)
			}
		}
	}

	out := run(t, env.Environ(), env.Must(t, "TKN"), "pipelinerun", "describe", done.Name, "-n", ns)
	if !strings.Contains(out, "Succeeded") || !lineWith(out, "digest", want) {
		t.Errorf("tkn pipelinerun describe does not show the run succeeded with result digest %s:\n%s", want, out)
	}
}

// TestTektonFinallyTaskFromBundle: a finally task whose Task comes from a
// bundle that `tkn bundle push` put in the stack registry, resolved by
// Tekton's bundles resolver (with the registry's credentials), runs; its
// TaskRun records where the Task came from (refSource: the bundle's
// reference and digest), which chainseal puts in provenance. It runs in a
// namespace of its own, with a Tekton controller of its own
// (stacktest.Env.TektonController).
func TestTektonFinallyTaskFromBundle(t *testing.T) {
	t.Parallel()
	env := stacktest.Load(t)
	shell, reg := env.Must(t, "TEKTON_SHELL_IMAGE"), env.Must(t, "REGISTRY")
	ns := kubetest.Namespace(t, kubetest.Admin(t, env), "tekton-bundle")
	env.TektonController(t, ns)

	dir := t.TempDir()
	task := filepath.Join(dir, "task.yaml")
	writeFile(t, dir, "task.yaml", fmt.Sprintf(`apiVersion: tekton.dev/v1
kind: Task
metadata: {name: stamp}
spec:
  params: [{name: text, type: string}]
  results: [{name: stamped}]
  steps:
  - name: stamp
    image: %s
    script: |
      #!/bin/sh
      printf 'stamped:%%s' '$(params.text)' >"$(results.stamped.path)"
`, shell))
	bundle := reg + "/" + kubetest.Name("e2e-bundle") + "/stamp:v1"
	userEnv := append(cleanEnv(env), "DOCKER_CONFIG="+dockerConfig(t, env))
	run(t, userEnv, env.Must(t, "TKN"), "bundle", "push", bundle, "-f", task)
	digest := strings.TrimSpace(run(t, userEnv, env.Must(t, "CRANE"), "digest", bundle))

	text := kubetest.Name("text")
	pr := &pipelinev1.PipelineRun{}
	mustYAML(t, fmt.Sprintf(`
metadata: {name: %[1]s, namespace: %[2]s}
spec:
  pipelineSpec:
    tasks:
    - name: build
      taskSpec:
        steps: [{name: build, image: %[3]s, script: "true"}]
    finally:
    - name: stamp
      params: [{name: text, value: %[4]s}]
      taskRef:
        resolver: bundles
        params:
        - {name: bundle, value: "%[5]s"}
        - {name: name, value: stamp}
        - {name: kind, value: task}
`, kubetest.Name("bundle-finally"), ns, shell, text, bundle), pr)

	done := runPipeline(t, env, pr)
	stamp := childTaskRuns(t, env, done)["stamp"]
	if stamp == nil {
		t.Fatalf("no TaskRun for the finally task stamp")
	}
	if len(stamp.Status.Results) != 1 || stamp.Status.Results[0].Value.StringVal != "stamped:"+text {
		t.Errorf("the bundle's Task returned %+v, want stamped:%s", stamp.Status.Results, text)
	}
	prov := stamp.Status.Provenance
	if prov == nil || prov.RefSource == nil {
		t.Fatalf("the finally TaskRun records no refSource: %+v", prov)
	}
	if repo := strings.TrimSuffix(bundle, ":v1"); prov.RefSource.URI != repo {
		t.Errorf("refSource.uri = %q, want the bundle's repository %s", prov.RefSource.URI, repo)
	}
	if got := "sha256:" + prov.RefSource.Digest["sha256"]; got != digest {
		t.Errorf("refSource.digest = %v, want the pushed bundle's %s", prov.RefSource.Digest, digest)
	}
	if prov.RefSource.EntryPoint != "stamp" {
		t.Errorf("refSource.entryPoint = %q, want stamp", prov.RefSource.EntryPoint)
	}
}

// runPipeline creates the PipelineRun and waits until the stack's Tekton
// controller says it succeeded; on failure it shows what the controller,
// the TaskRuns and the pods said.
func runPipeline(t *testing.T, env *stacktest.Env, pr *pipelinev1.PipelineRun) *pipelinev1.PipelineRun {
	t.Helper()
	tk := kubetest.AdminTekton(t, env)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	created, err := tk.TektonV1().PipelineRuns(pr.Namespace).Create(ctx, pr, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("creating PipelineRun %s: %v", pr.Name, err)
	}
	t.Cleanup(func() {
		if os.Getenv("CHAINSEAL_KEEP_NAMESPACES") == "" {
			_ = tk.TektonV1().PipelineRuns(pr.Namespace).Delete(context.Background(), pr.Name, metav1.DeleteOptions{})
		}
	})
	start := time.Now()
	for {
		got, err := tk.TektonV1().PipelineRuns(pr.Namespace).Get(ctx, pr.Name, metav1.GetOptions{})
		if err == nil {
			if c := got.Status.GetCondition(apis.ConditionSucceeded); c != nil && c.Status != corev1.ConditionUnknown {
				if c.Status == corev1.ConditionTrue {
					logDurations(t, env, got, time.Since(start))
					return got
				}
				describeFailure(t, env, got)
				t.Fatalf("PipelineRun %s/%s: %s: %s", got.Namespace, got.Name, c.Reason, c.Message)
			}
		}
		if ctx.Err() != nil {
			describeFailure(t, env, created)
			t.Fatalf("PipelineRun %s/%s did not finish in 4m (last error: %v)", pr.Namespace, pr.Name, err)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// childTaskRuns are the PipelineRun's TaskRuns by pipeline task name.
func childTaskRuns(t *testing.T, env *stacktest.Env, pr *pipelinev1.PipelineRun) map[string]*pipelinev1.TaskRun {
	t.Helper()
	list, err := kubetest.AdminTekton(t, env).TektonV1().TaskRuns(pr.Namespace).List(context.Background(),
		metav1.ListOptions{LabelSelector: "tekton.dev/pipelineRun=" + pr.Name})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*pipelinev1.TaskRun{}
	for i := range list.Items {
		out[list.Items[i].Labels["tekton.dev/pipelineTask"]] = &list.Items[i]
	}
	return out
}

func pipelineResult(pr *pipelinev1.PipelineRun, name string) string {
	for _, r := range pr.Status.Results {
		if r.Name == name {
			return r.Value.StringVal
		}
	}
	return ""
}

// logDurations logs how long the run and each TaskRun took, as Tekton
// recorded them (start to completion), and the wall time the test waited.
func logDurations(t *testing.T, env *stacktest.Env, pr *pipelinev1.PipelineRun, waited time.Duration) {
	t.Helper()
	msg := fmt.Sprintf("PipelineRun %s: %s (test waited %s)", pr.Name, span(pr.Status.StartTime, pr.Status.CompletionTime), waited.Round(10*time.Millisecond))
	for task, tr := range childTaskRuns(t, env, pr) {
		msg += fmt.Sprintf("; %s %s", task, span(tr.Status.StartTime, tr.Status.CompletionTime))
	}
	t.Log(msg)
}

func span(a, b *metav1.Time) string {
	if a == nil || b == nil {
		return "?"
	}
	return b.Sub(a.Time).String()
}

func describeFailure(t *testing.T, env *stacktest.Env, pr *pipelinev1.PipelineRun) {
	t.Helper()
	kubectl := func(args ...string) string {
		out, err := runErr(env.Environ(), env.Kubectl(), args...)
		if err != nil {
			return err.Error()
		}
		return out
	}
	t.Logf("PipelineRun:\n%s", kubectl("get", "pipelinerun", pr.Name, "-n", pr.Namespace, "-o", "yaml"))
	t.Logf("TaskRuns:\n%s", kubectl("get", "taskruns", "-n", pr.Namespace, "-l", "tekton.dev/pipelineRun="+pr.Name, "-o", "yaml"))
	t.Logf("pods:\n%s", kubectl("describe", "pods", "-n", pr.Namespace, "-l", "tekton.dev/pipelineRun="+pr.Name))
	for _, l := range []string{"tekton-controller", "tekton-resolvers", "kubelet"} {
		if b, err := os.ReadFile(filepath.Join(env.Get("STACK_STATE_DIR"), "logs", l+".log")); err == nil {
			t.Logf("%s log (end):\n%s", l, lastLines(string(b), 30))
		}
	}
}

// pushProbe builds testdata/inclusterprobe (static) and pushes it as a
// one-layer image, the binary at /ko-app/inclusterprobe and the image's
// entrypoint, as ko would; it returns the image by digest.
func pushProbe(t *testing.T, env *stacktest.Env) string {
	t.Helper()
	ref, err := demo.PushGoImage(context.Background(), env, "./testdata/inclusterprobe", "inclusterprobe")
	if err != nil {
		t.Fatalf("pushing the probe: %v", err)
	}
	return ref
}

func mustYAML(t *testing.T, doc string, into any) {
	t.Helper()
	if err := yaml.UnmarshalStrict([]byte(doc), into); err != nil {
		t.Fatalf("%v\n%s", err, doc)
	}
}

// lineWith: some line of out holds both words.
func lineWith(out, a, b string) bool {
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, a) && strings.Contains(l, b) {
			return true
		}
	}
	return false
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
