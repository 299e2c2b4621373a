package kubetest

import (
	"context"
	"testing"

	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	tektonclient "github.com/tektoncd/pipeline/pkg/client/clientset/versioned"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/chainseal/chainseal/internal/stacktest"
)

func ptr[T any](v T) *T { return &v }

// ApplyRun creates a PipelineRun and its TaskRuns (built offline, e.g. with
// pkg/tekton/tektontest) on the API server, then writes their status through
// the status subresource, as Tekton's controller does. They are managed by
// stacktest.HandWritten, so the stack's Tekton controller leaves them alone. The TaskRuns' owner
// references and pipelineRunUID labels are pointed at the created run.
func ApplyRun(t testing.TB, c tektonclient.Interface, pr *v1.PipelineRun, trs []*v1.TaskRun) types.UID {
	t.Helper()
	ctx := context.Background()
	pr = pr.DeepCopy()
	status := pr.Status
	pr.ObjectMeta = metav1.ObjectMeta{Name: pr.Name, Namespace: pr.Namespace, Labels: pr.Labels, Annotations: pr.Annotations}
	pr.Status = v1.PipelineRunStatus{}
	pr.Spec.ManagedBy = ptr(stacktest.HandWritten)
	created, err := c.TektonV1().PipelineRuns(pr.Namespace).Create(ctx, pr, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("creating PipelineRun %s: %v", pr.Name, err)
	}
	created.Status = status
	if _, err := c.TektonV1().PipelineRuns(pr.Namespace).UpdateStatus(ctx, created, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("updating the status of PipelineRun %s: %v", pr.Name, err)
	}
	for _, tr := range trs {
		tr = tr.DeepCopy()
		st := tr.Status
		tr.ObjectMeta = metav1.ObjectMeta{Name: tr.Name, Namespace: tr.Namespace, Labels: tr.Labels,
			Annotations: tr.Annotations, OwnerReferences: tr.OwnerReferences}
		if tr.Labels == nil {
			tr.Labels = map[string]string{}
		}
		tr.Labels["tekton.dev/pipelineRunUID"] = string(created.UID)
		for i := range tr.OwnerReferences {
			tr.OwnerReferences[i].UID = created.UID
		}
		tr.Status = v1.TaskRunStatus{}
		tr.Spec.ManagedBy = ptr(stacktest.HandWritten)
		got, err := c.TektonV1().TaskRuns(tr.Namespace).Create(ctx, tr, metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("creating TaskRun %s: %v", tr.Name, err)
		}
		got.Status = st
		if _, err := c.TektonV1().TaskRuns(tr.Namespace).UpdateStatus(ctx, got, metav1.UpdateOptions{}); err != nil {
			t.Fatalf("updating the status of TaskRun %s: %v", tr.Name, err)
		}
	}
	return created.UID
}
