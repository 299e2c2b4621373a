package tekton

import (
	"context"

	"github.com/tektoncd/pipeline/pkg/apis/pipeline"
	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/chainseal/chainseal/pkg/kubeclient"
)

// FromAPI reads the PipelineRun namespace/name and its TaskRuns (one list
// call, by the tekton.dev/pipelineRun label) and builds the snapshot.
// Errors are *ReadError (wrapping the API error) or *UIDMismatchError.
func FromAPI(ctx context.Context, c kubeclient.Tekton, namespace, name string, opts ...Option) (*Snapshot, error) {
	pr, err := c.TektonV1().PipelineRuns(namespace).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil, &ReadError{What: "PipelineRun", Namespace: namespace, Name: name, Err: err}
	}
	// Check the UID before reading more: a recreated run is refused early.
	if o := collect(opts); o.uid != "" && pr.UID != o.uid {
		return nil, &UIDMismatchError{Namespace: namespace, Name: name, Want: string(o.uid), Got: string(pr.UID)}
	}
	sel := labels.Set{pipeline.PipelineRunLabelKey: name}.AsSelector().String()
	list, err := c.TektonV1().TaskRuns(namespace).List(ctx, metav1.ListOptions{LabelSelector: sel})
	if err != nil {
		return nil, &ReadError{What: "TaskRuns of PipelineRun", Namespace: namespace, Name: name, Err: err}
	}
	trs := make([]*v1.TaskRun, len(list.Items))
	for i := range list.Items {
		trs[i] = &list.Items[i]
	}
	return Cover(pr, trs, opts...)
}
