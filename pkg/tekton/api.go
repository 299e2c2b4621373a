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
//
// The two reads go out together: the list does not wait for the get. What
// the list finds is used only once the PipelineRun's UID is checked, and
// Cover keeps only the TaskRuns that run owns.
func FromAPI(ctx context.Context, c kubeclient.Tekton, namespace, name string, opts ...Option) (*Snapshot, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type listed struct {
		trs []*v1.TaskRun
		err error
	}
	list := make(chan listed, 1)
	go func() {
		trs, err := listTaskRuns(ctx, c, namespace, name)
		list <- listed{trs, err}
	}()

	pr, err := c.TektonV1().PipelineRuns(namespace).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil, &ReadError{What: "PipelineRun", Namespace: namespace, Name: name, Err: err}
	}
	// Check the UID before using the list: a recreated run is refused.
	if o := collect(opts); o.uid != "" && pr.UID != o.uid {
		return nil, &UIDMismatchError{Namespace: namespace, Name: name, Want: string(o.uid), Got: string(pr.UID)}
	}
	l := <-list
	if l.err != nil {
		return nil, &ReadError{What: "TaskRuns of PipelineRun", Namespace: namespace, Name: name, Err: l.err}
	}
	return Cover(pr, l.trs, opts...)
}

// listTaskRuns lists the TaskRuns labelled with the PipelineRun's name,
// decoding them as they arrive when the client can (kubeclient's can).
func listTaskRuns(ctx context.Context, c kubeclient.Tekton, namespace, name string) ([]*v1.TaskRun, error) {
	sel := labels.Set{pipeline.PipelineRunLabelKey: name}.AsSelector().String()
	if l, ok := c.(kubeclient.TaskRunLister); ok {
		return l.ListTaskRuns(ctx, namespace, sel)
	}
	list, err := c.TektonV1().TaskRuns(namespace).List(ctx, metav1.ListOptions{LabelSelector: sel})
	if err != nil {
		return nil, err
	}
	trs := make([]*v1.TaskRun, len(list.Items))
	for i := range list.Items {
		trs[i] = &list.Items[i]
	}
	return trs, nil
}
