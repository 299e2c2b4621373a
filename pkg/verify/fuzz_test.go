package verify

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
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cyberphone/json-canonicalization/go/src/webpki.org/jsoncanonicalizer"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/secure-systems-lab/go-securesystemslib/dsse"
	cbundle "github.com/sigstore/cosign/v2/pkg/cosign/bundle"
	"github.com/sigstore/rekor/pkg/generated/models"
	"github.com/sigstore/rekor/pkg/types"
	rekordsse "github.com/sigstore/rekor/pkg/types/dsse"
	dssev001 "github.com/sigstore/rekor/pkg/types/dsse/v0.0.1"
	rekorutil "github.com/sigstore/rekor/pkg/util"
	rekorverify "github.com/sigstore/rekor/pkg/verify"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/transparency-dev/merkle/rfc6962"

	"github.com/chainseal/chainseal/pkg/signing"
)

// The fuzz targets of this file feed what `chainseal verify` reads from a
// registry, a bundle file or a transparency log: DSSE envelopes, in-toto
// statements, Sigstore bundles and Rekor entries. The keys come from fixed
// seeds and sign deterministically (the signer's ECDSA P-256 with RFC 6979,
// the log's Ed25519), so a crashing input saved under testdata/fuzz
// reproduces.

// fuzzDigest is the image the fuzz statements are about.
var fuzzDigest = func() name.Digest {
	d, err := name.NewDigest("registry.example/payments/app@sha256:" + strings.Repeat("a1", 32))
	if err != nil {
		panic(err)
	}
	return d
}()

type fuzzSigner struct {
	priv *ecdsa.PrivateKey
	key  *Key
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
	m, err := signing.ParseMaterial(pub)
	if err != nil {
		tb.Fatal(err)
	}
	return fuzzSigner{priv: priv, key: &Key{Material: m, Description: "fuzz key"}}
}

// envelope signs payload into a DSSE envelope, as chainseal and cosign write it.
func (s fuzzSigner) envelope(tb testing.TB, payloadType string, payload []byte) []byte {
	tb.Helper()
	d := sha256.Sum256(dsse.PAE(payloadType, payload))
	sig, err := s.priv.Sign(nil, d[:], crypto.SHA256)
	if err != nil {
		tb.Fatal(err)
	}
	env, err := json.Marshal(dsse.Envelope{
		PayloadType: payloadType,
		Payload:     base64.StdEncoding.EncodeToString(payload),
		Signatures:  []dsse.Signature{{Sig: base64.StdEncoding.EncodeToString(sig)}},
	})
	if err != nil {
		tb.Fatal(err)
	}
	return env
}

// fuzzLog is the transparency log the fuzz verifier trusts.
type fuzzLog struct {
	sv   signature.SignerVerifier
	logs *Logs
}

func newFuzzLog(tb testing.TB) fuzzLog {
	tb.Helper()
	seed := sha256.Sum256([]byte("chainseal fuzz transparency log"))
	priv := ed25519.NewKeyFromSeed(seed[:])
	sv, err := signature.LoadED25519SignerVerifier(priv)
	if err != nil {
		tb.Fatal(err)
	}
	logs := &Logs{byID: map[string]logKey{}}
	if err := logs.add(priv.Public(), crypto.SHA256, "", time.Time{}, time.Time{}); err != nil {
		tb.Fatal(err)
	}
	return fuzzLog{sv: sv, logs: logs}
}

func (l fuzzLog) id() string {
	for id := range l.logs.byID {
		return id
	}
	return ""
}

