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

	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"knative.dev/pkg/apis"

	"github.com/chainseal/chainseal/internal/demo"
	"github.com/chainseal/chainseal/internal/kubetest"
	"github.com/chainseal/chainseal/internal/stacktest"
)

// The failure paths on real Tekton: a Release PipelineRun (build pushes an
// image, test checks it, chainseal from the bundle as the finally task) in
// a namespace signing with a cosign key, Rekor on.

type failureCase struct {
	env  *stacktest.Env
	ns   string
	work string
	pub  string
	user []string // the stack's environment with registry credentials
	rel  demo.Release
	logs map[string]*stepLogs // chainseal step logs by PipelineRun
}

func newFailureCase(t testing.TB, prefix string, extra map[string]string) *failureCase {
	t.Helper()
	env := stacktest.Load(t)
	bundle, builder := stepImages(t, env)
	c := &failureCase{env: env, work: t.TempDir(), logs: map[string]*stepLogs{}}
	const password = "failure-cosign-password"
	gen := exec.Command(env.Cosign(), "generate-key-pair")
	gen.Dir, gen.Env = c.work, append(os.Environ(), "COSIGN_PASSWORD="+password)
	if out, err := gen.CombinedOutput(); err != nil {
		t.Fatalf("cosign generate-key-pair: %v\n%s", err, out)
	}
	key, _ := os.ReadFile(filepath.Join(c.work, "cosign.key"))
	c.pub = filepath.Join(c.work, "cosign.pub")
	rekorKey, err := os.ReadFile(env.RekorPublicKeyFile())
	if err != nil {
		t.Fatal(err)
	}
	config := map[string]string{
		"artifacts.pipelinerun.signer":  "x509",
		"artifacts.pipelinerun.storage": "oci,tekton",
		"transparency.enabled":          "true",
		"transparency.url":              env.RekorURL(),
		"transparency.publickey":        string(rekorKey),
	}
	for k, v := range extra {
		config[k] = v
	}
	c.ns = stepNamespace(t, env, prefix, map[string][]byte{"cosign.key": key, "cosign.password": []byte(password)}, config)
	c.user = append(cleanEnv(env), "DOCKER_CONFIG="+dockerConfig(t, env), "TUF_ROOT="+filepath.Join(c.work, "tuf"))
	c.rel = demo.Release{Namespace: c.ns, Builder: builder, Shell: env.ShellImage(), Bundle: bundle.Ref,
		Repository: env.Registry() + "/" + c.ns + "/app", RegistrySecret: "registry"}
	return c
}

// pipelineRun is the Release run named name, changed by edit.
func (c *failureCase) pipelineRun(t testing.TB, name string, edit func(*pipelinev1.PipelineSpec)) *pipelinev1.PipelineRun {
	t.Helper()
	r := c.rel
	r.Name = kubetest.Name(name)
	pr, err := r.PipelineRun()
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(pr.Spec.PipelineSpec)
	}
	return pr
}

