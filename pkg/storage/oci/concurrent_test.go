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
