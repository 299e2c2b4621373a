package oci_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/chainseal/chainseal/pkg/storage"
	"github.com/chainseal/chainseal/pkg/storage/oci"
)

// A registry that sends its headers and then stalls in the body (an
// overloaded proxy, a half-dead connection) is given up on at the request
// timeout, like one that never answers.
func TestRegistryStallingMidBodyTimesOut(t *testing.T) {
	stall := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", "1000")
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		select {
		case <-stall:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(stall)
	reg := strings.TrimPrefix(srv.URL, "http://")
	k := newTestKey(t)
	h := mustHash(t, pushDigest(t, reg))
	b, err := oci.New(oci.WithRequestTimeout(200*time.Millisecond), oci.WithRetryBackoff(remote.Backoff{Duration: 10 * time.Millisecond, Steps: 1}))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := b.Store(context.Background(), storage.Batch{Attestations: []storage.Attestation{k.attestation(t, reg+"/app", h, "1")}})
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("Store succeeded against a stalled registry")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Store still waiting on a registry stalled mid-body after 10s, with a 200ms request timeout")
	}
}
