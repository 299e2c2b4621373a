package signing

import (
	"bytes"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"

	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
)

// ErrNoMaterial is returned (wrapped) when a record carries neither a public
// key nor a certificate to verify its signature with.
var ErrNoMaterial = errors.New("no public key or certificate")

// Material is what a signature is verified with: a public key, or a
// certificate (keyless signing) and the chain that issued it. It is what a
// Rekor entry names as its verifier, what cosign layers and Sigstore bundles
// carry, and what a verifier checks with, parsed once.
//
// Material says nothing about trust: it does not check a certificate's
// chain, validity or identity. That is the verifier's policy.
//
// A Material does not change once made and is safe for concurrent use.
type Material struct {
	pem      []byte // what was given: the public key, or the certificate
	pub      crypto.PublicKey
	pubPEM   []byte // pub as a PKIX PEM
	hint     string
	cert     *x509.Certificate // nil for a public key
	chain    []*x509.Certificate
	chainPEM []byte
	verifier signature.Verifier
}

// NewKeyMaterial parses a PEM public key: PKIX ("PUBLIC KEY", as cosign.pub
// and KMS keys are) or PKCS#1 ("RSA PUBLIC KEY").
func NewKeyMaterial(pemBytes []byte) (*Material, error) {
	if len(bytes.TrimSpace(pemBytes)) == 0 {
		return nil, fmt.Errorf("parsing the PEM public key: %w", ErrNoMaterial)
	}
	pub, err := cryptoutils.UnmarshalPEMToPublicKey(pemBytes)
	if err != nil {
		return nil, fmt.Errorf("parsing the PEM public key: %w", err)
	}
	return newMaterial(bytes.Clone(pemBytes), pub, nil, nil, nil)
}

// NewCertificateMaterial parses the signing certificate and the chain that
// issued it, both PEM, leaf first. Certificates that follow the first one in
// certPEM (a full-chain file) count as the start of the chain; chainPEM may
// be empty.
func NewCertificateMaterial(certPEM, chainPEM []byte) (*Material, error) {
	certs, err := parseCertificates(certPEM)
	if err != nil {
		return nil, fmt.Errorf("parsing the certificate: %w", err)
	}
	chain := certs[1:]
	if len(bytes.TrimSpace(chainPEM)) > 0 {
		more, err := parseCertificates(chainPEM)
		if err != nil {
			return nil, fmt.Errorf("parsing the certificate chain: %w", err)
		}
		chain = append(chain, more...)
	}
	return newMaterial(bytes.Clone(certPEM), certs[0].PublicKey, certs[0], chain, bytes.Clone(chainPEM))
}

// MaterialFrom reads the three PEM fields a storage record carries (public
// key, certificate, chain): the certificate and its chain when there is a
// certificate, else the public key. When both a key and a certificate are
// given, the key must be the certificate's.
func MaterialFrom(pub, cert, chain []byte) (*Material, error) {
	switch {
	case len(cert) > 0:
		m, err := NewCertificateMaterial(cert, chain)
		if err != nil {
			return nil, err
		}
		if len(pub) > 0 {
			k, err := NewKeyMaterial(pub)
			if err != nil {
				return nil, err
			}
			if !m.SameKey(k) {
				return nil, fmt.Errorf("the public key (%s) is not the certificate's (%s)", keyType(k.pub), keyType(m.pub))
			}
		}
		return m, nil
	case len(pub) > 0:
		return NewKeyMaterial(pub)
	}
	return nil, ErrNoMaterial
}

// ParseMaterial reads one PEM that holds either a public key or a
// certificate (followed by its chain): a --key file, or the verifier a
// Rekor entry names.
func ParseMaterial(pemBytes []byte) (*Material, error) {
	if blk, _ := pem.Decode(pemBytes); blk != nil && blk.Type == pemCertificate {
		return NewCertificateMaterial(pemBytes, nil)
	}
	return NewKeyMaterial(pemBytes)
}

