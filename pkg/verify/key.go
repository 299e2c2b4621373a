package verify

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/chainseal/chainseal/pkg/config"
	"github.com/chainseal/chainseal/pkg/signing"
)

// Key is the public key attestations must be signed with (or the
// certificate whose key it is): its PublicKey, Verifier and PEM.
type Key struct {
	*signing.Material
	// Description names the key for the report (a file or a KMS ref,
	// never key material).
	Description string
}

// LoadKey reads ref: a PEM public key file (cosign.pub), a PEM certificate
// (only its key is used), or a KMS reference (hashivault://, awskms://,
// gcpkms://, azurekms://), read with the same login as signing (VAULT_ADDR,
// VAULT_TOKEN, ...). Errors wrap ErrInconclusive: nothing was verified.
func LoadKey(ctx context.Context, ref string, opts ...signing.Option) (*Key, error) {
	if ref == "" {
		return nil, inconclusive("no key (--key)", nil)
	}
	if strings.Contains(ref, "://") {
		cfg, err := config.Parse(map[string]string{config.KeyKMSRef: ref})
		if err != nil {
			return nil, inconclusive("KMS key "+ref, err)
		}
		m, err := signing.MaterialFromKMS(ctx, cfg, opts...)
		if err != nil {
			return nil, inconclusive("reading the public key of KMS key "+ref+" (--key)", err)
		}
		return &Key{Material: m, Description: ref}, nil
	}
	b, err := os.ReadFile(ref)
	if err != nil {
		return nil, inconclusive("reading the key (--key)", err)
	}
	m, err := signing.ParseMaterial(b)
	if err != nil {
		return nil, inconclusive("loading the key "+ref+" (--key)", err)
	}
	return &Key{Material: m, Description: ref}, nil
}

// sameKey reports whether pemBytes (a public key or a certificate, as a
// Rekor entry names its verifier) holds k's public key.
func (k *Key) sameKey(pemBytes []byte) (bool, error) {
	m, err := signing.ParseMaterial(pemBytes)
	if err != nil {
		return false, fmt.Errorf("the entry's verifier: %w", err)
	}
	return k.SameKey(m), nil
}
