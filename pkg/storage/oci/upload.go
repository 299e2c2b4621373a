package oci

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"golang.org/x/sync/errgroup"
)

// The write side of a cosign tag in as few requests as the distribution
// spec allows: each blob in one POST and one PUT carrying it whole, then
// the manifest in one PUT. go-containerregistry's remote.Write first asks
// whether each blob exists (HEAD) and sends it in a PATCH before the PUT:
// four requests per blob where two do, and the blobs of a new signature or
// attestation layer are new (the layer holds this run's envelope; the
// config lists the layers). Requests go through go-containerregistry's
// authenticating, retrying transport (transport.NewWithContext), so auth
// and errors (transport.Error, read by contended) are as with remote.

// retryStatusCodes are the statuses go-containerregistry's remote retries
// (its unexported defaultRetryStatusCodes), so writes retry as before.
var retryStatusCodes = []int{
	http.StatusRequestTimeout, http.StatusTooManyRequests, http.StatusInternalServerError,
	http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout,
	499, // nginx: client closed request
	522, // Cloudflare: connection timed out
}

// pushers holds one authenticated push transport per repository, for a
// Store: the registry is pinged and the credentials resolved once.
type pushers struct {
	mu sync.Mutex
	rt map[string]http.RoundTripper
}

// pushTransport is an authenticated transport with push scope on repo,
// shared within the Store of ctx.
func (b *Backend) pushTransport(ctx context.Context, repo name.Repository) (http.RoundTripper, error) {
	s, _ := ctx.Value(sessionKey{}).(*session)
	if s != nil {
		s.pushers.mu.Lock()
		defer s.pushers.mu.Unlock()
		if rt, ok := s.pushers.rt[repo.String()]; ok {
			return rt, nil
		}
	}
	auth, err := authn.Resolve(ctx, b.o.keychain, repo)
	if err != nil {
		return nil, fmt.Errorf("resolving credentials for %s: %w", repo, err)
	}
	inner := transport.NewRetry(b.transport, transport.WithRetryBackoff(b.o.backoff), transport.WithRetryStatusCodes(retryStatusCodes...))
	inner = transport.NewUserAgent(inner, "chainseal")
	rt, err := transport.NewWithContext(ctx, repo.Registry, auth, inner, []string{repo.Scope(transport.PushScope)})
	if err != nil {
		return nil, err
	}
	if s != nil {
		if s.pushers.rt == nil {
			s.pushers.rt = map[string]http.RoundTripper{}
		}
		s.pushers.rt[repo.String()] = rt
	}
	return rt, nil
}

// uploadBlobs uploads img's layers and config to repo, in parallel, each
// whole (uploadBlob), except the layers of base, the manifest img was
// appended to, which repo holds. Unlike remote.Write it neither checks for
// nor writes the manifest.
func (b *Backend) uploadBlobs(ctx context.Context, repo name.Repository, img, base v1.Image) error {
	rt, err := b.pushTransport(ctx, repo)
	if err != nil {
		return err
	}
	layers, err := img.Layers()
	if err != nil {
		return err
	}
	cfg, err := partial.ConfigLayer(img)
	if err != nil {
		return err
	}
	have, err := layerDigests(base)
	if err != nil {
		return err
	}
	g, ctx := errgroup.WithContext(ctx)
	for _, l := range append(layers, cfg) {
		if h, err := l.Digest(); err == nil && have[h] {
			continue
		}
		g.Go(func() error { return uploadBlob(ctx, rt, repo, l) })
	}
	return g.Wait()
}

// layerDigests are the layers img's manifest names.
func layerDigests(img v1.Image) (map[v1.Hash]bool, error) {
	m, err := img.Manifest()
	if err != nil {
		return nil, err
	}
	have := map[v1.Hash]bool{}
	for _, l := range m.Layers {
		have[l.Digest] = true
	}
	return have, nil
}

// uploadBlob is the distribution spec's monolithic upload: POST opens an
// upload session, PUT ?digest= sends the blob and closes it. A blob the
// repository has already is accepted again (its digest names it).
func uploadBlob(ctx context.Context, rt http.RoundTripper, repo name.Repository, l v1.Layer) error {
	h, err := l.Digest()
	if err != nil {
		return err
	}
	rc, err := l.Compressed()
	if err != nil {
		return err
	}
	data, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		return err
	}
	start := url.URL{Scheme: repo.Scheme(), Host: repo.RegistryStr(), Path: fmt.Sprintf("/v2/%s/blobs/uploads/", repo.RepositoryStr())}
	resp, err := do(ctx, rt, http.MethodPost, start.String(), "", nil, http.StatusAccepted)
	if err != nil {
		return err
	}
	location := resp.Header.Get("Location")
	loc, err := resp.Request.URL.Parse(location)
	if err != nil || location == "" {
		return fmt.Errorf("starting the upload of %s to %s: the registry answered without a usable Location (%q)", h, repo, location)
	}
	q := loc.Query()
	q.Set("digest", h.String())
	loc.RawQuery = q.Encode()
	_, err = do(ctx, rt, http.MethodPut, loc.String(), "application/octet-stream", data, http.StatusCreated)
	return err
}

// putManifest moves tag to img's manifest.
func (b *Backend) putManifest(ctx context.Context, tag name.Tag, img v1.Image) error {
	rt, err := b.pushTransport(ctx, tag.Context())
	if err != nil {
		return err
	}
	raw, err := img.RawManifest()
	if err != nil {
		return err
	}
	mt, err := img.MediaType()
	if err != nil {
		return err
	}
	u := url.URL{Scheme: tag.Scheme(), Host: tag.RegistryStr(), Path: fmt.Sprintf("/v2/%s/manifests/%s", tag.RepositoryStr(), tag.TagStr())}
	_, err = do(ctx, rt, http.MethodPut, u.String(), string(mt), raw, http.StatusCreated)
	return err
}

// do sends one request and checks its status (transport.CheckError: a
// registry's error codes come back as a *transport.Error). The body is
// drained and closed; the response keeps its headers and request.
func do(ctx context.Context, rt http.RoundTripper, method, url, contentType string, body []byte, want int) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := (&http.Client{Transport: rt}).Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if err := transport.CheckError(resp, want); err != nil {
		return nil, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp, nil
}
