package archivista

import (
	"context"
	"strings"
	"testing"

	"github.com/chainseal/chainseal/pkg/storage"
)

// Git's SHA-256 object id of the empty blob (what `git hash-object` gives
// in a SHA-256 repository): Archivista names uploads so.
func TestGitOIDIsGitsSHA256BlobID(t *testing.T) {
	if got, want := GitOID(nil), "473a0f4c3be8a93681a267e3b1e9a7dcda1185436fe141f7749120a303721813"; got != want {
		t.Fatalf("GitOID(empty) = %s, want %s", got, want)
	}
}

// Only DSSE envelopes go to Archivista; anything else is refused before a
// request is sent (the URL is not even a server).
func TestOnlyEnvelopes(t *testing.T) {
	b := New("http://archivista.invalid", nil)
	raw := storage.Attestation{Format: "tekton", Payload: []byte(`{}`), Signature: []byte("sig")}
	if b.Accepts(raw) {
		t.Error("accepts a payload signed raw")
	}
	if !b.Accepts(storage.Attestation{Envelope: []byte(`{}`)}) {
		t.Error("declines an envelope")
	}
	for name, batch := range map[string]storage.Batch{
		"raw":   {Attestations: []storage.Attestation{raw}},
		"image": {Images: []storage.ImageSignature{{Image: "r/a@sha256:" + strings.Repeat("a", 64)}}},
	} {
		if _, err := b.Store(context.Background(), batch); err == nil || !strings.Contains(err.Error(), "DSSE") {
			t.Errorf("%s: %v", name, err)
		}
	}
}
