package compat

import (
	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
)

// Sorted is one difference and the reason it is accepted ("" when it is
// not: a new difference from Chains).
type Sorted struct {
	Diff
	Reason string
}

// CompareTaskRun compares chainseal's statement for a real TaskRun (the
// payload its storage kept) with Chains' statement for the same TaskRun,
// with the suite's comparison and TaskRunAccepted. name is the case name
// the accepted differences are matched against, "<fixture>[-slsa02|
// -v2alpha3]/<pipeline task>" as the suite names its cases.
func CompareTaskRun(name string, tr *v1.TaskRun, o Options, chainseal []byte) (diffs []Sorted, unaccepted int, err error) {
	chains, err := ChainsTaskRun(tr, o)
	if err != nil {
		return nil, 0, err
	}
	ds, err := Compare(chains, chainseal)
	if err != nil {
		return nil, 0, err
	}
	for _, d := range ds {
		s := Sorted{Diff: d}
		for _, a := range TaskRunAccepted {
			if a.Matches(name, d) {
				s.Reason = a.Reason
				break
			}
		}
		if s.Reason == "" {
			unaccepted++
		}
		diffs = append(diffs, s)
	}
	return diffs, unaccepted, nil
}
