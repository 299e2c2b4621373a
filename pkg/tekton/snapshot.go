// Package tekton reads what Tekton recorded about one PipelineRun: the run
// itself and the child TaskRuns that finished, from the API or from files.
// It decides which TaskRuns the provenance covers and nothing else.
package tekton

import (
	"time"

	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
)

// Snapshot is one PipelineRun and its children as read at one moment. A
// finally task reads its own PipelineRun while it is still running, so a
// snapshot is usually of an unfinished run.
type Snapshot struct {
	PipelineRun *v1.PipelineRun
	// TaskRuns are the covered children: finished, owned by this very
	// PipelineRun (same UID) and listed in status.childReferences, in the
	// order of status.childReferences.
	TaskRuns []TaskRun
	// Skipped are the pipeline tasks Tekton skipped (status.skippedTasks).
	Skipped []v1.SkippedTask
	// Excluded are children left out of the provenance, with the reason.
	Excluded []Excluded
	// CustomRuns are children that are not TaskRuns; their content is not
	// read, only recorded.
	CustomRuns []v1.ChildStatusReference
}

// TaskRun is one covered TaskRun with what the PipelineRun says about it.
type TaskRun struct {
	*v1.TaskRun
	PipelineTask string
	// Finally is true for a TaskRun of a pipeline task under spec.finally.
	Finally bool
	// Failed is true when the last attempt did not succeed.
	Failed bool
	// Retries counts the earlier attempts (status.retriesStatus); the
	// TaskRun's own status is the last attempt, the one that counts.
	Retries int
}

// Reason says why a child was left out.
type Reason string

// Reasons a child of the PipelineRun is not covered.
const (
	ReasonOwn      Reason = "the chainseal TaskRun itself"
	ReasonRunning  Reason = "not finished when read"
	ReasonMissing  Reason = "listed in status.childReferences but not found"
	ReasonForeign  Reason = "owned by another PipelineRun of the same name (different UID)"
	ReasonUnlisted Reason = "not listed in the PipelineRun's status.childReferences"
	// ReasonNotRun: a pipeline task of status.pipelineSpec that has no
	// child and is not in status.skippedTasks (Name is empty).
	ReasonNotRun Reason = "in the pipeline spec, but neither a child nor a skipped task of the run"
)

// Excluded is a child the provenance does not cover.
type Excluded struct {
	Name         string `json:"name"`
	PipelineTask string `json:"pipelineTask,omitempty"`
	Reason       Reason `json:"reason"`
}

// Complete reports whether the PipelineRun itself had finished when read.
func (s *Snapshot) Complete() bool {
	return s.PipelineRun.Status.CompletionTime != nil
}

// Failed returns the covered TaskRuns whose last attempt failed.
func (s *Snapshot) Failed() []TaskRun {
	var out []TaskRun
	for _, tr := range s.TaskRuns {
		if tr.Failed {
			out = append(out, tr)
		}
	}
	return out
}

// StartedOn is when the PipelineRun started (nil when it did not record it).
func (s *Snapshot) StartedOn() *time.Time {
	if t := s.PipelineRun.Status.StartTime; t != nil {
		u := t.Time.UTC()
		return &u
	}
	return nil
}

// FinishedOn is the PipelineRun's completion time when it has one, else the
// latest completion among the covered TaskRuns: a finally task signs
// before its PipelineRun completes.
func (s *Snapshot) FinishedOn() *time.Time {
	if t := s.PipelineRun.Status.CompletionTime; t != nil {
		u := t.Time.UTC()
		return &u
	}
	var latest *time.Time
	for _, tr := range s.TaskRuns {
		if c := tr.Status.CompletionTime; c != nil && (latest == nil || c.Time.After(*latest)) {
			u := c.Time.UTC()
			latest = &u
		}
	}
	return latest
}
