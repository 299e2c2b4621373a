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

const (
	statementV1     = "https://in-toto.io/Statement/v1"
	predicateSLSA1  = "https://slsa.dev/provenance/v1"
	depPipeline     = "pipeline"
	depTask         = "task"
	depPipelineTask = "pipelineTask"
	depInput        = "inputs/result"
)

type statementJSON struct {
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

type builder struct {
	ID      string            `json:"id"`
	Version map[string]string `json:"version,omitempty"`
}

// metadata uses protojson's field names (invocationId), as Chains writes them.
type metadata struct {
	InvocationID string `json:"invocationId,omitempty"`
	StartedOn    string `json:"startedOn,omitempty"`
	FinishedOn   string `json:"finishedOn,omitempty"`
}

// pipelineRunSLSA1 builds the PipelineRun's SLSA v1.0 statement,
// field-compatible with Tekton Chains' slsa/v2alpha4 for PipelineRuns.
func pipelineRunSLSA1(in pipelineRunInput) ([]byte, error) {
	pr := in.snap.PipelineRun
	buildType := in.cfg.BuildType
	if buildType == "" {
		buildType = config.BuildTypeSLSA
	}
	if buildType != config.BuildTypeSLSA && buildType != config.BuildTypeSLSATekton {
		return nil, fmt.Errorf("buildType %q (%s) is not supported", buildType, config.KeyBuildType)
	}
	deps, err := resolvedDependencies(in, buildType == config.BuildTypeSLSATekton)
	if err != nil {
		return nil, err
	}
	byproducts, err := byproducts(in)
	if err != nil {
		return nil, err
	}
	ext := map[string]any{"runSpec": pr.Spec}
	if ref := pr.Spec.PipelineRef; ref != nil && ref.Resolver != "" && ref.Resolver != "Cluster" {
		if p := pr.Status.Provenance; p != nil && p.RefSource != nil {
			ext["buildConfigSource"] = buildConfigSource(p.RefSource)
		}
	}
	internal := map[string]any{"chainseal": coverageOf(in.snap)}
	if p := pr.Status.Provenance; p != nil && p.FeatureFlags != nil {
		internal["tekton-pipelines-feature-flags"] = p.FeatureFlags
	}
	if buildType == config.BuildTypeSLSATekton {
		internal["labels"] = pr.Labels
		internal["annotations"] = pr.Annotations
	}
	b := builder{ID: in.cfg.BuilderID}
	if b.ID == "" {
		b.ID = config.DefaultBuilderID
	}
	if in.version != "" {
		b.Version = map[string]string{"chainseal": in.version}
	}
	pred := slsa1Predicate{
		BuildDefinition: buildDefinition{
			BuildType:            buildType,
			ExternalParameters:   ext,
			InternalParameters:   internal,
			ResolvedDependencies: deps,
		},
		RunDetails: runDetails{
			Builder: b,
			Metadata: metadata{
				InvocationID: string(pr.UID),
				StartedOn:    timestamp(in.snap.StartedOn()),
				FinishedOn:   timestamp(in.snap.FinishedOn()),
			},
			Byproducts: byproducts,
		},
	}
	body, err := marshal(statementJSON{Type: statementV1, Subject: subjects(in.set.Subjects, true), PredicateType: predicateSLSA1, Predicate: pred})
	if err != nil {
		return nil, err
	}
	if err := validateSLSA1(body); err != nil {
		return nil, fmt.Errorf("the statement fails in-toto's validation: %w", err)
	}
	return body, nil
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

// resolvedDependencies lists, in Chains' order: the pipeline's refSource;
// per covered TaskRun its task's refSource and its step and sidecar images;
// then the type-hinted inputs. Duplicates are dropped.
func resolvedDependencies(in pipelineRunInput, withContent bool) ([]descriptor, error) {
	var out []descriptor
	pr := in.snap.PipelineRun
	if p := pr.Status.Provenance; p != nil && p.RefSource != nil {
		out = append(out, descriptor{Name: depPipeline, URI: p.RefSource.URI, Digest: p.RefSource.Digest})
	}
	for _, tr := range in.snap.TaskRuns {
		task := descriptor{Name: depPipelineTask}
		if p := tr.Status.Provenance; p != nil && p.RefSource != nil {
			task.URI, task.Digest = p.RefSource.URI, p.RefSource.Digest
		}
		if withContent {
			content, err := json.Marshal(tr.TaskRun)
			if err != nil {
				return nil, fmt.Errorf("encoding TaskRun %s: %w", tr.Name, err)
			}
			task.Content = content
		}
		if task.URI != "" || task.Content != nil {
			out = append(out, task)
		}
		images, err := images(tr.Status.Steps, tr.Status.Sidecars)
		if err != nil {
			return nil, fmt.Errorf("TaskRun %s: %w", tr.Name, err)
		}
		out = append(out, images...)
	}
	for _, m := range in.set.Materials {
		out = append(out, descriptor{Name: depInput, URI: m.Name, Digest: m.Digest})
	}
	return dedupe(out), nil
}

func images(steps []v1.StepState, sidecars []v1.SidecarState) ([]descriptor, error) {
	ids := make([]string, 0, len(steps)+len(sidecars))
	for _, s := range steps {
		ids = append(ids, s.ImageID)
	}
	for _, s := range sidecars {
		ids = append(ids, s.ImageID)
	}
	out := make([]descriptor, 0, len(ids))
	for _, id := range ids {
		if id == "" {
			continue // a container that never started has no image
		}
		d, err := imageDependency(id)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

// byproducts are, as in Chains, the results that are not subjects: the
// PipelineRun's, and with deep inspection every covered TaskRun's and
// step's; plus Tekton artifacts (TEP-0147) that are not build outputs.
func byproducts(in pipelineRunInput) ([]descriptor, error) {
	var out []descriptor
	add := func(format, owner, name string, v v1.ParamValue) error {
		if !artifacts.IsByproduct(name, v) {
			return nil
		}
		content, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("encoding result %s of %s: %w", name, owner, err)
		}
		out = append(out, descriptor{Name: fmt.Sprintf(format, owner, name), Content: content, MediaType: "application/json"})
		return nil
	}
	pr := in.snap.PipelineRun
	for _, r := range pr.Status.Results {
		if err := add("pipelineRunResults/%s/%s", pr.Name, r.Name, r.Value); err != nil {
			return nil, err
		}
	}
	if in.cfg.DeepInspection {
		for _, tr := range in.snap.TaskRuns {
			for _, r := range tr.Status.Results {
				if err := add("taskRunResults/%s/%s", tr.Name, r.Name, r.Value); err != nil {
					return nil, err
				}
			}
			for _, st := range tr.Status.Steps {
				for _, r := range st.Results {
					if err := add("stepResults/%s/%s", tr.Name, r.Name, r.Value); err != nil {
						return nil, err
					}
				}
			}
		}
	}
	for _, b := range in.set.Byproducts {
		out = append(out, descriptor{URI: b.Name, Digest: b.Digest})
	}
	return out, nil
}
