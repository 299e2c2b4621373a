package rekor

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	ssldsse "github.com/secure-systems-lab/go-securesystemslib/dsse"
	sigdsse "github.com/sigstore/sigstore/pkg/signature/dsse"

	"github.com/chainseal/chainseal/internal/sigtest"
	"github.com/chainseal/chainseal/pkg/storage"
)

// rekorDouble is a test double of a Rekor v1 log's search and entry
// endpoints that serves one entry, whatever it is asked. It stands for a
// log (or a man in the middle) that answers the re-run search with an entry
// naming the signer's key but holding a signature that key never made:
// the real Rekor refuses to record such an entry, so only a double can
// serve one. Nothing here checks proofs; reuse must not rely on the search.
type rekorDouble struct {
	*httptest.Server
	body []byte
}

func newRekorDouble(t *testing.T, body any) *rekorDouble {
	t.Helper()
	raw, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	d := &rekorDouble{body: raw}
	const uuid = "24296fb24b8ad77a" + "0000000000000000000000000000000000000000000000000000000000000000"
	d.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.URL.Path == "/api/v1/index/retrieve":
			json.NewEncoder(w).Encode([]string{uuid})
		case strings.HasPrefix(r.URL.Path, "/api/v1/log/entries/"):
			json.NewEncoder(w).Encode(map[string]any{uuid: map[string]any{
				"body": base64.StdEncoding.EncodeToString(d.body), "integratedTime": 1, "logID": "00", "logIndex": 1,
				"verification": map[string]any{"inclusionProof": map[string]any{
					"checkpoint": "x", "hashes": []string{}, "logIndex": 1, "rootHash": "00", "treeSize": 2}},
			}})
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(d.Close)
	return d
}

func sum(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

// A re-run searches the log for its statement and puts back the signature
// logged before. That signature is checked against the signer's key first:
// an entry that names the key but holds another key's signature is not
// reused, so the stored envelope is never one the signer did not sign.
func TestReuseVerifiesTheLoggedSignature(t *testing.T) {
	signer, other := sigtest.NewKey(t), sigtest.NewKey(t)
	stmt := []byte(`{"_type":"https://in-toto.io/Statement/v1","predicateType":"https://slsa.dev/provenance/v1","subject":[]}`)
	env, err := sigdsse.WrapSigner(signer.SV, "application/vnd.in-toto+json").SignMessage(bytes.NewReader(stmt))
	if err != nil {
		t.Fatal(err)
	}
	a := storage.Attestation{Object: storage.Object{Kind: "PipelineRun", Namespace: "ns", Name: "p"}, Payload: stmt, Envelope: env, PublicKey: signer.PubPEM}

	// The other key's signature of the same statement, in the signer's name.
	forgedEnv, err := sigdsse.WrapSigner(other.SV, "application/vnd.in-toto+json").SignMessage(bytes.NewReader(stmt))
	if err != nil {
		t.Fatal(err)
	}
	var mine, forged ssldsse.Envelope
	json.Unmarshal(env, &mine)
	json.Unmarshal(forgedEnv, &forged)
	rebuilt := mine
	rebuilt.Signatures = []ssldsse.Signature{{KeyID: mine.Signatures[0].KeyID, Sig: forged.Signatures[0].Sig}}
	rebuiltRaw, _ := json.Marshal(rebuilt)
	dsseBody := map[string]any{"kind": "dsse", "apiVersion": "0.0.1", "spec": map[string]any{
		"envelopeHash": map[string]string{"algorithm": "sha256", "value": sum(rebuiltRaw)},
		"payloadHash":  map[string]string{"algorithm": "sha256", "value": sum(stmt)},
		"signatures":   []map[string]string{{"signature": forged.Signatures[0].Sig, "verifier": base64.StdEncoding.EncodeToString(signer.PubPEM)}},
	}}
	c, err := New(newRekorDouble(t, dsseBody).URL, WithPublicKey(other.PubPEM))
	if err != nil {
		t.Fatal(err)
	}
	before := string(a.Envelope)
	if err := c.reuseAttestation(context.Background(), &a); err != nil {
		t.Fatal(err)
	}
	if string(a.Envelope) != before {
		t.Errorf("reused a logged signature the signer's key does not verify:\n%s", a.Envelope)
	}

	// The signer's own earlier signature is reused.
	earlier, err := sigdsse.WrapSigner(signer.SV, "application/vnd.in-toto+json").SignMessage(bytes.NewReader(stmt))
	if err != nil {
		t.Fatal(err)
	}
	var e ssldsse.Envelope
	json.Unmarshal(earlier, &e)
	rebuilt.Signatures = []ssldsse.Signature{{KeyID: mine.Signatures[0].KeyID, Sig: e.Signatures[0].Sig}}
	rebuiltRaw, _ = json.Marshal(rebuilt)
	dsseBody["spec"].(map[string]any)["envelopeHash"] = map[string]string{"algorithm": "sha256", "value": sum(rebuiltRaw)}
	dsseBody["spec"].(map[string]any)["signatures"] = []map[string]string{{"signature": e.Signatures[0].Sig, "verifier": base64.StdEncoding.EncodeToString(signer.PubPEM)}}
	c, err = New(newRekorDouble(t, dsseBody).URL, WithPublicKey(other.PubPEM))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.reuseAttestation(context.Background(), &a); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Envelope, rebuiltRaw) {
		t.Errorf("did not reuse the signer's own logged signature:\n%s", a.Envelope)
	}

	// The same for a raw signature (hashedrekord: image signatures, the
	// tekton format).
	payload := []byte(`{"critical":{"type":"cosign container image signature"}}`)
	sig, _ := signer.SV.SignMessage(bytes.NewReader(payload))
	bogus, _ := other.SV.SignMessage(bytes.NewReader(payload))
	hrBody := map[string]any{"kind": "hashedrekord", "apiVersion": "0.0.1", "spec": map[string]any{
		"data": map[string]any{"hash": map[string]string{"algorithm": "sha256", "value": sum(payload)}},
		"signature": map[string]any{"content": base64.StdEncoding.EncodeToString(bogus),
			"publicKey": map[string]string{"content": base64.StdEncoding.EncodeToString(signer.PubPEM)}},
	}}
	c, err = New(newRekorDouble(t, hrBody).URL, WithPublicKey(other.PubPEM))
	if err != nil {
		t.Fatal(err)
	}
	s := storage.ImageSignature{Image: "registry.example/app@sha256:" + sum(nil), Payload: payload, Signature: sig, PublicKey: signer.PubPEM}
	if err := c.reuseImageSignature(context.Background(), &s); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(s.Signature, sig) {
		t.Error("reused a logged raw signature the signer's key does not verify")
	}
}
