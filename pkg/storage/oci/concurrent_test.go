package oci_test

import (
	"context"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/chainseal/chainseal/pkg/storage"
	"github.com/chainseal/chainseal/pkg/storage/oci"
)

// Concurrent writers of one digest's .att and .sig tags (two PipelineRuns
// building the same image, a burst, a re-run while the first still runs)
// each read the tag, append their layer and write it back: without care the
// last writer drops the others' layers. Each writer here is a separate
// Backend, as a separate chainseal process would be.
func TestConcurrentWritersKeepEveryLayer(t *testing.T) {
	const n = 8
	reg := inProcessRegistry(t)
	repo, d := pushRandom(t, reg+"/app")
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		k := newTestKey(t)
		batch := storage.Batch{
			Attestations: []storage.Attestation{k.attestation(t, repo, mustHash(t, d), string(rune('a'+i)))},
			Images:       []storage.ImageSignature{k.imageSignature(t, d)},
		}
		b, err := oci.New(oci.WithTransport(slow()))
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = b.Store(context.Background(), batch)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("writer %d: %v", i, err)
		}
	}
	if got := len(layers(t, attTag(repo, d))); got != n {
		t.Errorf(".att has %d layers after %d concurrent writers, want %d", got, n, n)
	}
	if got := len(layers(t, sigTag(repo, d))); got != n {
		t.Errorf(".sig has %d layers after %d concurrent writers, want %d", got, n, n)
	}
}

