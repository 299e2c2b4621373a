package provenance

import (
	"github.com/in-toto/in-toto-golang/in_toto/slsa_provenance/common"
	slsa02 "github.com/in-toto/in-toto-golang/in_toto/slsa_provenance/v0.2"
	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
)

// taskRunBuildConfig follows Chains' slsa/v1 TaskRun buildConfig: one
// entry per step state, with the step of status.taskSpec of that name.
type taskRunBuildConfig struct {
	Steps []stepAttestation `json:"steps"`
}

// taskRunSLSA02 is the SLSA v0.2 statement of one TaskRun (Chains' in-toto
// and slsa/v1 TaskRun formats).
func taskRunSLSA02(in taskRunInput) ([]byte, error) {
	tr := in.tr
	var specs v1.ParamSpecs
	if ts := tr.Status.TaskSpec; ts != nil {
		specs = ts.Params
	}
	steps := make([]stepAttestation, 0, len(tr.Status.Steps))
	for i := range tr.Status.Steps {
		steps = append(steps, step(stepNamed(tr.Status.TaskSpec, tr.Status.Steps[i].Name), &tr.Status.Steps[i]))
	}
	inv := invocation(tr.Status.Provenance, tr.Spec.Params, specs, tr.Annotations, tr.Labels)
	if rec, ok := taskRunRecord(in.pr, tr); ok {
		withChainseal(&inv, rec)
	}
	mats, err := taskRunMaterials(in)
	if err != nil {
		return nil, err
	}
	return slsa02Statement(in.set.Subjects, slsa02.ProvenancePredicate{
		Builder:     common.ProvenanceBuilder{ID: builderID(in.cfg)},
		BuildType:   "tekton.dev/v1/TaskRun",
		Invocation:  inv,
		BuildConfig: taskRunBuildConfig{Steps: steps},
		Metadata:    metadata02(metaTime(tr.Status.StartTime), metaTime(tr.Status.CompletionTime), tr.Labels),
		Materials:   mats,
	})
}

// stepNamed is the step of the task spec with that name, or an empty step
// (as Chains does) when the spec does not have it.
func stepNamed(spec *v1.TaskSpec, name string) *v1.Step {
	if spec != nil {
		for i := range spec.Steps {
			if spec.Steps[i].Name == name {
				return &spec.Steps[i]
			}
		}
	}
	return &v1.Step{}
}

// taskRunMaterials is Chains' TaskMaterials: step and sidecar images, then
// the TaskRun's type-hinted inputs; equal entries merged.
func taskRunMaterials(in taskRunInput) ([]common.ProvenanceMaterial, error) {
	ds, err := images(in.tr.Status.Steps, in.tr.Status.Sidecars)
	if err != nil {
		return nil, err
	}
	return materials(append(ds, artifactDescriptors("", in.set.Materials)...)), nil
}
