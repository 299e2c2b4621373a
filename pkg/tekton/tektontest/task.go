package tektontest

import (
	"fmt"
	"slices"
	"time"

	"github.com/tektoncd/pipeline/pkg/apis/pipeline"
	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"knative.dev/pkg/apis"
	duckv1 "knative.dev/pkg/apis/duck/v1"
)

// Task describes one pipeline task and how its TaskRuns ended.
type Task struct {
	Name    string
	Finally bool
	// Steps are step names; each runs image ghcr.io/example/<step> by digest.
	Steps []string
	// Sidecars are sidecar names, each run by digest like the steps.
	Sidecars []string
	// Results are string results, name then value.
	Results []string
	// ObjectResults are object-valued results.
	ObjectResults map[string]map[string]string
	// StepResults are results of StepAction steps: step name → name, value pairs.
	StepResults map[string][]string
	// Params are TaskRun params, name then value.
	Params []string
	// Artifacts is status.artifacts (TEP-0147).
	Artifacts *v1.Artifacts
	// Bundle or Git make the task come from a remote source (refSource).
	Bundle string
	Git    [3]string // url, commit, path
	// Matrix is the number of TaskRuns fanned out (0 or 1: one).
	Matrix  int
	Failed  bool
	Running bool
	Retries int
}

// Add adds a pipeline task and its TaskRun(s), finished one second apart,
// to the run, and returns the TaskRuns.
func (r *Run) Add(t Task) []*v1.TaskRun {
	pt := v1.PipelineTask{Name: t.Name, TaskRef: &v1.TaskRef{Name: t.Name}}
	spec := r.PipelineRun.Status.PipelineSpec
	if t.Finally {
		spec.Finally = append(spec.Finally, pt)
	} else {
		spec.Tasks = append(spec.Tasks, pt)
	}
	n := max(t.Matrix, 1)
	var out []*v1.TaskRun
	for i := range n {
		name := r.PipelineRun.Name + "-" + t.Name
		if t.Matrix > 0 {
			name = fmt.Sprintf("%s-%d", name, i)
		}
		tr := r.taskRun(name, t)
		r.TaskRuns = append(r.TaskRuns, tr)
		r.PipelineRun.Status.ChildReferences = append(r.PipelineRun.Status.ChildReferences, v1.ChildStatusReference{
			TypeMeta: runtimeTypeMeta("tekton.dev/v1", "TaskRun"),
			Name:     name, PipelineTaskName: t.Name,
		})
		out = append(out, tr)
	}
	return out
}

func runtimeTypeMeta(apiVersion, kind string) runtime.TypeMeta {
	return runtime.TypeMeta{APIVersion: apiVersion, Kind: kind}
}

