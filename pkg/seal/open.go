package seal

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/chainseal/chainseal/pkg/config"
	"github.com/chainseal/chainseal/pkg/signing"
	"github.com/chainseal/chainseal/pkg/storage"
	"github.com/chainseal/chainseal/pkg/storage/annotations"
	"github.com/chainseal/chainseal/pkg/transparency/rekor"
)

// Setup is what Open needs to reach the outside world besides the config
// (in Deps.Config).
type Setup struct {
	Deps storage.Deps
	// Secrets holds the signing key files (a mounted Secret or the API).
	Secrets signing.Secrets
	// MarkRuns marks every sealed object chains.tekton.dev/signed=true
	// through Deps.Tekton, whatever the storage list (the run was read from
	// the API, so it is there to mark).
	MarkRuns bool
	// RekorPublicKey pins the transparency log's key (PEM), over
	// transparency.publickey. The key is never fetched from the log.
	RekorPublicKey []byte
	// Signers is the signer loader when the caller made one (to start
	// loading a key early); Open makes one otherwise.
	Signers *signing.Loader
}

// Open makes a Sealer for in from the config: a signer loader, every
// backend in uses, and the transparency log when transparency.enabled
// (with manual, only when a run of in asked for it).
// Nothing is dialled here that in does not use.
func Open(ctx context.Context, in Input, s Setup) (*Sealer, error) {
	cfg, log := s.Deps.Config, s.Deps.Log
	signers := s.Signers
	if signers == nil {
		signers = signing.NewLoader(cfg, signing.WithSecrets(s.Secrets), signing.WithLogger(log))
	}
	backends, err := storage.Open(ctx, in.Backends(), s.Deps)
	if err != nil {
		return nil, err
	}
	opts := []Option{WithLogger(log)}
	if s.MarkRuns && s.Deps.Tekton != nil {
		opts = append(opts, WithMarker(annotations.New(s.Deps.Tekton)))
	}
	if cfg.Transparency.Enabled && (!cfg.Transparency.Manual || in.Logs()) {
		tlog, err := openLog(cfg, s.RekorPublicKey, log)
		if err != nil {
			return nil, err
		}
		opts = append(opts, WithTransparency(tlog))
	}
	return New(signers, backends, opts...), nil
}

// openLog is the Rekor client of transparency.url with the log's key pinned:
// the flag's key, else transparency.publickey. Without one the run stops:
// a key taken from the log would let the log vouch for itself.
func openLog(cfg config.Config, flagKey []byte, log *slog.Logger) (*rekor.Client, error) {
	key, from := flagKey, "--rekor-public-key"
	if len(key) == 0 {
		key, from = []byte(cfg.Transparency.PublicKey), config.KeyTransparencyPublicKey
	}
	if len(key) == 0 {
		return nil, fmt.Errorf("%s is on but the log's public key is not pinned: set %s to the PEM key of %s (or pass --rekor-public-key, the Task's rekor-public-key param); chainseal does not trust the key a log serves",
			config.KeyTransparencyEnabled, config.KeyTransparencyPublicKey, cfg.Transparency.URL)
	}
	tlog, err := rekor.New(cfg.Transparency.URL, rekor.WithLogger(log), rekor.WithPublicKey(key))
	if err != nil {
		return nil, fmt.Errorf("%s or %s: %w", config.KeyTransparencyURL, from, err)
	}
	return tlog, nil
}
