package rekor

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/cyberphone/json-canonicalization/go/src/webpki.org/jsoncanonicalizer"
	"github.com/go-openapi/runtime"
	ssldsse "github.com/secure-systems-lab/go-securesystemslib/dsse"
	"github.com/sigstore/cosign/v2/pkg/cosign"
	"github.com/sigstore/rekor/pkg/generated/models"
	"github.com/sigstore/rekor/pkg/types"
	rekorutil "github.com/sigstore/rekor/pkg/util"
	rekorverify "github.com/sigstore/rekor/pkg/verify"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/transparency-dev/merkle/rfc6962"

	"github.com/chainseal/chainseal/pkg/storage"
)

// The fuzz targets of this file play a hostile transparency log: a log
// whose answers the client parses (entries, inclusion proofs, search
// results, 409 locations) with nil and missing fields, wrong types and
// garbage. The keys come from fixed seeds and sign deterministically (the
// log's is Ed25519, the signer's ECDSA P-256 with RFC 6979), so every
// entry is the same on every run and a crashing input saved under
// testdata/fuzz reproduces.

// fuzzKey is a deterministic Ed25519 key (the log's).
func fuzzKey(tb testing.TB, seed string) (signature.SignerVerifier, []byte) {
	tb.Helper()
	sum := sha256.Sum256([]byte(seed))
	priv := ed25519.NewKeyFromSeed(sum[:])
	sv, err := signature.LoadED25519SignerVerifier(priv)
	if err != nil {
		tb.Fatal(err)
	}
	pub, err := cryptoutils.MarshalPublicKeyToPEM(priv.Public())
	if err != nil {
		tb.Fatal(err)
	}
	return sv, pub
}

// fuzzLog is a transparency log's key: it signs checkpoints and signed
// entry timestamps for entries the fuzz targets hand out.
type fuzzLog struct {
	sv     signature.SignerVerifier
	pubPEM []byte
	id     string
}

func newFuzzLog(tb testing.TB) fuzzLog {
	tb.Helper()
	sv, pub := fuzzKey(tb, "chainseal fuzz transparency log")
	pk, err := sv.PublicKey()
	if err != nil {
		tb.Fatal(err)
	}
	id, err := cosign.GetTransparencyLogID(pk)
	if err != nil {
		tb.Fatal(err)
	}
	return fuzzLog{sv: sv, pubPEM: pub, id: id}
}

// entry is what an honest log answers for body: the entry with a one-leaf
// inclusion proof, a signed checkpoint and a signed entry timestamp.
func (l fuzzLog) entry(tb testing.TB, body []byte) (string, models.LogEntryAnon) {
	tb.Helper()
	leaf := rfc6962.DefaultHasher.HashLeaf(body)
	cp, err := rekorutil.CreateAndSignCheckpoint(context.Background(), "rekor.fuzz", 1, 1, leaf, l.sv)
	if err != nil {
		tb.Fatal(err)
	}
	b64 := base64.StdEncoding.EncodeToString(body)
	index, integrated := int64(0), int64(1700000000)
	set, err := json.Marshal(struct {
		Body           any    `json:"body"`
		IntegratedTime int64  `json:"integratedTime"`
		LogIndex       int64  `json:"logIndex"`
		LogID          string `json:"logID"`
	}{b64, integrated, index, l.id})
	if err != nil {
		tb.Fatal(err)
	}
	if set, err = jsoncanonicalizer.Transform(set); err != nil {
		tb.Fatal(err)
	}
	sig, err := l.sv.SignMessage(bytes.NewReader(set))
	if err != nil {
		tb.Fatal(err)
	}
	e := models.LogEntryAnon{
		Body:           b64,
		IntegratedTime: &integrated,
		LogIndex:       &index,
		LogID:          &l.id,
		Verification: &models.LogEntryAnonVerification{
			SignedEntryTimestamp: sig,
			InclusionProof: &models.InclusionProof{
				LogIndex:   ptrTo(int64(0)),
				TreeSize:   ptrTo(int64(1)),
				RootHash:   ptrTo(hex.EncodeToString(leaf)),
				Hashes:     []string{},
				Checkpoint: ptrTo(string(cp)),
			},
		},
	}
	if err := rekorverify.VerifyLogEntry(context.Background(), &e, l.sv); err != nil {
		tb.Fatalf("the fuzz log's own entry does not verify: %v", err)
	}
	return hex.EncodeToString(leaf), e
}

