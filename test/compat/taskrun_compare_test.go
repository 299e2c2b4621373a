package compat

import (
	"bytes"
	"strings"
	"testing"

	"github.com/chainseal/chainseal/pkg/config"
	"github.com/chainseal/chainseal/pkg/provenance/provenancetest"
)

// TestCompareTaskRun: what cmd/chainsformat -compare-taskrun runs on a real
// TaskRun passes chainseal's own statement for a fixture's TaskRun, and
// names the field when the statement differs from Chains' (another
// builder id).
func TestCompareTaskRun(t *testing.T) {
	c := Case{Name: "build-push-slsa02", Run: provenancetest.BuildPush, Options: Options{Format: ChainsSLSA02, DeepInspection: true}}
	both, err := c.BothTaskRuns()
	if err != nil {
		t.Fatal(err)
	}
	ours := both["build-push-slsa02/build"][1]
	if ours == nil {
		t.Fatal("chainseal made no statement for the build TaskRun")
	}
	for _, tr := range c.Run().TaskRuns {
		if tr.Labels["tekton.dev/pipelineTask"] != "build" {
			continue
		}
		diffs, unaccepted, err := CompareTaskRun("build-push-slsa02/build", tr, c.Options, ours)
		if err != nil || unaccepted != 0 {
			t.Fatalf("chainseal's own statement: %d not accepted of %v (%v)", unaccepted, diffs, err)
		}
		other := bytes.ReplaceAll(ours, []byte(config.DefaultBuilderID), []byte("https://builder.example/other"))
		diffs, unaccepted, err = CompareTaskRun("build-push-slsa02/build", tr, c.Options, other)
		if err != nil || unaccepted != 1 || !strings.Contains(diffsString(diffs), "predicate.builder.id") {
			t.Fatalf("another builder id: %d not accepted, want 1 naming predicate.builder.id: %v (%v)", unaccepted, diffs, err)
		}
		return
	}
	t.Fatal("no build TaskRun in the fixture")
}

func diffsString(ds []Sorted) string {
	var b strings.Builder
	for _, d := range ds {
		if d.Reason == "" {
			b.WriteString(d.Diff.String() + "\n")
		}
	}
	return b.String()
}
