//go:build stack

package oci_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/chainseal/chainseal/internal/stacktest"
	"github.com/chainseal/chainseal/pkg/storage"
	"github.com/chainseal/chainseal/pkg/storage/oci"
)

// TestConcurrentWritersAgainstStack is TestConcurrentWritersKeepEveryLayer
// against the stack's docker-registry (htpasswd auth, no referrers API):
// writers of one digest's .att and .sig tags, each a separate Backend as a
// separate chainseal would be, all keep their layer; crane sees them.
func TestConcurrentWritersAgainstStack(t *testing.T) {
	const n = 8
	env := stacktest.Load(t)
	repo, d := pushRandom(t, env.Must(t, "REGISTRY")+"/chainseal/oci-"+strings.ToLower(t.Name()), stackRemote(t, env)...)
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		k := newTestKey(t)
		batch := storage.Batch{
			Attestations: []storage.Attestation{k.attestation(t, repo, mustHash(t, d), string(rune('a'+i)))},
			Images:       []storage.ImageSignature{k.imageSignature(t, d)},
		}
		b, err := oci.New(oci.WithKeychain(stackKeychain(t, env)))
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = b.Store(context.Background(), batch)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("writer %d: %v", i, err)
		}
	}
	for _, tag := range []string{attTag(repo, d), sigTag(repo, d)} {
		if got := len(layers(t, tag, stackRemote(t, env)...)); got != n {
			t.Errorf("%s has %d layers after %d concurrent writers, want %d", tag, got, n, n)
		}
	}
	out := mustRun(t, clientEnv(t, env), env.Must(t, "CRANE"), "manifest", attTag(repo, d))
	if c := strings.Count(out, "application/vnd.dsse.envelope.v1+json"); c != n {
		t.Errorf("crane manifest %s lists %d DSSE layers, want %d:\n%s", attTag(repo, d), c, n, out)
	}
}