func (c *failureCase) create(t testing.TB, pr *pipelinev1.PipelineRun) {
	t.Helper()
	c.logs[pr.Name] = followStepLogs(t, c.env, c.ns, "tekton.dev/pipelineRun="+pr.Name+",tekton.dev/pipelineTask=chainseal", "step-sign")
	if _, err := kubetest.AdminTekton(t, c.env).TektonV1().PipelineRuns(c.ns).Create(context.Background(), pr, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func (c *failureCase) wait(t *testing.T, name string) *demo.Finished {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	f, err := demo.WaitPipeline(ctx, kubetest.AdminTekton(t, c.env), c.ns, name)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// podLog is the log of the chainseal step in pod, as followed while it ran.
func (c *failureCase) podLog(t *testing.T, pod string) string {
	t.Helper()
	for _, l := range c.logs {
		l.mu.Lock()
		_, ok := l.logs[pod]
		l.mu.Unlock()
		if ok {
			return l.get(pod)
		}
	}
	return "(no log followed for pod " + pod + ")"
}

// digest is the image the build task pushed.
func digestOf(t *testing.T, f *demo.Finished) string {
	t.Helper()
	b := f.TaskRuns["build"]
	if b == nil {
		t.Fatalf("no build TaskRun: %v", keys(f.TaskRuns))
	}
	for _, r := range b.Status.Results {
		if r.Name == "IMAGE_DIGEST" && strings.HasPrefix(r.Value.StringVal, "sha256:") {
			return r.Value.StringVal
		}
	}
	t.Fatalf("the build task recorded no IMAGE_DIGEST: %+v", b.Status.Results)
	return ""
}

// layers counts the layers of the image's .att or .sig tag (0 when the tag
// does not exist), read with crane.
func (c *failureCase) layers(t *testing.T, digest, suffix string) int {
	t.Helper()
	tag := c.rel.Repository + ":sha256-" + strings.TrimPrefix(digest, "sha256:") + suffix
	m, err := runErr(c.user, c.env.Crane(), "manifest", tag)
	if err != nil {
		if strings.Contains(err.Error(), "MANIFEST_UNKNOWN") || strings.Contains(err.Error(), "NAME_UNKNOWN") || strings.Contains(err.Error(), "404") {
			return 0
		}
		t.Fatalf("crane manifest %s: %v", tag, err)
	}
	return strings.Count(m, `"digest"`) - 1 // minus the config
}

// rekorEntries counts the log's entries for the image, with rekor-cli.
func (c *failureCase) rekorEntries(t *testing.T, digest string) int {
	t.Helper()
	out, err := runErr(c.user, c.env.RekorCLI(), "search", "--rekor_server", c.env.RekorURL(), "--sha", strings.TrimPrefix(digest, "sha256:"))
	if err != nil {
		if strings.Contains(err.Error(), "no matching entries") {
			return 0
		}
		t.Fatalf("rekor-cli search: %v", err)
	}
	n := 0
	for _, f := range strings.Fields(out) {
		if len(f) >= 64 {
			n++
		}
	}
	return n
}

func (c *failureCase) signed(t *testing.T, name string) bool {
	t.Helper()
	pr, err := kubetest.AdminTekton(t, c.env).TektonV1().PipelineRuns(c.ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return pr.Annotations["chains.tekton.dev/signed"] == "true"
}

// checkReason checks that chainseal's step log ends with its error line
// ("chainseal: ...") holding every want. The stack's node can lose a pod's
// log before the test reads it (the kubelets of other stacks on the same
// machine clean up pod log directories they do not know: the log stream
// ends early); a log without the final error line is reported, not failed.
func checkReason(t *testing.T, what, log string, wants ...string) {
	t.Helper()
	var last string
	for _, l := range strings.Split(strings.TrimSpace(log), "\n") {
		if strings.HasPrefix(l, "chainseal: ") {
			last = l
		}
	}
	if last == "" {
		t.Logf("%s: the node lost the step's log before its end; the reason is not checked:\n%s", what, lastLines(log, 3))
		return
	}
	for _, w := range wants {
		if !strings.Contains(last, w) {
			t.Errorf("%s: chainseal's error does not say %q:\n%s", what, w, last)
		}
	}
	t.Logf("%s: %s", what, last)
}

func reasonOf(f *demo.Finished) string {
	if c := f.Status.GetCondition(apis.ConditionSucceeded); c != nil {
		return string(c.Status) + "/" + c.Reason
	}
	return "no condition"
}

// TestRegistryDownWhileSealing: only chainseal's registry access fails
// (storage.oci.repository names an address that refuses connections; the
// build pushes to the stack registry as usual). The PipelineRun ends
// Failed, the chainseal step's log says why, nothing is marked signed and
// no attestation or signature is in the registry. Then the same fault with
// `retries: 2` on the finally task, fixed (the ConfigMap) once the first
// attempt has failed: Tekton's retry of the chainseal TaskRun completes the
// seal with one .att layer, one .sig layer and one Rekor entry for the
// image (the retry signs the same statement and reuses the log entry the
// failed attempt made).
func TestRegistryDownWhileSealing(t *testing.T) {
	t.Parallel()
	const refused = "127.0.0.1:1/attestations"
	c := newFailureCase(t, "registry-down", map[string]string{"storage.oci.repository": refused})

	// Down for good: the run fails.
	pr := c.pipelineRun(t, "down", nil)
	c.create(t, pr)
	f := c.wait(t, pr.Name)
	if f.Succeeded() {
		t.Fatalf("PipelineRun %s succeeded with chainseal's registry refusing", pr.Name)
	}
	seal := f.TaskRuns["chainseal"]
	if seal == nil || seal.IsSuccessful() {
		t.Fatalf("the chainseal TaskRun did not fail: %+v", seal)
	}
	checkReason(t, "registry down", c.podLog(t, seal.Status.PodName), "oci", "127.0.0.1:1", "connection refused")
	digest := digestOf(t, f)
	if c.signed(t, pr.Name) {
		t.Error("PipelineRun marked chains.tekton.dev/signed=true although the registry refused")
	}
	if n, s := c.layers(t, digest, ".att"), c.layers(t, digest, ".sig"); n+s != 0 {
		t.Errorf("the image has %d attestation and %d signature layers after a failed seal", n, s)
	}
	if out, err := runErr(c.user, c.env.Cosign(), "verify", "--key", c.pub, c.rel.Repository+"@"+digest); err == nil {
		t.Errorf("cosign verify passed on an image chainseal failed to seal:\n%s", out)
	}
	t.Logf("run %s: %s", pr.Name, reasonOf(f))

	// Down during the first attempt, back for the retry.
	pr = c.pipelineRun(t, "retry", func(s *pipelinev1.PipelineSpec) { s.Finally[0].Retries = 2 })
	c.create(t, pr)
	tk := kubetest.AdminTekton(t, c.env)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	var firstPod string
	for firstPod == "" {
		list, err := tk.TektonV1().TaskRuns(c.ns).List(ctx, metav1.ListOptions{LabelSelector: "tekton.dev/pipelineRun=" + pr.Name + ",tekton.dev/pipelineTask=chainseal"})
		if err == nil && len(list.Items) == 1 && len(list.Items[0].Status.RetriesStatus) > 0 {
			firstPod = list.Items[0].Status.RetriesStatus[0].PodName
		}
		if ctx.Err() != nil {
			t.Fatalf("the chainseal TaskRun of %s did not fail a first attempt: %v", pr.Name, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	patch := []byte(`{"data":{"storage.oci.repository":null}}`)
	if _, err := kubetest.Admin(t, c.env).CoreV1().ConfigMaps(c.ns).Patch(ctx, "chainseal-config", types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	checkReason(t, "first attempt", c.podLog(t, firstPod), "oci", "connection refused")
	f = c.wait(t, pr.Name)
	if !f.Succeeded() {
		t.Fatalf("PipelineRun %s: %s after the registry came back; chainseal log:\n%s", pr.Name, reasonOf(f), c.podLog(t, f.TaskRuns["chainseal"].Status.PodName))
	}
	seal = f.TaskRuns["chainseal"]
	t.Logf("run %s: %s after %d failed attempt(s) of chainseal", pr.Name, reasonOf(f), len(seal.Status.RetriesStatus))
	digest = digestOf(t, f)
	if !c.signed(t, pr.Name) {
		t.Error("the retry did not mark the PipelineRun signed")
	}
	if n := c.layers(t, digest, ".att"); n != 1 {
		t.Errorf(".att has %d layers after the retry, want 1", n)
	}
	if n := c.layers(t, digest, ".sig"); n != 1 {
		t.Errorf(".sig has %d layers after the retry, want 1", n)
	}
	if n := c.rekorEntries(t, digest); n != 1 {
		t.Errorf("rekor-cli search --sha finds %d entries for the image, want 1", n)
	}
	if out, err := runErr(c.user, c.env.Cosign(), "verify-attestation", "--key", c.pub, "--type", "slsaprovenance1", c.rel.Repository+"@"+digest); err != nil {
		t.Errorf("cosign verify-attestation after the retry: %v\n%s\nfirst attempt:\n%s\nretry:\n%s", err, out, c.podLog(t, firstPod), c.podLog(t, seal.Status.PodName))
	}
}

// TestBuildTaskFails: the pipeline's test task fails after the build pushed
// its image. chainseal's documented policy (chainseal.allow-failed-tasks,
// default false) applies under Tekton: the finally task refuses, names the
// failed task and the key, and signs nothing (no attestation, signature,
// Rekor entry or mark). With the key set, chainseal signs the artifacts of
// the tasks that succeeded (the build's image) and succeeds, while the
// PipelineRun stays Failed for its test task.
func TestBuildTaskFails(t *testing.T) {
	t.Parallel()
	c := newFailureCase(t, "task-fails", nil)
	failTest := func(s *pipelinev1.PipelineSpec) {
		s.Tasks[1].TaskSpec.Steps[0].Script = "#!/bin/sh\necho 'test failed on purpose'; exit 1\n"
	}
	pr := c.pipelineRun(t, "fails", failTest)
	c.create(t, pr)
	f := c.wait(t, pr.Name)
	if f.Succeeded() {
		t.Fatalf("PipelineRun %s succeeded with a failing test task", pr.Name)
	}
	seal := f.TaskRuns["chainseal"]
	if seal == nil || seal.IsSuccessful() {
		t.Fatalf("chainseal did not refuse: %+v", seal)
	}
	checkReason(t, "failed task", c.podLog(t, seal.Status.PodName), "chainseal.allow-failed-tasks", pr.Name+"-test")
	digest := digestOf(t, f)
	if c.signed(t, pr.Name) || c.layers(t, digest, ".att") != 0 || c.layers(t, digest, ".sig") != 0 || c.rekorEntries(t, digest) != 0 {
		t.Error("something was signed, stored or logged for a run with a failed task")
	}
	t.Logf("run %s: %s", pr.Name, reasonOf(f))

	patch := []byte(`{"data":{"chainseal.allow-failed-tasks":"true"}}`)
	if _, err := kubetest.Admin(t, c.env).CoreV1().ConfigMaps(c.ns).Patch(context.Background(), "chainseal-config", types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	pr = c.pipelineRun(t, "allowed", failTest)
	c.create(t, pr)
	f = c.wait(t, pr.Name)
	if f.Succeeded() {
		t.Fatalf("PipelineRun %s succeeded with a failing test task", pr.Name)
	}
	if seal := f.TaskRuns["chainseal"]; seal == nil || !seal.IsSuccessful() {
		t.Fatalf("chainseal did not seal with chainseal.allow-failed-tasks: %+v", seal)
	}
	digest = digestOf(t, f)
	run(t, c.user, c.env.Cosign(), "verify-attestation", "--key", c.pub, "--type", "slsaprovenance1", c.rel.Repository+"@"+digest)
	if !c.signed(t, pr.Name) {
		t.Error("the run sealed with allow-failed-tasks is not marked signed")
	}
}

// TestCancelledBeforeFinally: a PipelineRun cancelled (spec.status:
// Cancelled) while its build runs ends Cancelled and Tekton never runs its
// finally tasks, so chainseal never runs: nothing is signed, and nothing
// says it was. With spec.status: CancelledRunFinally Tekton runs chainseal,
// which finds the build TaskRun cancelled (not succeeded) and refuses under
// the default policy.
func TestCancelledBeforeFinally(t *testing.T) {
	t.Parallel()
	c := newFailureCase(t, "cancelled", nil)
	slowBuild := func(s *pipelinev1.PipelineSpec) {
		s.Tasks[0].TaskSpec.Steps = append([]pipelinev1.Step{{Name: "slow", Image: c.env.ShellImage(), Script: "#!/bin/sh\nsleep 300\n"}}, s.Tasks[0].TaskSpec.Steps...)
	}
	for _, status := range []pipelinev1.PipelineRunSpecStatus{pipelinev1.PipelineRunSpecStatusCancelled, pipelinev1.PipelineRunSpecStatusCancelledRunFinally} {
		t.Run(string(status), func(t *testing.T) {
			pr := c.pipelineRun(t, "cancel", slowBuild)
			c.create(t, pr)
			tk := kubetest.AdminTekton(t, c.env)
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			for {
				list, err := tk.TektonV1().TaskRuns(c.ns).List(ctx, metav1.ListOptions{LabelSelector: "tekton.dev/pipelineRun=" + pr.Name + ",tekton.dev/pipelineTask=build"})
				if err == nil && len(list.Items) == 1 && len(list.Items[0].Status.Steps) > 0 && list.Items[0].Status.Steps[0].Running != nil {
					break
				}
				if ctx.Err() != nil {
					t.Fatalf("the build step of %s did not start: %v", pr.Name, err)
				}
				time.Sleep(250 * time.Millisecond)
			}
			patch := []byte(`{"spec":{"status":"` + string(status) + `"}}`)
			if _, err := tk.TektonV1().PipelineRuns(c.ns).Patch(ctx, pr.Name, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
				t.Fatal(err)
			}
			f := c.wait(t, pr.Name)
			// Cancelled: the run ends Cancelled. CancelledRunFinally: it ends
			// Cancelled, or Failed when a finally task (here chainseal) fails.
			cond := f.Status.GetCondition(apis.ConditionSucceeded)
			if cond == nil || cond.Status != corev1.ConditionFalse || !strings.HasPrefix(cond.Reason, "Cancelled") &&
				!(status == pipelinev1.PipelineRunSpecStatusCancelledRunFinally && cond.Reason == "Failed") {
				t.Fatalf("PipelineRun %s: %s, want False/Cancelled", pr.Name, reasonOf(f))
			}
			if b := f.TaskRuns["build"]; b == nil || b.Status.GetCondition(apis.ConditionSucceeded).Reason != "TaskRunCancelled" {
				t.Errorf("the build TaskRun was not cancelled: %+v", b)
			}
			seal := f.TaskRuns["chainseal"]
			switch status {
			case pipelinev1.PipelineRunSpecStatusCancelled:
				if seal != nil {
					t.Errorf("Tekton ran the finally task of a cancelled run: %+v", seal.Status.Conditions)
				}
			case pipelinev1.PipelineRunSpecStatusCancelledRunFinally:
				if seal == nil || seal.IsSuccessful() {
					t.Fatalf("chainseal did not run and refuse: %+v", seal)
				}
				checkReason(t, "cancelled build", c.podLog(t, seal.Status.PodName), "chainseal.allow-failed-tasks", pr.Name+"-build")
			}
			if c.signed(t, pr.Name) {
				t.Error("a cancelled run is marked signed")
			}
			t.Logf("run %s (%s): %s; chainseal TaskRun: %v", pr.Name, status, reasonOf(f), seal != nil)
		})
	}
}