func ptrTo[T any](v T) *T { return &v }

// canonicalBody is the body the log stores for a proposed entry.
func canonicalBody(tb testing.TB, pe models.ProposedEntry) []byte {
	tb.Helper()
	impl, err := types.UnmarshalEntry(pe)
	if err != nil {
		tb.Fatal(err)
	}
	b, err := types.CanonicalizeEntry(context.Background(), impl)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// fuzzSigner is chainseal's signing key in these targets: ECDSA P-256
// from a fixed seed, signing deterministically (RFC 6979).
type fuzzSigner struct {
	priv   *ecdsa.PrivateKey
	pubPEM []byte
}

func newFuzzSigner(tb testing.TB) fuzzSigner {
	tb.Helper()
	seed := sha256.Sum256([]byte("chainseal fuzz signer"))
	priv, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), seed[:])
	if err != nil {
		tb.Fatal(err)
	}
	pub, err := cryptoutils.MarshalPublicKeyToPEM(priv.Public())
	if err != nil {
		tb.Fatal(err)
	}
	return fuzzSigner{priv: priv, pubPEM: pub}
}

func (s fuzzSigner) sign(tb testing.TB, msg []byte) []byte {
	tb.Helper()
	d := sha256.Sum256(msg)
	sig, err := s.priv.Sign(nil, d[:], crypto.SHA256)
	if err != nil {
		tb.Fatal(err)
	}
	return sig
}

// envelope is a DSSE envelope of payload, as cosign and chainseal write it.
func (s fuzzSigner) envelope(tb testing.TB, payloadType string, payload []byte) []byte {
	tb.Helper()
	env, err := json.Marshal(ssldsse.Envelope{
		PayloadType: payloadType,
		Payload:     base64.StdEncoding.EncodeToString(payload),
		Signatures:  []ssldsse.Signature{{Sig: base64.StdEncoding.EncodeToString(s.sign(tb, ssldsse.PAE(payloadType, payload)))}},
	})
	if err != nil {
		tb.Fatal(err)
	}
	return env
}

// fuzzAttestation is a DSSE attestation signed by the fuzz signer.
func fuzzAttestation(tb testing.TB) storage.Attestation {
	tb.Helper()
	s := newFuzzSigner(tb)
	stmt := []byte(`{"_type":"https://in-toto.io/Statement/v1","predicateType":"https://slsa.dev/provenance/v1","subject":[{"name":"registry.example/app","digest":{"sha256":"` + strings.Repeat("ab", 32) + `"}}],"predicate":{}}`)
	return storage.Attestation{
		Object:    storage.Object{Kind: "PipelineRun", Namespace: "ns", Name: "build"},
		Payload:   stmt,
		Envelope:  s.envelope(tb, "application/vnd.in-toto+json", stmt),
		PublicKey: s.pubPEM,
	}
}

// fuzzProposals are the dsse and hashedrekord entries of the fuzz
// attestation, and the canonical bodies an honest log stores for them.
func fuzzProposals(tb testing.TB) ([]proposal, [][]byte) {
	tb.Helper()
	a := fuzzAttestation(tb)
	d, err := dsseProposal(context.Background(), a.Envelope, a.PublicKey)
	if err != nil {
		tb.Fatal(err)
	}
	h, err := hashedrekordProposal(context.Background(), a.Payload, newFuzzSigner(tb).sign(tb, a.Payload), a.PublicKey)
	if err != nil {
		tb.Fatal(err)
	}
	return []proposal{d, h}, [][]byte{canonicalBody(tb, d.entry), canonicalBody(tb, h.entry)}
}

