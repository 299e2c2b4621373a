package provenance

import (
	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
)

// taskRunSLSA1 is the SLSA v1.0 statement of one TaskRun, field-compatible
// with Tekton Chains v0.26's slsa/v2alpha4 TaskRun format: the same
// buildType, the TaskRun spec as externalParameters.runSpec, the task's
// refSource named "task", and the TaskRun's own results as byproducts.
func taskRunSLSA1(in taskRunInput) ([]byte, error) { return taskRunSLSA1As(in, v2alpha4) }

// taskRunV2alpha3 is Chains' slsa/v2alpha3 for one TaskRun.
func taskRunV2alpha3(in taskRunInput) ([]byte, error) { return taskRunSLSA1As(in, v2alpha3) }

func taskRunSLSA1As(in taskRunInput, v slsa1Variant) ([]byte, error) {
	tr := in.tr
	buildType, err := buildTypeOf(in.cfg)
	if err != nil {
		return nil, err
	}
	deps, err := taskRunDependencies(in, v)
	if err != nil {
		return nil, err
	}
	var byproducts []descriptor
	if v.stepActions {
		byproducts, err = taskRunResultByproducts(tr.TaskRun)
	} else {
		byproducts, err = allResults("taskRunResults/%s", tr.Name, tr.Status.Results)
	}
	if err != nil {
		return nil, err
	}
	byproducts = append(byproducts, artifactDescriptors("", in.set.Byproducts)...)
	var ref *v1.ResolverRef
	if tr.Spec.TaskRef != nil {
		ref = &tr.Spec.TaskRef.ResolverRef
	}
	internal := internalParameters(tr.Status.Provenance, buildType, tr.Labels, tr.Annotations)
	if rec, ok := taskRunRecord(in.pr, tr); ok {
		internal["chainseal"] = rec
	}
	return slsa1Statement(in.set.Subjects,
		buildDefinition{
			BuildType:            buildType,
			ExternalParameters:   externalParameters(tr.Spec, ref, tr.Status.Provenance),
			InternalParameters:   internal,
			ResolvedDependencies: deps,
		},
		runDetails{
			Builder: builderOf(in.cfg, in.version),
			Metadata: metadata{
				InvocationID: string(tr.UID),
				StartedOn:    timestamp(metaTime(tr.Status.StartTime)),
				FinishedOn:   timestamp(metaTime(tr.Status.CompletionTime)),
			},
			Byproducts: byproducts,
		})
}

// taskRunDependencies lists, in Chains' order: the task's refSource (named
// "task"), the step and sidecar images, (v2alpha4) the remote StepActions,
// then the TaskRun's type-hinted inputs. Duplicates are dropped.
func taskRunDependencies(in taskRunInput, v slsa1Variant) ([]descriptor, error) {
	var out []descriptor
	if d, ok := refSource(depTask, in.tr.Status.Provenance); ok {
		out = append(out, d)
	}
	imgs, err := images(in.tr.Status.Steps, in.tr.Status.Sidecars)
	if err != nil {
		return nil, err
	}
	out = append(out, imgs...)
	if v.stepActions {
		out = append(out, stepActions(in.tr.TaskRun)...)
	}
	out = append(out, artifactDescriptors(depInput, in.set.Materials)...)
	return dedupe(out), nil
}
