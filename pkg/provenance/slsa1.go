package provenance

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	"github.com/chainseal/chainseal/pkg/artifacts"
	"github.com/chainseal/chainseal/pkg/config"
	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
)

// What the SLSA v1.0 statements (slsa/v2alpha3, slsa/v2alpha4) of a
// PipelineRun and of a TaskRun share.

const (
	statementV1     = "https://in-toto.io/Statement/v1"
	predicateSLSA1  = "https://slsa.dev/provenance/v1"
	depPipeline     = "pipeline"
	depTask         = "task"
	depPipelineTask = "pipelineTask"
	depInput        = "inputs/result"
)

type statement1 struct {
	Type          string       `json:"_type"`
	Subject       []descriptor `json:"subject"`
	PredicateType string       `json:"predicateType"`
	Predicate     any          `json:"predicate"`
}

type slsa1Predicate struct {
	BuildDefinition buildDefinition `json:"buildDefinition"`
	RunDetails      runDetails      `json:"runDetails"`
}

type buildDefinition struct {
	BuildType            string         `json:"buildType"`
	ExternalParameters   map[string]any `json:"externalParameters"`
	InternalParameters   map[string]any `json:"internalParameters,omitempty"`
	ResolvedDependencies []descriptor   `json:"resolvedDependencies,omitempty"`
}

type runDetails struct {
	Builder    builder      `json:"builder"`
	Metadata   metadata     `json:"metadata"`
	Byproducts []descriptor `json:"byproducts,omitempty"`
}

// metadata uses protojson's field names (invocationId), as Chains writes them.
type metadata struct {
	InvocationID string `json:"invocationId,omitempty"`
	StartedOn    string `json:"startedOn,omitempty"`
	FinishedOn   string `json:"finishedOn,omitempty"`
}

// slsa1Statement is the statement's JSON, checked with in-toto's validators.
func slsa1Statement(ss []artifacts.Subject, def buildDefinition, run runDetails) ([]byte, error) {
	pred := slsa1Predicate{BuildDefinition: def, RunDetails: run}
	return validJSON(statement1{Type: statementV1, Subject: subjects(ss, true), PredicateType: predicateSLSA1, Predicate: pred}, validateSLSA1)
}

// buildTypeOf is builddefinition.buildtype: Chains' slsa buildType unless
// the config asks for slsa-tekton.
func buildTypeOf(cfg config.Config) (string, error) {
	bt := cfg.BuildType
	if bt == "" {
		bt = config.BuildTypeSLSA
	}
	if bt != config.BuildTypeSLSA && bt != config.BuildTypeSLSATekton {
		return "", fmt.Errorf("buildType %q (%s) is not supported", bt, config.KeyBuildType)
	}
	return bt, nil
}

// externalParameters is the run's spec and, when the pipeline or task was
// resolved remotely, where it came from (Chains names no cluster source).
func externalParameters(runSpec any, ref *v1.ResolverRef, p *v1.Provenance) map[string]any {
	ext := map[string]any{"runSpec": runSpec}
	if ref != nil && ref.Resolver != "" && ref.Resolver != "Cluster" && p != nil && p.RefSource != nil {
		ext["buildConfigSource"] = buildConfigSource(p.RefSource)
	}
	return ext
}

// buildConfigSource is where a remote pipeline came from. Chains takes any
// one digest of the map; this takes the first algorithm in sorted order.
func buildConfigSource(r *v1.RefSource) map[string]string {
	ref := ""
	if algs := slices.Sorted(maps.Keys(r.Digest)); len(algs) > 0 {
		ref = algs[0] + ":" + r.Digest[algs[0]]
	}
	return map[string]string{"ref": ref, "repository": r.URI, "path": r.EntryPoint}
}

// internalParameters are the feature flags Tekton ran with and, for the
// slsa-tekton buildType, the run's labels and annotations. The caller adds
// chainseal's own record.
func internalParameters(p *v1.Provenance, buildType string, labels, annotations map[string]string) map[string]any {
	internal := map[string]any{}
	if p != nil && p.FeatureFlags != nil {
		internal["tekton-pipelines-feature-flags"] = p.FeatureFlags
	}
	if buildType == config.BuildTypeSLSATekton {
		internal["labels"] = labels
		internal["annotations"] = annotations
	}
	return internal
}