func fuzzClient(tb testing.TB, url string, l fuzzLog) *Client {
	tb.Helper()
	c, err := New(url, WithPublicKey(l.pubPEM), WithRetries(0, time.Millisecond, time.Millisecond),
		WithTimeout(10*time.Second), WithProofTimeout(time.Nanosecond))
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// complete reports whether the fields upload dereferences are all there.
func complete(e *models.LogEntryAnon) error {
	_, isString := e.Body.(string)
	switch {
	case !isString:
		return fmt.Errorf("body %T", e.Body)
	case e.LogIndex == nil || e.IntegratedTime == nil || e.LogID == nil:
		return fmt.Errorf("no log index, time or log ID")
	case e.Verification == nil || e.Verification.InclusionProof == nil:
		return fmt.Errorf("no inclusion proof")
	}
	p := e.Verification.InclusionProof
	if p.LogIndex == nil || p.TreeSize == nil || p.RootHash == nil || p.Checkpoint == nil {
		return fmt.Errorf("incomplete inclusion proof")
	}
	return nil
}

// FuzzVerifyEntry: the entry a log returns for an upload (GET
// /api/v1/log/entries/{uuid}: a map of UUID to entry), checked by
// verifyEntry against what was proposed. Whatever the log sends, it must
// not panic; an entry it accepts has every field upload reads and really
// verifies with the log's key.
func FuzzVerifyEntry(f *testing.F) {
	l := newFuzzLog(f)
	props, bodies := fuzzProposals(f)
	for i, body := range bodies {
		uuid, e := l.entry(f, body)
		ok, err := json.Marshal(map[string]models.LogEntryAnon{uuid: e})
		if err != nil {
			f.Fatal(err)
		}
		f.Add(ok, uint8(i))
		// The same entry with fields taken away, as a hostile log might.
		for _, drop := range []string{`"rootHash"`, `"logIndex"`, `"treeSize"`, `"checkpoint"`, `"integratedTime"`, `"logID"`, `"inclusionProof"`, `"verification"`, `"body"`, `"signedEntryTimestamp"`} {
			f.Add(bytes.Replace(ok, []byte(drop), []byte(`"x`+drop[1:]), -1), uint8(i))
		}
		f.Add(bytes.Replace(ok, []byte(`"hashes":[]`), []byte(`"hashes":null`), 1), uint8(i))
	}
	f.Add([]byte(`{"x":{"verification":{"inclusionProof":{}}}}`), uint8(0))
	f.Add([]byte(`{"x":{"body":{},"logID":null}}`), uint8(1))
	f.Add([]byte(`null`), uint8(0))
	c := fuzzClient(f, "http://127.0.0.1:1", l)
	f.Fuzz(func(t *testing.T, resp []byte, which uint8) {
		want := props[int(which)%len(props)]
		var got models.LogEntry
		if err := json.Unmarshal(resp, &got); err != nil {
			return
		}
		for uuid, e := range got {
			err := c.verifyEntry(context.Background(), uuid, &e, want)
			if err != nil {
				continue
			}
			if err := complete(&e); err != nil {
				t.Fatalf("verifyEntry accepted an entry upload cannot read: %v", err)
			}
			if err := rekorverify.VerifyLogEntry(context.Background(), &e, l.sv); err != nil {
				t.Fatalf("verifyEntry accepted an entry that does not verify: %v", err)
			}
		}
	})
}

// FuzzMatchBody: the canonical body of a log entry (dsse or hashedrekord,
// JSON) against the entry that was proposed. A body it accepts is of the
// proposed kind and names the proposed digest.
func FuzzMatchBody(f *testing.F) {
	props, bodies := fuzzProposals(f)
	for i, b := range bodies {
		f.Add(b, uint8(i))
		f.Add(b, uint8(i+1)) // the other kind
	}
	f.Add([]byte(`{"kind":"dsse","apiVersion":"0.0.1","spec":{}}`), uint8(0))
	f.Add([]byte(`{"kind":"dsse","apiVersion":"0.0.1","spec":{"envelopeHash":{"algorithm":"sha256"},"payloadHash":null,"signatures":[null]}}`), uint8(0))
	f.Add([]byte(`{"kind":"hashedrekord","apiVersion":"0.0.1","spec":{"data":{},"signature":{"publicKey":null}}}`), uint8(1))
	f.Add([]byte(`{"kind":"intoto","apiVersion":"0.0.2","spec":{}}`), uint8(0))
	f.Fuzz(func(t *testing.T, body []byte, which uint8) {
		want := props[int(which)%len(props)]
		if err := matchBody(base64.StdEncoding.EncodeToString(body), want); err != nil {
			return
		}
		pe, err := models.UnmarshalProposedEntry(bytes.NewReader(body), runtime.JSONConsumer())
		if err != nil {
			t.Fatalf("matchBody accepted a body that does not parse: %v", err)
		}
		if pe.Kind() != want.kind {
			t.Fatalf("matchBody accepted a %s body for a %s proposal", pe.Kind(), want.kind)
		}
		if !bytes.Contains(body, []byte(want.hash)) {
			t.Fatalf("matchBody accepted a body that does not name the digest %s", want.hash)
		}
	})
}

// hostileLog answers every request the client makes with what the fuzzer
// chose: the index search, the upload (201 with an entry, or 409 with a
// Location), and the entry fetch.
type hostileLog struct {
	search, create, get []byte
	conflict            bool
	location            string
}

func (h *hostileLog) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/api/v1/index/retrieve":
		w.WriteHeader(http.StatusOK)
		w.Write(h.search)
	case r.Method == http.MethodPost && r.URL.Path == "/api/v1/log/entries":
		if h.conflict {
			w.Header().Set("Location", h.location)
			w.WriteHeader(http.StatusConflict)
			w.Write([]byte(`{"code":409,"message":"an equivalent entry already exists in the transparency log"}`))
			return
		}
		w.WriteHeader(http.StatusCreated)
		w.Write(h.create)
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/api/v1/log/entries/"):
		w.WriteHeader(http.StatusOK)
		w.Write(h.get)
	default:
		http.NotFound(w, r)
	}
}

