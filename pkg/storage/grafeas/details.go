package grafeas

import (
	"encoding/json"
	"fmt"

	gpb "github.com/grafeas/grafeas/proto/v1/grafeas_go_proto"
	"google.golang.org/protobuf/encoding/protojson"
)

// Predicate types BuildDetails knows.
const (
	SLSAv1  = "https://slsa.dev/provenance/v1"
	SLSAv02 = "https://slsa.dev/provenance/v0.2"
)

// BuildDetails is a BUILD occurrence's details for an in-toto statement: a
// SLSA v1.0 statement as InTotoSlsaProvenanceV1, a SLSA v0.2 one as an
// InTotoStatement with its SlsaProvenanceZeroTwo predicate, another as an
// InTotoStatement naming its subjects and predicate type. A predicate
// Grafeas' messages cannot hold is left out of the details (the envelope
// holds the signed statement whole).
func BuildDetails(payload []byte) (*gpb.BuildOccurrence, error) {
	var st struct {
		Type          string `json:"_type"`
		PredicateType string `json:"predicateType"`
		Subject       []struct {
			Name   string            `json:"name"`
			Digest map[string]string `json:"digest"`
		} `json:"subject"`
		Predicate json.RawMessage `json:"predicate"`
	}
	if err := json.Unmarshal(payload, &st); err != nil {
		return nil, fmt.Errorf("grafeas storage: the payload is not an in-toto statement: %w", err)
	}
	lenient := protojson.UnmarshalOptions{DiscardUnknown: true}
	if st.PredicateType == SLSAv1 {
		var v1 gpb.InTotoSlsaProvenanceV1
		if err := lenient.Unmarshal(payload, &v1); err == nil {
			// SLSA spells it invocationID, Grafeas' JSON name invocationId.
			var md struct {
				RunDetails struct {
					Metadata struct {
						InvocationID string `json:"invocationID"`
					} `json:"metadata"`
				} `json:"runDetails"`
			}
			if json.Unmarshal(st.Predicate, &md) == nil && md.RunDetails.Metadata.InvocationID != "" && v1.GetPredicate().GetRunDetails().GetMetadata() != nil {
				v1.Predicate.RunDetails.Metadata.InvocationId = md.RunDetails.Metadata.InvocationID
			}
			return &gpb.BuildOccurrence{InTotoSlsaProvenanceV1: &v1}, nil
		}
	}
	out := &gpb.InTotoStatement{Type: st.Type, PredicateType: st.PredicateType}
	for _, s := range st.Subject {
		out.Subject = append(out.Subject, &gpb.Subject{Name: s.Name, Digest: s.Digest})
	}
	if st.PredicateType == SLSAv02 && len(st.Predicate) > 0 {
		var p gpb.SlsaProvenanceZeroTwo
		if err := lenient.Unmarshal(st.Predicate, &p); err == nil {
			out.Predicate = &gpb.InTotoStatement_SlsaProvenanceZeroTwo{SlsaProvenanceZeroTwo: &p}
		}
	}
	return &gpb.BuildOccurrence{IntotoStatement: out}, nil
}
