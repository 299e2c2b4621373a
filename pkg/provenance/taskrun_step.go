package provenance

import (
	"github.com/chainseal/chainseal/pkg/artifacts"
	"github.com/chainseal/chainseal/pkg/config"
	"github.com/chainseal/chainseal/pkg/tekton"
)

// BuildTaskRun builds the payloads of a standalone TaskRun sealed from its
// last step (the step form, tekton.OwnTaskRun): one statement in the format
// of artifacts.taskrun.format, and, with artifacts.oci on, one
// simplesigning payload per image it names. The policy is the PipelineRun's:
// a failed earlier step fails closed unless failed tasks are allowed, strict
// digests turn problems into an error, and ErrNoArtifacts (with the Result)
// when an in-toto format has no subject and no image is named.
func BuildTaskRun(tr tekton.TaskRun, cfg config.Config, opts ...Option) (*Result, error) {
	var o options
	for _, f := range opts {
		f(&o)
	}
	if tr.Failed && !cfg.AllowFailedTasks {
		return nil, &FailedTasksError{TaskRuns: []string{tr.Name + " (a step before chainseal failed)"}}
	}
	set := artifacts.ExtractTaskRun(tr, artifacts.Options{SkipFailed: true})
	res := &Result{ImageSubjects: set.Images(), Problems: set.Problems}
	if cfg.StrictDigests && len(res.Problems) > 0 {
		return res, &ProblemsError{Problems: res.Problems}
	}
	if cfg.TaskRun.Enabled() {
		snap := &tekton.Snapshot{TaskRuns: []tekton.TaskRun{tr}}
		trs, skipped, err := taskRunStatements(snap, []*artifacts.Set{set}, cfg, o.version)
		if err != nil {
			return nil, err
		}
		res.TaskRunStatements, res.SkippedTaskRuns = trs, skipped
	}
	if cfg.OCI.Enabled() {
		sigs, err := simpleSigning(set.Images())
		if err != nil {
			return nil, err
		}
		res.Signatures = sigs
	}
	if len(res.TaskRunStatements) == 0 && len(res.Signatures) == 0 {
		return res, ErrNoArtifacts
	}
	return res, nil
}
