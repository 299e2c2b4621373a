//go:build stack

package gcs

import (
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	gstorage "cloud.google.com/go/storage"
	"google.golang.org/api/iterator"

	"github.com/chainseal/chainseal/internal/stacktest"
	"github.com/chainseal/chainseal/pkg/storage"
)

// On the stack's GCS server (fake-gcs-server), read back through Google's
// cloud.google.com/go/storage client: a
// keyless record has .cert and .chain; a re-run signed with a key replaces
// the record and removes them (no certificate beside a signature it did not
// make); image signatures go under the image's digest; storing twice leaves
// one object per name.
func TestStoreReplacesARecordWhole(t *testing.T) {
	env := stacktest.Load(t)
	t.Setenv("STORAGE_EMULATOR_HOST", env.Must(t, "GCS_EMULATOR_HOST"))
	ctx := context.Background()
	client, err := gstorage.NewClient(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	bucket := "gcs-backend-" + strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-"))
	if err := client.Bucket(bucket).Create(ctx, "chainseal-stack", nil); err != nil {
		t.Fatal(err)
	}
	svc, err := NewService(ctx)
	if err != nil {
		t.Fatal(err)
	}
	b := New(svc, bucket)
	pr := storage.Object{Kind: "PipelineRun", Namespace: "payments", Name: "release-7q2xk", UID: "0b1c"}
	hex := strings.Repeat("ab", 32)
	keyless := storage.Batch{
		Attestations: []storage.Attestation{{Object: pr, Format: "slsa/v2alpha4", Payload: []byte(`{"keyless":1}`),
			Envelope: []byte(`{"payload":"keyless"}`), Cert: []byte("CERT"), Chain: []byte("CHAIN")}},
		Images: []storage.ImageSignature{{Image: "registry.example/payments/api@sha256:" + hex, Payload: []byte("simple"), Signature: []byte("sig")}},
	}
	if _, err := b.Store(ctx, keyless); err != nil {
		t.Fatal(err)
	}
	prefix := "pipelinerun-payments-release-7q2xk/pipelinerun-0b1c"
	image := "image-sha256-" + hex + "/" + hex[:12]
	want := []string{image + ".payload", image + ".signature", prefix + ".cert", prefix + ".chain", prefix + ".payload", prefix + ".signature"}
	if got := names(t, client, bucket); !slices.Equal(got, want) {
		t.Fatalf("objects %q, want %q", got, want)
	}
	keyed := keyless
	keyed.Attestations = []storage.Attestation{{Object: pr, Format: "slsa/v2alpha4", Payload: []byte(`{"key":1}`), Envelope: []byte(`{"payload":"key"}`)}}
	for range 2 {
		if _, err := b.Store(ctx, keyed); err != nil {
			t.Fatal(err)
		}
	}
	want = []string{image + ".payload", image + ".signature", prefix + ".payload", prefix + ".signature"}
	if got := names(t, client, bucket); !slices.Equal(got, want) {
		t.Fatalf("objects after the keyed re-runs %q, want %q", got, want)
	}
	if got := read(t, client, bucket, prefix+".signature"); got != `{"payload":"key"}` {
		t.Errorf(".signature = %q, want the re-run's envelope", got)
	}
}

func names(t *testing.T, c *gstorage.Client, bucket string) []string {
	t.Helper()
	var out []string
	it := c.Bucket(bucket).Objects(context.Background(), nil)
	for {
		a, err := it.Next()
		if errors.Is(err, iterator.Done) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, a.Name)
	}
	slices.Sort(out)
	return out
}

func read(t *testing.T, c *gstorage.Client, bucket, name string) string {
	t.Helper()
	r, err := c.Bucket(bucket).Object(name).NewReader(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
