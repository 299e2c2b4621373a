package oci

import (
	"context"
	"encoding/base64"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	ociremote "github.com/sigstore/cosign/v2/pkg/oci/remote"
	"github.com/sigstore/cosign/v2/pkg/oci/static"

	"github.com/chainseal/chainseal/pkg/storage"
)

// attachSignature appends the simplesigning signature (already made) to d's
// .sig image, as `cosign sign` does, unless a layer already holds the same payload signed by the
// same key. It returns the .sig tag.
func (b *Backend) attachSignature(ctx context.Context, d name.Digest, s storage.ImageSignature) (string, error) {
	t, err := b.readTag(ctx, d, ociremote.SignatureTag)
	if err != nil {
		return "", err
	}
	tag, existing := t.tag, t.existing
	b64 := base64.StdEncoding.EncodeToString(s.Signature)
	dup, err := findSignature(existing, s, b64)
	if err != nil {
		return "", fmt.Errorf("reading %s: %w", tag, err)
	}
	if dup {
		b.o.log.Info("oci: signature already attached", "tag", tag.String())
		return tag.String(), nil
	}
	sig, err := static.NewSignature(s.Payload, b64, layerOptions(s.Cert, s.Chain, s.Transparency)...)
	if err != nil {
		return "", fmt.Errorf("making the signature layer: %w", err)
	}
	if err := b.appendAndWrite(ctx, t, sig); err != nil {
		return "", err
	}
	b.o.log.Info("oci: signature attached", "tag", tag.String())
	return tag.String(), nil
}
