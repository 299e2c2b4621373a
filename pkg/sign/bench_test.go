package sign

import (
	"context"
	"testing"

	"github.com/chainseal/chainseal/pkg/provenance/provenancetest"
)

// BenchmarkDryRunFromFiles: `chainseal sign --dry-run --from-file` on a
// pipeline of 1,000 TaskRuns (one image each), as test/bench compares with
// Chains' formatter: reading the YAML files, the config and the provenance.
func BenchmarkDryRunFromFiles(b *testing.B) {
	files := provenancetest.Big(1000).WriteFiles(b)
	b.ReportAllocs()
	for b.Loop() {
		out, err := Run(context.Background(), Options{FromFiles: files, DryRun: true})
		if err != nil {
			b.Fatal(err)
		}
		if len(out.Input.Statements) == 0 {
			b.Fatal("no statement")
		}
	}
}
