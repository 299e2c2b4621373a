package verify

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Predicate types chainseal writes (docs/provenance.md).
const (
	predicateSLSA1  = "https://slsa.dev/provenance/v1"
	predicateSLSA02 = "https://slsa.dev/provenance/v0.2"
)

// statement is the verified in-toto statement, with the provenance fields
// the policy checks read, whichever SLSA version wrote them.
type statement struct {
	Type          string    `json:"_type"`
	PredicateType string    `json:"predicateType"`
	Subject       []subject `json:"subject"`
	Predicate     json.RawMessage

	raw  []byte
	prov provenance
}

type subject struct {
	Name   string            `json:"name"`
	Digest map[string]string `json:"digest"`
}

// provenance is the SLSA v1.0 or v0.2 predicate, reduced to what the
// checks need.
type provenance struct {
	known     bool // a SLSA predicate chainseal knows
	builderID string
	started   *time.Time
	finished  *time.Time
	// pipelineSource is where Tekton resolved the Pipeline definition from
	// (its refSource: the "pipeline" dependency, buildConfigSource, v0.2
	// configSource).
	pipelineSource []dependency
	dependencies   []dependency
	// run is the kind of run the statement is about: runPipelineRun,
	// runTaskRun, or "" when the statement does not say.
	run string
	// coverage is chainseal's record of what a PipelineRun statement
	// covers; nil for any other statement (a TaskRun's statement has a
	// chainseal record too, about that TaskRun alone).
	coverage *coverage
}

// Kinds of run a statement is about.
const (
	runPipelineRun = "PipelineRun"
	runTaskRun     = "TaskRun"
)

// aboutThePipeline says why a check about the pipeline cannot be judged on
// this statement; "" when it can (a PipelineRun statement with chainseal's
// coverage record).
func (p provenance) aboutThePipeline() string {
	switch {
	case p.run == runTaskRun:
		return "this is a TaskRun's statement (the provenance of one task); a policy about the pipeline is judged on the PipelineRun's statement only"
	case p.run != runPipelineRun:
		return "the statement does not say it is about a PipelineRun (no pipelineRef or pipelineSpec in its runSpec); a policy about the pipeline is judged on the PipelineRun's statement only"
	case p.coverage == nil:
		return "the statement has no chainseal coverage record (internalParameters.chainseal, v0.2 invocation.environment.chainseal), so what the run covered is unknown"
	}
	return ""
}

// pipelineRunCoverage keeps a chainseal record only when it is a
// PipelineRun's coverage record: it names the PipelineRun and lists the
// TaskRuns (possibly none).
func pipelineRunCoverage(run string, c *coverage) *coverage {
	if run != runPipelineRun || c == nil || c.PipelineRun == "" || c.TaskRuns == nil {
		return nil
	}
	return c
}

type dependency struct {
	Name   string            `json:"name"`
	URI    string            `json:"uri"`
	Digest map[string]string `json:"digest"`

	// trusted: Tekton's controller (or the kubelet) recorded it, not a
	// task's own code.
	trusted bool
}

// Names chainseal (and Chains) give resolved dependencies Tekton recorded:
// the Pipeline's and the tasks' refSource; step and sidecar images have no
// name. Type-hinted inputs are named "inputs/result".
const (
	depPipeline     = "pipeline"
	depPipelineTask = "pipelineTask"
	depTask         = "task"
	depImage        = ""
	depConfigSource = "configSource" // v0.2 invocation.configSource
)

// markTrusted marks the SLSA v1 resolved dependencies that Tekton
// recorded. Any other name, known or not, is a task's claim.
func markTrusted(ds []dependency) []dependency {
	for i := range ds {
		switch ds[i].Name {
		case depPipeline, depPipelineTask, depTask, depImage:
			ds[i].trusted = true
		}
	}
	return ds
}

// origin says who recorded the dependency, for the report.
func (d dependency) origin() string {
	switch {
	case d.Name == depPipeline || d.Name == depConfigSource:
		return "the Pipeline's source, as Tekton resolved it"
	case d.Name == depPipelineTask || d.Name == depTask:
		return "a task's source, as Tekton resolved it"
	case d.trusted:
		return "a step or sidecar image, as the kubelet pulled it"
	case d.Name == "":
		return "an SLSA v0.2 material, which does not say who wrote it (it may be written by a task)"
	}
	return fmt.Sprintf("a type-hinted result (%s), written by a task's own code", d.Name)
}

