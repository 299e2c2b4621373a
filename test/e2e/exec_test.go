//go:build stack

package e2e

import (
	"context"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/chainseal/chainseal/internal/demo"
	"github.com/chainseal/chainseal/internal/kubetest"
)

// jwt is the shape of a ServiceAccount token.
var jwt = regexp.MustCompile(`^eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$`)

// Attack (issue #14): while the chainseal step runs, a developer of the
// namespace (the edit role: pods/exec) runs Tekton's entrypoint binary,
// which every step container has, to copy the chainseal ServiceAccount's
// token out of the pod:
//
//	kubectl exec <pod> -c step-sign -- /tekton/bin/entrypoint cp \
//	  /var/run/secrets/kubernetes.io/serviceaccount/token /dev/stdout
//
// The token is bound to the pod, which Tekton keeps after the run, so it
// stays good for its lifetime: enough to read the signing Secret or log in
// to the KMS as chainseal. The admission policies of tasks/admission.yaml
// admitted the pod and had nothing for exec; now chainseal-exec refuses
// exec and attach into the step's container in a protected namespace.
func TestExecIntoChainsealStepRefused(t *testing.T) {
	t.Parallel()
	// A registry that accepts the connection and never answers keeps the
	// step running while the developer tries.
	hung, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { hung.Close() })
	go func() {
		for {
			c, err := hung.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { c.Close() })
		}
	}()
	c := newFailureCase(t, "exec", map[string]string{"storage.oci.repository": hung.Addr().String() + "/attestations"})
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	admin := kubetest.Admin(t, c.env)
	bundle, _ := stepImages(t, c.env)
	kubectl := func(args ...string) error { _, err := runErr(c.env.Environ(), c.env.Kubectl(), args...); return err }
	if err := demo.InstallAdmission(ctx, admin, kubectl, repoRoot(t), bundle.Image, c.env.Get("TEKTON_ENTRYPOINT_IMAGE")); err != nil {
		t.Fatal(err)
	}
	protect(t, c, true)
	if err := demo.Developer(ctx, admin, c.ns); err != nil {
		t.Fatal(err)
	}

	pr := c.pipelineRun(t, "exec", nil)
	c.create(t, pr)
	pod := runningStep(ctx, t, c, pr.Name)
	stealToken := func() (string, error) {
		return runErr(c.env.Environ(), c.env.Kubectl(), "exec", "-n", c.ns, pod, "-c", "step-sign",
			"--as=system:serviceaccount:"+c.ns+":developer", "--",
			"/tekton/bin/entrypoint", "cp", "/var/run/secrets/kubernetes.io/serviceaccount/token", "/dev/stdout")
	}

	// Without the policies (the label off), the attack works.
	protect(t, c, false)
	var out string
	deadline := time.Now().Add(20 * time.Second)
	for out, err = stealToken(); !jwt.MatchString(strings.TrimSpace(out)) && time.Now().Before(deadline); out, err = stealToken() {
		time.Sleep(time.Second) // the API server drops the binding's policy within a second or so
	}
	if !jwt.MatchString(strings.TrimSpace(out)) {
		t.Fatalf("without the policies, exec into the chainseal step should copy out its token (the attack): %v\n%.200s", err, out)
	}
	t.Logf("without the policies: exec copied out a %d-byte ServiceAccount token", len(strings.TrimSpace(out)))

	// Under the policies it is refused, by chainseal-exec.
	protect(t, c, true)
	deadline = time.Now().Add(20 * time.Second)
	for {
		out, err = stealToken()
		if err != nil && strings.Contains(err.Error(), "ValidatingAdmissionPolicy 'chainseal-exec'") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("exec into the chainseal step under the policies: err = %v, out = %.200s; want refused by chainseal-exec", err, out)
		}
		time.Sleep(time.Second)
	}
	if jwt.MatchString(strings.TrimSpace(out)) {
		t.Fatal("a token came out of a refused exec")
	}
	t.Logf("refused: %v", err)
	if _, err := runErr(c.env.Environ(), c.env.Kubectl(), "attach", "-n", c.ns, pod, "-c", "step-sign",
		"--as=system:serviceaccount:"+c.ns+":developer"); err == nil || !strings.Contains(err.Error(), "chainseal-exec") {
		t.Errorf("attach to the chainseal step under the policies: %v, want refused by chainseal-exec", err)
	}
	if _, err := admin.CoreV1().Pods(c.ns).Get(ctx, pod, metav1.GetOptions{}); err != nil {
		t.Fatal(err)
	}
}

// protect puts the case's namespace under tasks/admission.yaml's policies,
// or takes it out.
func protect(t *testing.T, c *failureCase, on bool) {
	t.Helper()
	value := "null"
	if on {
		value = `"true"`
	}
	patch := []byte(`{"metadata":{"labels":{"` + demo.ProtectedLabel + `":` + value + `}}}`)
	if _, err := kubetest.Admin(t, c.env).CoreV1().Namespaces().Patch(context.Background(), c.ns, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
}

// runningStep waits until the chainseal step of PipelineRun pr runs, and
// returns its pod.
func runningStep(ctx context.Context, t *testing.T, c *failureCase, pr string) string {
	t.Helper()
	pods := kubetest.Admin(t, c.env).CoreV1().Pods(c.ns)
	for {
		list, err := pods.List(ctx, metav1.ListOptions{LabelSelector: "tekton.dev/pipelineRun=" + pr + ",tekton.dev/pipelineTask=chainseal"})
		if err == nil {
			for _, p := range list.Items {
				for _, s := range p.Status.ContainerStatuses {
					if s.Name == "step-sign" && s.State.Running != nil && p.Status.Phase == corev1.PodRunning {
						return p.Name
					}
				}
			}
		}
		if ctx.Err() != nil {
			t.Fatalf("the chainseal step of %s never ran: %v", pr, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
