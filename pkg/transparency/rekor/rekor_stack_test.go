//go:build stack

package rekor_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/chainseal/chainseal/internal/sigtest"
	"github.com/chainseal/chainseal/internal/stacktest"
	"github.com/chainseal/chainseal/pkg/storage"
	"github.com/chainseal/chainseal/pkg/transparency/rekor"
)

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
