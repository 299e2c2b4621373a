package compat

import (
	"bytes"
	"slices"
	"testing"
)

func TestCompareKinds(t *testing.T) {
	chains := []byte(`{"a":1,"b":{"c":"x"},"gone":true,"list":[1,2],
		"subject":[{"name":"n1","digest":{"sha256":"1"}},{"name":"n2","digest":{"sha256":"2"}},{"name":"old","digest":{"sha256":"3"}}]}`)
	chainseal := []byte(`{"a":1,"b":{"c":"y"},"new":[],"list":[1,2,3],
		"subject":[{"name":"n2","digest":{"sha256":"2"}},{"name":"n1","digest":{"sha256":"1"},"annotations":{"tags":["v1"]}}]}`)
	diffs, err := Compare(chains, chainseal)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Kind{}
	for _, d := range diffs {
		got[d.Path] = d.Kind
	}
	expect := map[string]Kind{
		"b.c":                              Value,
		"gone":                             OnlyChains,
		"list[2]":                          OnlyChainseal,
		"new":                              OnlyChainseal,
		"subject":                          Order,
		"subject[n1|sha256:1].annotations": OnlyChainseal,
		"subject[old|sha256:3]":            OnlyChains,
	}
	if len(got) != len(expect) {
		t.Errorf("got %d differences, want %d: %v", len(diffs), len(expect), diffs)
	}
	for p, k := range expect {
		if got[p] != k {
			t.Errorf("%s: got %q, want %q (all: %v)", p, got[p], k, diffs)
		}
	}
	same, err := Compare(chains, chains)
	if err != nil || len(same) != 0 {
		t.Errorf("a document differs from itself: %v %v", same, err)
	}
}

func TestCheckFlagsNewAndStale(t *testing.T) {
	accepted := []Accepted{
		{Cases: "*", Path: "subject", Kind: Order, Reason: "order"},
		{Cases: "x", Path: "never", Kind: Value, Reason: "gone"},
	}
	diffs := map[string][]Diff{
		"a": {{Path: "subject", Kind: Order}, {Path: "predicate.buildType", Kind: Value}},
		"b": {{Path: "subject", Kind: OnlyChains}}, // same path, other kind: new
	}
	un, stale := Check(diffs, accepted)
	if len(un["a"]) != 1 || un["a"][0].Path != "predicate.buildType" || len(un["b"]) != 1 {
		t.Errorf("unaccepted = %v", un)
	}
	if len(stale) != 1 || stale[0].Path != "never" {
		t.Errorf("stale = %v", stale)
	}
}

func TestAcceptedExcept(t *testing.T) {
	a := Accepted{Cases: "*", Except: "build-push-complete*", Path: "predicate.runDetails.metadata.finishedOn", Kind: OnlyChainseal}
	d := Diff{Path: "predicate.runDetails.metadata.finishedOn", Kind: OnlyChainseal}
	if !a.Matches("build-push", d) || a.Matches("build-push-complete", d) || a.Matches("build-push-complete-slsa02", d) {
		t.Error("Except is not applied")
	}
}

// A change to chainseal's statement that Chains does not make is caught:
// the test is not blind.
func TestNewDifferenceIsCaught(t *testing.T) {
	c := PipelineRunCases()[0]
	chains, chainseal, err := c.Both()
	if err != nil {
		t.Fatal(err)
	}
	changed := bytes.Replace(chainseal, []byte(`"https://tekton.dev/chains/v2/slsa"`), []byte(`"https://example.dev/other"`), 1)
	if bytes.Equal(changed, chainseal) {
		t.Fatal("the fixture has no buildType to change")
	}
	diffs, err := Compare(chains, changed)
	if err != nil {
		t.Fatal(err)
	}
	un, _ := Check(map[string][]Diff{c.Name: diffs}, PipelineRunAccepted)
	if !slices.ContainsFunc(un[c.Name], func(d Diff) bool { return d.Path == "predicate.buildDefinition.buildType" }) {
		t.Errorf("a changed buildType was not reported: %v", un)
	}
}
