package provenance

import (
	"fmt"

	"github.com/chainseal/chainseal/pkg/tekton"
	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	corev1 "k8s.io/api/core/v1"
)

// Tekton's hermetic execution mode: a TaskRun annotated so runs its steps
// without network (the entrypoint unshares the network namespace), but
// only when the TaskRun ran with enable-api-fields "alpha" (pkg/pod in
// tektoncd/pipeline ignores the annotation otherwise).
const (
	ExecutionModeAnnotation = "experimental.tekton.dev/execution-mode"
	ExecutionModeHermetic   = "hermetic"
	// resourceNameEnv set in a step makes Tekton's entrypoint skip the
	// hermetic mode (cmd/entrypoint/runner.go).
	resourceNameEnv = "TEKTON_RESOURCE_NAME"
)

// hermeticity is what a statement records about one TaskRun's execution
// mode. Hermetic is true only when what Tekton's controller recorded shows
// it enforced it; a request it did not enforce, or that only a tenant's
// annotation makes, is recorded with the reason, so a policy never
// mistakes it.
type hermeticity struct {
	Hermetic    bool   `json:"hermetic,omitempty"`
	NotEnforced string `json:"hermeticNotEnforced,omitempty"`
}

func notEnforced(format string, args ...any) hermeticity {
	return hermeticity{NotEnforced: fmt.Sprintf(format, args...)}
}

// hermeticityOf decides from what Tekton's controller wrote, never from an
// annotation alone: annotations of TaskRuns and PipelineRuns can be changed
// by anyone who may edit them, at any time, also after the run. A TaskRun
// is hermetic when
//
//   - its pipeline task asks for it in the pipeline spec the controller
//     recorded (status.pipelineSpec: taskSpec.metadata.annotations), and
//     nothing Tekton gives precedence over that request (the PipelineRun's
//     spec.taskRunSpecs metadata and annotations, the TaskRun's own
//     annotation) names another mode;
//   - it ran with enable-api-fields "alpha" (status.provenance.featureFlags);
//   - its recorded spec (status.taskSpec, spec.podTemplate) leaves no way
//     around it: no sidecar (sidecars keep the network and share the steps'
//     volumes), no TEKTON_RESOURCE_NAME (the entrypoint then skips the
//     mode), no envFrom (which could set it), no unresolved StepAction.
//
// A request Tekton did not record, or did not enforce, is not hermetic and
// says why.
func hermeticityOf(pr *v1.PipelineRun, tr tekton.TaskRun) hermeticity {
	trMode := tr.Annotations[ExecutionModeAnnotation]
	prMode, prAnnotated := "", false
	if pr != nil {
		prMode, prAnnotated = pr.Annotations[ExecutionModeAnnotation]
	}
	fromSpec := pipelineTaskAsks(pr, tr.PipelineTask)
	if !fromSpec {
		if trMode == ExecutionModeHermetic || prMode == ExecutionModeHermetic {
			return notEnforced("hermetic execution is requested only by an annotation (of the TaskRun or the PipelineRun), which can be set at any time, also after the run; Tekton's recorded pipeline spec does not ask for it: set %s: %s in the pipeline task's taskSpec.metadata.annotations", ExecutionModeAnnotation, ExecutionModeHermetic)
		}
		return hermeticity{}
	}
	if m, ok := taskRunSpecMode(pr, tr.PipelineTask); ok && m != ExecutionModeHermetic {
		return notEnforced("the pipeline asks for hermetic execution, but the PipelineRun's spec.taskRunSpecs metadata, which takes precedence, says %s: %q", ExecutionModeAnnotation, m)
	}
	if prAnnotated && prMode != ExecutionModeHermetic {
		return notEnforced("the pipeline asks for hermetic execution, but the PipelineRun's annotation, which takes precedence, says %s: %q", ExecutionModeAnnotation, prMode)
	}
	if trMode != ExecutionModeHermetic {
		return notEnforced("the pipeline asks for hermetic execution, but the TaskRun, from which Tekton builds the pod, says %s: %q", ExecutionModeAnnotation, trMode)
	}
	p := tr.Status.Provenance
	if p == nil || p.FeatureFlags == nil {
		return notEnforced("hermetic execution was requested, but the TaskRun's status.provenance records no feature flags to show Tekton enforced it")
	}
	if api := p.FeatureFlags.EnableAPIFields; api != "alpha" {
		return notEnforced("hermetic execution was requested, but Tekton enforces it only with enable-api-fields \"alpha\" (the TaskRun ran with %q)", api)
	}
	return noWayAround(tr)
}

