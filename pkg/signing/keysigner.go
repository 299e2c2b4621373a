package signing

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"fmt"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/sigstore/sigstore/pkg/signature/options"
)

// keySigner is a Signer over a sigstore SignerVerifier: a local key or a KMS
// key look the same from here.
type keySigner struct {
	sv     signature.SignerVerifier
	pubPEM []byte
	keyID  string
	desc   string
	// explain turns a signing failure into a clearer one and says what to
	// fix (KMS errors); nil for local keys, which do not fail that way.
	explain func(error) (error, string)
}

func newKeySigner(sv signature.SignerVerifier, pub crypto.PublicKey, desc string) (*keySigner, error) {
	pemBytes, err := cryptoutils.MarshalPublicKeyToPEM(pub)
	if err != nil {
		return nil, fmt.Errorf("encoding the public key of %s: %w", desc, err)
	}
	id, err := dsse.SHA256KeyID(pub)
	if err != nil {
		return nil, fmt.Errorf("computing the key id of %s: %w", desc, err)
	}
	return &keySigner{sv: sv, pubPEM: pemBytes, keyID: id, desc: desc}, nil
}

func (s *keySigner) SignBlob(ctx context.Context, payload []byte) ([]byte, error) {
	sig, err := s.sv.SignMessage(bytes.NewReader(payload), options.WithContext(ctx))
	if err != nil {
		var fix string
		if s.explain != nil {
			err, fix = s.explain(err)
		}
		return nil, &Error{Op: "signing with", Source: s.desc, Err: err, Fix: fix}
	}
	return sig, nil
}

func (s *keySigner) SignEnvelope(ctx context.Context, payloadType string, payload []byte) (*Envelope, error) {
	sig, err := s.SignBlob(ctx, PAE(payloadType, payload))
	if err != nil {
		return nil, err
	}
	return newEnvelope(payloadType, payload, sig, s.keyID), nil
}

func (s *keySigner) PublicKeyPEM() []byte { return bytes.Clone(s.pubPEM) }
func (s *keySigner) KeyID() string        { return s.keyID }
func (s *keySigner) Description() string  { return s.desc }

// keyType names a public key's algorithm for descriptions.
func keyType(pub crypto.PublicKey) string {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		return "ecdsa-" + curveName(k.Curve)
	case ed25519.PublicKey:
		return "ed25519"
	case *rsa.PublicKey:
		return fmt.Sprintf("rsa-%d", k.N.BitLen())
	}
	return fmt.Sprintf("%T", pub)
}

func curveName(c elliptic.Curve) string {
	switch c {
	case elliptic.P256():
		return "p256"
	case elliptic.P384():
		return "p384"
	case elliptic.P521():
		return "p521"
	}
	return "unknown-curve"
}

// hashFor is the digest signatures are made over: SHA-256 for ECDSA (every
// curve) and RSA, as Tekton Chains signs and as cosign v2 verifies by
// default (`--signature-digest-algorithm sha256`); none for Ed25519, which
// signs the message itself.
func hashFor(pub crypto.PublicKey) crypto.Hash {
	if _, ok := pub.(ed25519.PublicKey); ok {
		return crypto.Hash(0)
	}
	return crypto.SHA256
}
