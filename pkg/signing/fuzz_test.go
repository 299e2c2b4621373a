package signing

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"testing"
	"time"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
)

// fuzzPEMs are the PEM inputs a record, a --key file or a Rekor entry's
// verifier holds: public keys of every type chainseal signs with, PKIX and
// PKCS#1, a certificate alone and with its chain, and a private key (which
// must never be taken for a public one).
func fuzzPEMs(tb testing.TB) (keys [][]byte, leaf, chain []byte) {
	tb.Helper()
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		tb.Fatal(err)
	}
	epub, _, _ := ed25519.GenerateKey(rand.Reader)
	for _, pub := range []crypto.PublicKey{p256.Public(), p384.Public(), rk.Public(), epub} {
		b, err := cryptoutils.MarshalPublicKeyToPEM(pub)
		if err != nil {
			tb.Fatal(err)
		}
		keys = append(keys, b)
	}
	keys = append(keys, pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(&rk.PublicKey)}))
	der, _ := x509.MarshalECPrivateKey(p256)
	keys = append(keys, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}))

	cert := func(pub crypto.PublicKey, parent *x509.Certificate, key crypto.Signer, cn string, ca bool) (*x509.Certificate, []byte) {
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
			NotBefore: time.Unix(1700000000, 0), NotAfter: time.Unix(1700000600, 0),
			IsCA: ca, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
		}
		if parent == nil {
			parent = tmpl
		}
		d, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, key)
		if err != nil {
			tb.Fatal(err)
		}
		c, err := x509.ParseCertificate(d)
		if err != nil {
			tb.Fatal(err)
		}
		return c, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: d})
	}
	root, rootPEM := cert(p384.Public(), nil, p384, "fuzz root", true)
	_, leaf = cert(p256.Public(), root, p384, "fuzz leaf", false)
	return keys, leaf, rootPEM
}

// FuzzMaterial: the verification material of a record (public key,
// certificate, chain) and one PEM as ParseMaterial reads it. Whatever
// parses has a verifier, names the key cosign's way (base64 SHA-256 of
// its PKIX DER), survives Record and MaterialFrom as the same key, and a
// key given with a certificate is the certificate's.
func FuzzMaterial(f *testing.F) {
	keys, leaf, chain := fuzzPEMs(f)
	for _, k := range keys {
		f.Add(k, []byte{}, []byte{})
		f.Add(k, leaf, chain) // the key is not the leaf's (but the first is)
	}
	f.Add([]byte{}, leaf, chain)
	f.Add([]byte{}, append(append([]byte{}, leaf...), chain...), []byte{})
	f.Add(append([]byte("junk before\n"), keys[0]...), append(leaf, "\njunk after"...), append(chain, keys[1]...))
	f.Add([]byte("-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----\n"), []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), []byte(" \n"))
	f.Fuzz(func(t *testing.T, pub, cert, chainPEM []byte) {
		for _, b := range [][]byte{pub, cert} {
			m, err := ParseMaterial(b)
			if err != nil {
				continue
			}
			if blk, _ := pem.Decode(b); blk == nil || bytes.Contains([]byte(blk.Type), []byte("PRIVATE")) {
				t.Fatalf("ParseMaterial took %q for a public key or certificate", b)
			}
			checkMaterial(t, m)
		}
		m, err := MaterialFrom(pub, cert, chainPEM)
		if err != nil {
			return
		}
		checkMaterial(t, m)
		if len(cert) > 0 != m.IsCertificate() {
			t.Fatalf("certificate given: %v, material is one: %v", len(cert) > 0, m.IsCertificate())
		}
		if len(cert) > 0 && len(pub) > 0 {
			k, err := NewKeyMaterial(pub)
			if err != nil || !m.SameKey(k) {
				t.Fatalf("a key that is not the certificate's was accepted with it: %v", err)
			}
		}
	})
}

