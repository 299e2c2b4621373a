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
	"encoding/pem"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/sigstore/sigstore/pkg/cryptoutils"
)

// testSigner is a local key as the x509 signer loads it.
func testSigner(t *testing.T, priv crypto.PrivateKey) Signer {
	t.Helper()
	s, err := signerFromPrivateKey(priv, "test key")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func newECDSA(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// testCert issues a certificate for pub, signed by parent's key (self-signed
// when parent is nil), and returns it with its PEM.
func testCert(t *testing.T, pub crypto.PublicKey, parent *x509.Certificate, parentKey crypto.Signer, cn string) (*x509.Certificate, []byte) {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: cn},
		NotBefore:             time.Now().Add(-time.Minute),
		NotAfter:              time.Now().Add(10 * time.Minute),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
		IsCA:                  parent == nil,
	}
	if parent == nil {
		parent = tmpl
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// keylessCert is a leaf certificate for a fresh key, issued by a fresh CA,
// as Fulcio hands a keyless signer.
type keylessCert struct {
	key            *ecdsa.PrivateKey
	leafPEM, caPEM []byte
	leaf, ca       *x509.Certificate
	signer         Signer
}

func newKeylessCert(t *testing.T) keylessCert {
	t.Helper()
	caKey := newECDSA(t)
	ca, caPEM := testCert(t, caKey.Public(), nil, caKey, "test CA")
	key := newECDSA(t)
	leaf, leafPEM := testCert(t, key.Public(), ca, caKey, "workload")
	return keylessCert{key: key, leafPEM: leafPEM, caPEM: caPEM, leaf: leaf, ca: ca, signer: testSigner(t, key)}
}

// certSigner is a Signer that is also a CertificateProvider, as the keyless
// signer will be.
type certSigner struct {
	Signer
	cert, chain []byte
}

func (c certSigner) Certificate() (cert, chain []byte) { return c.cert, c.chain }

// verifies reports whether m's verifier accepts a signature s made over
// payload, and refuses it over another payload.
func verifies(t *testing.T, m *Material, s Signer) {
	t.Helper()
	payload := []byte("payload")
	sig, err := s.SignBlob(context.Background(), payload)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Verifier().VerifySignature(bytes.NewReader(sig), bytes.NewReader(payload)); err != nil {
		t.Errorf("%s does not verify its signer's signature: %v", m, err)
	}
	if err := m.Verifier().VerifySignature(bytes.NewReader(sig), bytes.NewReader([]byte("other"))); err == nil {
		t.Errorf("%s verifies a signature over another payload", m)
	}
	env, err := s.SignEnvelope(context.Background(), PayloadTypeInToto, statement)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyEnvelope(context.Background(), env, PayloadTypeInToto, m.Verifier()); err != nil {
		t.Errorf("%s does not verify its signer's envelope: %v", m, err)
	}
}

func hintOf(t *testing.T, pub crypto.PublicKey) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(der)
	return base64.StdEncoding.EncodeToString(sum[:])
}

func TestKeyMaterial(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pkcs1 := pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(&rsaKey.PublicKey)})
	for _, tc := range []struct {
		name string
		priv crypto.Signer
		pem  func(s Signer) []byte
		want string
	}{
		{"ecdsa-p256", newECDSA(t), Signer.PublicKeyPEM, "ecdsa-p256 public key"},
		{"ed25519", edKey, Signer.PublicKeyPEM, "ed25519 public key"},
		{"rsa pkcs1 pem", rsaKey, func(Signer) []byte { return pkcs1 }, "rsa-2048 public key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := testSigner(t, tc.priv)
			given := tc.pem(s)
			m, err := NewKeyMaterial(given)
			if err != nil {
				t.Fatal(err)
			}
			if m.IsCertificate() || m.Certificate() != nil || m.CertificatePEM() != nil || len(m.Chain()) != 0 || m.ChainPEM() != nil {
				t.Errorf("a public key has certificate parts: %v %q %v %q", m.Certificate(), m.CertificatePEM(), m.Chain(), m.ChainPEM())
			}
			if !bytes.Equal(m.PEM(), given) {
				t.Errorf("PEM() = %q, want the key as given %q", m.PEM(), given)
			}
			if err := cryptoutils.EqualKeys(m.PublicKey(), tc.priv.Public()); err != nil {
				t.Errorf("PublicKey(): %v", err)
			}
			if !bytes.Equal(m.PublicKeyPEM(), s.PublicKeyPEM()) {
				t.Errorf("PublicKeyPEM() = %q, want the PKIX PEM %q", m.PublicKeyPEM(), s.PublicKeyPEM())
			}
			if got, want := m.KeyHint(), hintOf(t, tc.priv.Public()); got != want {
				t.Errorf("KeyHint() = %s, want %s", got, want)
			}
			if m.String() != tc.want {
				t.Errorf("String() = %q, want %q", m, tc.want)
			}
			verifies(t, m, s)

			// The same key, read back from a record, or as a --key file.
			pub, cert, chain := m.Record()
			back, err := MaterialFrom(pub, cert, chain)
			if err != nil || !bytes.Equal(back.PEM(), given) || !back.SameKey(m) {
				t.Errorf("MaterialFrom(Record()) = %v, %v; want the same key", back, err)
			}
			parsed, err := ParseMaterial(given)
			if err != nil || parsed.IsCertificate() || !parsed.SameKey(m) {
				t.Errorf("ParseMaterial = %v, %v; want the same key", parsed, err)
			}
			if m.SameKey(mustMaterial(t, testSigner(t, newECDSA(t)).PublicKeyPEM())) {
				t.Error("SameKey is true for another key")
			}
		})
	}
}