// coverage is chainseal's record of what the statement covers
// (internalParameters.chainseal, invocation.environment.chainseal).
type coverage struct {
	Namespace   string `json:"namespace"`
	PipelineRun string `json:"pipelineRun"`
	TaskRuns    []struct {
		Name         string `json:"name"`
		PipelineTask string `json:"pipelineTask"`
		Finally      bool   `json:"finally"`
		Succeeded    bool   `json:"succeeded"`
		Hermetic     bool   `json:"hermetic"`
		NotEnforced  string `json:"hermeticNotEnforced"`
	} `json:"taskRuns"`
	Excluded []struct {
		Name         string `json:"name"`
		PipelineTask string `json:"pipelineTask"`
		Reason       string `json:"reason"`
	} `json:"excluded"`
	CustomRuns []struct {
		Name         string `json:"name"`
		PipelineTask string `json:"pipelineTask"`
		Kind         string `json:"kind"`
	} `json:"customRuns"`
	// Subjects record which tasks named each subject (checkProducer).
	Subjects []producerRecord `json:"subjects"`
}

// Reasons chainseal records for an excluded TaskRun that is not one of the
// run's tasks (pkg/tekton's ReasonOwn and ReasonUnlisted). Every other
// reason, known or not, means a task of the run that was not shown to
// succeed.
const (
	reasonOwn      = "the chainseal TaskRun itself"
	reasonUnlisted = "not listed in the PipelineRun's status.childReferences"
)

// unshown is a child of the run (or a pipeline task) the statement does
// not show to have succeeded, nor how it ran.
type unshown struct{ name, pipelineTask, why string }

func (u unshown) String() string {
	if u.name == "" {
		return fmt.Sprintf("pipeline task %s (%s)", u.pipelineTask, u.why)
	}
	return fmt.Sprintf("%s (pipeline task %s: %s)", u.name, u.pipelineTask, u.why)
}

// notCovered lists the run's children the record lists but does not cover:
// excluded TaskRuns of the run (missing, another run's, unfinished, never
// run, or a reason this verifier does not know) and CustomRuns, whose
// outcome is not recorded.
func (c *coverage) notCovered() []unshown {
	var out []unshown
	for _, ex := range c.Excluded {
		if ex.Reason == reasonOwn || ex.Reason == reasonUnlisted {
			continue
		}
		out = append(out, unshown{name: ex.Name, pipelineTask: ex.PipelineTask, why: ex.Reason})
	}
	for _, cr := range c.CustomRuns {
		out = append(out, unshown{name: cr.Name, pipelineTask: cr.PipelineTask, why: "a CustomRun, whose outcome the statement does not record"})
	}
	return out
}

// runSpec is the part of externalParameters.runSpec that tells a
// PipelineRun's statement from a TaskRun's.
type runSpec struct {
	PipelineRef  json.RawMessage `json:"pipelineRef"`
	PipelineSpec json.RawMessage `json:"pipelineSpec"`
	TaskRef      json.RawMessage `json:"taskRef"`
	TaskSpec     json.RawMessage `json:"taskSpec"`
}

func (r runSpec) run() string {
	switch {
	case r.TaskRef != nil || r.TaskSpec != nil:
		return runTaskRun
	case r.PipelineRef != nil || r.PipelineSpec != nil:
		return runPipelineRun
	}
	return ""
}

func parseStatement(payload []byte) (*statement, error) {
	var st struct {
		Type          string          `json:"_type"`
		PredicateType string          `json:"predicateType"`
		Subject       []subject       `json:"subject"`
		Predicate     json.RawMessage `json:"predicate"`
	}
	if err := json.Unmarshal(payload, &st); err != nil {
		return nil, fmt.Errorf("the signed payload is not an in-toto statement: %w", err)
	}
	if st.Type == "" || st.PredicateType == "" {
		return nil, errors.New("the signed payload is not an in-toto statement (no _type or predicateType)")
	}
	s := &statement{Type: st.Type, PredicateType: st.PredicateType, Subject: st.Subject, Predicate: st.Predicate, raw: payload}
	var err error
	switch st.PredicateType {
	case predicateSLSA1:
		s.prov, err = slsa1(st.Predicate)
	case predicateSLSA02:
		s.prov, err = slsa02(st.Predicate)
	}
	if err != nil {
		return nil, fmt.Errorf("reading the %s predicate: %w", st.PredicateType, err)
	}
	return s, nil
}

