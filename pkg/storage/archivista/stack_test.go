//go:build stack

package archivista

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"strings"
	"testing"

	archivistaclient "github.com/in-toto/archivista/pkg/http-client"
	"github.com/in-toto/go-witness/dsse"
	"github.com/sigstore/sigstore/pkg/signature"
	sigdsse "github.com/sigstore/sigstore/pkg/signature/dsse"

	"github.com/chainseal/chainseal/internal/stacktest"
	"github.com/chainseal/chainseal/pkg/storage"
)

// signed is a statement about one subject signed with a fresh key: the
// attestation chainseal would store, and the key's verifier.
func signed(t *testing.T, subject string) (storage.Attestation, signature.SignerVerifier) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sv, err := signature.LoadECDSASignerVerifier(key, crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	payload := []byte(`{"_type":"https://in-toto.io/Statement/v1","predicateType":"https://slsa.dev/provenance/v1","subject":[{"name":"registry.example/app","digest":{"sha256":"` + subject + `"}}],"predicate":{}}`)
	envelope, err := sigdsse.WrapSigner(sv, "application/vnd.in-toto+json").SignMessage(bytes.NewReader(payload))
	if err != nil {
		t.Fatal(err)
	}
	return storage.Attestation{
		Object: storage.Object{Kind: "PipelineRun", Namespace: "payments", Name: "release-7q2xk", UID: "0b1c-77"},
		Format: "slsa/v2alpha4", PayloadType: "application/vnd.in-toto+json", Payload: payload, Envelope: envelope,
		PublicKey: pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}),
	}, sv
}

func randomHex(t *testing.T) string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	const digits = "0123456789abcdef"
	var s strings.Builder
	for _, c := range b {
		s.WriteByte(digits[c>>4])
		s.WriteByte(digits[c&15])
	}
	return s.String()
}

// gitoids lists, with Archivista's own client, the envelopes whose
// statement names subject.
func gitoids(t *testing.T, c *archivistaclient.ArchivistaClient, subject string) []string {
	t.Helper()
	res, err := c.GraphQLRetrieveSearchResults(context.Background(), "sha256", subject)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range res.Dsses.Edges {
		out = append(out, e.Node.GitoidSha256)
	}
	return out
}

// On the stack's Archivista: a statement stored, then stored again after
// being signed again (a re-run: another ECDSA signature), is one envelope,
// which Archivista's own client finds by the subject's digest and which
// verifies with the key.
func TestStoreOnceFoundByArchivistasClient(t *testing.T) {
	env := stacktest.Load(t)
	env.Start(t, "archivista")
	server := env.Must(t, "ARCHIVISTA_URL")
	ctx := context.Background()
	subject := randomHex(t)
	a, v := signed(t, subject)
	b := New(server, nil)
	r, err := b.Store(ctx, storage.Batch{Attestations: []storage.Attestation{a}})
	if err != nil {
		t.Fatal(err)
	}
	want := server + "/download/" + GitOID(a.Envelope)
	if len(r.Locations) != 1 || r.Locations[0] != want {
		t.Fatalf("locations %v, want [%s]", r.Locations, want)
	}
	// The same statement signed again by the same key.
	again := a
	again.Envelope, err = sigdsse.WrapSigner(v, a.PayloadType).SignMessage(bytes.NewReader(a.Payload))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(again.Envelope, a.Envelope) {
		t.Fatal("signing again gave the same envelope; the test needs another signature")
	}
	for _, x := range []storage.Attestation{a, again} {
		r, err := b.Store(ctx, storage.Batch{Attestations: []storage.Attestation{x}})
		if err != nil {
			t.Fatal(err)
		}
		if r.Locations[0] != want {
			t.Errorf("a re-store points at %s, want the first upload %s", r.Locations[0], want)
		}
	}

	c, err := archivistaclient.CreateArchivistaClient(http.DefaultClient, server)
	if err != nil {
		t.Fatal(err)
	}
	ids := gitoids(t, c, subject)
	if len(ids) != 1 || ids[0] != GitOID(a.Envelope) {
		t.Fatalf("Archivista holds %v for the subject, want [%s]", ids, GitOID(a.Envelope))
	}
	got, err := c.DownloadDSSE(ctx, ids[0])
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	if err := sigdsse.WrapVerifier(v).VerifySignature(bytes.NewReader(raw), nil); err != nil {
		t.Fatalf("the envelope Archivista's client downloads does not verify: %v", err)
	}
}

// Attack: someone uploads an envelope of the same statement signed with
// another key before the seal stores. The old idea "an envelope of this
// payload is there, so it is stored" would leave only the forgery; Store
// must upload the real one.
func TestAForgedEnvelopeOfTheSamePayloadDoesNotCountAsStored(t *testing.T) {
	env := stacktest.Load(t)
	env.Start(t, "archivista")
	server := env.Must(t, "ARCHIVISTA_URL")
	ctx := context.Background()
	subject := randomHex(t)
	a, v := signed(t, subject)
	forged, _ := signed(t, subject) // same payload, another key
	if !bytes.Equal(forged.Payload, a.Payload) {
		t.Fatal("the forgery must carry the same payload")
	}
	c, err := archivistaclient.CreateArchivistaClient(http.DefaultClient, server)
	if err != nil {
		t.Fatal(err)
	}
	var fe dsse.Envelope
	if err := json.Unmarshal(forged.Envelope, &fe); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Store(ctx, fe); err != nil {
		t.Fatal(err)
	}
	if _, err := New(server, nil).Store(ctx, storage.Batch{Attestations: []storage.Attestation{a}}); err != nil {
		t.Fatal(err)
	}
	ids := gitoids(t, c, subject)
	if len(ids) != 2 {
		t.Fatalf("Archivista holds %d envelopes for the subject, want the forgery and the real one", len(ids))
	}
	var verified int
	for _, id := range ids {
		got, err := c.DownloadDSSE(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := json.Marshal(got)
		if sigdsse.WrapVerifier(v).VerifySignature(bytes.NewReader(raw), nil) == nil {
			verified++
		}
	}
	if verified != 1 {
		t.Fatalf("%d envelopes verify with the signing key, want 1", verified)
	}
}

// A server that is down, or a URL where no Archivista answers, fails the
// store with an error naming what was asked.
func TestStoreFailsClosed(t *testing.T) {
	env := stacktest.Load(t)
	env.Start(t, "archivista")
	server := env.Must(t, "ARCHIVISTA_URL")
	a, _ := signed(t, randomHex(t))
	for _, url := range []string{"http://127.0.0.1:1", server + "/not-archivista"} {
		r, err := New(url, nil).Store(context.Background(), storage.Batch{Attestations: []storage.Attestation{a}})
		if err == nil || len(r.Locations) != 0 {
			t.Fatalf("stored at %s: %v, %v", url, r.Locations, err)
		}
		if !strings.Contains(err.Error(), url) {
			t.Errorf("the error does not name %s: %v", url, err)
		}
	}
}
