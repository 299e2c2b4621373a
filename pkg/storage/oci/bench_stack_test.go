//go:build stack

package oci_test

import (
	"testing"

	"github.com/chainseal/chainseal/internal/stacktest"
	"github.com/chainseal/chainseal/pkg/storage/oci"
)

func BenchmarkStoreStackRegistry(b *testing.B) {
	env := stacktest.Load(b)
	benchStore(b, env.Must(b, "REGISTRY"), oci.WithKeychain(stackKeychain(b, env)))
}
