package oci

import (
	"context"
	"encoding/base64"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/sigstore/cosign/v2/pkg/oci/mutate"
	ociremote "github.com/sigstore/cosign/v2/pkg/oci/remote"
	"github.com/sigstore/cosign/v2/pkg/oci/static"

	"github.com/chainseal/chainseal/pkg/storage"
)

// sign appends the simplesigning signature to d's .sig image, as `cosign
// sign` does, unless a layer already holds the same payload signed by the
// same key. It returns the .sig tag.
func (b *Backend) sign(ctx context.Context, d name.Digest, s storage.ImageSignature) (string, error) {
	opts := b.ociOpts(ctx)
	tag, err := ociremote.SignatureTag(d, opts...)
	if err != nil {
		return "", fmt.Errorf("naming the .sig tag: %w", err)
	}
	base, err := ociremote.Signatures(tag, opts...)
	if err != nil {
		return "", fmt.Errorf("reading %s: %w", tag, err)
	}
	existing, err := base.Get()
	if err != nil {
		return "", fmt.Errorf("reading %s: %w", tag, err)
	}
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
	next, err := mutate.AppendSignatures(base, false, sig)
	if err != nil {
		return "", fmt.Errorf("appending to %s: %w", tag, err)
	}
	if err := remote.Write(tag, next, b.remoteOpts(ctx)...); err != nil {
		return "", fmt.Errorf("writing %s: %w", tag, err)
	}
	b.o.log.Info("oci: signature attached", "tag", tag.String())
	return tag.String(), nil
}
