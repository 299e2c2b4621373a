package signing

import (
	"context"
	"crypto"
	"crypto/rsa"
	"errors"
	"fmt"

	"github.com/chainseal/chainseal/pkg/config"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
)

// loadX509 is Chains' x509 signer: keyless (Fulcio) with
// signers.x509.fulcio.enabled, else x509.pem when the secret has one,
// otherwise cosign.key with cosign.password.
func loadX509(ctx context.Context, cfg config.Config, o *loadOptions) (Signer, error) {
	if cfg.Fulcio.Enabled {
		return loadKeyless(ctx, cfg, o)
	}
	switch {
	case exists(ctx, o.secrets, FileX509Key):
		return loadPEMKey(ctx, o.secrets)
	case exists(ctx, o.secrets, FileCosignKey):
		return loadCosignKey(ctx, o.secrets)
	}
	err := errors.New("no signing secret was given")
	if o.secrets != nil {
		// The read error says why: a missing file, or a missing Secret.
		_, rerr := o.secrets.Read(ctx, FileX509Key)
		err = fmt.Errorf("neither %s nor %s is in %s: %w", FileX509Key, FileCosignKey, o.secrets, rerr)
	}
	return nil, &Error{Op: "loading", Source: "x509 signer", Err: err,
		Fix: fmt.Sprintf("put %s (PKCS#8 PEM) or %s and %s in the signing secret, or set %s=kms", FileX509Key, FileCosignKey, FileCosignPassword, config.KeyPipelineRunSigner)}
}

// loadPEMKey reads an unencrypted PEM private key: PKCS#8 (as Chains
// documents), and also PKCS#1 RSA and SEC 1 EC, which openssl writes too.
func loadPEMKey(ctx context.Context, s Secrets) (Signer, error) {
	source := fmt.Sprintf("x509 key %s from %s", FileX509Key, s)
	pemBytes, err := readSecret(ctx, s, source, FileX509Key)
	if err != nil {
		return nil, err
	}
	priv, err := cryptoutils.UnmarshalPEMToPrivateKey(pemBytes, cryptoutils.SkipPassword)
	if err != nil {
		return nil, &Error{Op: "loading", Source: source, Err: scrub(fmt.Errorf("parsing the PEM key: %w", err), pemBytes),
			Fix: fmt.Sprintf("%s must be an unencrypted PKCS#8 PEM private key (openssl genpkey ... -out %s); for an encrypted key use %s and %s", FileX509Key, FileX509Key, FileCosignKey, FileCosignPassword)}
	}
	return signerFromPrivateKey(priv, source)
}

// signerFromPrivateKey signs as cosign v2 verifies with a key by default:
// ECDSA (any curve) and RSA PKCS#1 v1.5 over SHA-256, Ed25519 pure.
func signerFromPrivateKey(priv crypto.PrivateKey, source string) (Signer, error) {
	cs, ok := priv.(crypto.Signer)
	if !ok {
		return nil, &Error{Op: "loading", Source: source, Err: fmt.Errorf("%w key type %T", ErrUnsupported, priv),
			Fix: "use an ECDSA P-256/P-384, Ed25519 or RSA key"}
	}
	pub := cs.Public()
	if k, ok := pub.(*rsa.PublicKey); ok && k.N.BitLen() < 2048 {
		return nil, &Error{Op: "loading", Source: source, Err: fmt.Errorf("%w key rsa-%d: too short", ErrUnsupported, k.N.BitLen()),
			Fix: "use an RSA key of 2048 bits or more, or ECDSA P-256/P-384 or Ed25519"}
	}
	sv, err := signature.LoadSignerVerifier(priv, hashFor(pub))
	if err != nil {
		return nil, &Error{Op: "loading", Source: source, Err: fmt.Errorf("%w key %s: %w", ErrUnsupported, keyType(pub), err),
			Fix: "use an ECDSA P-256/P-384, Ed25519 or RSA (2048 bits or more) key"}
	}
	ks, err := newKeySigner(sv, pub, source+" ("+keyType(pub)+")")
	if err != nil {
		return nil, &Error{Op: "loading", Source: source, Err: err}
	}
	return ks, nil
}
