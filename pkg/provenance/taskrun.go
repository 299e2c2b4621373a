package provenance

import (
	"fmt"

	"github.com/chainseal/chainseal/pkg/artifacts"
	"github.com/chainseal/chainseal/pkg/config"
	"github.com/chainseal/chainseal/pkg/tekton"
	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
)

// PayloadTypeNone marks a payload that is signed as it is, without a DSSE
// envelope: the tekton format, which Tekton Chains signs raw (its Tekton
// formatter does not wrap), so `gpg --verify signature payload` and
// `cosign verify-blob` work on the stored bytes.
const PayloadTypeNone = ""

// Wrapped reports whether the payload goes into a DSSE envelope (in-toto
// statements, simplesigning) or is signed as it is (PayloadTypeNone).
func (p Payload) Wrapped() bool { return p.PayloadType != PayloadTypeNone }

// TaskRunPayload is the provenance of one covered TaskRun, built when
// artifacts.taskrun.signer is not "none". The identity fields are what the
// tekton storage needs (annotations chains.tekton.dev/payload-taskrun-<UID>…).
type TaskRunPayload struct {
	Payload
	Namespace    string
	Name         string
	UID          string
	PipelineTask string
}

// SkippedTaskRun is a covered TaskRun that got no statement, with the reason.
type SkippedTaskRun struct {
	Namespace    string `json:"namespace"`
	Name         string `json:"name"`
	UID          string `json:"uid"`
	PipelineTask string `json:"pipelineTask"`
	Reason       string `json:"reason"`
}

// Reasons a covered TaskRun gets no in-toto statement. The tekton format
// has no subjects and is built for every covered TaskRun.
const (
	SkipNoSubjects = "no subjects: an in-toto statement needs at least one (the tekton format does not)"
	SkipFailed     = "the TaskRun failed: its outputs are never subjects (the tekton format still records it)"
)

// taskRunInput is what the TaskRun formats read: one TaskRun and what it
// alone built and used.
type taskRunInput struct {
	// pr is the TaskRun's PipelineRun: the pipeline spec Tekton recorded
	// says how the TaskRun was asked to run (hermeticity).
	pr      *v1.PipelineRun
	tr      tekton.TaskRun
	set     *artifacts.Set
	cfg     config.Config
	version string
}

// taskRunSets extracts every covered TaskRun's own artifacts.
func taskRunSets(snap *tekton.Snapshot, cfg config.Config) []*artifacts.Set {
	out := make([]*artifacts.Set, len(snap.TaskRuns))
	for i, tr := range snap.TaskRuns {
		out[i] = artifacts.ExtractTaskRun(tr, artifacts.Options{SkipFailed: true, NoStepResults: readsNoStepResults(cfg.TaskRun.Format)})
		restrict(out[i], cfg)
	}
	return out
}

// mergeProblems adds the problems of the TaskRun sets that the PipelineRun
// set did not already report (deep inspection off reads no TaskRun).
func mergeProblems(have []artifacts.Problem, sets []*artifacts.Set) []artifacts.Problem {
	seen := make(map[string]bool, len(have))
	for _, p := range have {
		seen[p.String()] = true
	}
	for _, s := range sets {
		for _, p := range s.Problems {
			if !seen[p.String()] {
				seen[p.String()] = true
				have = append(have, p)
			}
		}
	}
	return have
}

// taskRunStatements builds one payload per covered TaskRun, in the format of
// artifacts.taskrun.format, in the snapshot's TaskRun order.
func taskRunStatements(snap *tekton.Snapshot, sets []*artifacts.Set, cfg config.Config, version string) ([]TaskRunPayload, []SkippedTaskRun, error) {
	f, err := taskRunFormat(cfg.TaskRun.Format)
	if err != nil {
		return nil, nil, err
	}
	var out []TaskRunPayload
	var skipped []SkippedTaskRun
	for i, tr := range snap.TaskRuns {
		in := taskRunInput{pr: snap.PipelineRun, tr: tr, set: sets[i], cfg: cfg, version: version}
		if f.statement() && len(in.set.Subjects) == 0 {
			reason := SkipNoSubjects
			if tr.Failed {
				reason = SkipFailed
			}
			skipped = append(skipped, SkippedTaskRun{Namespace: tr.Namespace, Name: tr.Name, UID: string(tr.UID), PipelineTask: tr.PipelineTask, Reason: reason})
			continue
		}
		body, err := f.taskRun(in)
		if err != nil {
			return nil, nil, fmt.Errorf("building %s provenance of TaskRun %s/%s: %w", f.name, tr.Namespace, tr.Name, err)
		}
		p := Payload{Format: f.name, PayloadType: f.payloadType, Body: body, Subjects: in.set.Subjects}
		out = append(out, TaskRunPayload{Payload: p, Namespace: tr.Namespace, Name: tr.Name, UID: string(tr.UID), PipelineTask: tr.PipelineTask})
	}
	return out, skipped, nil
}
