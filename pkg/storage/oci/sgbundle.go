package oci

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	ssldsse "github.com/secure-systems-lab/go-securesystemslib/dsse"
	cbundle "github.com/sigstore/cosign/v2/pkg/cosign/bundle"
	ociremote "github.com/sigstore/cosign/v2/pkg/oci/remote"
	"github.com/sigstore/rekor/pkg/generated/models"
	sgbundle "github.com/sigstore/sigstore-go/pkg/bundle"

	"github.com/chainseal/chainseal/pkg/signing"
	"github.com/chainseal/chainseal/pkg/storage"
)

// attestBundle attaches the attestation as a Sigstore bundle (v0.3) that
// refers to d through the OCI 1.1 referrers API (or its tag fallback), as
// `cosign attest --new-bundle-format` does, unless a referrer already holds
// the same statement signed by the same key. It returns d: verifiers find
// the bundle from the image.
func (b *Backend) attestBundle(ctx context.Context, d name.Digest, a storage.Attestation) (string, error) {
	if a.Transparency == nil {
		return "", errors.New("a Sigstore bundle needs the transparency log entry: set transparency.enabled")
	}
	pt, err := predicateType(a.Envelope)
	if err != nil {
		return "", err
	}
	_, stmt, err := decodeEnvelope(a.Envelope)
	if err != nil {
		return "", err
	}
	m, err := material(a.PublicKey, a.Cert, a.Chain)
	if err != nil {
		return "", err
	}
	entry, err := logEntry(a.Transparency)
	if err != nil {
		return "", err
	}
	raw, err := cbundle.MakeNewBundle(m.PublicKey(), entry, stmt, a.Envelope, m.PEM(), nil)
	if err != nil {
		return "", fmt.Errorf("making the Sigstore bundle: %w", err)
	}
	// On a registry without the referrers API the referrers index is a
	// tag that every writer reads and rewrites: read the bundle back.
	present := func(ctx context.Context) (bool, error) { return b.findBundle(ctx, d, m, stmt, b.ociOpts(ctx)) }
	write := func(ctx context.Context) error {
		if err := ociremote.WriteAttestationNewBundleFormat(d, raw, pt, b.ociOpts(ctx)...); err != nil {
			return fmt.Errorf("writing the bundle referrer: %w", err)
		}
		return nil
	}
	wrote, err := b.writeConfirmed(ctx, "the bundle referrer", present, write)
	if err != nil {
		return "", err
	}
	if wrote {
		b.o.log.Info("oci: bundle attached", "image", d.String(), "predicateType", pt)
	} else {
		b.o.log.Info("oci: bundle already attached", "image", d.String())
	}
	return d.String(), nil
}

// findBundle reports whether a bundle referring to d already holds the
// statement signed by m's key.
func (b *Backend) findBundle(ctx context.Context, d name.Digest, m *signing.Material, stmt []byte, opts []ociremote.Option) (bool, error) {
	mt, err := sgbundle.MediaTypeString("0.3")
	if err != nil {
		return false, err
	}
	idx, err := ociremote.Referrers(d, mt, opts...)
	if err != nil {
		return false, fmt.Errorf("listing the referrers of %s: %w", d, err)
	}
	for _, desc := range idx.Manifests {
		bun, err := ociremote.Bundle(d.Context().Digest(desc.Digest.String()), opts...)
		if err != nil {
			continue // not a bundle we can read: leave it be
		}
		env := bun.GetDsseEnvelope()
		if env == nil || string(env.GetPayload()) != string(stmt) || len(env.GetSignatures()) != 1 {
			continue
		}
		e := &ssldsse.Envelope{
			PayloadType: env.GetPayloadType(),
			Payload:     base64.StdEncoding.EncodeToString(env.GetPayload()),
			Signatures:  []ssldsse.Signature{{Sig: base64.StdEncoding.EncodeToString(env.GetSignatures()[0].GetSig())}},
		}
		if ok, err := signedBy(ctx, e, m); err != nil || ok {
			return ok, err
		}
	}
	return false, nil
}

// logEntry turns the checked transparency entry back into Rekor's form.
func logEntry(t *storage.TransparencyEntry) (*models.LogEntryAnon, error) {
	var proof models.InclusionProof
	if err := json.Unmarshal(t.InclusionProof, &proof); err != nil {
		return nil, fmt.Errorf("the transparency entry's inclusion proof: %w", err)
	}
	return &models.LogEntryAnon{
		Body:           t.Body,
		IntegratedTime: &t.IntegratedTime,
		LogIndex:       &t.LogIndex,
		LogID:          &t.LogID,
		Verification: &models.LogEntryAnonVerification{
			InclusionProof:       &proof,
			SignedEntryTimestamp: t.SignedEntryTimestamp,
		},
	}, nil
}