func checkMaterial(t *testing.T, m *Material) {
	t.Helper()
	if m.Verifier() == nil || m.PublicKey() == nil {
		t.Fatal("material without a verifier or key")
	}
	if !m.SameKey(m) {
		t.Fatal("material is not the same key as itself")
	}
	der, err := cryptoutils.MarshalPublicKeyToDER(m.PublicKey())
	if err != nil {
		t.Fatal(err)
	}
	if sum := sha256.Sum256(der); m.KeyHint() != base64.StdEncoding.EncodeToString(sum[:]) {
		t.Fatalf("key hint %q is not the SHA-256 of the key", m.KeyHint())
	}
	k, err := NewKeyMaterial(m.PublicKeyPEM())
	if err != nil || !k.SameKey(m) || k.KeyHint() != m.KeyHint() {
		t.Fatalf("the material's own public key PEM does not parse back to it: %v", err)
	}
	back, err := MaterialFrom(m.Record())
	if err != nil || !back.SameKey(m) || back.IsCertificate() != m.IsCertificate() || len(back.Chain()) != len(m.Chain()) {
		t.Fatalf("the material's record does not read back as it: %v", err)
	}
	if m.IsCertificate() && m.Certificate() == nil {
		t.Fatal("a certificate material without a certificate")
	}
	if s := m.String(); bytes.Contains(m.PEM(), []byte(s)) || s == "" {
		t.Fatalf("String %q", s)
	}
}

// FuzzVerifyEnvelope: a DSSE envelope (JSON) verified with a key, as
// verify and storage dedupe do. Seeds are envelopes chainseal's signer
// makes. It verifies only with a signature the key made over the PAE of
// the payload type and payload it returns.
func FuzzVerifyEnvelope(f *testing.F) {
	seed := sha256.Sum256([]byte("chainseal fuzz signer"))
	priv, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), seed[:])
	if err != nil {
		f.Fatal(err)
	}
	s, err := signerFromPrivateKey(priv, "fuzz key")
	if err != nil {
		f.Fatal(err)
	}
	m, err := MaterialOf(s)
	if err != nil {
		f.Fatal(err)
	}
	sign := func(pt string, payload []byte) []byte {
		d := sha256.Sum256(dsse.PAE(pt, payload))
		sig, err := priv.Sign(nil, d[:], crypto.SHA256)
		if err != nil {
			f.Fatal(err)
		}
		b, _ := json.Marshal(newEnvelope(pt, payload, sig, s.KeyID()))
		return b
	}
	f.Add(sign(PayloadTypeInToto, []byte(`{"_type":"https://in-toto.io/Statement/v1","predicateType":"https://slsa.dev/provenance/v1","subject":[],"predicate":{}}`)))
	f.Add(sign(PayloadTypeInToto, []byte{}))
	f.Add(sign("application/vnd.dev.cosign.simplesigning.v1+json", []byte(`{}`)))
	two := sign(PayloadTypeInToto, []byte("x"))
	f.Add(bytes.Replace(two, []byte(`"signatures":[`), []byte(`"signatures":[{"keyid":"other","sig":"AAAA"},`), 1))
	f.Add([]byte(`{"payloadType":"application/vnd.in-toto+json","payload":"eA==","signatures":[{"sig":"not base64"},{}]}`))
	f.Add([]byte(`{"payloadType":"application/vnd.in-toto+json","payload":"eA","signatures":null}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		var env Envelope
		if json.Unmarshal(raw, &env) != nil {
			return
		}
		payload, err := VerifyEnvelope(context.Background(), &env, PayloadTypeInToto, m.Verifier())
		if err != nil {
			return
		}
		if env.PayloadType != PayloadTypeInToto {
			t.Fatalf("verified payload type %q", env.PayloadType)
		}
		want, err := base64.StdEncoding.DecodeString(env.Payload)
		if err != nil {
			// DSSE allows URL-safe base64 too.
			if want, err = base64.URLEncoding.DecodeString(env.Payload); err != nil {
				t.Fatalf("verified a payload that is not base64 %q", env.Payload)
			}
		}
		if !bytes.Equal(payload, want) {
			t.Fatal("the payload returned is not the envelope's")
		}
		d := sha256.Sum256(dsse.PAE(env.PayloadType, payload))
		ok := false
		for _, sig := range env.Signatures {
			for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
				b, err := enc.DecodeString(sig.Sig)
				ok = ok || err == nil && ecdsa.VerifyASN1(&priv.PublicKey, d[:], b)
			}
		}
		if !ok {
			t.Fatal("verified, but no signature is the key's over the payload")
		}
	})
}
