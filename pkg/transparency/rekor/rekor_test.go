package rekor_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/chainseal/chainseal/internal/sigtest"
	"github.com/chainseal/chainseal/pkg/storage"
	"github.com/chainseal/chainseal/pkg/transparency/rekor"
)

func TestNewNeedsTheLogKey(t *testing.T) {
	if _, err := rekor.New("http://127.0.0.1:1"); err == nil || !strings.Contains(err.Error(), "--rekor-public-key") {
		t.Errorf("New without a key: err = %v, want one naming --rekor-public-key", err)
	}
	if _, err := rekor.New("127.0.0.1:3000", rekor.WithPublicKeyFromLog()); err == nil || !strings.Contains(err.Error(), "transparency.url") {
		t.Errorf("New with a URL without scheme: err = %v, want one naming transparency.url", err)
	}
	if _, err := rekor.New("http://127.0.0.1:1", rekor.WithPublicKey([]byte("not pem"))); err == nil {
		t.Error("New with a bad key succeeded")
	}
}

// TestUnavailableLog: nothing listens on the port; the upload is retried a
// bounded number of times and the error names the backend and the log.
func TestUnavailableLog(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	url := "http://" + addr
	c, err := rekor.New(url, rekor.WithPublicKey(newTestKey(t).pubPEM), rekor.WithRetries(2, 10*time.Millisecond, 50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	b := storage.Batch{Attestations: []storage.Attestation{newTestKey(t).attestation(t, randomDigest(t))}}
	start := time.Now()
	err = c.Log(context.Background(), &b)
	if err == nil {
		t.Fatal("Log succeeded with no log listening")
	}
	if !strings.HasPrefix(err.Error(), "rekor "+url) || !strings.Contains(err.Error(), "giving up after 3 attempt") {
		t.Errorf("error %q should name rekor, the URL and the retries", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("took %s, want bounded retries", time.Since(start))
	}
	if b.Attestations[0].Transparency != nil {
		t.Error("a failed upload filled in a transparency entry")
	}
}

// TestExistingEntry: uploading the same envelope again is a 409 Conflict,
// which is success with the entry the log already holds.
// TestUntrustedLogKey: an entry from a log whose key is not the configured
// one is rejected, not reported.
// TestKeyFetchedOnlyWhenAllowed: with WithPublicKeyFromLog, the key the log
// serves is used and is the one in the stack's key file.
// TestUnavailableThenBack: a proxy in front of the real Rekor answers 503
// twice; the upload is retried and succeeds. Answering 503 for good gives a
// clear error, and a re-run after that completes.

// A log that accepts connections and never answers is given up on at the
// per-call timeout (search and upload), not waited on.
func TestHungLogTimesOut(t *testing.T) {
	url := sigtest.HungServerDouble(t)
	c, err := rekor.New(url, rekor.WithPublicKey(newTestKey(t).pubPEM), rekor.WithTimeout(300*time.Millisecond), rekor.WithRetries(0, time.Millisecond, time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	b := storage.Batch{Attestations: []storage.Attestation{newTestKey(t).attestation(t, randomDigest(t))}}
	done := make(chan error, 1)
	go func() { done <- c.Log(context.Background(), &b) }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), url) {
			t.Errorf("err = %v, want a timeout naming the log", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Log still waiting on a hung log after 10s, with a 300ms timeout")
	}
}
