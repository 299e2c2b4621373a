package provenance

import (
	"fmt"

	"github.com/chainseal/chainseal/pkg/artifacts"
	"github.com/chainseal/chainseal/pkg/config"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/sigstore/sigstore/pkg/signature/payload"
)

// simpleSigning makes the payload `cosign sign` signs, one per image with a
// sha256 digest (cosign signs manifests by sha256).
func simpleSigning(images []artifacts.Subject) ([]Payload, error) {
	var out []Payload
	for _, img := range images {
		hex, ok := img.Digest["sha256"]
		if !ok {
			continue
		}
		ref := img.Name + "@sha256:" + hex
		d, err := name.NewDigest(ref)
		if err != nil {
			return nil, fmt.Errorf("image %s: %w", ref, err)
		}
		body, err := payload.Cosign{Image: d}.MarshalJSON()
		if err != nil {
			return nil, fmt.Errorf("image %s: %w", ref, err)
		}
		out = append(out, Payload{Format: config.FormatSimpleSigning, PayloadType: PayloadTypeSimpleSigning, Body: body, Subjects: []artifacts.Subject{img}})
	}
	return out, nil
}
