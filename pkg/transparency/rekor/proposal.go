package rekor

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"

	"github.com/sigstore/rekor/pkg/generated/models"
	"github.com/sigstore/rekor/pkg/types"
	"github.com/sigstore/rekor/pkg/types/dsse"
	dssev001 "github.com/sigstore/rekor/pkg/types/dsse/v0.0.1"
	"github.com/sigstore/rekor/pkg/types/hashedrekord"
	hashedrekordv001 "github.com/sigstore/rekor/pkg/types/hashedrekord/v0.0.1"
)

// proposal is an entry to upload and what the log's copy of it must say.
type proposal struct {
	entry models.ProposedEntry
	// kind and hash (hex SHA-256) are what the canonical body must hold:
	// the envelope's hash for dsse, the payload's for hashedrekord.
	kind string
	hash string
	// key is the PEM public key or certificate the entry names.
	key []byte
	// sig is the base64 signature a hashedrekord must carry.
	sig string
}

// dsseProposal is what `cosign attest` uploads (rekor-entry-type dsse).
func dsseProposal(ctx context.Context, envelope, keyPEM []byte) (proposal, error) {
	pe, err := types.NewProposedEntry(ctx, dsse.KIND, dssev001.APIVERSION, types.ArtifactProperties{
		ArtifactBytes:  envelope,
		PublicKeyBytes: [][]byte{keyPEM},
	})
	if err != nil {
		return proposal{}, fmt.Errorf("making a dsse entry: %w", err)
	}
	h := sha256.Sum256(envelope)
	return proposal{entry: pe, kind: dsse.KIND, hash: hex.EncodeToString(h[:]), key: keyPEM}, nil
}

// hashedrekordProposal is what `cosign sign` uploads: the payload's digest,
// the signature and the key, never the payload itself.
func hashedrekordProposal(ctx context.Context, payload, sig, keyPEM []byte) (proposal, error) {
	h := sha256.Sum256(payload)
	hexHash := hex.EncodeToString(h[:])
	pe, err := types.NewProposedEntry(ctx, hashedrekord.KIND, hashedrekordv001.APIVERSION, types.ArtifactProperties{
		PKIFormat:      "x509",
		ArtifactHash:   "sha256:" + hexHash,
		SignatureBytes: sig,
		PublicKeyBytes: [][]byte{keyPEM},
	})
	if err != nil {
		return proposal{}, fmt.Errorf("making a hashedrekord entry: %w", err)
	}
	return proposal{entry: pe, kind: hashedrekord.KIND, hash: hexHash, key: keyPEM, sig: base64.StdEncoding.EncodeToString(sig)}, nil
}
