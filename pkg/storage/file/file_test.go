package file

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chainseal/chainseal/pkg/storage"
)

func TestStoreWritesEveryPartAndIsIdempotent(t *testing.T) {
	dir := t.TempDir()
	b := New(dir)
	batch := storage.Batch{
		Attestations: []storage.Attestation{{
			Object:       storage.Object{Kind: "PipelineRun", Namespace: "team-a", Name: "release", UID: "1234"},
			Format:       "slsa/v2alpha4",
			Payload:      []byte(`{"_type":"https://in-toto.io/Statement/v1"}`),
			Envelope:     []byte(`{"payloadType":"application/vnd.in-toto+json"}`),
			PublicKey:    []byte("-----BEGIN PUBLIC KEY-----\n"),
			Transparency: &storage.TransparencyEntry{UUID: "abc", LogIndex: 7},
		}},
		Images: []storage.ImageSignature{{Image: "registry.example/app@sha256:" + string(make64('b')), Payload: []byte("{}"), Signature: []byte("sig")}},
	}
	for i := 0; i < 2; i++ {
		r, err := b.Store(context.Background(), batch)
		if err != nil {
			t.Fatalf("store %d: %v", i, err)
		}
		if len(r.Locations) != 2 {
			t.Fatalf("want 2 locations, got %v", r.Locations)
		}
	}
	att := filepath.Join(dir, "team-a", "pipelinerun-release-1234", "slsa_v2alpha4")
	for _, f := range []string{"payload.json", "envelope.json", "public-key.pem", "transparency.json"} {
		if _, err := os.Stat(filepath.Join(att, f)); err != nil {
			t.Errorf("missing %s: %v", f, err)
		}
	}
	if _, err := os.Stat(filepath.Join(att, "cert.pem")); !os.IsNotExist(err) {
		t.Errorf("an empty cert was written: %v", err)
	}
	got, _ := os.ReadFile(filepath.Join(att, "payload.json"))
	if string(got) != string(batch.Attestations[0].Payload) {
		t.Errorf("payload.json = %q", got)
	}
	entries, _ := os.ReadDir(att)
	for _, e := range entries {
		if e.Name()[0] == '.' {
			t.Errorf("temporary file left behind: %s", e.Name())
		}
	}
	img := filepath.Join(dir, "images", "registry.example", "app", "sha256-"+string(make64('b')), "signature")
	if b, err := os.ReadFile(img); err != nil || string(b) != "sig" {
		t.Errorf("image signature: %q, %v", b, err)
	}
}

func TestStoreNeverEscapesItsDirectory(t *testing.T) {
	dir := t.TempDir()
	b := New(filepath.Join(dir, "root"))
	_, err := b.Store(context.Background(), storage.Batch{Attestations: []storage.Attestation{{
		Object:  storage.Object{Kind: "PipelineRun", Namespace: "..", Name: "../../x", UID: "u"},
		Format:  "../../../etc",
		Payload: []byte("p"),
	}}})
	if err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || entries[0].Name() != "root" {
		t.Fatalf("wrote outside the storage directory: %v", entries)
	}
}

func make64(c byte) []byte {
	b := make([]byte, 64)
	for i := range b {
		b[i] = c
	}
	return b
}

// BenchmarkStore measures writing one attestation (4 KiB statement) and one
// image signature, atomically.
func BenchmarkStore(b *testing.B) {
	be := New(b.TempDir())
	batch := storage.Batch{
		Attestations: []storage.Attestation{{Object: storage.Object{Kind: "PipelineRun", Namespace: "ns", Name: "p", UID: "u"},
			Format: "slsa/v2alpha4", Payload: make([]byte, 4096), Envelope: make([]byte, 5600)}},
		Images: []storage.ImageSignature{{Image: "r/i@sha256:" + string(make64('c')), Payload: make([]byte, 250), Signature: make([]byte, 72)}},
	}
	for i := 0; i < b.N; i++ {
		if _, err := be.Store(context.Background(), batch); err != nil {
			b.Fatal(err)
		}
	}
}

