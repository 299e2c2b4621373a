package main

import (
	"slices"
	"testing"

	"github.com/chainseal/chainseal/pkg/config"
	"github.com/chainseal/chainseal/pkg/storage"
)

// The storage names the config accepts are exactly the backends this
// binary registers (its blank imports): a name is refused when the config
// is read, never accepted and then found missing at storage.Open.
func TestConfigAcceptsExactlyTheBuiltInStorages(t *testing.T) {
	accepted := config.Storages()
	slices.Sort(accepted)
	if built := storage.Names(); !slices.Equal(accepted, built) {
		t.Fatalf("config.Storages() = %v, but the backends built in are %v: add the name to pkg/config's storages, or the blank import to sign.go", accepted, built)
	}
}
