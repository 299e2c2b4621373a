package signing

import (
	"context"
)

// Signer signs with one key. It is safe for concurrent use and holds its key
// (or KMS client) for the life of the process.
type Signer interface {
	// SignBlob signs payload as it is: the raw signature that
	// `cosign verify-blob --signature` checks (PGP: an armored detached
	// signature that `gpg --verify` checks).
	SignBlob(ctx context.Context, payload []byte) ([]byte, error)
	// SignEnvelope signs the DSSE pre-authentication encoding of payload and
	// returns the envelope, its signature carrying KeyID.
	SignEnvelope(ctx context.Context, payloadType string, payload []byte) (*Envelope, error)
	// PublicKeyPEM is the public key to verify with (`cosign verify --key`);
	// for PGP, the armored public key block.
	PublicKeyPEM() []byte
	// KeyID identifies the key in envelopes: the SHA256 fingerprint of the
	// public key as `ssh-keygen -l` prints it (PGP: the key fingerprint).
	KeyID() string
	// Description names the key source for logs and errors, never a secret:
	// "kms hashivault://release-key", "x509 key x509.pem (ecdsa-p256) from ...".
	Description() string
}
