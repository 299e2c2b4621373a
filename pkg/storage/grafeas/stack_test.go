//go:build stack

package grafeas

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"strings"
	"testing"

	gpb "github.com/grafeas/grafeas/proto/v1/grafeas_go_proto"
	"github.com/sigstore/sigstore/pkg/signature"
	sigdsse "github.com/sigstore/sigstore/pkg/signature/dsse"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/chainseal/chainseal/internal/stacktest"
	"github.com/chainseal/chainseal/pkg/config"
	"github.com/chainseal/chainseal/pkg/storage"
)

// signer makes a key and a function signing statements into DSSE envelopes.
func signer(t *testing.T) (signature.SignerVerifier, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sv, err := signature.LoadECDSASignerVerifier(key, crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	return sv, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

func statement(t *testing.T, sv signature.Signer, image, digest, uid string) (payload, envelope []byte) {
	t.Helper()
	payload = []byte(`{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"` + image + `","digest":{"sha256":"` + digest + `"}}],` +
		`"predicateType":"https://slsa.dev/provenance/v1","predicate":{"buildDefinition":{"buildType":"https://tekton.dev/chains/v2/slsa"},` +
		`"runDetails":{"builder":{"id":"https://chainseal.dev"},"metadata":{"invocationID":"` + uid + `"}}}}`)
	envelope, err := sigdsse.WrapSigner(sv, InTotoType).SignMessage(bytes.NewReader(payload))
	if err != nil {
		t.Fatal(err)
	}
	return payload, envelope
}

// On the stack's Grafeas v1 server: a PipelineRun's statement and an image
// signature stored twice are one BUILD and one ATTESTATION occurrence,
// named and shaped as Chains writes them; Grafeas' own generated client
// reads them back and the envelope verifies with the signing key. Another
// PipelineRun building the same image gets its own occurrence.
func TestStoreOneOccurrencePerRecordReadByGrafeasClient(t *testing.T) {
	env := stacktest.Load(t)
	endpoint := env.Must(t, "GRAFEAS_ENDPOINT")
	ctx := context.Background()
	conn, err := Dial(ctx, endpoint)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	project := "p" + strings.ToLower(strings.ReplaceAll(t.Name(), "_", ""))[:20]
	var cfg config.Config
	cfg.Grafeas.ProjectID = project
	b := New(gpb.NewGrafeasClient(conn), cfg)

	sv, pub := signer(t)
	digest := strings.Repeat("cd", 32)
	image := "registry.example/payments/api"
	payload, envelope := statement(t, sv, image, digest, "0b1c-77")
	pr := storage.Object{Kind: "PipelineRun", Namespace: "payments", Name: "release-7q2xk", UID: "0b1c-77"}
	imgPayload := []byte(`{"critical":{"identity":{"docker-reference":"` + image + `"},"image":{"docker-manifest-digest":"sha256:` + digest + `"},"type":"cosign container image signature"}}`)
	imgSig, err := sv.SignMessage(bytes.NewReader(imgPayload))
	if err != nil {
		t.Fatal(err)
	}
	batch := storage.Batch{
		Attestations: []storage.Attestation{{Object: pr, Format: "slsa/v2alpha4", Payload: payload, Envelope: envelope,
			PublicKey: pub, Subjects: []storage.Subject{{Name: image, Digest: map[string]string{"sha256": digest}}}}},
		Images: []storage.ImageSignature{{Image: image + "@sha256:" + digest, Payload: imgPayload, Signature: imgSig, PublicKey: pub}},
	}
	for range 2 {
		if _, err := b.Store(ctx, batch); err != nil {
			t.Fatal(err)
		}
	}

	// Read back with Grafeas' generated client, on a connection of its own.
	rc, err := grpc.NewClient(endpoint, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	client := gpb.NewGrafeasClient(rc)
	occs, err := client.ListOccurrences(ctx, &gpb.ListOccurrencesRequest{Parent: "projects/" + project, PageSize: 100})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(occs.GetOccurrences()); n != 2 {
		t.Fatalf("%d occurrences after storing a statement and an image signature twice, want 2: %v", n, occs)
	}
	build, err := client.ListNoteOccurrences(ctx, &gpb.ListNoteOccurrencesRequest{Name: "projects/" + project + "/notes/tekton-payments-pipelinerun-intoto"})
	if err != nil {
		t.Fatalf("Chains' BUILD note tekton-<ns>-pipelinerun-intoto: %v", err)
	}
	if len(build.GetOccurrences()) != 1 {
		t.Fatalf("BUILD note has %d occurrences, want 1", len(build.GetOccurrences()))
	}
	o := build.GetOccurrences()[0]
	if o.GetResourceUri() != image+"@sha256:"+digest || o.GetKind() != gpb.NoteKind_BUILD ||
		o.GetBuild().GetInTotoSlsaProvenanceV1().GetPredicate().GetRunDetails().GetMetadata().GetInvocationId() != "0b1c-77" {
		t.Fatalf("BUILD occurrence = %v", o)
	}
	dsseJSON, err := DSSE(o.GetEnvelope())
	if err != nil {
		t.Fatal(err)
	}
	if err := sigdsse.WrapVerifier(sv).VerifySignature(bytes.NewReader(dsseJSON), nil); err != nil {
		t.Fatalf("the occurrence's envelope does not verify with the signing key: %v", err)
	}
	att, err := client.ListNoteOccurrences(ctx, &gpb.ListNoteOccurrencesRequest{Name: "projects/" + project + "/notes/tekton-payments-simplesigning"})
	if err != nil || len(att.GetOccurrences()) != 1 {
		t.Fatalf("ATTESTATION note: %v, %v", att, err)
	}
	a := att.GetOccurrences()[0].GetAttestation()
	if err := sv.VerifySignature(bytes.NewReader(a.GetSignatures()[0].GetSignature()), bytes.NewReader(a.GetSerializedPayload())); err != nil {
		t.Fatalf("the image signature does not verify: %v", err)
	}
	note, err := client.GetNote(ctx, &gpb.GetNoteRequest{Name: "projects/" + project + "/notes/tekton-payments-simplesigning"})
	if err != nil || note.GetAttestation().GetHint().GetHumanReadableName() != DefaultNoteHint {
		t.Fatalf("ATTESTATION note %v: %v", note, err)
	}

	// Another run built the same image: its own occurrence, not the first's.
	other := storage.Object{Kind: "PipelineRun", Namespace: "payments", Name: "release-9zz", UID: "9f9f-11"}
	p2, e2 := statement(t, sv, image, digest, "9f9f-11")
	if _, err := b.Store(ctx, storage.Batch{Attestations: []storage.Attestation{{Object: other, Payload: p2, Envelope: e2, PublicKey: pub,
		Subjects: []storage.Subject{{Name: image, Digest: map[string]string{"sha256": digest}}}}}}); err != nil {
		t.Fatal(err)
	}
	build, err = client.ListNoteOccurrences(ctx, &gpb.ListNoteOccurrencesRequest{Name: "projects/" + project + "/notes/tekton-payments-pipelinerun-intoto"})
	if err != nil || len(build.GetOccurrences()) != 2 {
		t.Fatalf("after a second run built the same image: %d occurrences (%v), want 2", len(build.GetOccurrences()), err)
	}
}
