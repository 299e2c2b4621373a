package oci

import (
	cbundle "github.com/sigstore/cosign/v2/pkg/cosign/bundle"
	"github.com/sigstore/cosign/v2/pkg/oci/static"

	"github.com/chainseal/chainseal/pkg/storage"
)

// rekorBundle is the dev.sigstore.cosign/bundle annotation cosign checks
// offline: the log's signed entry timestamp over the entry body.
func rekorBundle(t *storage.TransparencyEntry) *cbundle.RekorBundle {
	return &cbundle.RekorBundle{
		SignedEntryTimestamp: t.SignedEntryTimestamp,
		Payload: cbundle.RekorPayload{
			Body:           t.Body,
			IntegratedTime: t.IntegratedTime,
			LogIndex:       t.LogIndex,
			LogID:          t.LogID,
		},
	}
}

// layerOptions are the cosign annotations common to signatures and
// attestations: certificate and chain for keyless, the Rekor bundle.
func layerOptions(cert, chain []byte, t *storage.TransparencyEntry) []static.Option {
	var opts []static.Option
	if len(cert) > 0 {
		opts = append(opts, static.WithCertChain(cert, chain))
	}
	if t != nil {
		opts = append(opts, static.WithBundle(rekorBundle(t)))
	}
	return opts
}