func runAttestation(run string, t *storage.TransparencyEntry, cert []byte) storage.Attestation {
	return storage.Attestation{
		Object:       storage.Object{Kind: "PipelineRun", Namespace: "team-a", Name: "release", UID: "1234"},
		Format:       "slsa/v2alpha4",
		Payload:      []byte("payload of " + run),
		Envelope:     []byte("envelope of " + run),
		Signature:    []byte("signature of " + run),
		PublicKey:    []byte("key of " + run),
		Cert:         cert,
		Transparency: t,
	}
}

// A re-run replaces the attestation's directory as a whole: nothing of the
// first run (its transparency entry, its certificate) stays beside the
// second run's payload and signature.
func TestReRunLeavesNothingOfTheFirstRun(t *testing.T) {
	dir := t.TempDir()
	b := New(dir)
	first := runAttestation("first", &storage.TransparencyEntry{UUID: "abc", LogIndex: 7}, []byte("cert of first"))
	first.Chain = []byte("chain of first")
	if _, err := b.Store(context.Background(), storage.Batch{Attestations: []storage.Attestation{first}}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Store(context.Background(), storage.Batch{Attestations: []storage.Attestation{runAttestation("second", nil, nil)}}); err != nil {
		t.Fatal(err)
	}
	att := filepath.Join(dir, "team-a", "pipelinerun-release-1234", "slsa_v2alpha4")
	entries, err := os.ReadDir(att)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if want := "envelope.json payload.json public-key.pem signature"; strings.Join(names, " ") != want {
		t.Errorf("after the re-run %s holds %v, want only %s", att, names, want)
	}
	for _, f := range []string{"payload.json", "signature", "envelope.json"} {
		if b, _ := os.ReadFile(filepath.Join(att, f)); !strings.HasSuffix(string(b), "second") {
			t.Errorf("%s = %q, want the second run's", f, b)
		}
	}
	parent, _ := os.ReadDir(filepath.Dir(att))
	if len(parent) != 1 {
		t.Errorf("temporary directories left beside the attestation: %v", parent)
	}
}

// Two runs storing the same attestation at once (a re-run while the first
// still stores): a reader of the directory sees one run's files or the
// other's, never one run's payload with the other run's signature.
func TestReadersNeverSeeTwoRunsMixed(t *testing.T) {
	dir := t.TempDir()
	b := New(dir)
	att := filepath.Join(dir, "team-a", "pipelinerun-release-1234", "slsa_v2alpha4")
	if _, err := b.Store(context.Background(), storage.Batch{Attestations: []storage.Attestation{runAttestation("a", nil, nil)}}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	var wg sync.WaitGroup
	for _, run := range []string{"a", "b"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				if _, err := b.Store(context.Background(), storage.Batch{Attestations: []storage.Attestation{runAttestation(run, nil, nil)}}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	mixed, seen := 0, 0
	for ctx.Err() == nil {
		root, err := os.OpenRoot(att)
		if err != nil {
			continue // between two renames on a filesystem without RENAME_EXCHANGE
		}
		p, perr := root.ReadFile("payload.json")
		s, serr := root.ReadFile("signature")
		root.Close()
		if perr != nil || serr != nil {
			continue // the directory read was replaced and removed
		}
		seen++
		if strings.TrimPrefix(string(p), "payload of ") != strings.TrimPrefix(string(s), "signature of ") {
			mixed++
		}
	}
	wg.Wait()
	if mixed > 0 {
		t.Errorf("%d of %d reads saw one run's payload with the other run's signature", mixed, seen)
	}
	if seen == 0 {
		t.Error("no read saw a whole directory")
	}
}

// swapAside, the fallback where names cannot be exchanged atomically,
// still replaces the directory as a whole and leaves nothing aside.
func TestSwapAsideReplacesTheWholeDirectory(t *testing.T) {
	parent := t.TempDir()
	dir, tmp := filepath.Join(parent, "att"), filepath.Join(parent, ".tmp-att")
	for d, f := range map[string]string{dir: "transparency.json", tmp: "payload.json"} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, f), []byte(f), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := swapAside(tmp, dir); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || entries[0].Name() != "payload.json" {
		t.Errorf("%s holds %v, want only the new payload.json", dir, entries)
	}
	if left, _ := os.ReadDir(parent); len(left) != 1 {
		t.Errorf("left beside it: %v", left)
	}
}