func newMaterial(pemBytes []byte, pub crypto.PublicKey, cert *x509.Certificate, chain []*x509.Certificate, chainPEM []byte) (*Material, error) {
	v, err := verifierFromPublicKey(pub)
	if err != nil {
		return nil, err
	}
	der, err := cryptoutils.MarshalPublicKeyToDER(pub)
	if err != nil {
		return nil, fmt.Errorf("encoding the %s public key: %w", keyType(pub), err)
	}
	sum := sha256.Sum256(der)
	return &Material{
		pem:      pemBytes,
		pub:      pub,
		pubPEM:   pem.EncodeToMemory(&pem.Block{Type: string(cryptoutils.PublicKeyPEMType), Bytes: der}),
		hint:     base64.StdEncoding.EncodeToString(sum[:]),
		cert:     cert,
		chain:    chain,
		chainPEM: chainPEM,
		verifier: v,
	}, nil
}

const pemCertificate = "CERTIFICATE"

// parseCertificates reads every PEM block of b, each of which must be a
// certificate; there must be one at least. Text around the blocks is
// ignored, as pem.Decode does.
func parseCertificates(b []byte) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	for rest := b; ; {
		var blk *pem.Block
		blk, rest = pem.Decode(rest)
		if blk == nil {
			break
		}
		if blk.Type != pemCertificate {
			return nil, fmt.Errorf("PEM block %d is a %q, not a %s", len(certs)+1, blk.Type, pemCertificate)
		}
		c, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			return nil, fmt.Errorf("certificate %d: %w", len(certs)+1, err)
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, errors.New("not a PEM certificate")
	}
	return certs, nil
}

// PEM is what names the signer where a signature is published: the
// certificate when there is one (as cosign uploads keyless entries to
// Rekor), else the public key, as given.
func (m *Material) PEM() []byte { return bytes.Clone(m.pem) }

// PublicKey is the key signatures verify with: the public key, or the
// certificate's.
func (m *Material) PublicKey() crypto.PublicKey { return m.pub }

// PublicKeyPEM is PublicKey as a PKIX PEM, also for a certificate.
func (m *Material) PublicKeyPEM() []byte { return bytes.Clone(m.pubPEM) }

// KeyHint names the public key as cosign and Sigstore bundles do: the
// base64 SHA-256 of its PKIX DER.
func (m *Material) KeyHint() string { return m.hint }

// Verifier verifies signatures with PublicKey, over the digest chainseal
// signs with (SHA-256; Ed25519 signs the message itself).
func (m *Material) Verifier() signature.Verifier { return m.verifier }

// IsCertificate reports whether the material is a certificate (keyless)
// rather than a bare public key.
func (m *Material) IsCertificate() bool { return m.cert != nil }

// Certificate is the signing certificate; nil for a public key.
func (m *Material) Certificate() *x509.Certificate { return m.cert }

// CertificatePEM is the signing certificate as given; nil for a public key.
func (m *Material) CertificatePEM() []byte {
	if m.cert == nil {
		return nil
	}
	return bytes.Clone(m.pem)
}

// Chain is the certificates that issued the signing certificate, leaf
// first; empty for a public key.
func (m *Material) Chain() []*x509.Certificate { return append([]*x509.Certificate(nil), m.chain...) }

// ChainPEM is the chain as given to NewCertificateMaterial.
func (m *Material) ChainPEM() []byte { return bytes.Clone(m.chainPEM) }

// Record is the three PEM fields a storage record carries (public key,
// certificate, chain), which MaterialFrom reads back.
func (m *Material) Record() (pub, cert, chain []byte) {
	if m.cert == nil {
		return m.PEM(), nil, nil
	}
	return m.PublicKeyPEM(), m.CertificatePEM(), m.ChainPEM()
}

// SameKey reports whether o verifies with the same public key, whether
// either is a key or a certificate.
func (m *Material) SameKey(o *Material) bool {
	return o != nil && cryptoutils.EqualKeys(m.pub, o.pub) == nil
}

// String names the material for messages, never its content:
// "ecdsa-p256 public key", "ecdsa-p256 certificate".
func (m *Material) String() string {
	if m.cert != nil {
		return keyType(m.pub) + " certificate"
	}
	return keyType(m.pub) + " public key"
}
