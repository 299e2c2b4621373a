package oci

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	ociremote "github.com/sigstore/cosign/v2/pkg/oci/remote"
	"github.com/sigstore/cosign/v2/pkg/oci/static"
	ctypes "github.com/sigstore/cosign/v2/pkg/types"

	"github.com/chainseal/chainseal/pkg/storage"
)

// attest appends the attestation's DSSE envelope to d's .att image, as
// `cosign attest` does, unless a layer already holds the same statement
// signed by the same key, and confirms the layer is there (writeConfirmed).
// It returns the .att tag.
func (b *Backend) attest(ctx context.Context, d name.Digest, a storage.Attestation) (string, error) {
	pt, err := predicateType(a.Envelope)
	if err != nil {
		return "", err
	}
	sopts := append([]static.Option{
		static.WithLayerMediaType(ctypes.DssePayloadType),
		static.WithAnnotations(map[string]string{"predicateType": pt}),
	}, layerOptions(a.Cert, a.Chain, a.Transparency)...)
	att, err := static.NewAttestation(a.Envelope, sopts...)
	if err != nil {
		return "", fmt.Errorf("making the attestation layer: %w", err)
	}
	var t *cosignTag
	present := func(ctx context.Context) (bool, error) {
		read, unchanged, err := b.readTag(ctx, d, ociremote.AttestationTag, t)
		if err != nil || unchanged {
			return unchanged, err
		}
		t = read
		dup, err := findAttestation(ctx, t.existing, a, pt)
		if err != nil {
			return false, fmt.Errorf("reading %s: %w", t.tag, err)
		}
		return dup, nil
	}
	write := func(ctx context.Context) error { return b.appendAndWrite(ctx, t, att) }
	wrote, err := b.writeConfirmed(ctx, "the attestation layer", present, write)
	if err != nil {
		return "", err
	}
	if wrote {
		b.o.log.Info("oci: attestation attached", "tag", t.tag.String(), "predicateType", pt)
	} else {
		b.o.log.Info("oci: attestation already attached", "tag", t.tag.String())
	}
	return t.tag.String(), nil
}

// predicateType reads the statement's predicateType out of the envelope, for
// the layer annotation cosign writes and filters on.
func predicateType(envelope []byte) (string, error) {
	env, stmt, err := decodeEnvelope(envelope)
	if err != nil {
		return "", err
	}
	if env.PayloadType != ctypes.IntotoPayloadType {
		return "", fmt.Errorf("DSSE payloadType is %q, not %q: cosign only verifies in-toto attestations", env.PayloadType, ctypes.IntotoPayloadType)
	}
	var s struct {
		PredicateType string `json:"predicateType"`
	}
	if err := json.Unmarshal(stmt, &s); err != nil || s.PredicateType == "" {
		return "", fmt.Errorf("the DSSE payload is not an in-toto statement with a predicateType")
	}
	return s.PredicateType, nil
}