// slsa1Variant is what tells Chains' two SLSA v1.0 formats apart.
type slsa1Variant struct {
	// stepActions is slsa/v2alpha4 (Chains v0.29): StepAction (step)
	// results are read, the remote StepActions each step ran are resolved
	// dependencies ("stepAction/<step>"), and byproducts are the results
	// that are not subjects, named "<kind>Results/<run>/<result>", with
	// every TaskRun's under deep inspection. Without it, slsa/v2alpha3: no
	// step results, no StepAction dependencies, and every result of the
	// statement's own run as "<kind>Results/<result>".
	stepActions bool
}

var (
	v2alpha4 = slsa1Variant{stepActions: true}
	v2alpha3 = slsa1Variant{}
)

// depStepAction prefixes the resolved dependency of a remote StepAction
// (Chains v0.29's StepActionConfigName).
const depStepAction = "stepAction/"

// stepActions are the remote StepActions tr's steps ran (a step whose
// status records where Tekton resolved it from), as Chains v0.29 records
// them: "stepAction/<step>" with the reference's URI and digest.
func stepActions(tr *v1.TaskRun) []descriptor {
	var out []descriptor
	for _, st := range tr.Status.Steps {
		if st.Provenance == nil || st.Provenance.RefSource == nil {
			continue
		}
		out = append(out, descriptor{Name: depStepAction + st.Name, URI: st.Provenance.RefSource.URI, Digest: st.Provenance.RefSource.Digest})
	}
	return out
}

// allResults are every result of a run as byproducts, as Chains'
// slsa/v2alpha3 writes them: name format (one %s, the result's name), its
// value as JSON.
func allResults[R v1.PipelineRunResult | v1.TaskRunResult](format, owner string, rs []R) ([]descriptor, error) {
	out := make([]descriptor, 0, len(rs))
	for _, r := range rs {
		name, value := resultOf(r)
		content, err := json.Marshal(value)
		if err != nil {
			return nil, fmt.Errorf("encoding result %s of %s: %w", name, owner, err)
		}
		out = append(out, descriptor{Name: fmt.Sprintf(format, name), Content: content, MediaType: "application/json"})
	}
	return out, nil
}

func resultOf[R v1.PipelineRunResult | v1.TaskRunResult](r R) (string, v1.ParamValue) {
	switch r := any(r).(type) {
	case v1.PipelineRunResult:
		return r.Name, r.Value
	case v1.TaskRunResult:
		return r.Name, r.Value
	}
	return "", v1.ParamValue{}
}

// taskRunResultByproducts are the TaskRun's results and step results that
// are not subjects (Chains' rule), as byproducts.
func taskRunResultByproducts(tr *v1.TaskRun) ([]descriptor, error) {
	var out []descriptor
	add := func(format, name string, v v1.ParamValue) error {
		d, ok, err := resultByproduct(format, tr.Name, name, v)
		if ok {
			out = append(out, d)
		}
		return err
	}
	for _, r := range tr.Status.Results {
		if err := add("taskRunResults/%s/%s", r.Name, r.Value); err != nil {
			return nil, err
		}
	}
	for _, st := range tr.Status.Steps {
		for _, r := range st.Results {
			if err := add("stepResults/%s/%s", r.Name, r.Value); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// resultByproduct is one result as a byproduct (name, JSON content), or
// false when Chains' rule makes it a subject instead.
func resultByproduct(format, owner, name string, v v1.ParamValue) (descriptor, bool, error) {
	if !artifacts.IsByproduct(name, v) {
		return descriptor{}, false, nil
	}
	content, err := json.Marshal(v)
	if err != nil {
		return descriptor{}, false, fmt.Errorf("encoding result %s of %s: %w", name, owner, err)
	}
	return descriptor{Name: fmt.Sprintf(format, owner, name), Content: content, MediaType: "application/json"}, true, nil
}
