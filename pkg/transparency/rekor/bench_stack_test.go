//go:build stack

package rekor_test

import (
	"context"
	"testing"

	"github.com/chainseal/chainseal/internal/sigtest"
	"github.com/chainseal/chainseal/internal/stacktest"
	"github.com/chainseal/chainseal/pkg/storage"
	"github.com/chainseal/chainseal/pkg/transparency/rekor"
)

// BenchmarkLog: one attestation (dsse) and one image signature
// (hashedrekord) per iteration against the stack's Rekor on loopback,
// including the proof and SET checks; bytes counted by a proxy.
func BenchmarkLog(b *testing.B) {
	env := stacktest.Load(b)
	p := sigtest.NewFaultyProxy(b, env.Must(b, "REKOR_URL"))
	c, err := rekor.New(p.URL, rekor.WithPublicKey(rekorKey(b, env)))
	if err != nil {
		b.Fatal(err)
	}
	k := newTestKey(b)
	batches := make([]storage.Batch, b.N)
	for i := range batches {
		img := randomDigest(b)
		batches[i] = storage.Batch{
			Attestations: []storage.Attestation{k.attestation(b, img)},
			Images:       []storage.ImageSignature{k.imageSignature(b, img)},
		}
	}
	ctx := context.Background()
	b.ResetTimer()
	for i := range b.N {
		if err := c.Log(ctx, &batches[i]); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(p.ReqBytes.Load())/float64(2*b.N), "B-sent/entry")
}
