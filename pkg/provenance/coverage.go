package provenance

import (
	"github.com/chainseal/chainseal/pkg/artifacts"
	"github.com/chainseal/chainseal/pkg/tekton"
	"knative.dev/pkg/apis"
	"maps"
	"slices"
)

// coverage says what the statement covers. It is chainseal's addition to
// internalParameters (key "chainseal"): a finally task signs before its
// PipelineRun completes, and a verifier must be able to tell.
type coverage struct {
	// Namespace and PipelineRun name the run, so a policy can require the
	// namespace a build came from (chainseal verify --namespace).
	Namespace   string `json:"namespace"`
	PipelineRun string `json:"pipelineRun"`
	// PipelineRunCompleted is false when the statement was made before the
	// PipelineRun completed (the normal case for a finally task).
	PipelineRunCompleted bool               `json:"pipelineRunCompleted"`
	PipelineRunReason    string             `json:"pipelineRunReason,omitempty"`
	TaskRuns             []coveredTaskRun   `json:"taskRuns"`
	SkippedTasks         []string           `json:"skippedTasks,omitempty"`
	Excluded             []tekton.Excluded  `json:"excluded,omitempty"`
	CustomRuns           []coveredCustomRun `json:"customRuns,omitempty"`
	// Subjects are the statement's subjects, each with the pipeline tasks
	// whose results named it (Tekton's record of the TaskRun and its
	// resolved reference): what chainseal verify --trusted-producer reads.
	Subjects []subjectRecord `json:"subjects,omitempty"`
	// Platform says where the platform's settings came from when they
	// governed the namespace (docs/config.md).
	Platform string `json:"platform,omitempty"`
	// Fields says who wrote each field of the statement: tekton (the
	// controller and kubelet), tenant, platform or chainseal. A list, not
	// a map keyed by path: document stores (MongoDB, FerretDB) refuse
	// keys with dots.
	Fields []FieldLabel `json:"fields,omitempty"`
}

// FieldLabel says who wrote the field at Path (its path in the statement;
// [name=...] and [] select list entries).
type FieldLabel struct {
	Path   string `json:"path"`
	Writer string `json:"writer"`
}

// fieldLabels lists the labels of fields (path: writer), sorted by path.
func fieldLabels(fields map[string]string) []FieldLabel {
	out := make([]FieldLabel, 0, len(fields))
	for _, p := range slices.Sorted(maps.Keys(fields)) {
		out = append(out, FieldLabel{Path: p, Writer: fields[p]})
	}
	return out
}

type subjectRecord struct {
	Name      string               `json:"name"`
	Digest    map[string]string    `json:"digest"`
	Producers []artifacts.Producer `json:"producers"`
}

type coveredTaskRun struct {
	Name         string `json:"name"`
	PipelineTask string `json:"pipelineTask"`
	// Ref is where Tekton resolved the task from (refSource).
	Ref       *artifacts.Ref `json:"ref,omitempty"`
	Finally   bool           `json:"finally,omitempty"`
	Succeeded bool           `json:"succeeded"`
	// Retries counts earlier attempts; the TaskRun's status is the last one.
	Retries int `json:"retries,omitempty"`
	// hermeticity says whether the task ran without network (hermetic.go).
	hermeticity
}

type coveredCustomRun struct {
	Name         string `json:"name"`
	PipelineTask string `json:"pipelineTask"`
	Kind         string `json:"kind,omitempty"`
}

// pipelineRunCoverage is the coverage record of a PipelineRun statement:
// what it covers, its subjects' producers, and the fields' writers.
func pipelineRunCoverage(in pipelineRunInput, fields map[string]string) coverage {
	c := coverageOf(in.snap)
	for _, sub := range in.set.Subjects {
		ps := sub.Producers
		if ps == nil {
			ps = []artifacts.Producer{}
		}
		c.Subjects = append(c.Subjects, subjectRecord{Name: sub.Name, Digest: sub.Digest, Producers: ps})
	}
	c.Platform, c.Fields = in.cfg.Platform, fieldLabels(fields)
	return c
}

func coverageOf(s *tekton.Snapshot) coverage {
	c := coverage{Namespace: s.PipelineRun.Namespace, PipelineRun: s.PipelineRun.Name, PipelineRunCompleted: s.Complete(), TaskRuns: make([]coveredTaskRun, 0, len(s.TaskRuns)), Excluded: s.Excluded}
	if cond := s.PipelineRun.Status.GetCondition(apis.ConditionSucceeded); cond != nil {
		c.PipelineRunReason = cond.Reason
	}
	for _, tr := range s.TaskRuns {
		c.TaskRuns = append(c.TaskRuns, coveredTaskRun{Name: tr.Name, PipelineTask: tr.PipelineTask, Ref: artifacts.TaskRunProducer(tr).Ref, Finally: tr.Finally, Succeeded: !tr.Failed, Retries: tr.Retries, hermeticity: hermeticityOf(s.PipelineRun, tr)})
	}
	for _, sk := range s.Skipped {
		c.SkippedTasks = append(c.SkippedTasks, sk.Name)
	}
	for _, cr := range s.CustomRuns {
		c.CustomRuns = append(c.CustomRuns, coveredCustomRun{Name: cr.Name, PipelineTask: cr.PipelineTaskName, Kind: cr.Kind})
	}
	return c
}
