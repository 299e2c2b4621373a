package verify

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// defaultCallTimeout bounds each request to a registry or a transparency
// log unless WithCallTimeout says otherwise.
const defaultCallTimeout = 30 * time.Second

// callTransport bounds each HTTP request, from dialing to the end of the
// body, by d: a server that accepts the connection and never answers (not
// even a TLS handshake) is given up on. The whole verification is bounded
// by the caller's context (chainseal verify --timeout).
type callTransport struct {
	inner http.RoundTripper
	d     time.Duration
}

func (t callTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithTimeout(req.Context(), t.d)
	resp, err := t.inner.RoundTrip(req.WithContext(ctx))
	if err != nil {
		cancel()
		if errors.Is(ctx.Err(), context.DeadlineExceeded) && req.Context().Err() == nil {
			return nil, fmt.Errorf("%s %s: no answer within %s: %w", req.Method, req.URL.Host, t.d, err)
		}
		return nil, err
	}
	resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
}

// cancelOnClose ends a request's timeout when its body is closed.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b *cancelOnClose) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}

// withCallTimeout runs one call to a transparency log within the per-call
// timeout, saying so when it ran out.
func (v *Verifier) withCallTimeout(ctx context.Context, what string, call func(ctx context.Context) error) error {
	cctx, cancel := context.WithTimeout(ctx, v.o.callTimeout)
	defer cancel()
	err := call(cctx)
	if err != nil && errors.Is(cctx.Err(), context.DeadlineExceeded) && ctx.Err() == nil {
		return fmt.Errorf("%s: no answer within %s: %w", what, v.o.callTimeout, err)
	}
	return err
}
