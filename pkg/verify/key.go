package verify

import (
	"context"
	"crypto"
	"encoding/pem"
	"fmt"
	"os"
	"strings"

	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/chainseal/chainseal/pkg/config"
	"github.com/chainseal/chainseal/pkg/signing"
)

// Key is the public key attestations must be signed with.
type Key struct {
	Verifier signature.Verifier
	Public   crypto.PublicKey
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
	var v signature.Verifier
	var err error
	if strings.Contains(ref, "://") {
		cfg, perr := config.Parse(map[string]string{config.KeyKMSRef: ref})
		if perr != nil {
			return nil, inconclusive("KMS key "+ref, perr)
		}
		if v, err = signing.VerifierFromKMS(ctx, cfg, opts...); err != nil {
			return nil, inconclusive("reading the public key of KMS key "+ref+" (--key)", err)
		}
	} else {
		b, rerr := os.ReadFile(ref)
		if rerr != nil {
			return nil, inconclusive("reading the key (--key)", rerr)
		}
		if blk, _ := pem.Decode(b); blk != nil && blk.Type == "CERTIFICATE" {
			v, err = signing.VerifierFromCertificate(b)
		} else {
			v, err = signing.VerifierFromPEM(b)
		}
		if err != nil {
			return nil, inconclusive("loading the key "+ref+" (--key)", err)
		}
	}
	pub, err := v.PublicKey()
	if err != nil {
		return nil, inconclusive("the public key of "+ref, err)
	}
	return &Key{Verifier: v, Public: pub, Description: ref}, nil
}

// sameKey reports whether pemBytes (a public key or a certificate, as a
// Rekor entry names its verifier) holds k's public key.
func (k *Key) sameKey(pemBytes []byte) (bool, error) {
	var pub crypto.PublicKey
	if blk, _ := pem.Decode(pemBytes); blk != nil && blk.Type == "CERTIFICATE" {
		certs, err := cryptoutils.UnmarshalCertificatesFromPEM(pemBytes)
		if err != nil || len(certs) == 0 {
			return false, fmt.Errorf("parsing the entry's certificate: %w", err)
		}
		pub = certs[0].PublicKey
	} else {
		p, err := cryptoutils.UnmarshalPEMToPublicKey(pemBytes)
		if err != nil {
			return false, fmt.Errorf("parsing the entry's public key: %w", err)
		}
		pub = p
	}
	return cryptoutils.EqualKeys(k.Public, pub) == nil, nil
}
