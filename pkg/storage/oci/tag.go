package oci

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/sigstore/cosign/v2/pkg/oci"
	"github.com/sigstore/cosign/v2/pkg/oci/empty"
	"github.com/sigstore/cosign/v2/pkg/oci/mutate"
	ociremote "github.com/sigstore/cosign/v2/pkg/oci/remote"
)

// tagOf names one of the tags cosign keeps next to an image
// (ociremote.SignatureTag or AttestationTag).
type tagOf func(name.Reference, ...ociremote.Option) (name.Tag, error)

// cosignTag is one of the tags cosign keeps next to an image (.sig, .att),
// as read: a write appends to what is there.
type cosignTag struct {
	tag      name.Tag
	base     oci.Signatures
	existing []oci.Signature
	// digest is the manifest the tag pointed at when read ("" when absent).
	digest string
	// written is the manifest appendAndWrite moved the tag to ("" before).
	written string
}

// readTag reads the tag that tagOf names for d; a missing tag reads as empty.
// When the tag still points at the manifest last wrote, it reads nothing
// more and reports unchanged: that manifest holds last's new layer, so
// confirming a write costs one HEAD, not a manifest read.
func (b *Backend) readTag(ctx context.Context, d name.Digest, tagOf tagOf, last *cosignTag) (t *cosignTag, unchanged bool, err error) {
	opts := b.ociOpts(ctx)
	tag, err := tagOf(d, opts...)
	if err != nil {
		return nil, false, fmt.Errorf("naming the cosign tag of %s: %w", d, err)
	}
	t = &cosignTag{tag: tag, base: empty.Signatures()}
	if t.digest, err = b.tagDigest(ctx, tag); err != nil || t.digest == "" {
		return t, false, err
	}
	if last != nil && last.written != "" && last.written == t.digest {
		return last, true, nil
	}
	// Read the manifest the tag pointed at, by digest: what is appended to
	// is what the tag is compared with before it is moved.
	read := append(opts, ociremote.WithRemoteOptions(b.tagReadOpts(ctx, tag.Context())...))
	if t.base, err = ociremote.Signatures(tag.Context().Digest(t.digest), read...); err != nil {
		return nil, false, fmt.Errorf("reading %s: %w", tag, err)
	}
	if t.existing, err = t.base.Get(); err != nil {
		return nil, false, fmt.Errorf("reading %s: %w", tag, err)
	}
	return t, false, nil
}

// tagDigest is the manifest digest tag points at, "" when there is no tag.
func (b *Backend) tagDigest(ctx context.Context, tag name.Tag) (string, error) {
	desc, err := remote.Head(tag, b.tagReadOpts(ctx, tag.Context())...)
	var te *transport.Error
	if errors.As(err, &te) && te.StatusCode == http.StatusNotFound {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("reading %s: %w", tag, err)
	}
	return desc.Digest.String(), nil
}

// errTagMoved: another writer moved the tag between reading and writing it.
var errTagMoved = errors.New("the tag was moved by another writer")

// appendAndWrite appends one layer to the tag as read and moves the tag to
// the result, unless another writer moved it since it was read
// (errTagMoved). Registries have no compare-and-swap on tags: the blobs go
// first, so that between the check and the move there is a single request
// (the manifest, put by tag), not a whole upload.
func (b *Backend) appendAndWrite(ctx context.Context, t *cosignTag, s oci.Signature) error {
	next, err := mutate.AppendSignatures(t.base, false, s)
	if err != nil {
		return fmt.Errorf("appending to %s: %w", t.tag, err)
	}
	h, err := next.Digest()
	if err != nil {
		return fmt.Errorf("appending to %s: %w", t.tag, err)
	}
	if err := b.uploadBlobs(ctx, t.tag.Context(), next, t.base); err != nil {
		return fmt.Errorf("writing %s: %w", t.tag, err)
	}
	now, err := b.tagDigest(ctx, t.tag)
	if err != nil {
		return err
	}
	if now != t.digest {
		return errTagMoved
	}
	if err := b.putManifest(ctx, t.tag, next); err != nil {
		return fmt.Errorf("writing %s: %w", t.tag, err)
	}
	t.written = h.String()
	return nil
}
