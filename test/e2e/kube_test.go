//go:build stack

package e2e

import (
	"context"
	"testing"
	"time"

	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"knative.dev/pkg/apis"
	duckv1 "knative.dev/pkg/apis/duck/v1"

	"github.com/chainseal/chainseal/internal/kubetest"
	"github.com/chainseal/chainseal/internal/stacktest"
)

// TestStackKubernetes shows the API server, RBAC, the Tekton CRDs and the
// status subresource are real: a namespaced ServiceAccount token reads its
// own namespace's PipelineRuns and TaskRuns, and is refused another's.
func TestStackKubernetes(t *testing.T) {
	t.Parallel()
	env := stacktest.Load(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	admin := kubetest.Admin(t, env)

	ns := kubetest.Namespace(t, admin, "smoke")
	other := kubetest.Namespace(t, admin, "smoke-other")
	kubetest.ReaderRole(t, admin, ns, "reader")

	tk := kubetest.AdminTekton(t, env)
	pr := &pipelinev1.PipelineRun{
		ObjectMeta: metav1.ObjectMeta{Name: "build-1", Namespace: ns},
		Spec: pipelinev1.PipelineRunSpec{PipelineSpec: &pipelinev1.PipelineSpec{
			Tasks: []pipelinev1.PipelineTask{{Name: "build", TaskSpec: &pipelinev1.EmbeddedTask{TaskSpec: pipelinev1.TaskSpec{
				Steps: []pipelinev1.Step{{Name: "s", Image: "busybox", Script: "true"}},
			}}}},
		}, ManagedBy: ptr(stacktest.HandWritten)},
	}
	pr, err := tk.TektonV1().PipelineRuns(ns).Create(ctx, pr, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("creating PipelineRun: %v", err)
	}
	pr.Status = pipelinev1.PipelineRunStatus{
		Status: duckv1.Status{Conditions: duckv1.Conditions{{Type: apis.ConditionSucceeded, Status: corev1.ConditionTrue, Reason: "Succeeded"}}},
		PipelineRunStatusFields: pipelinev1.PipelineRunStatusFields{
			StartTime: &metav1.Time{Time: time.Now().Add(-time.Minute).Truncate(time.Second)},
			Results:   []pipelinev1.PipelineRunResult{{Name: "IMAGE_DIGEST", Value: *pipelinev1.NewStructuredValues("sha256:" + fill64("a"))}},
		},
	}
	if _, err := tk.TektonV1().PipelineRuns(ns).UpdateStatus(ctx, pr, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("updating PipelineRun status: %v", err)
	}
	tr := &pipelinev1.TaskRun{
		ObjectMeta: metav1.ObjectMeta{Name: "build-1-build", Namespace: ns, Labels: map[string]string{"tekton.dev/pipelineRun": "build-1"}},
		Spec: pipelinev1.TaskRunSpec{TaskSpec: &pipelinev1.TaskSpec{Steps: []pipelinev1.Step{{Name: "s", Image: "busybox", Script: "true"}}},
			ManagedBy: ptr(stacktest.HandWritten)},
	}
	if _, err := tk.TektonV1().TaskRuns(ns).Create(ctx, tr, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating TaskRun: %v", err)
	}

	// Read as the namespaced ServiceAccount, exactly as a pod would.
	reader := kubetest.TektonAs(t, env, kubetest.Token(t, admin, ns, "reader"))
	got, err := reader.TektonV1().PipelineRuns(ns).Get(ctx, "build-1", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("ServiceAccount reading its own namespace's PipelineRun: %v", err)
	}
	if len(got.Status.Results) != 1 || got.Status.Results[0].Value.StringVal != "sha256:"+fill64("a") {
		t.Fatalf("status written through the status subresource did not round-trip: %+v", got.Status.Results)
	}
	trs, err := reader.TektonV1().TaskRuns(ns).List(ctx, metav1.ListOptions{LabelSelector: "tekton.dev/pipelineRun=build-1"})
	if err != nil || len(trs.Items) != 1 {
		t.Fatalf("listing TaskRuns by label: %v (%d items)", err, len(trs.Items))
	}
	_, err = reader.TektonV1().PipelineRuns(other).List(ctx, metav1.ListOptions{})
	if !apierrors.IsForbidden(err) {
		t.Fatalf("ServiceAccount listing another namespace's PipelineRuns: want forbidden, got %v", err)
	}
	if err := reader.TektonV1().PipelineRuns(ns).Delete(ctx, "build-1", metav1.DeleteOptions{}); !apierrors.IsForbidden(err) {
		t.Fatalf("read-only ServiceAccount deleting a PipelineRun: want forbidden, got %v", err)
	}
}

func fill64(s string) string {
	out := ""
	for len(out) < 64 {
		out += s
	}
	return out[:64]
}

func ptr[T any](v T) *T { return &v }