// FuzzHostileLog runs Client.Log, the whole upload (search for an entry to
// reuse, upload, fetch the proof, check), against a log that answers with
// the fuzzer's bytes. It must not panic or hang; when it reports success,
// the attestation's entry is one the trusted log really signed.
func FuzzHostileLog(f *testing.F) {
	l := newFuzzLog(f)
	_, bodies := fuzzProposals(f)
	uuid, e := l.entry(f, bodies[0])
	good, err := json.Marshal(map[string]models.LogEntryAnon{uuid: e})
	if err != nil {
		f.Fatal(err)
	}
	noProof := e
	noProof.Verification = &models.LogEntryAnonVerification{SignedEntryTimestamp: e.Verification.SignedEntryTimestamp}
	pending, _ := json.Marshal(map[string]models.LogEntryAnon{uuid: noProof})
	emptyProof := e
	emptyProof.Verification = &models.LogEntryAnonVerification{InclusionProof: &models.InclusionProof{}}
	hollow, _ := json.Marshal(map[string]models.LogEntryAnon{uuid: emptyProof})
	found := []byte(`["` + uuid + `"]`)
	loc := "/api/v1/log/entries/" + uuid

	f.Add([]byte(`[]`), good, good, false, loc)     // a new entry
	f.Add([]byte(`[]`), pending, good, false, loc)  // proof fetched after the upload
	f.Add([]byte(`[]`), []byte{}, good, true, loc)  // already in the log (409)
	f.Add(found, good, good, false, loc)            // reuse of an earlier signature
	f.Add([]byte(`[]`), hollow, hollow, false, loc) // an inclusion proof with no fields
	f.Add([]byte(`[null,""]`), []byte(`{}`), []byte(`null`), false, "")
	f.Add([]byte(`null`), []byte(`{"x":null}`), []byte(`{"x":{}}`), true, "::")
	f.Add(found, []byte(`[]`), []byte(`{"`+uuid+`":{"body":"e30="}}`), false, loc)

	srv := &hostileLog{}
	ts := httptest.NewServer(srv)
	f.Cleanup(ts.Close)
	c := fuzzClient(f, ts.URL, l)
	base := fuzzAttestation(f)
	f.Fuzz(func(t *testing.T, search, create, get []byte, conflict bool, location string) {
		*srv = hostileLog{search: search, create: create, get: get, conflict: conflict, location: location}
		b := storage.Batch{Attestations: []storage.Attestation{base}}
		err := c.Log(context.Background(), &b)
		te := b.Attestations[0].Transparency
		if err != nil {
			if te != nil {
				t.Fatalf("Log failed (%v) but filled in an entry", err)
			}
			return
		}
		if te == nil || te.LogID != l.id || te.UUID == "" {
			t.Fatalf("Log succeeded with entry %+v", te)
		}
		var proof models.InclusionProof
		if err := json.Unmarshal(te.InclusionProof, &proof); err != nil {
			t.Fatalf("the recorded inclusion proof: %v", err)
		}
		got := &models.LogEntryAnon{Body: te.Body, IntegratedTime: &te.IntegratedTime, LogIndex: &te.LogIndex, LogID: &te.LogID,
			Verification: &models.LogEntryAnonVerification{InclusionProof: &proof, SignedEntryTimestamp: te.SignedEntryTimestamp}}
		if err := complete(got); err != nil {
			t.Fatalf("the recorded entry is incomplete: %v", err)
		}
		if err := rekorverify.VerifyLogEntry(context.Background(), got, l.sv); err != nil {
			t.Fatalf("Log recorded an entry that does not verify: %v", err)
		}
	})
}
