package rekor

import (
	"log/slog"
	"time"
)

// Option configures a Client.
type Option func(*options)

type options struct {
	publicKey    []byte
	fetchKey     bool
	retries      uint
	waitMin      time.Duration
	waitMax      time.Duration
	timeout      time.Duration
	proofTimeout time.Duration
	userAgent    string
	log          *slog.Logger
}

func defaultOptions() options {
	return options{
		retries:      4,
		waitMin:      250 * time.Millisecond,
		waitMax:      4 * time.Second,
		timeout:      2 * time.Minute,
		proofTimeout: 30 * time.Second,
		userAgent:    "chainseal",
		log:          slog.New(slog.DiscardHandler),
	}
}

// WithPublicKey sets the log's public key (PEM). Every entry the log returns
// is checked against it.
func WithPublicKey(pem []byte) Option {
	return func(o *options) { o.publicKey = pem }
}

// WithPublicKeyFromLog allows fetching the log's public key from the log
// itself when no key was given. This trusts the log on first use, so it is
// off unless asked for.
func WithPublicKeyFromLog() Option {
	return func(o *options) { o.fetchKey = true }
}

// WithRetries bounds the retries of a request that failed with a connection
// error, 429 or a 5xx, and their exponential backoff.
func WithRetries(n uint, waitMin, waitMax time.Duration) Option {
	return func(o *options) { o.retries, o.waitMin, o.waitMax = n, waitMin, waitMax }
}

// WithTimeout bounds one upload or fetch, retries included.
func WithTimeout(d time.Duration) Option {
	return func(o *options) { o.timeout = d }
}

// WithProofTimeout bounds how long to wait for an inclusion proof the log
// has not produced yet.
func WithProofTimeout(d time.Duration) Option {
	return func(o *options) { o.proofTimeout = d }
}

// WithUserAgent sets the User-Agent header of requests to the log.
func WithUserAgent(ua string) Option {
	return func(o *options) { o.userAgent = ua }
}

// WithLogger sets where progress and retries are logged.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) {
		if l != nil {
			o.log = l
		}
	}
}