// entry is the dsse entry an honest log returns for envelope signed with
// key: canonical body, one-leaf inclusion proof, signed checkpoint and
// signed entry timestamp.
func (l fuzzLog) entry(tb testing.TB, envelope []byte, key *Key) models.LogEntryAnon {
	tb.Helper()
	ctx := context.Background()
	pe, err := types.NewProposedEntry(ctx, rekordsse.KIND, dssev001.APIVERSION, types.ArtifactProperties{ArtifactBytes: envelope, PublicKeyBytes: [][]byte{key.PEM()}})
	if err != nil {
		tb.Fatal(err)
	}
	impl, err := types.UnmarshalEntry(pe)
	if err != nil {
		tb.Fatal(err)
	}
	body, err := types.CanonicalizeEntry(ctx, impl)
	if err != nil {
		tb.Fatal(err)
	}
	leaf := rfc6962.DefaultHasher.HashLeaf(body)
	cp, err := rekorutil.CreateAndSignCheckpoint(ctx, "rekor.fuzz", 1, 1, leaf, l.sv)
	if err != nil {
		tb.Fatal(err)
	}
	b64, id := base64.StdEncoding.EncodeToString(body), l.id()
	index, integrated := int64(0), int64(1700000000)
	set, err := json.Marshal(cbundle.RekorPayload{Body: b64, IntegratedTime: integrated, LogIndex: index, LogID: id})
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
	return models.LogEntryAnon{
		Body: b64, IntegratedTime: &integrated, LogIndex: &index, LogID: &id,
		Verification: &models.LogEntryAnonVerification{
			SignedEntryTimestamp: sig,
			InclusionProof: &models.InclusionProof{
				LogIndex: ptr(int64(0)), TreeSize: ptr(int64(1)), RootHash: ptr(hex.EncodeToString(leaf)),
				Hashes: []string{}, Checkpoint: ptr(string(cp)),
			},
		},
	}
}

// fuzzStatements are real statements (the provenance package's golden
// files, the fixtures of this package's tests too), small ones first.
func fuzzStatements(tb testing.TB) [][]byte {
	tb.Helper()
	files, _ := filepath.Glob(filepath.Join("..", "provenance", "testdata", "*.golden.json"))
	var out [][]byte
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if _, ok := x["_type"]; ok {
				if b, err := json.Marshal(x); err == nil && len(b) < 32<<10 {
					out = append(out, b)
				}
				return
			}
			for _, c := range x {
				walk(c)
			}
		case []any:
			for _, c := range x {
				walk(c)
			}
		}
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil || len(b) > 256<<10 {
			continue
		}
		var v any
		if json.Unmarshal(b, &v) == nil {
			walk(v)
		}
	}
	out = append(out,
		[]byte(`{"_type":"https://in-toto.io/Statement/v1","predicateType":"https://slsa.dev/provenance/v1","subject":[{"name":"x","digest":{"sha256":"`+strings.Repeat("a1", 32)+`"}}],"predicate":null}`),
		[]byte(`{"_type":"https://in-toto.io/Statement/v0.1","predicateType":"https://slsa.dev/provenance/v0.2","subject":null,"predicate":{"metadata":{"buildFinishedOn":null},"invocation":{"environment":{"chainseal":{"taskRuns":[null]}}}}}`),
		[]byte(`{"_type":"x","predicateType":"https://slsa.dev/provenance/v1","predicate":{"runDetails":{"metadata":{"finishedOn":"9999-12-31T23:59:59Z"}},"buildDefinition":{"internalParameters":{"chainseal":{}}}}}`),
	)
	if len(out) < 4 {
		tb.Logf("only %d statements found under ../provenance/testdata", len(out))
	}
	return out
}

