package seal

import (
	"context"
	"fmt"

	"github.com/chainseal/chainseal/pkg/signing"
	"github.com/chainseal/chainseal/pkg/storage"
	"github.com/chainseal/chainseal/pkg/transparency/rekor"
)

// Setup is what Open needs to reach the outside world besides the config
// (in Deps.Config).
type Setup struct {
	Deps storage.Deps
	// Secrets holds the signing key files (a mounted Secret or the API).
	Secrets signing.Secrets
	// RekorPublicKey pins the transparency log's key (PEM). When nil the
	// key is fetched from the log.
	RekorPublicKey []byte
}

// Open makes a Sealer for in from the config: a signer loader, every
// backend in uses, and the transparency log when transparency.enabled.
// Nothing is dialled here that in does not use.
func Open(ctx context.Context, in Input, s Setup) (*Sealer, error) {
	cfg, log := s.Deps.Config, s.Deps.Log
	signers := signing.NewLoader(cfg, signing.WithSecrets(s.Secrets), signing.WithLogger(log))
	backends, err := storage.Open(ctx, in.Backends(), s.Deps)
	if err != nil {
		return nil, err
	}
	opts := []Option{WithLogger(log)}
	if cfg.Transparency.Enabled {
		ropts := []rekor.Option{rekor.WithLogger(log)}
		if s.RekorPublicKey != nil {
			ropts = append(ropts, rekor.WithPublicKey(s.RekorPublicKey))
		} else {
			ropts = append(ropts, rekor.WithPublicKeyFromLog())
		}
		tlog, err := rekor.New(cfg.Transparency.URL, ropts...)
		if err != nil {
			return nil, fmt.Errorf("transparency.url: %w", err)
		}
		opts = append(opts, WithTransparency(tlog))
	}
	return New(signers, backends, opts...), nil
}
