package signing

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"

	"github.com/secure-systems-lab/go-securesystemslib/encrypted"
)

// PEM types `cosign generate-key-pair` writes (newer and older cosign).
const (
	pemSigstoreKey = "ENCRYPTED SIGSTORE PRIVATE KEY"
	pemCosignKey   = "ENCRYPTED COSIGN PRIVATE KEY"
)

// ErrWrongPassword is returned (wrapped) when cosign.password does not open
// cosign.key.
var ErrWrongPassword = errors.New("wrong password")

// loadCosignKey decrypts cosign.key with cosign.password, as cosign's
// LoadPrivateKey does (scrypt + secretbox over PKCS#8), once.
func loadCosignKey(ctx context.Context, s Secrets) (Signer, error) {
	source := fmt.Sprintf("cosign key %s from %s", FileCosignKey, s)
	keyPEM, err := readSecret(ctx, s, source, FileCosignKey)
	if err != nil {
		return nil, err
	}
	password, err := readSecret(ctx, s, source, FileCosignPassword)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(keyPEM)
	if block == nil || (block.Type != pemSigstoreKey && block.Type != pemCosignKey) {
		return nil, &Error{Op: "loading", Source: source, Err: errors.New("not an encrypted cosign private key PEM"),
			Fix: fmt.Sprintf("%s must be the file `cosign generate-key-pair` writes; an unencrypted PEM key goes in %s", FileCosignKey, FileX509Key)}
	}
	der, err := encrypted.Decrypt(block.Bytes, password)
	if err != nil {
		// A password file written with `echo` ends in a newline that the
		// password never had.
		if trimmed := bytes.TrimRight(password, "\r\n"); len(trimmed) != len(password) {
			der, err = encrypted.Decrypt(block.Bytes, trimmed)
		}
	}
	if err != nil {
		// Only a failed secretbox open means a wrong password; anything else
		// is a damaged or foreign file.
		if !strings.Contains(err.Error(), "decryption failed") {
			return nil, &Error{Op: "loading", Source: source, Err: scrub(fmt.Errorf("decrypting: %w", err), password),
				Fix: fmt.Sprintf("%s is damaged: regenerate it with cosign generate-key-pair", FileCosignKey)}
		}
		return nil, &Error{Op: "loading", Source: source, Err: fmt.Errorf("decrypting: %w", ErrWrongPassword),
			Fix: fmt.Sprintf("%s in %s does not open %s", FileCosignPassword, s, FileCosignKey)}
	}
	priv, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, &Error{Op: "loading", Source: source, Err: scrub(fmt.Errorf("parsing the decrypted key: %w", err), password),
			Fix: fmt.Sprintf("regenerate %s with cosign generate-key-pair", FileCosignKey)}
	}
	return signerFromPrivateKey(priv, source)
}