func mustMaterial(t *testing.T, pemBytes []byte) *Material {
	t.Helper()
	m, err := ParseMaterial(pemBytes)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestCertificateMaterial(t *testing.T) {
	k := newKeylessCert(t)
	m, err := NewCertificateMaterial(k.leafPEM, k.caPEM)
	if err != nil {
		t.Fatal(err)
	}
	if !m.IsCertificate() || !m.Certificate().Equal(k.leaf) {
		t.Fatalf("Certificate() = %v, want the leaf", m.Certificate())
	}
	if c := m.Chain(); len(c) != 1 || !c[0].Equal(k.ca) {
		t.Errorf("Chain() = %v, want the CA", c)
	}
	if !bytes.Equal(m.PEM(), k.leafPEM) || !bytes.Equal(m.CertificatePEM(), k.leafPEM) || !bytes.Equal(m.ChainPEM(), k.caPEM) {
		t.Errorf("PEM() = %q, CertificatePEM() = %q, ChainPEM() = %q; want the leaf, the leaf and the CA as given", m.PEM(), m.CertificatePEM(), m.ChainPEM())
	}
	if err := cryptoutils.EqualKeys(m.PublicKey(), k.key.Public()); err != nil {
		t.Errorf("PublicKey() is not the leaf's key: %v", err)
	}
	if !bytes.Equal(m.PublicKeyPEM(), k.signer.PublicKeyPEM()) {
		t.Errorf("PublicKeyPEM() = %q, want the leaf's key", m.PublicKeyPEM())
	}
	if got, want := m.KeyHint(), hintOf(t, k.key.Public()); got != want {
		t.Errorf("KeyHint() = %s, want %s", got, want)
	}
	if m.String() != "ecdsa-p256 certificate" {
		t.Errorf("String() = %q", m)
	}
	verifies(t, m, k.signer)
	if !m.SameKey(mustMaterial(t, k.signer.PublicKeyPEM())) {
		t.Error("the certificate and its bare key are not SameKey")
	}

	// A storage record: the key, the certificate and the chain.
	pub, cert, chain := m.Record()
	if !bytes.Equal(pub, k.signer.PublicKeyPEM()) || !bytes.Equal(cert, k.leafPEM) || !bytes.Equal(chain, k.caPEM) {
		t.Errorf("Record() = %q, %q, %q", pub, cert, chain)
	}
	back, err := MaterialFrom(pub, cert, chain)
	if err != nil || !back.IsCertificate() || !bytes.Equal(back.PEM(), k.leafPEM) {
		t.Errorf("MaterialFrom(Record()) = %v, %v; want the certificate", back, err)
	}
	if back, err := MaterialFrom(nil, k.leafPEM, nil); err != nil || !back.IsCertificate() || len(back.Chain()) != 0 {
		t.Errorf("MaterialFrom(no key, cert, no chain) = %v, %v", back, err)
	}

	// A full-chain file (--key, or the verifier a Rekor entry names).
	full := append(append([]byte{}, k.leafPEM...), k.caPEM...)
	fm, err := ParseMaterial(full)
	if err != nil {
		t.Fatal(err)
	}
	if !fm.IsCertificate() || !fm.Certificate().Equal(k.leaf) || len(fm.Chain()) != 1 || !fm.Chain()[0].Equal(k.ca) {
		t.Errorf("ParseMaterial(leaf+CA) = %v with chain %v, want the leaf and the CA", fm.Certificate(), fm.Chain())
	}
}

func TestMaterialOf(t *testing.T) {
	k := newKeylessCert(t)
	m, err := MaterialOf(k.signer)
	if err != nil || m.IsCertificate() || !bytes.Equal(m.PEM(), k.signer.PublicKeyPEM()) {
		t.Errorf("MaterialOf(key signer) = %v, %v; want its public key", m, err)
	}
	m, err = MaterialOf(certSigner{Signer: k.signer, cert: k.leafPEM, chain: k.caPEM})
	if err != nil {
		t.Fatal(err)
	}
	if !m.IsCertificate() || !bytes.Equal(m.PEM(), k.leafPEM) || len(m.Chain()) != 1 {
		t.Errorf("MaterialOf(certificate provider) = %v, want its certificate and chain", m)
	}
	verifies(t, m, k.signer)

	other := newKeylessCert(t)
	_, err = MaterialOf(certSigner{Signer: k.signer, cert: other.leafPEM})
	if err == nil || !strings.Contains(err.Error(), "not the certificate's") || !strings.Contains(err.Error(), "test key") {
		t.Errorf("a certificate of another key: err = %v, want one naming the signer and the mismatch", err)
	}
	if _, err := MaterialOf(certSigner{Signer: k.signer}); !errors.Is(err, ErrNoMaterial) {
		t.Errorf("a provider without a certificate: err = %v, want ErrNoMaterial", err)
	}
	if _, err := MaterialOf(&pgpSigner{desc: "pgp key X"}); !errors.Is(err, ErrUnsupported) {
		t.Errorf("a PGP key: err = %v, want ErrUnsupported", err)
	}
}

func TestMaterialBadInput(t *testing.T) {
	k := newKeylessCert(t)
	keyPEM := k.signer.PublicKeyPEM()
	otherKey := testSigner(t, newECDSA(t)).PublicKeyPEM()
	badDER := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte("not DER")})
	for _, tc := range []struct {
		name string
		make func() (*Material, error)
		want string
		is   error
	}{
		{"garbage key", func() (*Material, error) { return NewKeyMaterial([]byte("garbage")) }, "parsing the PEM public key", nil},
		{"empty key", func() (*Material, error) { return NewKeyMaterial(nil) }, "parsing the PEM public key", ErrNoMaterial},
		{"certificate as key", func() (*Material, error) { return NewKeyMaterial(k.leafPEM) }, "parsing the PEM public key", nil},
		{"garbage certificate", func() (*Material, error) { return NewCertificateMaterial([]byte("garbage"), nil) }, "parsing the certificate: not a PEM certificate", nil},
		{"key as certificate", func() (*Material, error) { return NewCertificateMaterial(keyPEM, nil) }, "parsing the certificate: PEM block 1", nil},
		{"corrupt certificate", func() (*Material, error) { return NewCertificateMaterial(badDER, nil) }, "parsing the certificate: certificate 1", nil},
		{"garbage chain", func() (*Material, error) { return NewCertificateMaterial(k.leafPEM, []byte("garbage")) }, "parsing the certificate chain", nil},
		{"corrupt chain", func() (*Material, error) {
			return NewCertificateMaterial(k.leafPEM, append(append([]byte{}, k.caPEM...), badDER...))
		}, "parsing the certificate chain: certificate 2", nil},
		{"nothing", func() (*Material, error) { return MaterialFrom(nil, nil, nil) }, "no public key or certificate", ErrNoMaterial},
		{"key of another certificate", func() (*Material, error) { return MaterialFrom(otherKey, k.leafPEM, k.caPEM) }, "not the certificate's", nil},
		{"garbage key with certificate", func() (*Material, error) { return MaterialFrom([]byte("garbage"), k.leafPEM, nil) }, "parsing the PEM public key", nil},
		{"garbage in ParseMaterial", func() (*Material, error) { return ParseMaterial([]byte("garbage")) }, "parsing the PEM public key", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := tc.make()
			if err == nil {
				t.Fatalf("no error, material %v", m)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to say %q", err, tc.want)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("err = %v, want it to wrap %v", err, tc.is)
			}
		})
	}
}
