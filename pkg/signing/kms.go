package signing

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"net"
	"strings"

	vault "github.com/hashicorp/vault/api"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/sigstore/sigstore/pkg/signature/kms"
	"github.com/sigstore/sigstore/pkg/signature/options"

	"github.com/chainseal/chainseal/pkg/config"

	// The KMS providers chainseal is built with; each registers its scheme.
	_ "github.com/sigstore/sigstore/pkg/signature/kms/aws"
	_ "github.com/sigstore/sigstore/pkg/signature/kms/azure"
	_ "github.com/sigstore/sigstore/pkg/signature/kms/gcp"
	_ "github.com/sigstore/sigstore/pkg/signature/kms/hashivault"
)

const schemeVault = "hashivault://"

// loadKMS connects to the KMS key in signers.kms.kmsref once and reads its
// public key, so a wrong reference, an unreachable KMS or a missing
// permission fails before anything is built or stored.
func loadKMS(ctx context.Context, cfg config.Config, o *loadOptions) (Signer, error) {
	ref := cfg.KMS.Ref
	source := "kms " + ref
	if ref == "" {
		return nil, &Error{Op: "loading", Source: "kms signer", Err: errors.New("no key reference"),
			Fix: fmt.Sprintf("set %s to a KMS URI such as hashivault://<key>, awskms:///<key-arn-or-alias>, gcpkms://projects/... or azurekms://...", config.KeyKMSRef)}
	}
	fix := fmt.Sprintf("check %s and the KMS credentials of the pod", config.KeyKMSRef)
	rpc := append([]signature.RPCOption{options.WithContext(ctx)}, o.kmsOpts...)
	var creds vaultCreds
	if strings.HasPrefix(ref, schemeVault) {
		var err error
		creds, err = vaultLogin(ctx, cfg, o)
		if err != nil {
			return nil, &Error{Op: "loading", Source: source, Err: err}
		}
		source += " (" + creds.method + ")"
		fix = fmt.Sprintf("the Vault policy of this token must allow read on transit/keys/%s and update on transit/sign/%s/*; the token comes from %s",
			strings.TrimPrefix(ref, schemeVault), strings.TrimPrefix(ref, schemeVault), creds.fix)
		rpc = append(rpc, options.WithRPCAuthOpts(options.RPCAuth{Address: creds.address, Token: creds.token}))
	}
	secrets := [][]byte{[]byte(creds.token)}
	classify := func(err error) error { return scrub(explainKMS(err, creds.address), secrets...) }

	sv, err := kms.Get(ctx, ref, crypto.SHA256, rpc...)
	if err != nil {
		return nil, &Error{Op: "loading", Source: source, Err: classify(err),
			Fix: fmt.Sprintf("%s must be a reference of a provider chainseal is built with: %s", config.KeyKMSRef, strings.Join(kms.SupportedProviders(), ", "))}
	}
	pub, err := sv.PublicKey(options.WithContext(ctx))
	if err != nil {
		return nil, &Error{Op: "reading the public key of", Source: source, Err: classify(err), Fix: fix}
	}
	// Ed25519 keys sign the message itself, not a SHA-256 digest.
	if h := hashFor(pub); h != crypto.SHA256 {
		if sv, err = kms.Get(ctx, ref, h, rpc...); err != nil {
			return nil, &Error{Op: "loading", Source: source, Err: classify(err), Fix: fix}
		}
	}
	ks, err := newKeySigner(sv, pub, source)
	if err != nil {
		return nil, &Error{Op: "loading", Source: source, Err: err}
	}
	ks.fix, ks.classify = fix, classify
	return ks, nil
}

// explainKMS names the likely cause of a KMS failure in front of the
// provider's own message.
func explainKMS(err error, vaultAddr string) error {
	var re *vault.ResponseError
	if errors.As(err, &re) && re.StatusCode == 403 {
		return fmt.Errorf("Vault denied the request (permission denied: the token lacks the policy, expired or was revoked): %w", err)
	}
	if isUnreachable(err) {
		where := "the KMS"
		if vaultAddr != "" {
			where = "Vault at " + vaultAddr
		}
		return fmt.Errorf("cannot reach %s: %w", where, err)
	}
	return err
}

func isUnreachable(err error) bool {
	var ne net.Error
	var oe *net.OpError
	var de *net.DNSError
	if errors.As(err, &oe) || errors.As(err, &de) {
		return true
	}
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	s := err.Error()
	return strings.Contains(s, "connection refused") || strings.Contains(s, "no such host") || strings.Contains(s, "i/o timeout")
}
