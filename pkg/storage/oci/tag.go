package oci

import (
	"context"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/sigstore/cosign/v2/pkg/oci"
	"github.com/sigstore/cosign/v2/pkg/oci/mutate"
	ociremote "github.com/sigstore/cosign/v2/pkg/oci/remote"
)

// cosignTag is one of the tags cosign keeps next to an image (.sig, .att),
// read once so a write can append to what is there.
type cosignTag struct {
	tag      name.Tag
	base     oci.Signatures
	existing []oci.Signature
}

// readTag reads the tag that tagOf names for d (ociremote.SignatureTag or
// AttestationTag); a missing tag reads as empty.
func (b *Backend) readTag(ctx context.Context, d name.Digest, tagOf func(name.Reference, ...ociremote.Option) (name.Tag, error)) (*cosignTag, error) {
	opts := b.ociOpts(ctx)
	tag, err := tagOf(d, opts...)
	if err != nil {
		return nil, fmt.Errorf("naming the cosign tag of %s: %w", d, err)
	}
	base, err := ociremote.Signatures(tag, opts...)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", tag, err)
	}
	existing, err := base.Get()
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", tag, err)
	}
	return &cosignTag{tag: tag, base: base, existing: existing}, nil
}

// appendAndWrite appends one layer to the tag and writes it back.
func (b *Backend) appendAndWrite(ctx context.Context, t *cosignTag, s oci.Signature) error {
	next, err := mutate.AppendSignatures(t.base, false, s)
	if err != nil {
		return fmt.Errorf("appending to %s: %w", t.tag, err)
	}
	if err := remote.Write(t.tag, next, b.remoteOpts(ctx)...); err != nil {
		return fmt.Errorf("writing %s: %w", t.tag, err)
	}
	return nil
}
