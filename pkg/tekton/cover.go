package tekton

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/tektoncd/pipeline/pkg/apis/pipeline"
	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
)

// Cover decides which of the candidate TaskRuns the provenance covers. A
// candidate is covered when the PipelineRun lists it in
// status.childReferences, it belongs to this PipelineRun's UID (owner
// reference and tekton.dev/pipelineRunUID label, where present), it is not
// chainseal's own TaskRun, and it has finished. Every other child is
// recorded in Excluded, and so is every pipeline task of
// status.pipelineSpec that has neither a child nor a skip record
// (ReasonNotRun). Covered TaskRuns are in pipeline spec order (tasks, then
// finally), matrix fan-out in status.childReferences order. The TaskRuns
// are not copied; do not modify them.
func Cover(pr *v1.PipelineRun, candidates []*v1.TaskRun, opts ...Option) (*Snapshot, error) {
	if pr == nil {
		return nil, fmt.Errorf("building a snapshot: no PipelineRun")
	}
	o := collect(opts)
	if o.uid != "" && pr.UID != o.uid {
		return nil, &UIDMismatchError{Namespace: pr.Namespace, Name: pr.Name, Want: string(o.uid), Got: string(pr.UID)}
	}
	s := &Snapshot{PipelineRun: pr, Skipped: pr.Status.SkippedTasks}

	finally := map[string]bool{}
	order := map[string]int{} // pipeline task → position in the spec
	if spec := pr.Status.PipelineSpec; spec != nil {
		for i, t := range spec.Tasks {
			order[t.Name] = i + 1
		}
		for i, t := range spec.Finally {
			finally[t.Name] = true
			order[t.Name] = len(spec.Tasks) + i + 1
		}
	}
	byName := make(map[string]*v1.TaskRun, len(candidates))
	foreign := map[string]*v1.TaskRun{}
	for _, tr := range candidates {
		if tr == nil || tr.Namespace != pr.Namespace && tr.Namespace != "" {
			continue
		}
		if !belongsTo(tr, pr) {
			// A child of an earlier run with the same name.
			if tr.Labels[pipeline.PipelineRunLabelKey] == pr.Name {
				foreign[tr.Name] = tr
			}
			continue
		}
		byName[tr.Name] = tr
	}

	listed := map[string]bool{}
	ran := map[string]bool{} // pipeline tasks with a child or a skip record
	for _, sk := range pr.Status.SkippedTasks {
		ran[sk.Name] = true
	}
	for _, ref := range pr.Status.ChildReferences {
		ran[ref.PipelineTaskName] = true
		if ref.Kind != "" && ref.Kind != pipeline.TaskRunControllerName {
			s.CustomRuns = append(s.CustomRuns, ref)
			continue
		}
		if listed[ref.Name] {
			continue // listed twice: covered or excluded once
		}
		listed[ref.Name] = true
		ex := Excluded{Name: ref.Name, PipelineTask: ref.PipelineTaskName}
		tr, found := byName[ref.Name]
		switch {
		case ref.Name == o.ownTaskRun:
			ex.Reason = ReasonOwn
		case !found && foreign[ref.Name] != nil:
			ex.Reason = ReasonForeign
		case !found:
			ex.Reason = ReasonMissing
		case !tr.IsDone() || tr.Status.CompletionTime == nil:
			ex.Reason = ReasonRunning
		default:
			s.TaskRuns = append(s.TaskRuns, TaskRun{
				TaskRun:      tr,
				PipelineTask: ref.PipelineTaskName,
				Finally:      finally[ref.PipelineTaskName],
				Failed:       !tr.IsSuccessful(),
				Retries:      len(tr.Status.RetriesStatus),
			})
			continue
		}
		s.Excluded = append(s.Excluded, ex)
	}
	if spec := pr.Status.PipelineSpec; spec != nil {
		for _, t := range append(slices.Clip(spec.Tasks), spec.Finally...) {
			if !ran[t.Name] {
				s.Excluded = append(s.Excluded, Excluded{PipelineTask: t.Name, Reason: ReasonNotRun})
			}
		}
	}
	// Pipeline spec order, then childReferences order (matrix fan-out):
	// the order Tekton Chains walks TaskRuns in.
	slices.SortStableFunc(s.TaskRuns, func(a, b TaskRun) int {
		return cmp.Compare(position(order, a.PipelineTask), position(order, b.PipelineTask))
	})
	for _, tr := range candidates {
		if tr == nil || listed[tr.Name] {
			continue
		}
		ex := Excluded{Name: tr.Name, PipelineTask: tr.Labels[pipeline.PipelineTaskLabelKey]}
		switch {
		case byName[tr.Name] == tr:
			ex.Reason = ReasonUnlisted
		case foreign[tr.Name] == tr:
			ex.Reason = ReasonForeign
		default:
			continue
		}
		s.Excluded = append(s.Excluded, ex)
	}
	return s, nil
}

