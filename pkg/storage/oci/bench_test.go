package oci_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"net/http"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/chainseal/chainseal/pkg/storage"
	"github.com/chainseal/chainseal/pkg/storage/oci"
)

// benchStore stores one attestation and one image signature per iteration,
// each for a new digest (a fresh .att and .sig tag, as a new build has), and
// reports the bytes sent to the registry per stored item.
func benchStore(b *testing.B, registry string, kc oci.Option) {
	ctx := context.Background()
	k := newTestKey(b)
	ct := &countingTransport{inner: remote.DefaultTransport.(*http.Transport).Clone()}
	be, err := oci.New(kc, oci.WithTransport(ct))
	if err != nil {
		b.Fatal(err)
	}
	repo := registry + "/chainseal/bench"
	batches := make([]storage.Batch, b.N)
	for i := range batches {
		var r [32]byte
		_, _ = rand.Read(r[:])
		sum := sha256.Sum256(r[:])
		h := v1.Hash{Algorithm: "sha256", Hex: fmt.Sprintf("%x", sum)}
		d, _ := name.NewDigest(repo + "@" + h.String())
		batches[i] = storage.Batch{
			Attestations: []storage.Attestation{k.attestation(b, repo, h, "1")},
			Images:       []storage.ImageSignature{k.imageSignature(b, d)},
		}
	}
	b.ResetTimer()
	for i := range b.N {
		if _, err := be.Store(ctx, batches[i]); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(ct.sent.Load())/float64(2*b.N), "B-sent/item")
	b.ReportMetric(float64(ct.reqs.Load())/float64(2*b.N), "requests/item")
	b.ReportMetric(float64(len(batches[0].Attestations[0].Envelope)), "B-envelope")
}

// BenchmarkStoreStackRegistry: the stack's docker-registry (htpasswd auth)
// on loopback.
// BenchmarkStoreInProcessRegistry: go-containerregistry's registry, for
// comparison (no auth, no disk).
func BenchmarkStoreInProcessRegistry(b *testing.B) {
	benchStore(b, inProcessRegistry(b), oci.WithKeychain(nil))
}
