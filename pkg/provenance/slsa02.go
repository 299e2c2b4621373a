package provenance

import (
	"fmt"
	"strings"
	"time"

	"github.com/chainseal/chainseal/pkg/config"
	"github.com/chainseal/chainseal/pkg/tekton"
	"github.com/in-toto/in-toto-golang/in_toto/slsa_provenance/common"
	slsa02 "github.com/in-toto/in-toto-golang/in_toto/slsa_provenance/v0.2"
	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	corev1 "k8s.io/api/core/v1"
	"knative.dev/pkg/apis"
)

const statementV01 = "https://in-toto.io/Statement/v0.1"

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

type stepAttestation struct {
	EntryPoint  string            `json:"entryPoint"`
	Arguments   any               `json:"arguments,omitempty"`
	Environment any               `json:"environment,omitempty"`
	Annotations map[string]string `json:"annotations"`
}

type statement02 struct {
	Type          string                     `json:"_type"`
	PredicateType string                     `json:"predicateType"`
	Subject       []descriptor               `json:"subject"`
	Predicate     slsa02.ProvenancePredicate `json:"predicate"`
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
	env, _ := inv.Environment.(map[string]any)
	if env == nil {
		env = map[string]any{}
	}
	env["chainseal"] = coverageOf(in.snap)
	inv.Environment = env

	mats, err := materials(in)
	if err != nil {
		return nil, err
	}
	meta := &slsa02.ProvenanceMetadata{BuildStartedOn: in.snap.StartedOn(), BuildFinishedOn: in.snap.FinishedOn()}
	meta.Reproducible = pr.Labels["chains.tekton.dev/reproducible"] == "true"
	id := in.cfg.BuilderID
	if id == "" {
		id = config.DefaultBuilderID
	}
	tasks, err := taskAttestations(in.snap)
	if err != nil {
		return nil, err
	}
	st := statement02{
		Type: statementV01, PredicateType: slsa02.PredicateSLSAProvenance,
		Subject: subjects(in.set.Subjects, false),
		Predicate: slsa02.ProvenancePredicate{
			Builder:     common.ProvenanceBuilder{ID: id},
			BuildType:   "tekton.dev/v1/PipelineRun",
			Invocation:  inv,
			BuildConfig: buildConfig{Tasks: tasks},
			Metadata:    meta,
			Materials:   mats,
		},
	}
	body, err := marshal(st)
	if err != nil {
		return nil, err
	}
	if err := validateSLSA02(body); err != nil {
		return nil, fmt.Errorf("the statement fails in-toto's validation: %w", err)
	}
	return body, nil
}

// invocation is Chains' attest.Invocation: the config source, parameters
// (defaults overridden by the run's values), annotations and labels.
func invocation(p *v1.Provenance, params v1.Params, specs v1.ParamSpecs, annotations, labels map[string]string) slsa02.ProvenanceInvocation {
	var inv slsa02.ProvenanceInvocation
	if p != nil && p.RefSource != nil {
		inv.ConfigSource = slsa02.ConfigSource{URI: p.RefSource.URI, Digest: p.RefSource.Digest, EntryPoint: p.RefSource.EntryPoint}
	}
	values := map[string]v1.ParamValue{}
	for _, s := range specs {
		if s.Default != nil {
			values[s.Name] = *s.Default
		}
	}
	for _, p := range params {
		values[p.Name] = p.Value
	}
	inv.Parameters = values
	env := map[string]any{}
	ann := map[string]string{}
	for k, v := range annotations {
		if k != corev1.LastAppliedConfigAnnotation && !strings.HasPrefix(k, "chains.tekton.dev/") {
			ann[k] = v
		}
	}
	if len(ann) > 0 {
		env["annotations"] = ann
	}
	if len(labels) > 0 {
		env["labels"] = labels
	}
	if len(env) > 0 {
		inv.Environment = env
	}
	return inv
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
			if !contains(after, ref.PipelineTask) {
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

func step(s *v1.Step, st *v1.StepState) stepAttestation {
	entry := strings.Join(s.Command, " ")
	if s.Script != "" {
		entry = s.Script
	}
	return stepAttestation{
		EntryPoint: entry,
		Arguments:  s.Args,
		Environment: map[string]any{
			"image":     "oci://" + strings.TrimPrefix(st.ImageID, "docker-pullable://"),
			"container": st.Name,
		},
	}
}

func status(c *apis.Condition) string {
	switch {
	case c == nil:
		return ""
	case c.Status == corev1.ConditionTrue:
		return "Succeeded"
	case c.Status == corev1.ConditionFalse:
		return "Failed"
	}
	return "Running"
}

// materials is Chains' PipelineMaterials: the pipeline's refSource, per
// TaskRun its images and task refSource, then the type-hinted inputs;
// equal entries merged.
func materials(in pipelineRunInput) ([]common.ProvenanceMaterial, error) {
	var ds []descriptor
	pr := in.snap.PipelineRun
	if p := pr.Status.Provenance; p != nil && p.RefSource != nil {
		ds = append(ds, descriptor{URI: p.RefSource.URI, Digest: p.RefSource.Digest})
	}
	for _, tr := range in.snap.TaskRuns {
		imgs, err := images(tr.Status.Steps, tr.Status.Sidecars)
		if err != nil {
			return nil, fmt.Errorf("TaskRun %s: %w", tr.Name, err)
		}
		ds = append(ds, imgs...)
		if p := tr.Status.Provenance; p != nil && p.RefSource != nil {
			ds = append(ds, descriptor{URI: p.RefSource.URI, Digest: p.RefSource.Digest})
		}
	}
	for _, m := range in.set.Materials {
		ds = append(ds, descriptor{URI: m.Name, Digest: m.Digest})
	}
	ds = dedupe(ds)
	out := make([]common.ProvenanceMaterial, 0, len(ds))
	for _, d := range ds {
		out = append(out, common.ProvenanceMaterial{URI: d.URI, Digest: d.Digest})
	}
	return out, nil
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func derefTime(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}
