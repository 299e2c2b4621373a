package verify

import (
	"log/slog"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/chainseal/chainseal/pkg/signing"
)

// Option configures a Verifier.
type Option func(*options)

type options struct {
	keychain     authn.Keychain
	remote       []remote.Option
	logs         *Logs
	rekorURL     string
	ignoreTlog   bool
	offline      bool
	bundles      []string
	referrers    bool
	requirements Requirements
	rego         *RegoPolicy
	now          func() time.Time
	log          *slog.Logger
	callTimeout  time.Duration
	identity     signing.Identity
	trust        *signing.TrustRoot
	ignoreSCT    bool
	sources      []Source
}

func defaultOptions() options {
	return options{
		keychain:    authn.DefaultKeychain,
		referrers:   true,
		callTimeout: defaultCallTimeout,
		now:         time.Now,
		log:         slog.New(slog.DiscardHandler),
	}
}

// WithKeychain sets the registry credentials (default
// authn.DefaultKeychain: $DOCKER_CONFIG/config.json and helpers).
func WithKeychain(k authn.Keychain) Option { return func(o *options) { o.keychain = k } }

// WithRemoteOptions adds go-containerregistry options (a transport, a
// user agent) to every registry request.
func WithRemoteOptions(opts ...remote.Option) Option {
	return func(o *options) { o.remote = append(o.remote, opts...) }
}

// WithTransparencyLogs sets the logs whose entries are trusted. Required
// unless WithoutTransparencyLog.
func WithTransparencyLogs(l *Logs) Option { return func(o *options) { o.logs = l } }

// WithRekorURL is where inclusion proofs are fetched when the stored entry
// has none (a .att layer keeps only the signed entry timestamp). Default:
// the URL the trusted root names.
func WithRekorURL(u string) Option { return func(o *options) { o.rekorURL = u } }

// WithIdentity verifies keyless attestations: each must carry a
// certificate that chains to a Fulcio certificate authority of trust at the
// time the transparency log integrated its entry and names id. Without a
// CT log in trust, ignoreSCT must be set (cosign's --insecure-ignore-sct),
// or the certificate check fails. New is then given no key.
func WithIdentity(id signing.Identity, trust *signing.TrustRoot, ignoreSCT bool) Option {
	return func(o *options) { o.identity, o.trust, o.ignoreSCT = id, trust, ignoreSCT }
}

// WithoutTransparencyLog skips the transparency-log check (cosign's
// --insecure-ignore-tlog). The report says it was skipped.
func WithoutTransparencyLog() Option { return func(o *options) { o.ignoreTlog = true } }

// WithOffline verifies from Sigstore bundle files only, without any network
// access: the image must be named by digest, and each bundle must carry an
// inclusion proof.
func WithOffline(bundles ...string) Option {
	return func(o *options) { o.offline = true; o.bundles = append(o.bundles, bundles...) }
}

// WithBundles adds Sigstore bundle files to the attestations found in the
// registry.
func WithBundles(paths ...string) Option {
	return func(o *options) { o.bundles = append(o.bundles, paths...) }
}

// WithoutReferrers skips the OCI 1.1 referrers lookup (the .att tag only).
func WithoutReferrers() Option { return func(o *options) { o.referrers = false } }

// WithRequirements sets the policy checks to run on each statement.
func WithRequirements(r Requirements) Option { return func(o *options) { o.requirements = r } }

// WithRegoPolicy adds a Rego policy over each statement.
func WithRegoPolicy(p *RegoPolicy) Option { return func(o *options) { o.rego = p } }

// WithClock sets "now" for --max-age.
func WithClock(now func() time.Time) Option {
	return func(o *options) {
		if now != nil {
			o.now = now
		}
	}
}

// WithLogger sets where progress is logged.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) {
		if l != nil {
			o.log = l
		}
	}
}

// WithCallTimeout bounds each request to a registry or a transparency log
// (default 30s): one that accepts the connection and never answers is
// given up on, and the check (or the image) could not be verified.
func WithCallTimeout(d time.Duration) Option {
	return func(o *options) {
		if d > 0 {
			o.callTimeout = d
		}
	}
}
