package provenance

import (
	"strings"
	"time"

	"github.com/chainseal/chainseal/pkg/artifacts"
	"github.com/in-toto/in-toto-golang/in_toto/slsa_provenance/common"
	slsa02 "github.com/in-toto/in-toto-golang/in_toto/slsa_provenance/v0.2"
	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	corev1 "k8s.io/api/core/v1"
	"knative.dev/pkg/apis"
)

// What the SLSA v0.2 statements (in-toto, slsa/v1) of a PipelineRun and of
// a TaskRun share.

const statementV01 = "https://in-toto.io/Statement/v0.1"

type statement02 struct {
	Type          string                     `json:"_type"`
	PredicateType string                     `json:"predicateType"`
	Subject       []descriptor               `json:"subject"`
	Predicate     slsa02.ProvenancePredicate `json:"predicate"`
}

type stepAttestation struct {
	EntryPoint  string            `json:"entryPoint"`
	Arguments   any               `json:"arguments,omitempty"`
	Environment any               `json:"environment,omitempty"`
	Annotations map[string]string `json:"annotations"`
}

// slsa02Statement is the statement's JSON, checked with in-toto-golang's types.
func slsa02Statement(ss []artifacts.Subject, pred slsa02.ProvenancePredicate) ([]byte, error) {
	return validJSON(statement02{Type: statementV01, PredicateType: slsa02.PredicateSLSAProvenance, Subject: subjects(ss, false), Predicate: pred}, validateSLSA02)
}

// metadata02 is the build's times; Chains reads reproducible from a label.
func metadata02(started, finished *time.Time, labels map[string]string) *slsa02.ProvenanceMetadata {
	meta := &slsa02.ProvenanceMetadata{BuildStartedOn: started, BuildFinishedOn: finished}
	meta.Reproducible = labels["chains.tekton.dev/reproducible"] == "true"
	return meta
}

// invocation is Chains' attest.Invocation: the config source, parameters
// (defaults overridden by the run's values), annotations and labels.
func invocation(p *v1.Provenance, params v1.Params, specs v1.ParamSpecs, annotations, labels map[string]string) slsa02.ProvenanceInvocation {
	var inv slsa02.ProvenanceInvocation
	if p != nil && p.RefSource != nil {
		inv.ConfigSource = slsa02.ConfigSource{URI: p.RefSource.URI, Digest: p.RefSource.Digest, EntryPoint: p.RefSource.EntryPoint}
	}
	values := map[string]v1.ParamValue{}
	for _, s := range specs {
		if s.Default != nil {
			values[s.Name] = *s.Default
		}
	}
	for _, p := range params {
		values[p.Name] = p.Value
	}
	inv.Parameters = values
	env := map[string]any{}
	ann := map[string]string{}
	for k, v := range annotations {
		if k != corev1.LastAppliedConfigAnnotation && !strings.HasPrefix(k, "chains.tekton.dev/") {
			ann[k] = v
		}
	}
	if len(ann) > 0 {
		env["annotations"] = ann
	}
	if len(labels) > 0 {
		env["labels"] = labels
	}
	if len(env) > 0 {
		inv.Environment = env
	}
	return inv
}

// withChainseal puts chainseal's record in invocation.environment, the one
// free-form place SLSA v0.2 has.
func withChainseal(inv *slsa02.ProvenanceInvocation, record any) {
	env, _ := inv.Environment.(map[string]any)
	if env == nil {
		env = map[string]any{}
	}
	env["chainseal"] = record
	inv.Environment = env
}

// materials are the descriptors as v0.2 materials; equal entries merged.
func materials(ds []descriptor) []common.ProvenanceMaterial {
	ds = dedupe(ds)
	out := make([]common.ProvenanceMaterial, 0, len(ds))
	for _, d := range ds {
		out = append(out, common.ProvenanceMaterial{URI: d.URI, Digest: d.Digest})
	}
	return out
}

func step(s *v1.Step, st *v1.StepState) stepAttestation {
	entry := strings.Join(s.Command, " ")
	if s.Script != "" {
		entry = s.Script
	}
	return stepAttestation{
		EntryPoint: entry,
		Arguments:  s.Args,
		Environment: map[string]any{
			"image":     "oci://" + strings.TrimPrefix(st.ImageID, "docker-pullable://"),
			"container": st.Name,
		},
	}
}

func status(c *apis.Condition) string {
	switch {
	case c == nil:
		return ""
	case c.Status == corev1.ConditionTrue:
		return "Succeeded"
	case c.Status == corev1.ConditionFalse:
		return "Failed"
	}
	return "Running"
}

func derefTime(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}
