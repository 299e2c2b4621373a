package signing

import (
	"log/slog"
	"os"
	"time"

	"github.com/sigstore/sigstore/pkg/signature"
)

// Option configures loading.
type Option func(*loadOptions)

type loadOptions struct {
	secrets Secrets
	logger  *slog.Logger
	getenv  func(string) string
	kmsOpts []signature.RPCOption
	clock   func() time.Time
}

func (o *loadOptions) now() time.Time {
	if o.clock != nil {
		return o.clock()
	}
	return time.Now()
}

func newOptions(opts []Option) *loadOptions {
	o := &loadOptions{logger: slog.Default(), getenv: os.Getenv}
	for _, opt := range opts {
		opt(o)
	}
	return o
}

// WithSecrets is where x509.pem, cosign.key, pgp.private-key and their
// passwords are read from (DirSecrets or KubeSecret).
func WithSecrets(s Secrets) Option { return func(o *loadOptions) { o.secrets = s } }

// WithLogger sets the logger for one line per loaded key (never a secret).
func WithLogger(l *slog.Logger) Option {
	return func(o *loadOptions) {
		if l != nil {
			o.logger = l
		}
	}
}

// WithEnv replaces os.Getenv for VAULT_ADDR and VAULT_TOKEN, the fallbacks
// when signers.kms.auth.* say nothing. Tests use it to keep the process
// environment out.
func WithEnv(getenv func(string) string) Option {
	return func(o *loadOptions) {
		if getenv != nil {
			o.getenv = getenv
		}
	}
}

// WithKMSOptions passes options to sigstore's KMS provider, e.g.
// gcp.WithGoogleAPIClientOption for a non-default endpoint.
func WithKMSOptions(opts ...signature.RPCOption) Option {
	return func(o *loadOptions) { o.kmsOpts = append(o.kmsOpts, opts...) }
}

// WithClock sets "now" for keyless signing (whether the identity token has
// expired, and the time Fulcio's certificate is checked at).
func WithClock(now func() time.Time) Option { return func(o *loadOptions) { o.clock = now } }
