package verify

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	cbundle "github.com/sigstore/cosign/v2/pkg/cosign/bundle"
	"github.com/sigstore/cosign/v2/pkg/oci"
	ociremote "github.com/sigstore/cosign/v2/pkg/oci/remote"
	ctypes "github.com/sigstore/cosign/v2/pkg/types"
	"github.com/sigstore/rekor/pkg/generated/models"
	"github.com/sigstore/sigstore/pkg/cryptoutils"

	"github.com/chainseal/chainseal/pkg/signing"
)

// bundleArtifactType is the artifactType of a Sigstore bundle referrer
// (`cosign attest --new-bundle-format`).
const bundleArtifactType = "application/vnd.dev.sigstore.bundle.v0.3+json"

func (v *Verifier) remoteOpts(ctx context.Context) []remote.Option {
	return append([]remote.Option{
		remote.WithContext(ctx), remote.WithAuthFromKeychain(v.o.keychain), remote.WithUserAgent("chainseal"),
		remote.WithTransport(callTransport{inner: remote.DefaultTransport, d: v.o.callTimeout}),
	}, v.o.remote...)
}

func (v *Verifier) ociOpts(ctx context.Context) []ociremote.Option {
	return []ociremote.Option{ociremote.WithRemoteOptions(v.remoteOpts(ctx)...)}
}

// resolve asks the registry for the digest a tag points at.
func (v *Verifier) resolve(ctx context.Context, ref name.Reference) (name.Digest, error) {
	desc, err := remote.Head(ref, v.remoteOpts(ctx)...)
	if err != nil {
		return name.Digest{}, inconclusive("resolving "+ref.String()+" to a digest", err)
	}
	return ref.Context().Digest(desc.Digest.String()), nil
}

func attTagName(d name.Digest) string {
	t, err := ociremote.AttestationTag(d)
	if err != nil {
		return "sha256-<digest>.att"
	}
	return t.String()
}

// fromAttTag reads the DSSE layers of the image's .att tag, as cosign
// stores them. A missing tag is no attestation; any other registry error
// stops verification.
func (v *Verifier) fromAttTag(ctx context.Context, d name.Digest) ([]*evidence, error) {
	opts := v.ociOpts(ctx)
	tag, err := ociremote.AttestationTag(d, opts...)
	if err != nil {
		return nil, inconclusive("naming the .att tag of "+d.String(), err)
	}
	sigs, err := ociremote.Signatures(tag, opts...)
	if err != nil {
		return nil, inconclusive("reading "+tag.String(), err)
	}
	layers, err := sigs.Get()
	if err != nil {
		return nil, inconclusive("reading "+tag.String(), err)
	}
	var out []*evidence
	for i, l := range layers {
		if ev := layerEvidence(l, fmt.Sprintf("%s layer %d", tag, i)); ev != nil {
			out = append(out, ev)
		}
	}
	return out, nil
}

// layerEvidence reads one .att layer. Anyone who can push to the
// repository can add a layer, so one bad layer never stops verification:
// a DSSE layer that cannot be read or parsed is evidence that fails (or
// errs, when the registry did not serve it), and a layer of another media
// type is not an attestation and is left out (nil).
func layerEvidence(l oci.Signature, source string) *evidence {
	mt, err := l.MediaType()
	if err != nil {
		return &evidence{source: source, broken: "reading the layer's media type: " + err.Error(), brokenStatus: Error}
	}
	if string(mt) != ctypes.DssePayloadType {
		return nil
	}
	raw, err := l.Payload()
	if err != nil {
		return &evidence{source: source, broken: "reading the layer: " + err.Error(), brokenStatus: Error}
	}
	ev, err := parseEnvelope(raw, source)
	if err != nil {
		return &evidence{source: source, raw: raw, broken: "the layer is not a DSSE envelope: " + err.Error(), brokenStatus: Fail}
	}
	if ann, err := l.Annotations(); err == nil {
		ev.predicateType = ann["predicateType"]
	}
	if cert, err := l.Cert(); err != nil {
		ev.materialErr = "the layer's certificate does not parse: " + err.Error()
	} else if cert != nil {
		var chainPEM []byte
		chain, err := l.Chain()
		if err == nil && len(chain) > 0 {
			chainPEM, err = cryptoutils.MarshalCertificatesToPEM(chain)
		}
		certPEM, cerr := cryptoutils.MarshalCertificateToPEM(cert)
		if err = errors.Join(err, cerr); err == nil {
			ev.material, err = signing.NewCertificateMaterial(certPEM, chainPEM)
		}
		if err != nil {
			ev.materialErr = "the layer's certificate: " + err.Error()
		}
	}
	b, err := l.Bundle()
	if err != nil {
		ev.entryErr = "the layer's Rekor bundle annotation does not parse: " + err.Error()
		return ev
	}
	ev.entry = entryFromRekorBundle(b)
	return ev
}

// entryFromRekorBundle turns cosign's bundle annotation into a log entry
// with its signed entry timestamp (and no inclusion proof).
func entryFromRekorBundle(b *cbundle.RekorBundle) *models.LogEntryAnon {
	if b == nil {
		return nil
	}
	p := b.Payload
	return &models.LogEntryAnon{
		Body:           p.Body,
		IntegratedTime: &p.IntegratedTime,
		LogIndex:       &p.LogIndex,
		LogID:          &p.LogID,
		Verification:   &models.LogEntryAnonVerification{SignedEntryTimestamp: b.SignedEntryTimestamp},
	}
}

// fromReferrers reads Sigstore bundles attached as OCI 1.1 referrers. A
// registry without the referrers API is a note, not an error: the .att tag
// is where chainseal stores. A referrer that cannot be read is a note too,
// and the others are still read.
func (v *Verifier) fromReferrers(ctx context.Context, d name.Digest) ([]*evidence, []string) {
	idx, err := remote.Referrers(d, v.remoteOpts(ctx)...)
	if err != nil {
		var te *transport.Error
		if errors.As(err, &te) && te.StatusCode == http.StatusNotFound {
			return nil, nil
		}
		return nil, []string{fmt.Sprintf("OCI 1.1 referrers of %s not read: %v", d, err)}
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, []string{fmt.Sprintf("OCI 1.1 referrers of %s not read: %v", d, err)}
	}
	var out []*evidence
	var notes []string
	for _, m := range im.Manifests {
		if m.ArtifactType != bundleArtifactType {
			continue
		}
		ref := d.Context().Digest(m.Digest.String())
		raw, err := v.firstLayer(ctx, ref)
		if err != nil {
			notes = append(notes, fmt.Sprintf("referrer %s not read: %v", ref, err))
			continue
		}
		ev, err := parseBundle(raw, "referrer "+ref.String())
		if err != nil {
			notes = append(notes, fmt.Sprintf("referrer %s is not a Sigstore bundle: %v", ref, err))
			continue
		}
		out = append(out, ev)
	}
	return out, notes
}

func (v *Verifier) firstLayer(ctx context.Context, ref name.Digest) ([]byte, error) {
	img, err := remote.Image(ref, v.remoteOpts(ctx)...)
	if err != nil {
		return nil, err
	}
	layers, err := img.Layers()
	if err != nil {
		return nil, err
	}
	if len(layers) == 0 {
		return nil, fmt.Errorf("no layers")
	}
	return readLayer(layers[0])
}

func readLayer(l v1.Layer) ([]byte, error) {
	rc, err := l.Compressed()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(io.LimitReader(rc, 16<<20))
}
