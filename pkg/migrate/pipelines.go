package migrate

import (
	"context"
	"fmt"
	"slices"
	"strings"

	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	tektonclient "github.com/tektoncd/pipeline/pkg/client/clientset/versioned"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// taskName is the chainseal Task's name, in the namespace or in its bundle,
// and the name migrate gives the finally task it adds.
const taskName = "chainseal"

// PipelineState says whether a Pipeline runs the chainseal finally task.
type PipelineState string

const (
	HasTask     PipelineState = "has the chainseal finally task"
	LacksTask   PipelineState = "lacks the chainseal finally task"
	Patch       PipelineState = "gets the chainseal finally task"
	CannotPatch PipelineState = "lacks the chainseal finally task, and cannot get it"
)

// Pipeline is one Pipeline of the namespace and its state.
type Pipeline struct {
	Name  string
	State PipelineState
	// Task is the finally task found (HasTask); Why says why it cannot
	// be patched (CannotPatch).
	Task, Why string
	// Patched is the Pipeline with the finally task added (Patch).
	Patched *v1.Pipeline
}

// chainsealFinally returns the name of the Pipeline's finally task that
// runs chainseal: one whose taskRef names the chainseal Task, or whose
// remote resolver's params name it (a bundle's "name", a reference holding
// "chainseal"), so a renamed task is still found.
func chainsealFinally(p *v1.Pipeline) (string, bool) {
	for _, pt := range p.Spec.Finally {
		ref := pt.TaskRef
		if ref == nil {
			continue
		}
		if ref.Resolver == "" && ref.Name == taskName && (ref.Kind == "" || ref.Kind == v1.NamespacedTaskKind) {
			return pt.Name, true
		}
		for _, prm := range ref.Params {
			if prm.Value.Type == v1.ParamTypeString && (prm.Name == "name" && prm.Value.StringVal == taskName || strings.Contains(prm.Value.StringVal, taskName)) {
				return pt.Name, true
			}
		}
	}
	return "", false
}

// finallyTask is the finally task migrate adds: the chainseal Task from
// bundle, given the run to seal.
func finallyTask(bundle string) v1.PipelineTask {
	str := func(name, value string) v1.Param { return v1.Param{Name: name, Value: *v1.NewStructuredValues(value)} }
	return v1.PipelineTask{
		Name: taskName,
		TaskRef: &v1.TaskRef{ResolverRef: v1.ResolverRef{Resolver: "bundles", Params: v1.Params{
			str("bundle", bundle), str("name", taskName), str("kind", "task"),
		}}},
		Params: v1.Params{
			str("pipelinerun-name", "$(context.pipelineRun.name)"),
			str("pipelinerun-namespace", "$(context.pipelineRun.namespace)"),
			str("pipelinerun-uid", "$(context.pipelineRun.uid)"),
		},
	}
}

// checkPipeline says what the Pipeline needs; with bundle set, a Pipeline
// that lacks the task gets a patched copy.
func checkPipeline(p *v1.Pipeline, bundle string) Pipeline {
	out := Pipeline{Name: p.Name, State: LacksTask}
	if name, ok := chainsealFinally(p); ok {
		out.State, out.Task = HasTask, name
		return out
	}
	if bundle == "" {
		return out
	}
	taken := slices.ContainsFunc(append(slices.Clone(p.Spec.Tasks), p.Spec.Finally...), func(pt v1.PipelineTask) bool { return pt.Name == taskName })
	if taken {
		out.State, out.Why = CannotPatch, fmt.Sprintf("it has a task named %s that is not the chainseal finally task: rename it, or add the finally task by hand", taskName)
		return out
	}
	patched := p.DeepCopy()
	patched.Spec.Finally = append(patched.Spec.Finally, finallyTask(bundle))
	out.State, out.Patched = Patch, patched
	return out
}

// pipelines checks every Pipeline of the namespace.
func pipelines(ctx context.Context, tk tektonclient.Interface, ns, bundle string) ([]Pipeline, error) {
	list, err := tk.TektonV1().Pipelines(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("listing the Pipelines of namespace %s: %w", ns, err)
	}
	out := make([]Pipeline, 0, len(list.Items))
	for i := range list.Items {
		out = append(out, checkPipeline(&list.Items[i], bundle))
	}
	slices.SortFunc(out, func(a, b Pipeline) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// patchPipelines writes the patched Pipelines. The update carries the
// resourceVersion read, so a Pipeline changed meanwhile is an error, not
// overwritten.
func patchPipelines(ctx context.Context, tk tektonclient.Interface, ps []Pipeline) error {
	for _, p := range ps {
		if p.State != Patch {
			continue
		}
		if _, err := tk.TektonV1().Pipelines(p.Patched.Namespace).Update(ctx, p.Patched, metav1.UpdateOptions{}); err != nil {
			return fmt.Errorf("adding the chainseal finally task to Pipeline %s/%s: %w", p.Patched.Namespace, p.Name, err)
		}
	}
	return nil
}
