package oci

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"testing"

	ssldsse "github.com/secure-systems-lab/go-securesystemslib/dsse"
	"github.com/sigstore/cosign/v2/pkg/oci"
	"github.com/sigstore/cosign/v2/pkg/oci/static"
	ctypes "github.com/sigstore/cosign/v2/pkg/types"
	"github.com/sigstore/sigstore/pkg/cryptoutils"

	"github.com/chainseal/chainseal/pkg/storage"
)

// fuzzKey signs deterministically (ECDSA P-256 from a fixed seed, RFC
// 6979), so a crashing input saved under testdata/fuzz reproduces.
type fuzzKey struct {
	priv   *ecdsa.PrivateKey
	pubPEM []byte
}

func newFuzzKey(tb testing.TB, seed string) fuzzKey {
	tb.Helper()
	s := sha256.Sum256([]byte(seed))
	priv, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), s[:])
	if err != nil {
		tb.Fatal(err)
	}
	pub, err := cryptoutils.MarshalPublicKeyToPEM(priv.Public())
	if err != nil {
		tb.Fatal(err)
	}
	return fuzzKey{priv: priv, pubPEM: pub}
}

func (k fuzzKey) sign(tb testing.TB, msg []byte) []byte {
	tb.Helper()
	d := sha256.Sum256(msg)
	sig, err := k.priv.Sign(nil, d[:], crypto.SHA256)
	if err != nil {
		tb.Fatal(err)
	}
	return sig
}

func (k fuzzKey) envelope(tb testing.TB, keyID string, stmt []byte) []byte {
	tb.Helper()
	b, err := json.Marshal(ssldsse.Envelope{
		PayloadType: ctypes.IntotoPayloadType,
		Payload:     base64.StdEncoding.EncodeToString(stmt),
		Signatures:  []ssldsse.Signature{{KeyID: keyID, Sig: base64.StdEncoding.EncodeToString(k.sign(tb, ssldsse.PAE(ctypes.IntotoPayloadType, stmt)))}},
	})
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// verifiesWith reports whether one of env's signatures is k's over its PAE.
func (k fuzzKey) verifiesWith(env *ssldsse.Envelope, payload []byte) bool {
	d := sha256.Sum256(ssldsse.PAE(env.PayloadType, payload))
	for _, s := range env.Signatures {
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
			if b, err := enc.DecodeString(s.Sig); err == nil && ecdsa.VerifyASN1(&k.priv.PublicKey, d[:], b) {
				return true
			}
		}
	}
	return false
}

// FuzzExistingLayers: what a registry's .att and .sig tags already hold,
// which anyone who can push there may have written, read by the dedupe
// that decides whether an attestation or signature is stored again.
// An existing layer counts as ours only when it is the very same bytes, or
// (after a re-sign) the same statement or payload with a signature by the
// record's key; anything else is stored anew, and nothing panics.
func FuzzExistingLayers(f *testing.F) {
	k, other := newFuzzKey(f, "chainseal fuzz signer"), newFuzzKey(f, "someone else")
	const pt = "https://slsa.dev/provenance/v1"
	stmt := []byte(`{"_type":"https://in-toto.io/Statement/v1","predicateType":"` + pt + `","subject":[{"name":"registry.example/app","digest":{"sha256":"` + string(bytes.Repeat([]byte("ab"), 32)) + `"}}],"predicate":{}}`)
	env := k.envelope(f, "", stmt)
	a := storage.Attestation{Payload: stmt, Envelope: env, PublicKey: k.pubPEM}
	simple := []byte(`{"critical":{"identity":{"docker-reference":"registry.example/app"},"image":{"docker-manifest-digest":"sha256:` + string(bytes.Repeat([]byte("ab"), 32)) + `"},"type":"cosign container image signature"},"optional":null}`)
	sig := base64.StdEncoding.EncodeToString(k.sign(f, simple))
	im := storage.ImageSignature{Payload: simple, Signature: k.sign(f, simple), PublicKey: k.pubPEM}

	f.Add(env, pt, "", false)                              // the very same envelope
	f.Add(k.envelope(f, "re-signed", stmt), pt, "", false) // same statement, other bytes, our key
	f.Add(other.envelope(f, "", stmt), pt, "", false)      // same statement, another key
	f.Add(k.envelope(f, "", []byte(`{}`)), pt, "", false)  // our key, another statement
	f.Add(bytes.ReplaceAll(env, []byte(`"payloadType":"application/vnd.in-toto+json"`), []byte(`"payloadType":"text/plain"`)), pt, "", false)
	f.Add([]byte(`{"payload":"!!","signatures":[null]}`), pt, "", false)
	f.Add([]byte(`{"payloadType":"application/vnd.in-toto+json","payload":"e30=","signatures":[{"sig":""}]}`), "", "", false)
	f.Add(simple, "", sig, true)                                                  // the same signature
	f.Add(simple, "", base64.StdEncoding.EncodeToString(k.sign(f, simple)), true) // a re-sign, deterministic here
	f.Add(simple, "", base64.StdEncoding.EncodeToString(other.sign(f, simple)), true)
	f.Add(simple, "", "not base64!", true)
	f.Add([]byte{}, "", "", true)
	wantPT, err := predicateType(env)
	if err != nil || wantPT != pt {
		f.Fatalf("predicateType of the fuzz envelope: %q %v", wantPT, err)
	}
	f.Fuzz(func(t *testing.T, layer []byte, annotation, b64 string, asSignature bool) {
		if asSignature {
			l, err := static.NewSignature(layer, b64)
			if err != nil {
				return
			}
			found, err := findSignature([]oci.Signature{l}, im, sig)
			if err != nil || !found {
				return
			}
			if !bytes.Equal(layer, simple) {
				t.Fatal("a .sig layer with another payload counted as ours")
			}
			raw, err := base64.StdEncoding.DecodeString(b64)
			d := sha256.Sum256(simple)
			if b64 != sig && (err != nil || !ecdsa.VerifyASN1(&k.priv.PublicKey, d[:], raw)) {
				t.Fatalf("a .sig layer whose signature %q is not the key's counted as ours", b64)
			}
			return
		}
		if p, err := predicateType(layer); err == nil {
			e, payload, err := decodeEnvelope(layer)
			var s struct{ PredicateType string }
			if err != nil || p == "" || e.PayloadType != ctypes.IntotoPayloadType || json.Unmarshal(payload, &s) != nil || s.PredicateType != p {
				t.Fatalf("predicateType %q of a layer that does not say so: %v", p, err)
			}
		}
		l, err := static.NewAttestation(layer, static.WithLayerMediaType(ctypes.DssePayloadType), static.WithAnnotations(map[string]string{"predicateType": annotation}))
		if err != nil {
			return
		}
		found, err := findAttestation(context.Background(), []oci.Signature{l}, a, pt)
		if err != nil || !found || bytes.Equal(layer, env) {
			return
		}
		e, payload, err := decodeEnvelope(layer)
		if err != nil || annotation != pt || !bytes.Equal(payload, stmt) || !k.verifiesWith(e, payload) {
			t.Fatalf("a layer that is not this attestation signed by its key counted as ours: %s", layer)
		}
	})
}
