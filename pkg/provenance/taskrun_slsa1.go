package provenance

import (
	"encoding/json"
	"fmt"

	"github.com/chainseal/chainseal/pkg/artifacts"
	"github.com/chainseal/chainseal/pkg/config"
	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
)

// taskRunSLSA1 is the SLSA v1.0 statement of one TaskRun, field-compatible
// with Tekton Chains v0.26's slsa/v2alpha4 TaskRun format: the same
// buildType, the TaskRun spec as externalParameters.runSpec, the task's
// refSource named "task", and the TaskRun's own results as byproducts.
func taskRunSLSA1(in taskRunInput) ([]byte, error) {
	tr := in.tr
	buildType := in.cfg.BuildType
	if buildType == "" {
		buildType = config.BuildTypeSLSA
	}
	if buildType != config.BuildTypeSLSA && buildType != config.BuildTypeSLSATekton {
		return nil, fmt.Errorf("buildType %q (%s) is not supported", buildType, config.KeyBuildType)
	}
	deps, err := taskRunDependencies(in)
	if err != nil {
		return nil, err
	}
	byproducts, err := taskRunByproducts(in)
	if err != nil {
		return nil, err
	}
	ext := map[string]any{"runSpec": tr.Spec}
	if ref := tr.Spec.TaskRef; ref != nil && ref.Resolver != "" && ref.Resolver != "Cluster" {
		if p := tr.Status.Provenance; p != nil && p.RefSource != nil {
			ext["buildConfigSource"] = buildConfigSource(p.RefSource)
		}
	}
	internal := map[string]any{}
	if p := tr.Status.Provenance; p != nil && p.FeatureFlags != nil {
		internal["tekton-pipelines-feature-flags"] = p.FeatureFlags
	}
	if rec, ok := taskRunRecord(tr.TaskRun); ok {
		internal["chainseal"] = rec
	}
	if buildType == config.BuildTypeSLSATekton {
		internal["labels"] = tr.Labels
		internal["annotations"] = tr.Annotations
	}
	pred := slsa1Predicate{
		BuildDefinition: buildDefinition{
			BuildType:            buildType,
			ExternalParameters:   ext,
			InternalParameters:   internal,
			ResolvedDependencies: deps,
		},
		RunDetails: runDetails{
			Builder: builderOf(in.cfg, in.version),
			Metadata: metadata{
				InvocationID: string(tr.UID),
				StartedOn:    timestamp(metaTime(tr.Status.StartTime)),
				FinishedOn:   timestamp(metaTime(tr.Status.CompletionTime)),
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

// taskRunDependencies lists, in Chains' order: the task's refSource (named
// "task"), the step and sidecar images, then the TaskRun's type-hinted
// inputs. Duplicates are dropped.
func taskRunDependencies(in taskRunInput) ([]descriptor, error) {
	var out []descriptor
	if p := in.tr.Status.Provenance; p != nil && p.RefSource != nil {
		out = append(out, descriptor{Name: depTask, URI: p.RefSource.URI, Digest: p.RefSource.Digest})
	}
	imgs, err := images(in.tr.Status.Steps, in.tr.Status.Sidecars)
	if err != nil {
		return nil, err
	}
	out = append(out, imgs...)
	for _, m := range in.set.Materials {
		out = append(out, descriptor{Name: depInput, URI: m.Name, Digest: m.Digest})
	}
	return dedupe(out), nil
}

// taskRunByproducts are the TaskRun's results and step results that are
// not subjects (Chains' rule), then its TEP-0147 outputs that are not
// build outputs.
func taskRunByproducts(in taskRunInput) ([]descriptor, error) {
	tr := in.tr
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
	for _, b := range in.set.Byproducts {
		out = append(out, descriptor{URI: b.Name, Digest: b.Digest})
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