// With storage.oci.repository set, one digest pushed to two repositories
// has one .att tag: inside one Store the two writes are one job queue (by
// the tag actually written), not two racing ones.
func TestOneDigestInTwoRepositoriesIsOneTag(t *testing.T) {
	reg := inProcessRegistry(t)
	repoA, d := pushRandom(t, reg+"/team-a/app")
	img, err := remote.Image(d)
	if err != nil {
		t.Fatal(err)
	}
	repoB := reg + "/team-b/app"
	tagB, _ := name.NewTag(repoB + ":latest")
	if err := remote.Write(tagB, img); err != nil {
		t.Fatal(err)
	}
	k := newTestKey(t)
	var log logLines
	b, err := oci.New(oci.WithRepository(reg+"/attestations"), oci.WithTransport(slow()), oci.WithLogger(log.logger()))
	if err != nil {
		t.Fatal(err)
	}
	r, err := b.Store(context.Background(), storage.Batch{Attestations: []storage.Attestation{
		k.attestation(t, repoA, mustHash(t, d), "a"),
		k.attestation(t, repoB, mustHash(t, d), "b"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	target := attTag(reg+"/attestations", d)
	if len(r.Locations) != 1 || r.Locations[0] != target {
		t.Errorf("locations = %v, want the one tag %s", r.Locations, target)
	}
	if got := len(layers(t, target)); got != 2 {
		t.Errorf("%s has %d layers, want 2 (one per repository's provenance)", target, got)
	}
	if l := log.String(); strings.Contains(l, "writing again") || strings.Contains(l, "tag moved") {
		t.Errorf("the two writes to one tag raced inside one Store:\n%s", l)
	}
}

// contendedRegistry answers the next manifest PUTs as docker-registry does
// when another writer is committing the same blob at that moment (two
// image signatures of one digest share their payload blob).
type contendedRegistry struct {
	reg     http.Handler
	failing atomic.Int32
}

func (c *contendedRegistry) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/manifests/") && c.failing.Add(-1) >= 0 {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"errors":[{"code":"DIGEST_INVALID","message":"provided digest did not match uploaded content"},{"code":"MANIFEST_BLOB_UNKNOWN","message":"blob unknown to registry","detail":"sha256:db1e"}]}`)
		return
	}
	c.reg.ServeHTTP(w, r)
}

// A write that meets another writer's blob commit is contention, retried
// like a moved tag, not a failure of the run.
func TestBlobContentionIsRetried(t *testing.T) {
	c := &contendedRegistry{reg: registry.New(registry.Logger(log.New(io.Discard, "", 0)))}
	srv := httptest.NewServer(c)
	defer srv.Close()
	reg := strings.TrimPrefix(srv.URL, "http://")
	repo, d := pushRandom(t, reg+"/app")
	k := newTestKey(t)
	b, err := oci.New()
	if err != nil {
		t.Fatal(err)
	}
	c.failing.Store(2)
	if _, err := b.Store(context.Background(), storage.Batch{
		Attestations: []storage.Attestation{k.attestation(t, repo, mustHash(t, d), "1")},
		Images:       []storage.ImageSignature{k.imageSignature(t, d)},
	}); err != nil {
		t.Fatalf("Store after two contended manifest PUTs: %v", err)
	}
	for _, tag := range []string{attTag(repo, d), sigTag(repo, d)} {
		if n := len(layers(t, tag)); n != 1 {
			t.Errorf("%s has %d layers, want 1", tag, n)
		}
	}
}

// lateMoveRegistry orders two writers of one .att tag the way a loaded
// registry can: both check the tag before either moves it; the first
// writer's move lands, and the second writer's move (slow at the
// registry) lands only once the first writer has read the tag back and
// found its layer there. Writers name themselves in a header.
type lateMoveRegistry struct {
	reg        http.Handler
	mu         sync.Mutex
	arrived    map[string]bool // writers whose first move reached the registry
	firstMoved bool            // the first writer's move has landed
	both       chan struct{}   // closed when both first moves have arrived
	readBack   chan struct{}   // closed when the first writer read its move back
}

func newLateMoveRegistry() *lateMoveRegistry {
	return &lateMoveRegistry{
		reg:     registry.New(registry.Logger(log.New(io.Discard, "", 0))),
		arrived: map[string]bool{},
		both:    make(chan struct{}), readBack: make(chan struct{}),
	}
}

func (l *lateMoveRegistry) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	writer := r.Header.Get("X-Writer")
	tagRequest := writer != "" && strings.Contains(r.URL.Path, "/manifests/") && strings.HasSuffix(r.URL.Path, ".att")
	if !tagRequest {
		l.reg.ServeHTTP(w, r)
		return
	}
	l.mu.Lock()
	first := r.Method == http.MethodPut && !l.arrived[writer]
	readBack := r.Method == http.MethodHead && writer == "first" && l.firstMoved
	if first {
		l.arrived[writer] = true
		if len(l.arrived) == 2 {
			close(l.both)
		}
	}
	l.mu.Unlock()
	switch {
	case first && writer == "first":
		<-l.both
	case first:
		<-l.both
		<-l.readBack
	}
	l.reg.ServeHTTP(w, r)
	l.mu.Lock()
	defer l.mu.Unlock()
	if first && writer == "first" {
		l.firstMoved = true
	}
	if readBack && !isClosed(l.readBack) {
		close(l.readBack)
	}
}

func isClosed(c chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// writerTransport names the writer in every request it sends.
type writerTransport struct {
	name  string
	inner http.RoundTripper
}

func (w writerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("X-Writer", w.name)
	return w.inner.RoundTrip(r)
}

// A competitor that checked the tag before this writer moved it can land
// its own move (without this writer's layer) after this writer has read
// its layer back once: a registry under load is slow to answer writes.
// The writer reads the tag again, half to one write's time after the first
// read back, and writes again; before, it stopped at the first read back
// and its layer was lost.
func TestLateCompetitorMoveIsCaught(t *testing.T) {
	l := newLateMoveRegistry()
	srv := httptest.NewServer(l)
	defer srv.Close()
	reg := strings.TrimPrefix(srv.URL, "http://")
	repo, d := pushRandom(t, reg+"/app")
	var wg sync.WaitGroup
	errs := map[string]error{}
	var mu sync.Mutex
	for i, w := range []string{"first", "second"} {
		k := newTestKey(t)
		b, err := oci.New(oci.WithTransport(writerTransport{w, slow()}))
		if err != nil {
			t.Fatal(err)
		}
		batch := storage.Batch{Attestations: []storage.Attestation{k.attestation(t, repo, mustHash(t, d), string(rune('a'+i)))}}
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := b.Store(context.Background(), batch)
			mu.Lock()
			errs[w] = err
			mu.Unlock()
		}()
	}
	wg.Wait()
	for w, err := range errs {
		if err != nil {
			t.Errorf("%s writer: %v", w, err)
		}
	}
	if got := len(layers(t, attTag(repo, d))); got != 2 {
		t.Errorf(".att has %d layers after two writers whose moves raced, want 2", got)
	}
}
