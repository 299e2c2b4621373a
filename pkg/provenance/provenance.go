// Package provenance turns a snapshot and its artifacts into the unsigned
// payloads chainseal signs: an SLSA v1.0 (or v0.2) in-toto statement for the
// PipelineRun, and cosign's simplesigning payload for each image. Build is a
// pure function: the same snapshot and config give the same bytes.
package provenance

import (
	"errors"
	"fmt"
	"strings"

	"github.com/chainseal/chainseal/pkg/artifacts"
	"github.com/chainseal/chainseal/pkg/config"
	"github.com/chainseal/chainseal/pkg/tekton"
)

// Payload types.
const (
	PayloadTypeInToto        = "application/vnd.in-toto+json"
	PayloadTypeSimpleSigning = "application/vnd.dev.cosign.simplesigning.v1+json"
)

// Payload is one unsigned document to sign.
type Payload struct {
	// Format is the config format name that made it: slsa/v2alpha4,
	// slsa/v2alpha3, in-toto, slsa/v1 or simplesigning.
	Format      string
	PayloadType string
	Body        []byte
	// Subjects are what the payload is about (one image for simplesigning).
	Subjects []artifacts.Subject
}

// Result is everything Build made.
type Result struct {
	// Statements holds the PipelineRun's provenance statement.
	Statements []Payload
	// Signatures holds one simplesigning payload per sha256 image subject
	// (when artifacts.oci is enabled).
	Signatures []Payload
	// ImageSubjects are the image subjects, for OCI storage.
	ImageSubjects []artifacts.Subject
	// Problems are type-hinted values that were not signed.
	Problems []artifacts.Problem
	// TaskRunStatements holds one payload per covered TaskRun in the format
	// of artifacts.taskrun.format, when artifacts.taskrun.signer is not
	// "none". They are filled even when Build returns ErrNoArtifacts (that
	// error is about the PipelineRun statement): sign and store them.
	TaskRunStatements []TaskRunPayload
	// SkippedTaskRuns are covered TaskRuns that got no in-toto statement.
	SkippedTaskRuns []SkippedTaskRun
}

// Sentinel errors; errors.Is works on what Build returns.
var (
	// ErrNoArtifacts: nothing to sign. Build still returns its Result (with
	// Problems) so the caller can say why.
	ErrNoArtifacts = errors.New("no artifacts to sign")
	// ErrFailedTasks: a non-finally task failed, or cannot be shown to
	// have succeeded (tekton.Snapshot.NotSucceeded), and failed tasks are
	// not allowed.
	ErrFailedTasks = errors.New("a pipeline task failed or cannot be shown to have succeeded")
	// ErrInvalidArtifacts: problems found with strict digests on.
	ErrInvalidArtifacts = errors.New("invalid type-hinted artifacts")
)

// FailedTasksError names the tasks that did not succeed, each with why,
// and the key that allows signing anyway.
type FailedTasksError struct{ TaskRuns []string }

func (e *FailedTasksError) Error() string {
	return fmt.Sprintf("%v: %s; nothing is signed (set %s: \"true\" to sign the artifacts of the tasks that succeeded)",
		ErrFailedTasks, strings.Join(e.TaskRuns, ", "), config.KeyAllowFailedTasks)
}

func (e *FailedTasksError) Unwrap() error { return ErrFailedTasks }

// ProblemsError lists the problems that strict digests turned into an error.
type ProblemsError struct{ Problems []artifacts.Problem }

func (e *ProblemsError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%v (%s is on; nothing is signed):", ErrInvalidArtifacts, config.KeyStrictDigests)
	for _, p := range e.Problems {
		b.WriteString("\n  ")
		b.WriteString(p.String())
	}
	return b.String()
}

func (e *ProblemsError) Unwrap() error { return ErrInvalidArtifacts }

// Option changes Build.
type Option func(*options)

type options struct{ version string }

// WithVersion records chainseal's version in runDetails.builder.version.
func WithVersion(v string) Option { return func(o *options) { o.version = v } }

