package oci_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httputil"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/sigstore/sigstore/pkg/signature"
	sigdsse "github.com/sigstore/sigstore/pkg/signature/dsse"
	"github.com/sigstore/sigstore/pkg/signature/payload"

	"github.com/chainseal/chainseal/internal/sigtest"
	"github.com/chainseal/chainseal/pkg/storage"
)

// testKey is a throwaway ECDSA P-256 signer, as a key-file signer would be.
type testKey struct {
	sv     signature.SignerVerifier
	pubPEM []byte
}

func newTestKey(t testing.TB) testKey {
	k := sigtest.NewKey(t)
	return testKey{sv: k.SV, pubPEM: k.PubPEM}
}

// statement is a minimal SLSA v1 provenance naming the image.
func statement(t testing.TB, repo string, h v1.Hash, buildID string) []byte {
	t.Helper()
	s := map[string]any{
		"_type":         "https://in-toto.io/Statement/v1",
		"predicateType": "https://slsa.dev/provenance/v1",
		"subject":       []any{map[string]any{"name": repo, "digest": map[string]string{"sha256": h.Hex}}},
		"predicate": map[string]any{
			"buildDefinition": map[string]any{"buildType": "https://chainseal.dev/test", "externalParameters": map[string]any{}},
			"runDetails":      map[string]any{"builder": map[string]any{"id": "https://chainseal.dev/test"}, "metadata": map[string]any{"invocationID": buildID}},
		},
	}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// attestation signs the statement into a DSSE envelope.
func (k testKey) attestation(t testing.TB, repo string, h v1.Hash, buildID string) storage.Attestation {
	t.Helper()
	stmt := statement(t, repo, h, buildID)
	env, err := sigdsse.WrapSigner(k.sv, "application/vnd.in-toto+json").SignMessage(bytes.NewReader(stmt))
	if err != nil {
		t.Fatal(err)
	}
	return storage.Attestation{
		Object:      storage.Object{Kind: "PipelineRun", Namespace: "ns", Name: "build-" + buildID, UID: buildID},
		Format:      "slsa/v1",
		PayloadType: "application/vnd.in-toto+json",
		Payload:     stmt,
		Envelope:    env,
		Subjects:    []storage.Subject{{Name: repo, Digest: map[string]string{"sha256": h.Hex}}},
		PublicKey:   k.pubPEM,
	}
}

// imageSignature is cosign's simplesigning signature of the image.
func (k testKey) imageSignature(t testing.TB, d name.Digest) storage.ImageSignature {
	t.Helper()
	p, err := payload.Cosign{Image: d}.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	sig, err := k.sv.SignMessage(bytes.NewReader(p))
	if err != nil {
		t.Fatal(err)
	}
	return storage.ImageSignature{Image: d.String(), Payload: p, Signature: sig, PublicKey: k.pubPEM}
}

// inProcessRegistry is go-containerregistry's registry, for unit tests of
// single functions; acceptance tests use the stack's docker-registry.
func inProcessRegistry(t testing.TB) string {
	return sigtest.Registry(t)
}

// pushRandom pushes a random image and returns its repository and digest.
func pushRandom(t testing.TB, repo string, opts ...remote.Option) (string, name.Digest) {
	return repo, sigtest.PushRandom(t, repo, opts...)
}

// layers returns the layer descriptors of the image at tag ("" when absent).
func layers(t testing.TB, tag string, opts ...remote.Option) []v1.Descriptor {
	t.Helper()
	ref, err := name.ParseReference(tag)
	if err != nil {
		t.Fatal(err)
	}
	img, err := remote.Image(ref, opts...)
	if err != nil {
		t.Fatalf("reading %s: %v", tag, err)
	}
	m, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	return m.Layers
}

func mustHash(t testing.TB, d name.Digest) v1.Hash {
	t.Helper()
	h, err := v1.NewHash(d.DigestStr())
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// attTag is cosign's attestation tag of d in repo.
func attTag(repo string, d name.Digest) string {
	return repo + ":" + strings.Replace(d.DigestStr(), ":", "-", 1) + ".att"
}

func sigTag(repo string, d name.Digest) string {
	return repo + ":" + strings.Replace(d.DigestStr(), ":", "-", 1) + ".sig"
}

// countingTransport counts the bytes of every request it sends (headers
// and body, as on the wire before TLS).
type countingTransport struct {
	inner http.RoundTripper
	sent  atomic.Int64
	reqs  atomic.Int64

	mu    sync.Mutex
	calls []string // "METHOD kind" per request: kind is blob, upload or manifest
}

// count is how many requests were "METHOD kind" (see calls).
func (c *countingTransport) count(call string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, x := range c.calls {
		if x == call {
			n++
		}
	}
	return n
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if dump, err := httputil.DumpRequestOut(r, true); err == nil {
		c.sent.Add(int64(len(dump)))
	}
	c.reqs.Add(1)
	kind := "other"
	switch {
	case r.URL.Path == "/v2/":
		kind = "ping " + r.URL.Scheme // a loopback registry is pinged on https and http at once
	case strings.Contains(r.URL.Path, "/blobs/uploads/"):
		kind = "upload"
	case strings.Contains(r.URL.Path, "/blobs/"):
		kind = "blob"
	case strings.Contains(r.URL.Path, "/manifests/"):
		kind = "manifest"
	}
	c.mu.Lock()
	c.calls = append(c.calls, r.Method+" "+kind)
	c.mu.Unlock()
	return c.inner.RoundTrip(r)
}

// slowTransport delays every request, as a registry across a network does,
// so that concurrent writers overlap the way they do in production.
type slowTransport struct {
	inner http.RoundTripper
	delay time.Duration
}

func (s slowTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	time.Sleep(s.delay)
	return s.inner.RoundTrip(r)
}

func slow() http.RoundTripper {
	return slowTransport{inner: http.DefaultTransport, delay: 3 * time.Millisecond}
}

// logLines is a logger whose lines a test reads.
type logLines struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logLines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logLines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func (l *logLines) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// pushDigest is a digest reference in reg for an image never pushed (for
// registries that only stall).
func pushDigest(t testing.TB, reg string) name.Digest {
	t.Helper()
	d, err := name.NewDigest(reg + "/app@sha256:" + strings.Repeat("ab", 32))
	if err != nil {
		t.Fatal(err)
	}
	return d
}