// withSubject rewrites a statement's subject to the fuzz image.
func withSubject(tb testing.TB, stmt []byte) []byte {
	tb.Helper()
	var m map[string]any
	if err := json.Unmarshal(stmt, &m); err != nil {
		tb.Fatal(err)
	}
	m["subject"] = []any{map[string]any{"name": fuzzDigest.Context().Name(), "digest": map[string]string{"sha256": strings.Repeat("a1", 32)}}}
	b, err := json.Marshal(m)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// fuzzRequirements turn every policy check on, one set per shape of flag.
func fuzzRequirements(which uint8) Requirements {
	r := []Requirements{
		{BuilderID: "https://github.com/chainseal/chainseal", Namespace: "payments", Pipeline: "registry.example/tekton/pipelines:v3@sha256:" + strings.Repeat("b2", 32),
			SourceURI: "https://git.example/app", SourceDigest: "sha1:" + strings.Repeat("c3", 20), MaxAge: time.Hour, AllTasksSucceeded: true, Hermetic: []string{"all"}},
		{Pipeline: "git+https://git.example/p.git@sha1:" + strings.Repeat("d4", 20), SourceDigest: strings.Repeat("e5", 32), AllowTenantSources: true, Hermetic: []string{"build", ""}, MaxAge: time.Nanosecond},
	}
	return r[int(which)%len(r)]
}

var fuzzNow = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// FuzzParseStatement: the signed payload, once its signature verified, is
// read as an in-toto statement and every policy check runs on it. Nothing
// in it may panic a check, and every check decides (pass or fail).
func FuzzParseStatement(f *testing.F) {
	for _, s := range fuzzStatements(f) {
		f.Add(s, uint8(0))
		f.Add(withSubject(f, s), uint8(1))
	}
	f.Add([]byte(`{"_type":"a","predicateType":"b","subject":[{"digest":{"sha256":"`+strings.Repeat("A1", 32)+`"}}]}`), uint8(0))
	f.Fuzz(func(t *testing.T, payload []byte, which uint8) {
		st, err := parseStatement(payload)
		if err != nil {
			return
		}
		if st.Type == "" || st.PredicateType == "" {
			t.Fatalf("parsed a statement without _type or predicateType: %q %q", st.Type, st.PredicateType)
		}
		if known := st.PredicateType == predicateSLSA1 || st.PredicateType == predicateSLSA02; st.prov.known != known {
			t.Fatalf("predicateType %q: known = %v", st.PredicateType, st.prov.known)
		}
		r := fuzzRequirements(which)
		checks := r.check(st, fuzzNow)
		if len(checks) != len(r.names()) {
			t.Fatalf("%d checks for %d requirements", len(checks), len(r.names()))
		}
		for i, c := range checks {
			if c.Name != r.names()[i] || (c.Status != Pass && c.Status != Fail) || c.Detail == "" {
				t.Fatalf("check %d: %+v", i, c)
			}
		}
		c := checkSubject(st, fuzzDigest)
		if c.Status == Pass {
			alg, hx, _ := strings.Cut(fuzzDigest.DigestStr(), ":")
			found := false
			for _, s := range st.Subject {
				found = found || strings.EqualFold(s.Digest[alg], hx)
			}
			if !found {
				t.Fatalf("subject check passed but no subject has %s: %s", fuzzDigest.DigestStr(), c.Detail)
			}
		}
	})
}

// FuzzVerifyEnvelope: a .att layer's bytes, read as a DSSE envelope and
// checked as `chainseal verify` does (signature, then the statement it
// carries, the transparency log check off). The stored bytes are kept as
// they are (the Rekor entry hashes them), and a signature passes only on
// what the key signed.
func FuzzVerifyEnvelope(f *testing.F) {
	s := newFuzzSigner(f)
	for i, st := range fuzzStatements(f) {
		if i < 6 {
			f.Add(s.envelope(f, signing.PayloadTypeInToto, withSubject(f, st)))
		}
	}
	f.Add(s.envelope(f, "application/vnd.dev.cosign.simplesigning.v1+json", []byte(`{}`)))
	f.Add([]byte(`{"payloadType":"application/vnd.in-toto+json","payload":"e30=","signatures":[]}`))
	f.Add([]byte(`{"payloadType":"application/vnd.in-toto+json","payload":"!!","signatures":[{"keyid":"","sig":"not base64"},null]}`))
	f.Add([]byte(`{"payloadType":null,"payload":null,"signatures":null}`))
	v := &Verifier{key: s.key, o: options{ignoreTlog: true, requirements: fuzzRequirements(0), now: func() time.Time { return fuzzNow }}}
	f.Fuzz(func(t *testing.T, raw []byte) {
		ev, err := parseEnvelope(raw, "fuzz")
		if err != nil {
			return
		}
		if b, err := ev.envelopeJSON(); err != nil || !bytes.Equal(b, raw) {
			t.Fatalf("the envelope's bytes changed: %v", err)
		}
		a := v.check(context.Background(), fuzzDigest, ev)
		if want := 3 + len(v.o.requirements.names()); len(a.Checks) != want {
			t.Fatalf("%d checks, want %d: %+v", len(a.Checks), want, a.Checks)
		}
		if a.Checks[0].Status != Pass {
			return
		}
		payload, err := base64.StdEncoding.DecodeString(ev.env.Payload)
		if err != nil {
			t.Fatalf("signature passed on a payload that is not base64: %v", err)
		}
		if ev.env.PayloadType != signing.PayloadTypeInToto {
			t.Fatalf("signature passed on payload type %q", ev.env.PayloadType)
		}
		d := sha256.Sum256(dsse.PAE(ev.env.PayloadType, payload))
		ok := false
		for _, sig := range ev.env.Signatures {
			b, err := base64.StdEncoding.DecodeString(sig.Sig)
			ok = ok || err == nil && ecdsa.VerifyASN1(&s.priv.PublicKey, d[:], b)
		}
		if !ok {
			t.Fatal("signature passed, but no signature of the envelope verifies with the key")
		}
	})
}

// complete reports whether every field rekor's verify package reads is
// there.
func complete(e *models.LogEntryAnon) bool {
	if e.LogIndex == nil || e.IntegratedTime == nil || e.LogID == nil || e.Verification == nil || e.Verification.InclusionProof == nil {
		return false
	}
	p := e.Verification.InclusionProof
	return p.LogIndex != nil && p.TreeSize != nil && p.RootHash != nil && p.Checkpoint != nil
}

// FuzzCheckTransparency: the transparency log entry stored with an
// attestation (a Rekor entry as a log returns it, or a .att layer's
// cosign bundle annotation) checked offline against a trusted log. Missing
// and nil fields from a hostile log must fail the check, not panic; a pass
// means the log really signed and included the entry.
func FuzzCheckTransparency(f *testing.F) {
	s, l := newFuzzSigner(f), newFuzzLog(f)
	envelope := s.envelope(f, signing.PayloadTypeInToto, withSubject(f, fuzzStatements(f)[0]))
	e := l.entry(f, envelope, s.key)
	good, err := json.Marshal(e)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good, false)
	for _, drop := range []string{`"rootHash"`, `"logIndex"`, `"treeSize"`, `"checkpoint"`, `"integratedTime"`, `"logID"`, `"inclusionProof"`, `"verification"`, `"body"`, `"signedEntryTimestamp"`, `"hashes"`} {
		f.Add(bytes.Replace(good, []byte(drop), []byte(`"x`+drop[1:]), -1), false)
	}
	f.Add(bytes.Replace(good, []byte(`"hashes":[]`), []byte(`"hashes":[null,"zz"]`), 1), false)
	rb, err := json.Marshal(cbundle.RekorBundle{SignedEntryTimestamp: e.Verification.SignedEntryTimestamp,
		Payload: cbundle.RekorPayload{Body: e.Body, IntegratedTime: *e.IntegratedTime, LogIndex: *e.LogIndex, LogID: *e.LogID}})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(rb, true)
	f.Add([]byte(`{"SignedEntryTimestamp":null,"Payload":{"body":{"a":1}}}`), true)
	f.Add([]byte(`{"verification":{"inclusionProof":{}}}`), false)
	f.Add([]byte(`{"body":42,"logID":null}`), false)
	v := &Verifier{key: s.key, o: options{offline: true, logs: l.logs, now: func() time.Time { return fuzzNow }}}
	f.Fuzz(func(t *testing.T, entry []byte, annotation bool) {
		ev, err := parseEnvelope(envelope, "fuzz")
		if err != nil {
			t.Fatal(err)
		}
		if annotation {
			var b cbundle.RekorBundle
			if json.Unmarshal(entry, &b) != nil {
				return
			}
			ev.entry = entryFromRekorBundle(&b)
		} else {
			var e models.LogEntryAnon
			if json.Unmarshal(entry, &e) != nil {
				return
			}
			ev.entry = &e
		}
		var a Attestation
		c := v.checkTransparency(context.Background(), ev, &a)
		if c.Name != CheckTransparency || c.Detail == "" {
			t.Fatalf("check %+v", c)
		}
		if c.Status != Pass {
			return
		}
		if !complete(ev.entry) {
			t.Fatalf("passed an incomplete entry: %s", c.Detail)
		}
		if err := rekorverify.VerifyLogEntry(context.Background(), ev.entry, l.sv); err != nil {
			t.Fatalf("passed an entry that does not verify with the log's key: %v", err)
		}
	})
}

