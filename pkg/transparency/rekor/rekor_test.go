package rekor_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/chainseal/chainseal/internal/sigtest"
	"github.com/chainseal/chainseal/internal/stacktest"
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

func TestLogAgainstStack(t *testing.T) {
	env := stacktest.Load(t)
	ctx := context.Background()
	url := env.Must(t, "REKOR_URL")
	c, err := rekor.New(url, rekor.WithPublicKey(rekorKey(t, env)))
	if err != nil {
		t.Fatal(err)
	}
	k := newTestKey(t)
	img := randomDigest(t)
	b := storage.Batch{
		Attestations: []storage.Attestation{k.attestation(t, img)},
		Images:       []storage.ImageSignature{k.imageSignature(t, img)},
	}
	if err := c.Log(ctx, &b); err != nil {
		t.Fatal(err)
	}
	a, s := b.Attestations[0].Transparency, b.Images[0].Transparency
	if a == nil || s == nil {
		t.Fatalf("entries not filled in: %+v %+v", a, s)
	}
	if a.URL != url || a.LogID != c.LogID() || len(a.SignedEntryTimestamp) == 0 || a.IntegratedTime == 0 || len(a.UUID) < 64 {
		t.Errorf("attestation entry = %+v", a)
	}
	var proof struct {
		TreeSize int64    `json:"treeSize"`
		Hashes   []string `json:"hashes"`
	}
	if err := json.Unmarshal(a.InclusionProof, &proof); err != nil || proof.TreeSize <= a.LogIndex {
		t.Errorf("inclusion proof %s: %v", a.InclusionProof, err)
	}
	kinds := map[string]string{}
	for name, e := range map[string]*storage.TransparencyEntry{"attestation": a, "signature": s} {
		body, _ := base64.StdEncoding.DecodeString(e.Body)
		var k struct{ Kind string }
		_ = json.Unmarshal(body, &k)
		kinds[name] = k.Kind
	}
	if kinds["attestation"] != "dsse" || kinds["signature"] != "hashedrekord" {
		t.Errorf("entry kinds = %v, want dsse and hashedrekord", kinds)
	}

	// The clients nobody here wrote find and show the entries.
	out := rekorCLI(t, env, "search", "--sha", "sha256:"+img)
	for _, e := range []*storage.TransparencyEntry{a} {
		if !strings.Contains(out, e.UUID[len(e.UUID)-64:]) {
			t.Errorf("rekor-cli search --sha sha256:%s does not list the attestation %s:\n%s", img, e.UUID, out)
		}
	}
	out = rekorCLI(t, env, "get", "--uuid", a.UUID, "--format", "json")
	if !strings.Contains(out, `"LogIndex"`) && !strings.Contains(out, `"logIndex"`) {
		t.Errorf("rekor-cli get --uuid %s:\n%s", a.UUID, out)
	}
	rekorCLI(t, env, "verify", "--uuid", a.UUID)
}

// TestExistingEntry: uploading the same envelope again is a 409 Conflict,
// which is success with the entry the log already holds.
func TestExistingEntry(t *testing.T) {
	env := stacktest.Load(t)
	ctx := context.Background()
	c, err := rekor.New(env.Must(t, "REKOR_URL"), rekor.WithPublicKey(rekorKey(t, env)))
	if err != nil {
		t.Fatal(err)
	}
	a := newTestKey(t).attestation(t, randomDigest(t))
	first, err := c.UploadAttestation(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	again, err := c.UploadAttestation(ctx, a)
	if err != nil {
		t.Fatalf("second upload of the same envelope: %v", err)
	}
	if again.UUID != first.UUID || again.LogIndex != first.LogIndex {
		t.Errorf("second upload = %s #%d, want the existing %s #%d", again.UUID, again.LogIndex, first.UUID, first.LogIndex)
	}
}

// TestUntrustedLogKey: an entry from a log whose key is not the configured
// one is rejected, not reported.
func TestUntrustedLogKey(t *testing.T) {
	env := stacktest.Load(t)
	c, err := rekor.New(env.Must(t, "REKOR_URL"), rekor.WithPublicKey(newTestKey(t).pubPEM))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.UploadAttestation(context.Background(), newTestKey(t).attestation(t, randomDigest(t)))
	if err == nil || !strings.Contains(err.Error(), "not by the trusted log") {
		t.Fatalf("err = %v, want a rejection of the log's entry", err)
	}
}

// TestKeyFetchedOnlyWhenAllowed: with WithPublicKeyFromLog, the key the log
// serves is used and is the one in the stack's key file.
func TestKeyFetchedOnlyWhenAllowed(t *testing.T) {
	env := stacktest.Load(t)
	c, err := rekor.New(env.Must(t, "REKOR_URL"), rekor.WithPublicKeyFromLog())
	if err != nil {
		t.Fatal(err)
	}
	e, err := c.UploadAttestation(context.Background(), newTestKey(t).attestation(t, randomDigest(t)))
	if err != nil {
		t.Fatal(err)
	}
	pinned, _ := rekor.New(env.Must(t, "REKOR_URL"), rekor.WithPublicKey(rekorKey(t, env)))
	if e.LogID != pinned.LogID() {
		t.Errorf("fetched key's log ID %s != stack key's %s", e.LogID, pinned.LogID())
	}
}

// TestUnavailableThenBack: a proxy in front of the real Rekor answers 503
// twice; the upload is retried and succeeds. Answering 503 for good gives a
// clear error, and a re-run after that completes.
func TestUnavailableThenBack(t *testing.T) {
	env := stacktest.Load(t)
	ctx := context.Background()
	p := sigtest.NewFaultyProxy(t, env.Must(t, "REKOR_URL"))
	c, err := rekor.New(p.URL, rekor.WithPublicKey(rekorKey(t, env)), rekor.WithRetries(3, 10*time.Millisecond, 100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	k := newTestKey(t)
	img := randomDigest(t)

	p.FailNext.Store(2)
	b := storage.Batch{Attestations: []storage.Attestation{k.attestation(t, img)}}
	if err := c.Log(ctx, &b); err != nil {
		t.Fatalf("after two 503s: %v", err)
	}
	if p.Failed.Load() != 2 || b.Attestations[0].Transparency == nil {
		t.Fatalf("failed=%d entry=%v", p.Failed.Load(), b.Attestations[0].Transparency)
	}

	p.FailAll.Store(true)
	b2 := storage.Batch{Images: []storage.ImageSignature{k.imageSignature(t, img)}}
	err = c.Log(ctx, &b2)
	if err == nil || !strings.Contains(err.Error(), "rekor "+p.URL) || !strings.Contains(err.Error(), "503") {
		t.Fatalf("err = %v, want one naming rekor, the URL and 503", err)
	}
	p.FailAll.Store(false)
	if err := c.Log(ctx, &b2); err != nil {
		t.Fatalf("re-run: %v", err)
	}
	if b2.Images[0].Transparency == nil {
		t.Fatal("re-run did not fill in the entry")
	}
}
