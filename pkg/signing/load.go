package signing

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/chainseal/chainseal/pkg/config"
)

// source loads a Signer of one kind. A new key source is one function and
// one line in sources.
type source func(ctx context.Context, cfg config.Config, o *loadOptions) (Signer, error)

var sources = map[string]source{
	config.SignerX509: loadX509,
	config.SignerKMS:  loadKMS,
	config.SignerPGP:  loadPGP,
}

// Load builds the Signer that signerName (the value of an
// artifacts.*.signer key: x509, kms, pgp) names. Each call loads the key
// again: use a Loader to load once per process.
func Load(ctx context.Context, signerName string, cfg config.Config, opts ...Option) (Signer, error) {
	return load(ctx, signerName, cfg, newOptions(opts))
}

func load(ctx context.Context, signerName string, cfg config.Config, o *loadOptions) (Signer, error) {
	src, ok := sources[signerName]
	if !ok {
		names := make([]string, 0, len(sources))
		for n := range sources {
			names = append(names, n)
		}
		sort.Strings(names)
		return nil, &Error{Op: "loading", Source: fmt.Sprintf("signer %q", signerName), Err: ErrUnsupported,
			Fix: fmt.Sprintf("set %s (or the taskrun/oci one) to one of %s", config.KeyPipelineRunSigner, strings.Join(names, ", "))}
	}
	start := time.Now()
	s, err := src(ctx, cfg, o)
	if err != nil {
		return nil, err
	}
	o.logger.Info("signing key loaded", "signer", signerName, "key", s.Description(),
		"keyid", s.KeyID(), "duration", time.Since(start).Round(time.Millisecond))
	return s, nil
}

// Loader loads each signer once and hands out the same Signer afterwards,
// so the cosign key is decrypted and the KMS dialled once per process.
type Loader struct {
	cfg config.Config
	o   *loadOptions

	mu     sync.Mutex
	loaded map[string]loaded
}

type loaded struct {
	s   Signer
	err error
}

// NewLoader returns a Loader for one Config.
func NewLoader(cfg config.Config, opts ...Option) *Loader {
	return &Loader{cfg: cfg, o: newOptions(opts), loaded: map[string]loaded{}}
}

// Signer returns the Signer for signerName, loading it on first use. A
// failure is remembered too: a key that failed once is not retried.
func (l *Loader) Signer(ctx context.Context, signerName string) (Signer, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if r, ok := l.loaded[signerName]; ok {
		return r.s, r.err
	}
	s, err := load(ctx, signerName, l.cfg, l.o)
	l.loaded[signerName] = loaded{s, err}
	return s, err
}
