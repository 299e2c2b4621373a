package provenance_test

import (
	"testing"

	slsav1 "github.com/in-toto/attestation/go/predicates/provenance/v1"
	intoto "github.com/in-toto/attestation/go/v1"
	"google.golang.org/protobuf/encoding/protojson"
)

// validSLSA1 decodes an SLSA v1.0 statement and fails the test unless the
// statement and its predicate pass in-toto's own validators.
func validSLSA1(t testing.TB, body []byte) (*intoto.Statement, *slsav1.Provenance) {
	t.Helper()
	var st intoto.Statement
	if err := protojson.Unmarshal(body, &st); err != nil {
		t.Fatal(err)
	}
	if err := st.Validate(); err != nil {
		t.Fatal(err)
	}
	pj, err := protojson.Marshal(st.GetPredicate())
	if err != nil {
		t.Fatal(err)
	}
	var p slsav1.Provenance
	if err := protojson.Unmarshal(pj, &p); err != nil {
		t.Fatal(err)
	}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	return &st, &p
}
