package oci

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/chainseal/chainseal/pkg/config"
)

// Option configures a Backend.
type Option func(*options)

type options struct {
	keychain   authn.Keychain
	repository string
	insecure   bool
	transport  http.RoundTripper
	backoff    remote.Backoff
	timeout    time.Duration
	indexes    bool
	encoding   string
	log        *slog.Logger
}

func defaultOptions() options {
	return options{
		keychain: authn.DefaultKeychain,
		// Bounded: 5 tries over about 3 s before giving up on a 5xx or timeout.
		backoff:  remote.Backoff{Duration: 200 * time.Millisecond, Factor: 2, Jitter: 0.1, Steps: 5},
		timeout:  30 * time.Second,
		encoding: config.EncodingDSSE,
		log:      slog.New(slog.DiscardHandler),
	}
}

// WithKeychain sets where registry credentials come from.
func WithKeychain(k authn.Keychain) Option {
	return func(o *options) {
		if k != nil {
			o.keychain = k
		}
	}
}

// WithRepository stores .att and .sig tags in this repository instead of the
// image's own (storage.oci.repository, cosign's COSIGN_REPOSITORY).
func WithRepository(repo string) Option {
	return func(o *options) { o.repository = repo }
}

// WithEncoding picks how attestations are attached
// (storage.oci.encoding-format): "dsse" (the .att tag, as `cosign attest`)
// or "sigstore-bundle" (a Sigstore bundle through the OCI 1.1 referrers API,
// as `cosign attest --new-bundle-format`, which needs the transparency entry).
func WithEncoding(format string) Option {
	return func(o *options) {
		if format != "" {
			o.encoding = format
		}
	}
}

// WithInsecure allows plain HTTP to registries other than localhost
// (storage.oci.repository.insecure).
func WithInsecure(insecure bool) Option {
	return func(o *options) { o.insecure = insecure }
}

// WithTransport sets the HTTP transport under go-containerregistry's retry
// and auth layers (tests count bytes with it).
func WithTransport(t http.RoundTripper) Option {
	return func(o *options) { o.transport = t }
}

// WithRetryBackoff bounds the retries of registry 5xx answers and timeouts.
func WithRetryBackoff(b remote.Backoff) Option {
	return func(o *options) { o.backoff = b }
}

// WithRequestTimeout bounds each registry request, from sending it to
// reading the last byte of its response (30 s by default), so a registry
// that hangs, before its headers or in the middle of a body, is retried
// instead of waited on forever.
func WithRequestTimeout(d time.Duration) Option {
	return func(o *options) { o.timeout = d }
}

// WithIndexManifests says whether an attestation of an image index is also
// attached to each of its platform manifests. Off by default: cosign
// verify-attestation (with its default --check-claims) accepts an
// attestation only for a digest its statement names, so the way to cover the
// platform images is a statement that names them as subjects, which this
// backend then attaches to each.
func WithIndexManifests(on bool) Option {
	return func(o *options) { o.indexes = on }
}

// WithLogger sets where stored references are logged. Credentials never are.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) {
		if l != nil {
			o.log = l
		}
	}
}
