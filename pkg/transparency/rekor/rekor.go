package rekor

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"net/url"
	"sync"

	"github.com/sigstore/cosign/v2/pkg/cosign"
	rekorclient "github.com/sigstore/rekor/pkg/client"
	"github.com/sigstore/rekor/pkg/generated/client"
	"github.com/sigstore/rekor/pkg/generated/client/pubkey"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
)

// Client records entries in one Rekor v1 transparency log.
type Client struct {
	url    string
	opts   options
	client *client.Rekor

	// The log's key is set by New, or fetched once when allowed.
	keyMu    sync.Mutex
	verifier signature.Verifier
	logID    string
}

// New returns a Client for the Rekor server at rawURL. The log's public key must
// be given with WithPublicKey, or fetching it from the log must be allowed
// with WithPublicKeyFromLog.
func New(rawURL string, opts ...Option) (*Client, error) {
	o := defaultOptions()
	for _, opt := range opts {
		opt(&o)
	}
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("rekor: transparency log URL %q is not an http(s) URL (config key transparency.url)", rawURL)
	}
	c, err := rekorclient.GetRekorClient(rawURL,
		rekorclient.WithUserAgent(o.userAgent),
		rekorclient.WithRetryCount(o.retries),
		rekorclient.WithRetryWaitMin(o.waitMin),
		rekorclient.WithRetryWaitMax(o.waitMax),
		rekorclient.WithLogger(o.log), // *slog.Logger is a retryablehttp.LeveledLogger
	)
	if err != nil {
		return nil, fmt.Errorf("rekor: client for %s: %w", rawURL, err)
	}
	l := &Client{url: rawURL, opts: o, client: c}
	switch {
	case len(o.publicKey) > 0:
		if err := l.setKey(o.publicKey); err != nil {
			return nil, fmt.Errorf("rekor: public key of %s: %w", rawURL, err)
		}
	case !o.fetchKey:
		return nil, fmt.Errorf("rekor: no public key for the transparency log %s: pass the log's public key (--rekor-public-key) or explicitly allow fetching it from the log", rawURL)
	}
	return l, nil
}

// URL is the log's address.
func (l *Client) URL() string { return l.url }

// LogID is the hex SHA-256 of the log's public key, once known.
func (l *Client) LogID() string {
	l.keyMu.Lock()
	defer l.keyMu.Unlock()
	return l.logID
}

func (l *Client) setKey(pemBytes []byte) error {
	pub, err := cryptoutils.UnmarshalPEMToPublicKey(pemBytes)
	if err != nil {
		return fmt.Errorf("parsing PEM public key: %w", err)
	}
	v, err := signature.LoadVerifier(pub, crypto.SHA256)
	if err != nil {
		return fmt.Errorf("loading verifier: %w", err)
	}
	id, err := cosign.GetTransparencyLogID(pub)
	if err != nil {
		return fmt.Errorf("computing log ID: %w", err)
	}
	l.verifier, l.logID = v, id
	return nil
}

// key returns the log's verifier and ID, fetching the key from the log the
// first time when that is allowed.
func (l *Client) key(ctx context.Context) (signature.Verifier, string, error) {
	l.keyMu.Lock()
	defer l.keyMu.Unlock()
	if l.verifier != nil {
		return l.verifier, l.logID, nil
	}
	if !l.opts.fetchKey {
		return nil, "", errors.New("no public key for the log")
	}
	ctx, cancel := context.WithTimeout(ctx, l.opts.timeout)
	defer cancel()
	resp, err := l.client.Pubkey.GetPublicKey(pubkey.NewGetPublicKeyParamsWithContext(ctx))
	if err != nil {
		return nil, "", fmt.Errorf("fetching the log's public key: %w", err)
	}
	if err := l.setKey([]byte(resp.Payload)); err != nil {
		return nil, "", fmt.Errorf("the log's public key: %w", err)
	}
	l.opts.log.Warn("rekor: trusting the public key the log served", "url", l.url, "logID", l.logID)
	return l.verifier, l.logID, nil
}
