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
	// pipelineNames are the names the run gives its Pipeline: pipelineRef
	// name, the resolver's "name" param, the tekton.dev/pipeline label.
	pipelineNames []string
	// pipelineSource is where the Pipeline definition came from
	// (refSource, buildConfigSource, configSource).
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
	PipelineRef  *pipelineRef    `json:"pipelineRef"`
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

type pipelineRef struct {
	Name   string `json:"name"`
	Params []struct {
		Name  string `json:"name"`
		Value any    `json:"value"`
	} `json:"params"`
}

func (r *pipelineRef) names() []string {
	if r == nil {
		return nil
	}
	var out []string
	if r.Name != "" {
		out = append(out, r.Name)
	}
	for _, p := range r.Params {
		if s, ok := p.Value.(string); ok && p.Name == "name" && s != "" {
			out = append(out, s)
		}
	}
	return out
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
				Chainseal *coverage         `json:"chainseal"`
				Labels    map[string]string `json:"labels"`
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
		known:         true,
		builderID:     p.RunDetails.Builder.ID,
		started:       p.RunDetails.Metadata.StartedOn,
		finished:      p.RunDetails.Metadata.FinishedOn,
		pipelineNames: bd.ExternalParameters.RunSpec.PipelineRef.names(),
		dependencies:  bd.ResolvedDependencies,
		run:           run,
		coverage:      pipelineRunCoverage(run, bd.InternalParameters.Chainseal),
	}
	if l := bd.InternalParameters.Labels["tekton.dev/pipeline"]; l != "" {
		out.pipelineNames = append(out.pipelineNames, l)
	}
	for _, d := range bd.ResolvedDependencies {
		if d.Name == "pipeline" {
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
				URI        string            `json:"uri"`
				Digest     map[string]string `json:"digest"`
				EntryPoint string            `json:"entryPoint"`
			} `json:"configSource"`
			Environment struct {
				Chainseal *coverage         `json:"chainseal"`
				Labels    map[string]string `json:"labels"`
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
	if l := inv.Environment.Labels["tekton.dev/pipeline"]; l != "" {
		out.pipelineNames = append(out.pipelineNames, l)
	}
	if cs := inv.ConfigSource; cs.URI != "" {
		out.pipelineSource = append(out.pipelineSource, dependency{URI: cs.URI, Digest: cs.Digest})
		if cs.EntryPoint != "" {
			out.pipelineNames = append(out.pipelineNames, cs.EntryPoint)
		}
	}
	return out, nil
}