func slsa1(raw json.RawMessage) (provenance, error) {
	var p struct {
		BuildDefinition struct {
			ExternalParameters struct {
				RunSpec           runSpec `json:"runSpec"`
				BuildConfigSource *struct {
					Repository string `json:"repository"`
					Ref        string `json:"ref"`
					Path       string `json:"path"`
				} `json:"buildConfigSource"`
			} `json:"externalParameters"`
			InternalParameters struct {
				Chainseal *coverage `json:"chainseal"`
			} `json:"internalParameters"`
			ResolvedDependencies []dependency `json:"resolvedDependencies"`
		} `json:"buildDefinition"`
		RunDetails struct {
			Builder struct {
				ID string `json:"id"`
			} `json:"builder"`
			Metadata struct {
				StartedOn  *time.Time `json:"startedOn"`
				FinishedOn *time.Time `json:"finishedOn"`
			} `json:"metadata"`
		} `json:"runDetails"`
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		return provenance{}, err
	}
	bd := p.BuildDefinition
	run := bd.ExternalParameters.RunSpec.run()
	out := provenance{
		known:        true,
		builderID:    p.RunDetails.Builder.ID,
		started:      p.RunDetails.Metadata.StartedOn,
		finished:     p.RunDetails.Metadata.FinishedOn,
		dependencies: markTrusted(bd.ResolvedDependencies),
		run:          run,
		coverage:     pipelineRunCoverage(run, bd.InternalParameters.Chainseal),
	}
	for _, d := range out.dependencies {
		if d.Name == depPipeline {
			out.pipelineSource = append(out.pipelineSource, d)
		}
	}
	if s := bd.ExternalParameters.BuildConfigSource; s != nil {
		if alg, hex, ok := cutDigest(s.Ref); ok {
			out.pipelineSource = append(out.pipelineSource, dependency{URI: s.Repository, Digest: map[string]string{alg: hex}})
		}
	}
	return out, nil
}

func slsa02(raw json.RawMessage) (provenance, error) {
	var p struct {
		Builder struct {
			ID string `json:"id"`
		} `json:"builder"`
		BuildType  string `json:"buildType"`
		Invocation struct {
			ConfigSource struct {
				URI    string            `json:"uri"`
				Digest map[string]string `json:"digest"`
			} `json:"configSource"`
			Environment struct {
				Chainseal *coverage `json:"chainseal"`
			} `json:"environment"`
		} `json:"invocation"`
		Metadata struct {
			BuildStartedOn  *time.Time `json:"buildStartedOn"`
			BuildFinishedOn *time.Time `json:"buildFinishedOn"`
		} `json:"metadata"`
		Materials []dependency `json:"materials"`
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		return provenance{}, err
	}
	inv := p.Invocation
	var run string
	switch p.BuildType {
	case "tekton.dev/v1/PipelineRun", "tekton.dev/v1beta1/PipelineRun":
		run = runPipelineRun
	case "tekton.dev/v1/TaskRun", "tekton.dev/v1beta1/TaskRun":
		run = runTaskRun
	}
	out := provenance{
		known:        true,
		builderID:    p.Builder.ID,
		started:      p.Metadata.BuildStartedOn,
		finished:     p.Metadata.BuildFinishedOn,
		dependencies: p.Materials,
		run:          run,
		coverage:     pipelineRunCoverage(run, inv.Environment.Chainseal),
	}
	// Materials carry no names: whether Tekton or a task's result wrote
	// one cannot be told, so none is trusted. configSource is the
	// Pipeline's refSource.
	if cs := inv.ConfigSource; cs.URI != "" {
		src := dependency{Name: depConfigSource, URI: cs.URI, Digest: cs.Digest, trusted: true}
		out.pipelineSource = append(out.pipelineSource, src)
		out.dependencies = append(out.dependencies, src)
	}
	return out, nil
}
