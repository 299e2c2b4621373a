package provenance

import (
	"encoding/json"
	"fmt"

	"github.com/chainseal/chainseal/pkg/config"
	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
)

// pipelineRunSLSA1 builds the PipelineRun's SLSA v1.0 statement,
// field-compatible with Tekton Chains' slsa/v2alpha4 for PipelineRuns.
func pipelineRunSLSA1(in pipelineRunInput) ([]byte, error) { return pipelineRunSLSA1As(in, v2alpha4) }

// pipelineRunV2alpha3 is Chains' slsa/v2alpha3 for PipelineRuns.
func pipelineRunV2alpha3(in pipelineRunInput) ([]byte, error) {
	return pipelineRunSLSA1As(in, v2alpha3)
}

func pipelineRunSLSA1As(in pipelineRunInput, v slsa1Variant) ([]byte, error) {
	pr := in.snap.PipelineRun
	buildType, err := buildTypeOf(in.cfg)
	if err != nil {
		return nil, err
	}
	deps, err := pipelineRunDependencies(in, buildType == config.BuildTypeSLSATekton, v)
	if err != nil {
		return nil, err
	}
	byproducts, err := pipelineRunByproducts(in, v)
	if err != nil {
		return nil, err
	}
	var ref *v1.ResolverRef
	if pr.Spec.PipelineRef != nil {
		ref = &pr.Spec.PipelineRef.ResolverRef
	}
	internal := internalParameters(pr.Status.Provenance, buildType, pr.Labels, pr.Annotations)
	internal["chainseal"] = pipelineRunCoverage(in, fieldsSLSA1(in.cfg))
	return slsa1Statement(in.set.Subjects,
		buildDefinition{
			BuildType:            buildType,
			ExternalParameters:   externalParameters(pr.Spec, ref, pr.Status.Provenance),
			InternalParameters:   internal,
			ResolvedDependencies: deps,
		},
		runDetails{
			Builder: builderOf(in.cfg, in.version),
			Metadata: metadata{
				InvocationID: string(pr.UID),
				StartedOn:    timestamp(in.snap.StartedOn()),
				FinishedOn:   timestamp(in.snap.FinishedOn()),
			},
			Byproducts: byproducts,
		})
}

// pipelineRunDependencies lists, in Chains' order: the pipeline's
// refSource; per covered TaskRun its task's refSource, (v2alpha4) its
// remote StepActions, and its step and sidecar images; then the
// type-hinted inputs. Duplicates are dropped.
func pipelineRunDependencies(in pipelineRunInput, withContent bool, v slsa1Variant) ([]descriptor, error) {
	var out []descriptor
	if d, ok := refSource(depPipeline, in.snap.PipelineRun.Status.Provenance); ok {
		out = append(out, d)
	}
	for _, tr := range in.snap.TaskRuns {
		task, _ := refSource(depPipelineTask, tr.Status.Provenance)
		if withContent {
			content, err := json.Marshal(tr.TaskRun)
			if err != nil {
				return nil, fmt.Errorf("encoding TaskRun %s: %w", tr.Name, err)
			}
			task.Content = content
		}
		if task.URI != "" || task.Content != nil {
			out = append(out, task)
		}
		if v.stepActions {
			out = append(out, stepActions(tr.TaskRun)...)
		}
		images, err := images(tr.Status.Steps, tr.Status.Sidecars)
		if err != nil {
			return nil, fmt.Errorf("TaskRun %s: %w", tr.Name, err)
		}
		out = append(out, images...)
	}
	out = append(out, artifactDescriptors(depInput, in.set.Materials)...)
	return dedupe(out), nil
}

// pipelineRunByproducts are, as in Chains, the results that are not
// subjects: the PipelineRun's, and with deep inspection every covered
// TaskRun's and step's; plus Tekton artifacts (TEP-0147) that are not
// build outputs.
func pipelineRunByproducts(in pipelineRunInput, v slsa1Variant) ([]descriptor, error) {
	var out []descriptor
	pr := in.snap.PipelineRun
	if !v.stepActions {
		// Chains' v2alpha3: every PipelineRun result, named by the result
		// alone; no TaskRun's.
		ds, err := allResults("pipelineRunResults/%s", pr.Name, pr.Status.Results)
		if err != nil {
			return nil, err
		}
		return append(ds, artifactDescriptors("", in.set.Byproducts)...), nil
	}
	for _, r := range pr.Status.Results {
		d, ok, err := resultByproduct("pipelineRunResults/%s/%s", pr.Name, r.Name, r.Value)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, d)
		}
	}
	if in.cfg.DeepInspection {
		for _, tr := range in.snap.TaskRuns {
			ds, err := taskRunResultByproducts(tr.TaskRun)
			if err != nil {
				return nil, err
			}
			out = append(out, ds...)
		}
	}
	return append(out, artifactDescriptors("", in.set.Byproducts)...), nil
}
