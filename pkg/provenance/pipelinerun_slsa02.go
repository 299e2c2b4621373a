package provenance

import (
	"fmt"
	"slices"
	"time"

	"github.com/chainseal/chainseal/pkg/tekton"
	"github.com/in-toto/in-toto-golang/in_toto/slsa_provenance/common"
	slsa02 "github.com/in-toto/in-toto-golang/in_toto/slsa_provenance/v0.2"
	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	"knative.dev/pkg/apis"
)

// buildConfig and taskAttestation follow Chains' slsa/v1 (SLSA v0.2)
// PipelineRun format field by field.
type buildConfig struct {
	Tasks []taskAttestation `json:"tasks"`
}

type taskAttestation struct {
	Name               string                      `json:"name,omitempty"`
	After              []string                    `json:"after,omitempty"`
	Ref                v1.TaskRef                  `json:"ref,omitempty"`
	StartedOn          time.Time                   `json:"startedOn,omitempty"`
	FinishedOn         time.Time                   `json:"finishedOn,omitempty"`
	ServiceAccountName string                      `json:"serviceAccountName,omitempty"`
	Status             string                      `json:"status,omitempty"`
	Steps              []stepAttestation           `json:"steps,omitempty"`
	Invocation         slsa02.ProvenanceInvocation `json:"invocation,omitempty"`
	Results            []v1.TaskRunResult          `json:"results,omitempty"`
}

// pipelineRunSLSA02 builds the PipelineRun's SLSA v0.2 statement (Chains'
// in-toto and slsa/v1 formats). The coverage record goes in
// invocation.environment.chainseal.
func pipelineRunSLSA02(in pipelineRunInput) ([]byte, error) {
	pr := in.snap.PipelineRun
	var paramSpecs v1.ParamSpecs
	if ps := pr.Status.PipelineSpec; ps != nil {
		paramSpecs = ps.Params
	}
	inv := invocation(pr.Status.Provenance, pr.Spec.Params, paramSpecs, pr.Annotations, pr.Labels)
	withChainseal(&inv, pipelineRunCoverage(in, fieldsSLSA02(in.cfg)))
	mats, err := pipelineRunMaterials(in)
	if err != nil {
		return nil, err
	}
	tasks, err := taskAttestations(in.snap)
	if err != nil {
		return nil, err
	}
	return slsa02Statement(in.set.Subjects, slsa02.ProvenancePredicate{
		Builder:     common.ProvenanceBuilder{ID: builderID(in.cfg)},
		BuildType:   "tekton.dev/v1/PipelineRun",
		Invocation:  inv,
		BuildConfig: buildConfig{Tasks: tasks},
		Metadata:    metadata02(in.snap.StartedOn(), in.snap.FinishedOn(), pr.Labels),
		Materials:   mats,
	})
}

// pipelineRunMaterials is Chains' PipelineMaterials: the pipeline's
// refSource, per TaskRun its images and task refSource, then the
// type-hinted inputs; equal entries merged.
func pipelineRunMaterials(in pipelineRunInput) ([]common.ProvenanceMaterial, error) {
	var ds []descriptor
	if d, ok := refSource("", in.snap.PipelineRun.Status.Provenance); ok {
		ds = append(ds, d)
	}
	for _, tr := range in.snap.TaskRuns {
		imgs, err := images(tr.Status.Steps, tr.Status.Sidecars)
		if err != nil {
			return nil, fmt.Errorf("TaskRun %s: %w", tr.Name, err)
		}
		ds = append(ds, imgs...)
		if d, ok := refSource("", tr.Status.Provenance); ok {
			ds = append(ds, d)
		}
	}
	return materials(append(ds, artifactDescriptors("", in.set.Materials)...)), nil
}

func taskAttestations(s *tekton.Snapshot) ([]taskAttestation, error) {
	spec := s.PipelineRun.Status.PipelineSpec
	if spec == nil {
		return nil, nil
	}
	pts := map[string]*v1.PipelineTask{}
	for i := range spec.Tasks {
		pts[spec.Tasks[i].Name] = &spec.Tasks[i]
	}
	for i := range spec.Finally {
		pts[spec.Finally[i].Name] = &spec.Finally[i]
	}
	// A finally task with no explicit order ran after the last non-finally
	// task that ran.
	last := ""
	for _, tr := range s.TaskRuns {
		if !tr.Finally {
			last = tr.PipelineTask
		}
	}
	out := make([]taskAttestation, 0, len(s.TaskRuns))
	for _, tr := range s.TaskRuns {
		pt := pts[tr.PipelineTask]
		if pt == nil {
			return nil, fmt.Errorf("TaskRun %s: pipeline task %q is not in status.pipelineSpec", tr.Name, tr.PipelineTask)
		}
		after := append([]string(nil), pt.RunAfter...)
		for _, ref := range v1.PipelineTaskResultRefs(pt) {
			if !slices.Contains(after, ref.PipelineTask) {
				after = append(after, ref.PipelineTask)
			}
		}
		if len(after) == 0 && tr.Finally && last != "" {
			after = []string{last}
		}
		var specs v1.ParamSpecs
		var steps []stepAttestation
		if ts := tr.Status.TaskSpec; ts != nil {
			specs = ts.Params
			for i := range ts.Steps {
				if i < len(tr.Status.Steps) {
					steps = append(steps, step(&ts.Steps[i], &tr.Status.Steps[i]))
				}
			}
		}
		ta := taskAttestation{
			Name:               tr.PipelineTask,
			After:              after,
			StartedOn:          derefTime(metaTime(tr.Status.StartTime)),
			FinishedOn:         derefTime(metaTime(tr.Status.CompletionTime)),
			ServiceAccountName: s.PipelineRun.Spec.TaskRunTemplate.ServiceAccountName,
			Status:             status(tr.Status.GetCondition(apis.ConditionSucceeded)),
			Steps:              steps,
			Invocation:         invocation(tr.Status.Provenance, tr.Spec.Params, specs, tr.Annotations, tr.Labels),
			Results:            tr.Status.Results,
		}
		if pt.TaskRef != nil {
			ta.Ref = *pt.TaskRef
		}
		out = append(out, ta)
	}
	return out, nil
}
