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

// Vault's schemes in sigstore: hashivault:// and, for OpenBao, openbao://.
var vaultSchemes = []string{"hashivault://", "openbao://"}

func isVaultRef(ref string) bool {
	for _, s := range vaultSchemes {
		if strings.HasPrefix(ref, s) {
			return true
		}
	}
	return false
}

// vaultKeyName is the transit key name of a Vault reference.
func vaultKeyName(ref string) string {
	for _, s := range vaultSchemes {
		ref = strings.TrimPrefix(ref, s)
	}
	return ref
}

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
	rpc := append([]signature.RPCOption{options.WithContext(ctx)}, o.kmsOpts...)
	var creds vaultCreds
	if isVaultRef(ref) {
		var err error
		creds, err = vaultLogin(ctx, cfg, o)
		if err != nil {
			return nil, &Error{Op: "loading", Source: source, Err: err}
		}
		source += " (" + creds.method + ")"
		rpc = append(rpc, options.WithRPCAuthOpts(options.RPCAuth{Address: creds.address, Token: creds.token}))
	}
	// explain names the cause and the fix; the token never reaches the text.
	explain := func(err error) (error, string) {
		err, fix := explainKMS(err, ref, creds)
		return scrub(err, []byte(creds.token)), fix
	}

	sv, err := kms.Get(ctx, ref, crypto.SHA256, rpc...)
	if err != nil {
		err, _ := explain(err)
		return nil, &Error{Op: "loading", Source: source, Err: err,
			Fix: fmt.Sprintf("%s must be a reference of a provider chainseal is built with: %s", config.KeyKMSRef, strings.Join(kms.SupportedProviders(), ", "))}
	}
	pub, err := sv.PublicKey(options.WithContext(ctx))
	if err != nil {
		err, fix := explain(err)
		return nil, &Error{Op: "reading the public key of", Source: source, Err: err, Fix: fix}
	}
	// Ed25519 keys sign the message itself, not a SHA-256 digest.
	if h := hashFor(pub); h != crypto.SHA256 {
		if sv, err = kms.Get(ctx, ref, h, rpc...); err != nil {
			err, fix := explain(err)
			return nil, &Error{Op: "loading", Source: source, Err: err, Fix: fix}
		}
	}
	ks, err := newKeySigner(sv, pub, source)
	if err != nil {
		return nil, &Error{Op: "loading", Source: source, Err: err}
	}
	ks.explain = explain
	return ks, nil
}

// explainKMS names the likely cause of a KMS failure in front of the
// provider's message, and returns what the user changes to fix it.
func explainKMS(err error, ref string, creds vaultCreds) (error, string) {
	var re *vault.ResponseError
	switch {
	case errors.As(err, &re) && re.StatusCode == 403 && strings.Contains(strings.Join(re.Errors, " "), "invalid token"):
		return fmt.Errorf("Vault refused the token (invalid, expired or revoked): %w", &vaultResponseError{re}),
			fmt.Sprintf("replace the token from %s, or use %s, which logs in afresh on every run", creds.fix, config.KeyKMSAuthKubernetesRole)
	case errors.As(err, &re) && re.StatusCode == 403:
		key := vaultKeyName(ref)
		return fmt.Errorf("Vault denied the request (permission denied: the token's policy does not cover this key): %w", &vaultResponseError{re}),
			fmt.Sprintf("the token from %s needs a Vault policy with read on transit/keys/%s and update on transit/sign/%s/*", creds.fix, key, key)
	case isUnreachable(err) && creds.address != "":
		return fmt.Errorf("cannot reach Vault at %s: %w", creds.address, err),
			fmt.Sprintf("check %s (or VAULT_ADDR) and that Vault is reachable from the pod", config.KeyKMSAuthAddress)
	case isUnreachable(err):
		return fmt.Errorf("cannot reach the KMS: %w", err), "check the KMS endpoint and the pod's network access to it"
	}
	if errors.As(err, &re) {
		err = &vaultResponseError{re}
	}
	return err, fmt.Sprintf("check %s and the KMS permissions of the pod's identity", config.KeyKMSRef)
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
