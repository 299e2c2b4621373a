package compat

import (
	"slices"
	"testing"
)

// TestPipelineRunCompat builds every case with Chains and with chainseal and
// fails on any difference that is not in PipelineRunAccepted, and on any
// accepted difference that no longer occurs.
func TestPipelineRunCompat(t *testing.T) {
	cases := PipelineRunCases()
	all := map[string][]Diff{}
	for _, c := range cases {
		chains, chainseal, err := c.Both()
		if err != nil {
			t.Fatal(err)
		}
		diffs, err := Compare(chains, chainseal)
		if err != nil {
			t.Fatalf("case %s: %v", c.Name, err)
		}
		all[c.Name] = diffs
	}
	unaccepted, stale := Check(all, PipelineRunAccepted)
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			for _, d := range all[c.Name] {
				t.Log(d)
			}
			for _, d := range unaccepted[c.Name] {
				t.Errorf("new difference from Chains (fix it, or accept it in accepted.go and docs/provenance.md):\n  %s", d)
			}
		})
	}
	for _, a := range stale {
		t.Errorf("accepted difference no longer occurs (remove it from accepted.go and docs/provenance.md): %+v", a)
	}
}

// TestTaskRunCompat does the same for the TaskRun statements of every
// covered TaskRun (artifacts.taskrun.* on), against Chains' TaskRun
// formatters. A TaskRun chainseal gives no statement is the difference
// "(statement)" only in Chains.
func TestTaskRunCompat(t *testing.T) {
	all := map[string][]Diff{}
	var names []string
	for _, c := range TaskRunCases() {
		both, err := c.BothTaskRuns()
		if err != nil {
			t.Fatal(err)
		}
		for key, docs := range both {
			names = append(names, key)
			if docs[1] == nil {
				all[key] = []Diff{{Path: "(statement)", Kind: OnlyChains, Chains: "a statement"}}
				continue
			}
			diffs, err := Compare(docs[0], docs[1])
			if err != nil {
				t.Fatalf("%s: %v", key, err)
			}
			all[key] = diffs
		}
	}
	slices.Sort(names)
	unaccepted, stale := Check(all, TaskRunAccepted)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			for _, d := range all[name] {
				t.Log(d)
			}
			for _, d := range unaccepted[name] {
				t.Errorf("new difference from Chains (fix it, or accept it in accepted.go and docs/provenance.md):\n  %s", d)
			}
		})
	}
	for _, a := range stale {
		t.Errorf("accepted difference no longer occurs (remove it from accepted.go and docs/provenance.md): %+v", a)
	}
}
