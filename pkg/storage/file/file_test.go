package file

import (
	"context"
	"os"
	"path/filepath"
	"testing"

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
