package rekor_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chainseal/chainseal/pkg/storage"
	"github.com/chainseal/chainseal/pkg/transparency/rekor"
)

// sideBySideLogDouble is a test double of Rekor's entry upload (the real
// log: rekor_stack_test.go). It finds no entry to reuse, holds each upload
// until want of them are under way (or 5 s have passed), records how many
// were, and then refuses each with a 500 naming its kind.
type sideBySideLogDouble struct {
	want int

	mu             sync.Mutex
	inFlight, most int
	all            chan struct{}
}

func (d *sideBySideLogDouble) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	if r.URL.Path == "/api/v1/index/retrieve" {
		_, _ = io.WriteString(w, "[]")
		return
	}
	body, _ := io.ReadAll(r.Body)
	d.mu.Lock()
	d.inFlight++
	d.most = max(d.most, d.inFlight)
	if d.inFlight == d.want {
		close(d.all)
	}
	d.mu.Unlock()
	select {
	case <-d.all:
	case <-time.After(5 * time.Second):
	}
	kind := "hashedrekord"
	if strings.Contains(string(body), `"kind":"dsse"`) {
		kind = "dsse"
	}
	w.WriteHeader(http.StatusInternalServerError)
	_, _ = io.WriteString(w, `{"code":500,"message":"`+kind+` refused by the double"}`)
}

// The attestation and the image signature of one seal are uploaded side by
// side: the log's wait for each entry is paid once. A failure is reported
// in batch order, the attestation's first, and fills in nothing.
func TestLogUploadsSideBySide(t *testing.T) {
	d := &sideBySideLogDouble{want: 2, all: make(chan struct{})}
	c, k := clientOfDouble(t, d)
	digest := randomDigest(t)
	b := storage.Batch{
		Attestations: []storage.Attestation{k.attestation(t, digest)},
		Images:       []storage.ImageSignature{k.imageSignature(t, digest)},
	}
	err := c.Log(context.Background(), &b)
	if d.most != 2 {
		t.Errorf("%d uploads under way at most, want both at once", d.most)
	}
	if err == nil || !strings.Contains(err.Error(), "recording attestation of PipelineRun ns/build") || !strings.Contains(err.Error(), "dsse refused") {
		t.Errorf("err = %v, want the attestation's failure first", err)
	}
	if b.Attestations[0].Transparency != nil || b.Images[0].Transparency != nil {
		t.Error("a refused upload filled in a transparency entry")
	}
}

// refusingLogDouble is a test double of Rekor that finds no entry to reuse
// and refuses every upload at once, counting them.
type refusingLogDouble struct{ uploads atomic.Int32 }

func (d *refusingLogDouble) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	if r.URL.Path == "/api/v1/index/retrieve" {
		_, _ = io.WriteString(w, "[]")
		return
	}
	d.uploads.Add(1)
	w.WriteHeader(http.StatusInternalServerError)
	_, _ = io.WriteString(w, `{"code":500,"message":"refused by the double"}`)
}

// After a failure no new upload starts: a log that refuses everything sees
// the first wave of uploads (8 side by side), not one per image of a wide
// pipeline.
func TestLogStartsNoUploadAfterAFailure(t *testing.T) {
	d := &refusingLogDouble{}
	c, k := clientOfDouble(t, d)
	var b storage.Batch
	for range 40 {
		b.Images = append(b.Images, k.imageSignature(t, randomDigest(t)))
	}
	if err := c.Log(context.Background(), &b); err == nil {
		t.Fatal("Log succeeded against a log that refuses everything")
	}
	if n := d.uploads.Load(); n > 8 {
		t.Errorf("%d uploads tried after the first failure's wave, want at most 8", n)
	}
}

// clientOfDouble is a Client of the log double d (no retries) and a key to
// sign with.
func clientOfDouble(t *testing.T, d http.Handler) (*rekor.Client, testKey) {
	t.Helper()
	srv := httptest.NewServer(d)
	t.Cleanup(srv.Close)
	k := newTestKey(t)
	c, err := rekor.New(srv.URL, rekor.WithPublicKey(k.pubPEM), rekor.WithRetries(0, time.Millisecond, time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	return c, k
}
