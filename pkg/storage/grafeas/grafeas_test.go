package grafeas

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"strings"
	"testing"

	"github.com/chainseal/chainseal/pkg/storage"
)

var hexA = strings.Repeat("ab", 32)

func TestBuildDetailsKeepsTheStatement(t *testing.T) {
	v1 := `{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"reg/app","digest":{"sha256":"` + hexA + `"}}],
	  "predicateType":"https://slsa.dev/provenance/v1","predicate":{"buildDefinition":{"buildType":"https://tekton.dev/chains/v2/slsa",
	  "externalParameters":{"runSpec":{"pipelineRef":{"name":"release"}}},"internalParameters":{"labels":{"app.kubernetes.io/name":"api"}},
	  "resolvedDependencies":[{"uri":"oci://reg/task","digest":{"sha256":"` + hexA + `"}}]},
	  "runDetails":{"builder":{"id":"https://chainseal.dev"},"metadata":{"invocationID":"uid-1","startedOn":"2026-11-30T10:00:00Z"}},"extra":1}}`
	d, err := BuildDetails([]byte(v1))
	if err != nil {
		t.Fatal(err)
	}
	p := d.GetInTotoSlsaProvenanceV1()
	if p == nil || p.GetPredicate().GetRunDetails().GetMetadata().GetInvocationId() != "uid-1" ||
		p.GetSubject()[0].GetDigest()["sha256"] != hexA || p.GetPredicate().GetBuildDefinition().GetBuildType() != "https://tekton.dev/chains/v2/slsa" {
		t.Fatalf("SLSA v1 details = %v", d)
	}
	v02 := `{"_type":"https://in-toto.io/Statement/v0.1","subject":[{"name":"reg/app","digest":{"sha256":"` + hexA + `"}}],
	  "predicateType":"https://slsa.dev/provenance/v0.2","predicate":{"builder":{"id":"https://tekton.dev/chains/v2"},"buildType":"tekton.dev/v1beta1/PipelineRun",
	  "metadata":{"buildInvocationId":"uid-2"},"materials":[{"uri":"oci://x","digest":{"sha256":"` + hexA + `"}}]}}`
	d, err = BuildDetails([]byte(v02))
	if err != nil {
		t.Fatal(err)
	}
	s := d.GetIntotoStatement()
	if s.GetSlsaProvenanceZeroTwo().GetMetadata().GetBuildInvocationId() != "uid-2" || s.GetPredicateType() != SLSAv02 || s.GetSubject()[0].GetName() != "reg/app" {
		t.Fatalf("SLSA v0.2 details = %v", d)
	}
	if _, err := BuildDetails([]byte("not json")); err == nil || !strings.Contains(err.Error(), "in-toto statement") {
		t.Fatalf("a payload that is no statement: %v", err)
	}
}

func TestResourceURIsAsChains(t *testing.T) {
	got := ResourceURIs([]storage.Subject{
		{Name: "reg/app", Digest: map[string]string{"sha256": hexA, "sha512": "x"}},
		{Name: "pkg.tgz", Digest: map[string]string{"sha512": "ff"}},
		{Name: "", Digest: map[string]string{"sha256": hexA}},
		{Name: "nodigest"},
	})
	want := []string{"reg/app@sha256:" + hexA, "pkg.tgz@sha512:ff"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("ResourceURIs = %q, want %q", got, want)
	}
}

func TestKeyIDIsTheRFC6920URIOfTheKey(t *testing.T) {
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
	id, err := KeyID(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(der)
	if want := "ni:///sha-256;" + base64.RawURLEncoding.EncodeToString(sum[:]); id != want {
		t.Fatalf("KeyID = %s, want %s", id, want)
	}
	if _, err := KeyID(nil, nil); err == nil {
		t.Fatal("KeyID of nothing succeeded")
	}
}

func TestAcceptsOnlyEnvelopesAboutSubjects(t *testing.T) {
	b := &Backend{project: "p"}
	subj := []storage.Subject{{Name: "reg/app", Digest: map[string]string{"sha256": hexA}}}
	for _, c := range []struct {
		a    storage.Attestation
		want bool
	}{
		{storage.Attestation{Envelope: []byte("{}"), Subjects: subj}, true},
		{storage.Attestation{Signature: []byte("raw"), Subjects: subj}, false}, // tekton format: signed raw
		{storage.Attestation{Envelope: []byte("{}")}, false},                   // nothing to be an occurrence of
	} {
		if got := b.Accepts(c.a); got != c.want {
			t.Errorf("Accepts(envelope %t, %d subjects) = %t, want %t", len(c.a.Envelope) > 0, len(c.a.Subjects), got, c.want)
		}
	}
}

func TestNoteIDsAsChains(t *testing.T) {
	build, att := NoteIDs("", "payments", "PipelineRun")
	if build != "tekton-payments-pipelinerun-intoto" || att != "tekton-payments-simplesigning" {
		t.Fatalf("default notes %s %s", build, att)
	}
	build, att = NoteIDs("team", "payments", "TaskRun")
	if build != "team-taskrun-intoto" || att != "team-simplesigning" {
		t.Fatalf("notes %s %s", build, att)
	}
}
