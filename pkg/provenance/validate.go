package provenance

import (
	"bytes"
	"encoding/json"
	"fmt"

	slsav1 "github.com/in-toto/attestation/go/predicates/provenance/v1"
	intoto "github.com/in-toto/attestation/go/v1"
	slsa02 "github.com/in-toto/in-toto-golang/in_toto/slsa_provenance/v0.2"
	"google.golang.org/protobuf/encoding/protojson"
)

// validJSON marshals a statement and checks it with in-toto's own types,
// so that nothing chainseal signs is a statement in-toto cannot read.
func validJSON(statement any, validate func([]byte) error) ([]byte, error) {
	body, err := marshal(statement)
	if err != nil {
		return nil, err
	}
	if err := validate(body); err != nil {
		return nil, fmt.Errorf("the statement fails in-toto's validation: %w", err)
	}
	return body, nil
}

// validateSLSA1 parses the body with in-toto's own types (protojson
// rejects unknown fields) and runs their validators. The predicate is
// parsed once, straight into SLSA v1.0's type: parsing it as the
// Statement's google.protobuf.Struct first costs as much again on a large
// pipeline, so the Statement is checked with an empty predicate in its place
// (a missing predicate is still refused).
func validateSLSA1(body []byte) error {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil {
		return fmt.Errorf("parsing as an in-toto v1 Statement: %w", err)
	}
	predicate, ok := fields["predicate"]
	if ok && !bytes.Equal(bytes.TrimSpace(predicate), []byte("null")) {
		fields["predicate"] = json.RawMessage("{}")
	}
	header, err := json.Marshal(fields)
	if err != nil {
		return err
	}
	var st intoto.Statement
	if err := protojson.Unmarshal(header, &st); err != nil {
		return fmt.Errorf("parsing as an in-toto v1 Statement: %w", err)
	}
	if err := st.Validate(); err != nil {
		return err
	}
	var p slsav1.Provenance
	if err := protojson.Unmarshal(predicate, &p); err != nil {
		return fmt.Errorf("parsing the predicate as SLSA v1.0 provenance: %w", err)
	}
	return p.Validate()
}

// validateSLSA02 parses the body strictly with in-toto-golang's v0.2 types
// and checks each subject as an in-toto ResourceDescriptor.
func validateSLSA02(body []byte) error {
	var st struct {
		Type          string `json:"_type"`
		PredicateType string `json:"predicateType"`
		Subject       []struct {
			Name   string            `json:"name"`
			Digest map[string]string `json:"digest"`
		} `json:"subject"`
		Predicate slsa02.ProvenancePredicate `json:"predicate"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&st); err != nil {
		return fmt.Errorf("parsing as an SLSA v0.2 statement: %w", err)
	}
	if st.Type != statementV01 || st.PredicateType != slsa02.PredicateSLSAProvenance {
		return fmt.Errorf("statement type %q, predicate type %q", st.Type, st.PredicateType)
	}
	if len(st.Subject) == 0 {
		return fmt.Errorf("no subject")
	}
	for i, s := range st.Subject {
		rd := &intoto.ResourceDescriptor{Name: s.Name, Digest: s.Digest}
		if err := rd.Validate(); err != nil || len(s.Digest) == 0 {
			return fmt.Errorf("subject %d: %v", i, err)
		}
	}
	if st.Predicate.Builder.ID == "" {
		return fmt.Errorf("no builder.id")
	}
	return nil
}
