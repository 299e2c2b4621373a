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
// .sig image, as `cosign sign` does, unless a layer already holds the same
// payload signed by the same key, and confirms the layer is there
// (writeConfirmed). It returns the .sig tag.
func (b *Backend) attachSignature(ctx context.Context, d name.Digest, s storage.ImageSignature) (string, error) {
	b64 := base64.StdEncoding.EncodeToString(s.Signature)
	sig, err := static.NewSignature(s.Payload, b64, layerOptions(s.Cert, s.Chain, s.Transparency)...)
	if err != nil {
		return "", fmt.Errorf("making the signature layer: %w", err)
	}
	var t *cosignTag
	present := func(ctx context.Context) (bool, error) {
		read, unchanged, err := b.readTag(ctx, d, ociremote.SignatureTag, t)
		if err != nil || unchanged {
			return unchanged, err
		}
		t = read
		dup, err := findSignature(t.existing, s, b64)
		if err != nil {
			return false, fmt.Errorf("reading %s: %w", t.tag, err)
		}
		return dup, nil
	}
	write := func(ctx context.Context) error { return b.appendAndWrite(ctx, t, sig) }
	wrote, err := b.writeConfirmed(ctx, "the signature layer", present, write)
	if err != nil {
		return "", err
	}
	if wrote {
		b.o.log.Info("oci: signature attached", "tag", t.tag.String())
	} else {
		b.o.log.Info("oci: signature already attached", "tag", t.tag.String())
	}
	return t.tag.String(), nil
}