// position puts tasks missing from the spec last.
func position(order map[string]int, task string) int {
	if i, ok := order[task]; ok {
		return i
	}
	return len(order) + 1
}

// belongsTo reports whether tr is a child of this PipelineRun, not only of
// one with the same name. Files written by hand may lack owner references;
// what is present must match.
func belongsTo(tr *v1.TaskRun, pr *v1.PipelineRun) bool {
	if l, ok := tr.Labels[pipeline.PipelineRunLabelKey]; ok && l != pr.Name {
		return false
	}
	if pr.UID == "" {
		return true
	}
	if l, ok := tr.Labels[pipeline.PipelineRunUIDLabelKey]; ok && l != string(pr.UID) {
		return false
	}
	for _, ref := range tr.OwnerReferences {
		if ref.Kind == pipeline.PipelineRunControllerName {
			return ref.UID == pr.UID
		}
	}
	return true
}

// NotSucceeded is a child of the run (or a pipeline task that never ran)
// that cannot be shown to have succeeded.
type NotSucceeded struct {
	// Kind is TaskRun, CustomRun (the child's kind), or "" for a pipeline
	// task without a child; Name is the child's name.
	Kind, Name   string
	PipelineTask string
	// Finally is true for a task under the pipeline's spec.finally.
	Finally bool
	// Why it does not count as succeeded.
	Why string
}

func (n NotSucceeded) String() string {
	if n.Name == "" {
		return fmt.Sprintf("%s (%s)", n.PipelineTask, n.Why)
	}
	return fmt.Sprintf("%s (%s %s: %s)", n.PipelineTask, n.Kind, n.Name, n.Why)
}

// Why a covered TaskRun or a CustomRun does not count as succeeded.
const (
	WhyFailed    = "failed"
	WhyCustomRun = "chainseal does not read a CustomRun's status"
)

// NotSucceeded lists every child of the run that cannot be shown to have
// succeeded: covered TaskRuns whose last attempt failed; children listed in
// status.childReferences that are missing, belong to another run of the
// same name, or had not finished (except chainseal's own TaskRun);
// CustomRuns, whose status chainseal does not read; and pipeline tasks
// with neither a child nor a skip record. TaskRuns the PipelineRun does not
// list as its children are not its tasks and are not counted. Nothing here
// is known to have failed, except the first kind; nothing is known to have
// succeeded either, and a gate that requires success fails closed on all.
func (s *Snapshot) NotSucceeded() []NotSucceeded {
	finally := map[string]bool{}
	if spec := s.PipelineRun.Status.PipelineSpec; spec != nil {
		for _, t := range spec.Finally {
			finally[t.Name] = true
		}
	}
	var out []NotSucceeded
	for _, tr := range s.TaskRuns {
		if tr.Failed {
			out = append(out, NotSucceeded{Kind: pipeline.TaskRunControllerName, Name: tr.Name, PipelineTask: tr.PipelineTask, Finally: tr.Finally, Why: WhyFailed})
		}
	}
	for _, ex := range s.Excluded {
		n := NotSucceeded{Name: ex.Name, PipelineTask: ex.PipelineTask, Finally: finally[ex.PipelineTask], Why: string(ex.Reason)}
		switch ex.Reason {
		case ReasonOwn, ReasonUnlisted:
			continue
		case ReasonNotRun:
		default:
			n.Kind = pipeline.TaskRunControllerName
		}
		out = append(out, n)
	}
	for _, cr := range s.CustomRuns {
		kind := cr.Kind
		if kind == "" {
			kind = "CustomRun"
		}
		out = append(out, NotSucceeded{Kind: kind, Name: cr.Name, PipelineTask: cr.PipelineTaskName, Finally: finally[cr.PipelineTaskName], Why: WhyCustomRun})
	}
	return out
}