// pipelineTaskAsks reports whether the pipeline spec Tekton recorded in
// the PipelineRun's status asks for hermetic execution of the pipeline
// task: the annotation in its embedded taskSpec's metadata.
func pipelineTaskAsks(pr *v1.PipelineRun, task string) bool {
	if pr == nil || pr.Status.PipelineSpec == nil {
		return false
	}
	// By index, without copying: this runs once per TaskRun, and a
	// PipelineTask is large.
	spec := pr.Status.PipelineSpec
	for _, tasks := range [][]v1.PipelineTask{spec.Tasks, spec.Finally} {
		for i := range tasks {
			if t := &tasks[i]; t.Name == task {
				return t.TaskSpec != nil && t.TaskSpec.Metadata.Annotations[ExecutionModeAnnotation] == ExecutionModeHermetic
			}
		}
	}
	return false
}

// taskRunSpecMode is the execution mode the PipelineRun's
// spec.taskRunSpecs metadata sets for the pipeline task, if any.
func taskRunSpecMode(pr *v1.PipelineRun, task string) (string, bool) {
	for _, s := range pr.Spec.TaskRunSpecs {
		if s.PipelineTaskName == task && s.Metadata != nil {
			if m, ok := s.Metadata.Annotations[ExecutionModeAnnotation]; ok {
				return m, true
			}
		}
	}
	return "", false
}

// noWayAround checks the TaskRun's recorded spec for what runs outside the
// hermetic mode, or turns it off.
func noWayAround(tr tekton.TaskRun) hermeticity {
	ts := tr.Status.TaskSpec
	if ts == nil {
		return notEnforced("hermetic execution was requested, but the TaskRun's status.taskSpec is not recorded, so its steps and sidecars are unknown")
	}
	if len(ts.Sidecars) > 0 {
		return notEnforced("the TaskRun runs sidecar %s, which Tekton does not run hermetically: sidecars keep the network and share the steps' volumes", ts.Sidecars[0].Name)
	}
	if ts.StepTemplate != nil {
		if h, bad := envBypass("the step template", ts.StepTemplate.Env, ts.StepTemplate.EnvFrom); bad {
			return h
		}
	}
	for _, s := range ts.Steps {
		if s.Ref != nil {
			return notEnforced("step %s is recorded as a StepAction reference, not resolved, so its environment is unknown", s.Name)
		}
		if h, bad := envBypass("step "+s.Name, s.Env, s.EnvFrom); bad {
			return h
		}
	}
	if pt := tr.Spec.PodTemplate; pt != nil {
		if h, bad := envBypass("the TaskRun's pod template", pt.Env, nil); bad {
			return h
		}
	}
	return hermeticity{Hermetic: true}
}

func envBypass(where string, env []corev1.EnvVar, from []corev1.EnvFromSource) (hermeticity, bool) {
	for _, e := range env {
		if e.Name == resourceNameEnv {
			return notEnforced("%s sets %s, which makes Tekton's entrypoint skip the hermetic mode", where, resourceNameEnv), true
		}
	}
	if len(from) > 0 {
		return notEnforced("%s takes environment variables from envFrom, which could set %s and make Tekton's entrypoint skip the hermetic mode", where, resourceNameEnv), true
	}
	return hermeticity{}, false
}

// taskRunRecord is chainseal's addition to a TaskRun statement (key
// "chainseal" in internalParameters, or in invocation.environment for SLSA
// v0.2); present only when there is something to say, so a plain TaskRun's
// statement stays identical to Chains'.
func taskRunRecord(pr *v1.PipelineRun, tr tekton.TaskRun) (hermeticity, bool) {
	h := hermeticityOf(pr, tr)
	return h, h != hermeticity{}
}
