package provenance

import (
	"fmt"

	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
)

// Tekton's hermetic execution mode: a TaskRun annotated so runs its steps
// without network (the entrypoint unshares the network namespace), but
// only when the TaskRun ran with enable-api-fields "alpha" (pkg/pod in
// tektoncd/pipeline ignores the annotation otherwise).
const (
	ExecutionModeAnnotation = "experimental.tekton.dev/execution-mode"
	ExecutionModeHermetic   = "hermetic"
)

// hermeticity is what a statement records about one TaskRun's execution
// mode. Hermetic is true only when Tekton enforced it; a request Tekton
// ignored is recorded with the reason, so a policy never mistakes it.
type hermeticity struct {
	Hermetic    bool   `json:"hermetic,omitempty"`
	NotEnforced string `json:"hermeticNotEnforced,omitempty"`
}

// hermeticityOf reads the annotation and the feature flags Tekton recorded
// in the TaskRun's status.provenance when it ran.
func hermeticityOf(tr *v1.TaskRun) hermeticity {
	if tr.Annotations[ExecutionModeAnnotation] != ExecutionModeHermetic {
		return hermeticity{}
	}
	p := tr.Status.Provenance
	if p == nil || p.FeatureFlags == nil {
		return hermeticity{NotEnforced: "hermetic execution was requested, but the TaskRun's status.provenance records no feature flags to show Tekton enforced it"}
	}
	if api := p.FeatureFlags.EnableAPIFields; api != "alpha" {
		return hermeticity{NotEnforced: fmt.Sprintf("hermetic execution was requested, but Tekton enforces it only with enable-api-fields \"alpha\" (the TaskRun ran with %q)", api)}
	}
	return hermeticity{Hermetic: true}
}

// taskRunRecord is chainseal's addition to a TaskRun statement (key
// "chainseal" in internalParameters, or in invocation.environment for SLSA
// v0.2); present only when there is something to say, so a plain TaskRun's
// statement stays identical to Chains'.
func taskRunRecord(tr *v1.TaskRun) (hermeticity, bool) {
	h := hermeticityOf(tr)
	return h, h != hermeticity{}
}
