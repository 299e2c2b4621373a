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
// signed by the same key. It returns the .att tag.
func (b *Backend) attest(ctx context.Context, d name.Digest, a storage.Attestation) (string, error) {
	t, err := b.readTag(ctx, d, ociremote.AttestationTag)
	if err != nil {
		return "", err
	}
	tag, existing := t.tag, t.existing
	pt, err := predicateType(a.Envelope)
	if err != nil {
		return "", err
	}
	dup, err := findAttestation(ctx, existing, a, pt)
	if err != nil {
		return "", fmt.Errorf("reading %s: %w", tag, err)
	}
	if dup {
		b.o.log.Info("oci: attestation already attached", "tag", tag.String())
		return tag.String(), nil
	}
	sopts := append([]static.Option{
		static.WithLayerMediaType(ctypes.DssePayloadType),
		static.WithAnnotations(map[string]string{"predicateType": pt}),
	}, layerOptions(a.Cert, a.Chain, a.Transparency)...)
	att, err := static.NewAttestation(a.Envelope, sopts...)
	if err != nil {
		return "", fmt.Errorf("making the attestation layer: %w", err)
	}
	if err := b.appendAndWrite(ctx, t, att); err != nil {
		return "", err
	}
	b.o.log.Info("oci: attestation attached", "tag", tag.String(), "predicateType", pt)
	return tag.String(), nil
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