// Build checks the snapshot against the config and builds the payloads.
func Build(snap *tekton.Snapshot, cfg config.Config, opts ...Option) (*Result, error) {
	var o options
	for _, f := range opts {
		f(&o)
	}
	if !cfg.AllowFailedTasks {
		// Fail closed: a task that cannot be shown to have succeeded
		// (failed, deleted, another run's, unfinished, a CustomRun, never
		// run) counts as failed. Finally tasks never block.
		var failed []string
		for _, n := range snap.NotSucceeded() {
			if !n.Finally {
				failed = append(failed, n.String())
			}
		}
		if len(failed) > 0 {
			return nil, &FailedTasksError{TaskRuns: failed}
		}
	}
	set := artifacts.Extract(snap, artifacts.Options{DeepInspection: cfg.DeepInspection, SkipFailed: true,
		NoStepResults: readsNoStepResults(cfg.PipelineRun.Format)})
	restrict(set, cfg)
	res := &Result{ImageSubjects: set.Images(), Problems: set.Problems}
	var trSets []*artifacts.Set
	if cfg.TaskRun.Enabled() {
		trSets = taskRunSets(snap, cfg)
		res.Problems = mergeProblems(res.Problems, trSets)
	}
	if cfg.StrictDigests && len(res.Problems) > 0 {
		return res, &ProblemsError{Problems: res.Problems}
	}
	if cfg.TaskRun.Enabled() {
		trs, skipped, err := taskRunStatements(snap, trSets, cfg, o.version)
		if err != nil {
			return nil, err
		}
		res.TaskRunStatements, res.SkippedTaskRuns = trs, skipped
	}
	if cfg.OCI.Enabled() {
		imgs := set.Images()
		if !cfg.DeepInspection {
			// Chains signs the images each TaskRun names, whatever the
			// PipelineRun's deep inspection; without it the PipelineRun's
			// set holds only the pipeline's results.
			sets := trSets
			if sets == nil {
				sets = taskRunSets(snap, cfg)
			}
			imgs = withTaskRunImages(imgs, sets)
		}
		sigs, err := simpleSigning(imgs)
		if err != nil {
			return nil, err
		}
		res.Signatures = sigs
	}
	if len(set.Subjects) == 0 {
		return res, ErrNoArtifacts
	}
	in := pipelineRunInput{snap: snap, set: set, cfg: cfg, version: o.version}
	st, err := pipelineRunStatement(in)
	if err != nil {
		return nil, err
	}
	res.Statements = append(res.Statements, st)
	return res, nil
}

// withTaskRunImages adds to imgs the image subjects of the TaskRun sets
// that imgs lacks (same name and digests), in the sets' order.
func withTaskRunImages(imgs []artifacts.Subject, sets []*artifacts.Set) []artifacts.Subject {
	key := func(s artifacts.Subject) string { return s.Name + "@" + s.DigestString() }
	seen := map[string]bool{}
	for _, s := range imgs {
		seen[key(s)] = true
	}
	for _, set := range sets {
		for _, s := range set.Images() {
			if !seen[key(s)] {
				seen[key(s)] = true
				imgs = append(imgs, s)
			}
		}
	}
	return imgs
}

// pipelineRunInput is what the PipelineRun formats read.
type pipelineRunInput struct {
	snap    *tekton.Snapshot
	set     *artifacts.Set
	cfg     config.Config
	version string
}

// pipelineRunStatement builds the PipelineRun's statement in the format of
// artifacts.pipelinerun.format.
func pipelineRunStatement(in pipelineRunInput) (Payload, error) {
	f, err := pipelineRunFormat(in.cfg.PipelineRun.Format)
	if err != nil {
		return Payload{}, err
	}
	body, err := f.pipelineRun(in)
	if err != nil {
		return Payload{}, fmt.Errorf("building %s provenance of PipelineRun %s/%s: %w", f.name, in.snap.PipelineRun.Namespace, in.snap.PipelineRun.Name, err)
	}
	return Payload{Format: f.name, PayloadType: f.payloadType, Body: body, Subjects: in.set.Subjects}, nil
}
