package signing

import (
	"context"
	"crypto"
	"errors"
	"fmt"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"
	"github.com/sigstore/sigstore/pkg/signature"
	sigdsse "github.com/sigstore/sigstore/pkg/signature/dsse"

	"github.com/chainseal/chainseal/pkg/config"
)

// VerifierFromPEM loads a PEM public key with the digest chainseal signs
// with (see hashFor), the one `cosign verify --key` uses by default.
func VerifierFromPEM(pemBytes []byte) (signature.Verifier, error) {
	return verifierOf(NewKeyMaterial(pemBytes))
}

// VerifierFromKMS reads the public key of signers.kms.kmsref (with the same
// Vault login as signing; only read on transit/keys is needed) and verifies
// locally: Vault's remote verify disagrees with sigstore on RSA padding.
func VerifierFromKMS(ctx context.Context, cfg config.Config, opts ...Option) (signature.Verifier, error) {
	return verifierOf(MaterialFromKMS(ctx, cfg, opts...))
}

// MaterialFromKMS reads the public key of signers.kms.kmsref, as
// VerifierFromKMS does.
func MaterialFromKMS(ctx context.Context, cfg config.Config, opts ...Option) (*Material, error) {
	s, err := loadKMS(ctx, cfg, newOptions(opts))
	if err != nil {
		return nil, err
	}
	return MaterialOf(s)
}

func verifierOf(m *Material, err error) (signature.Verifier, error) {
	if err != nil {
		return nil, err
	}
	return m.Verifier(), nil
}

func verifierFromPublicKey(pub crypto.PublicKey) (signature.Verifier, error) {
	v, err := signature.LoadVerifier(pub, hashFor(pub))
	if err != nil {
		return nil, fmt.Errorf("%w public key %s: %w", ErrUnsupported, keyType(pub), err)
	}
	return v, nil
}

// VerifyEnvelope checks that one signature of env verifies with v and that
// the payload type is payloadType, and returns the payload.
func VerifyEnvelope(ctx context.Context, env *Envelope, payloadType string, v signature.Verifier) ([]byte, error) {
	if env == nil {
		return nil, errors.New("verifying a DSSE envelope: no envelope")
	}
	if env.PayloadType != payloadType {
		return nil, fmt.Errorf("verifying a DSSE envelope: payload type is %q, want %q", env.PayloadType, payloadType)
	}
	pub, err := v.PublicKey()
	if err != nil {
		return nil, fmt.Errorf("verifying a DSSE envelope: %w", err)
	}
	// No key id: the key is the one given, whatever id the signer wrote.
	ev, err := dsse.NewEnvelopeVerifier(&sigdsse.VerifierAdapter{SignatureVerifier: v, Pub: pub})
	if err != nil {
		return nil, fmt.Errorf("verifying a DSSE envelope: %w", err)
	}
	_, payload, err := ev.VerifyAndDecode(ctx, env)
	if err != nil {
		return nil, fmt.Errorf("verifying a DSSE envelope with the %s key: %w", keyType(pub), err)
	}
	return payload, nil
}