func (r *Run) taskRun(name string, t Task) *v1.TaskRun {
	pr := r.PipelineRun
	memberOf := "tasks"
	if t.Finally {
		memberOf = "finally"
	}
	tr := &v1.TaskRun{
		TypeMeta: metav1.TypeMeta{APIVersion: "tekton.dev/v1", Kind: "TaskRun"},
		ObjectMeta: metav1.ObjectMeta{
			Name: name, Namespace: pr.Namespace,
			UID:               types.UID(uidOf(string(pr.UID) + "/" + name)),
			ResourceVersion:   "4712",
			CreationTimestamp: metav1.NewTime(r.clock),
			Labels: map[string]string{
				"app.kubernetes.io/managed-by":  "tekton-pipelines",
				pipeline.PipelineLabelKey:       "release",
				pipeline.PipelineRunLabelKey:    pr.Name,
				pipeline.PipelineRunUIDLabelKey: string(pr.UID),
				pipeline.PipelineTaskLabelKey:   t.Name,
				pipeline.TaskLabelKey:           t.Name,
				pipeline.MemberOfLabelKey:       memberOf,
			},
			OwnerReferences: []metav1.OwnerReference{{
				APIVersion: "tekton.dev/v1", Kind: "PipelineRun", Name: pr.Name, UID: pr.UID,
				Controller: ptr.To(true), BlockOwnerDeletion: ptr.To(true),
			}},
		},
		Spec: v1.TaskRunSpec{
			TaskRef:            &v1.TaskRef{Name: t.Name, Kind: v1.NamespacedTaskKind},
			ServiceAccountName: "default",
			Timeout:            &metav1.Duration{Duration: time.Hour},
			Retries:            t.Retries,
		},
	}
	for i := 0; i+1 < len(t.Params); i += 2 {
		tr.Spec.Params = append(tr.Spec.Params, v1.Param{Name: t.Params[i], Value: *v1.NewStructuredValues(t.Params[i+1])})
	}
	st := &tr.Status
	st.PodName = name + "-pod"
	st.StartTime = &metav1.Time{Time: r.clock}
	st.Provenance = &v1.Provenance{FeatureFlags: featureFlags()}
	switch {
	case t.Bundle != "":
		tr.Spec.TaskRef = &v1.TaskRef{ResolverRef: v1.ResolverRef{Resolver: "bundles", Params: v1.Params{
			{Name: "bundle", Value: *v1.NewStructuredValues(t.Bundle)},
			{Name: "name", Value: *v1.NewStructuredValues(t.Name)},
			{Name: "kind", Value: *v1.NewStructuredValues("task")},
		}}}
		st.Provenance.RefSource = &v1.RefSource{URI: t.Bundle, Digest: map[string]string{"sha256": Digest(t.Bundle)}, EntryPoint: t.Name}
	case t.Git[0] != "":
		tr.Spec.TaskRef = &v1.TaskRef{ResolverRef: v1.ResolverRef{Resolver: "git", Params: v1.Params{
			{Name: "url", Value: *v1.NewStructuredValues(t.Git[0])},
			{Name: "revision", Value: *v1.NewStructuredValues(t.Git[1])},
			{Name: "pathInRepo", Value: *v1.NewStructuredValues(t.Git[2])},
		}}}
		st.Provenance.RefSource = &v1.RefSource{URI: "git+" + t.Git[0], Digest: map[string]string{"sha1": t.Git[1]}, EntryPoint: t.Git[2]}
	}

	steps := t.Steps
	if len(steps) == 0 {
		steps = []string{"run"}
	}
	spec := &v1.TaskSpec{}
	for _, s := range steps {
		image := "ghcr.io/example/" + s
		spec.Steps = append(spec.Steps, v1.Step{Name: s, Image: image, Script: "#!/bin/sh\necho " + s + "\n"})
		state := v1.StepState{
			Name: s, Container: "step-" + s,
			ImageID: image + "@sha256:" + Digest(image),
		}
		if !t.Running {
			state.ContainerState = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
				ExitCode: 0, Reason: "Completed",
				StartedAt:   metav1.NewTime(r.clock),
				FinishedAt:  metav1.NewTime(r.clock.Add(time.Second)),
				ContainerID: "containerd://" + Digest(name+s),
			}}
			state.TerminationReason = "Completed"
		}
		kv := t.StepResults[s]
		for i := 0; i+1 < len(kv); i += 2 {
			state.Results = append(state.Results, v1.TaskRunStepResult{Name: kv[i], Type: v1.ResultsTypeString, Value: *v1.NewStructuredValues(kv[i+1])})
		}
		st.Steps = append(st.Steps, state)
	}
	for _, s := range t.Sidecars {
		image := "ghcr.io/example/sidecar-" + s
		spec.Sidecars = append(spec.Sidecars, v1.Sidecar{Name: s, Image: image})
		st.Sidecars = append(st.Sidecars, v1.SidecarState{Name: s, Container: "sidecar-" + s, ImageID: image + "@sha256:" + Digest(image)})
	}
	for i := 0; i+1 < len(t.Results); i += 2 {
		spec.Results = append(spec.Results, v1.TaskResult{Name: t.Results[i], Type: v1.ResultsTypeString})
		st.Results = append(st.Results, v1.TaskRunResult{Name: t.Results[i], Type: v1.ResultsTypeString, Value: *v1.NewStructuredValues(t.Results[i+1])})
	}
	for _, n := range sortedKeys(t.ObjectResults) {
		spec.Results = append(spec.Results, v1.TaskResult{Name: n, Type: v1.ResultsTypeObject})
		st.Results = append(st.Results, v1.TaskRunResult{Name: n, Type: v1.ResultsTypeObject, Value: *v1.NewObject(t.ObjectResults[n])})
	}
	st.Artifacts = t.Artifacts
	st.TaskSpec = spec

	for i := range t.Retries {
		st.RetriesStatus = append(st.RetriesStatus, v1.TaskRunStatus{
			Status: duckv1.Status{Conditions: duckv1.Conditions{{
				Type: apis.ConditionSucceeded, Status: corev1.ConditionFalse, Reason: "Failed",
				Message: fmt.Sprintf("attempt %d: \"step-%s\" exited with code 1", i, steps[0]),
			}}},
			TaskRunStatusFields: v1.TaskRunStatusFields{PodName: fmt.Sprintf("%s-pod-retry%d", name, i+1)},
		})
	}

	cond := apis.Condition{Type: apis.ConditionSucceeded, LastTransitionTime: apis.VolatileTime{Inner: metav1.NewTime(r.clock.Add(time.Second))}}
	switch {
	case t.Running:
		cond.Status, cond.Reason, cond.Message = corev1.ConditionUnknown, "Running", "Not all Steps in the Task have finished executing"
	case t.Failed:
		cond.Status, cond.Reason = corev1.ConditionFalse, "Failed"
		cond.Message = fmt.Sprintf("\"step-%s\" exited with code 1", steps[len(steps)-1])
		st.Steps[len(st.Steps)-1].Terminated.ExitCode = 1
		st.Steps[len(st.Steps)-1].Terminated.Reason = "Error"
		st.Steps[len(st.Steps)-1].TerminationReason = "Error"
	default:
		cond.Status, cond.Reason, cond.Message = corev1.ConditionTrue, "Succeeded", "All Steps have completed executing"
	}
	st.Conditions = duckv1.Conditions{cond}
	r.clock = r.clock.Add(time.Second)
	if !t.Running {
		st.CompletionTime = &metav1.Time{Time: r.clock}
	}
	return tr
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