// FuzzParseBundle: a Sigstore bundle file (--bundle) or referrer. Seeds
// are real bundles (testdata/fuzz/FuzzParseBundle: sigstore-go's and
// cosign's test bundles, v0.1 and v0.3) and one chainseal writes. A bundle
// parsed is checked against the trusted log without panicking, and one
// chainseal can write back reads back the same.
func FuzzParseBundle(f *testing.F) {
	s, l := newFuzzSigner(f), newFuzzLog(f)
	envelope := s.envelope(f, signing.PayloadTypeInToto, withSubject(f, fuzzStatements(f)[0]))
	ev, err := parseEnvelope(envelope, "fuzz")
	if err != nil {
		f.Fatal(err)
	}
	e := l.entry(f, envelope, s.key)
	ev.entry = &e
	ours, err := bundleJSON(ev, s.key)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(ours)
	f.Add([]byte(`{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{"publicKey":{"hint":"x"},"tlogEntries":[{}]},"dsseEnvelope":{}}`))
	f.Add([]byte(`{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{"publicKey":{},"tlogEntries":[{"logIndex":"1","logId":{},"kindVersion":{"kind":"dsse","version":"0.0.1"},"inclusionProof":{"checkpoint":{}}}]},"dsseEnvelope":{"payload":"","signatures":[{}]}}`))
	v := &Verifier{key: s.key, o: options{offline: true, logs: l.logs, now: func() time.Time { return fuzzNow }}}
	f.Fuzz(func(t *testing.T, raw []byte) {
		ev, err := parseBundle(raw, "fuzz")
		if err != nil {
			return
		}
		if ev.env == nil {
			t.Fatal("a bundle parsed without an envelope")
		}
		if _, err := base64.StdEncoding.DecodeString(ev.env.Payload); err != nil {
			t.Fatalf("the envelope's payload is not base64: %v", err)
		}
		if e := ev.entry; e != nil && (e.LogIndex == nil || e.IntegratedTime == nil || e.LogID == nil || e.Verification == nil ||
			e.Verification.InclusionProof != nil && !complete(e)) {
			t.Fatalf("a bundle's entry lacks fields: %+v", e)
		}
		var a Attestation
		_, _ = v.checkSignature(context.Background(), ev)
		c := v.checkTransparency(context.Background(), ev, &a)
		if c.Status == Pass {
			if err := rekorverify.VerifyLogEntry(context.Background(), ev.entry, l.sv); err != nil {
				t.Fatalf("passed an entry that does not verify with the log's key: %v", err)
			}
		}
		if ev.entry == nil || ev.entry.Verification.InclusionProof == nil {
			return // SaveBundle writes only entries with an inclusion proof
		}
		out, err := bundleJSON(ev, s.key)
		if err != nil {
			return
		}
		back, err := parseBundle(out, "fuzz again")
		if err != nil {
			t.Fatalf("a bundle chainseal wrote does not parse: %v", err)
		}
		if !reflect.DeepEqual(back.env, ev.env) {
			t.Fatalf("the envelope changed on the way back:\n%+v\n%+v", ev.env, back.env)
		}
		if !reflect.DeepEqual(back.entry, ev.entry) {
			a, _ := json.Marshal(ev.entry)
			b, _ := json.Marshal(back.entry)
			t.Fatalf("the entry changed on the way back:\n%s\n%s", a, b)
		}
	})
}
