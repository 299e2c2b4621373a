package compat

import (
	"fmt"

	"github.com/chainseal/chainseal/pkg/provenance"
	"github.com/chainseal/chainseal/pkg/provenance/provenancetest"
	"github.com/chainseal/chainseal/pkg/tekton"
)

// TaskRunCases are the fixtures whose TaskRun statements are compared, in
// every format and both build types; the stepaction-results fixture also in
// slsa/v2alpha3 (its PipelineRun makes no v2alpha3 statement).
func TaskRunCases() []Case {
	var out []Case
	for _, c := range PipelineRunCases() {
		switch c.Name {
		case "build-push-complete", "build-push-complete-slsa02", "build-push-no-deep-inspection", "bundle-slsa-tekton":
			continue // the same TaskRuns as another case
		}
		out = append(out, c)
	}
	return append(out, Case{Name: "stepaction-results-v2alpha3", Run: provenancetest.StepActionResults, Options: Options{Format: ChainsV2alpha3, DeepInspection: true}})
}

// BothTaskRuns builds, for every TaskRun chainseal covers, Chains' TaskRun
// statement and chainseal's, keyed "<case>/<pipeline task>[-<n>]". A TaskRun
// chainseal gives no statement has a nil chainseal document.
func (c Case) BothTaskRuns() (map[string][2][]byte, error) {
	r := c.Run()
	cfg, err := c.chainsealConfig("taskrun")
	if err != nil {
		return nil, err
	}
	snap, err := tekton.Cover(r.PipelineRun, r.TaskRuns, provenancetest.Own)
	if err != nil {
		return nil, fmt.Errorf("case %s: %w", c.Name, err)
	}
	res, err := provenance.Build(snap, cfg)
	if err != nil {
		return nil, fmt.Errorf("case %s: chainseal: %w", c.Name, err)
	}
	ours := map[string][]byte{}
	for _, p := range res.TaskRunStatements {
		ours[p.UID] = p.Body
	}
	out := map[string][2][]byte{}
	for _, tr := range snap.TaskRuns {
		chains, err := ChainsTaskRun(tr.TaskRun, c.Options)
		if err != nil {
			return nil, err
		}
		key := c.Name + "/" + tr.PipelineTask
		for n := 2; out[key][0] != nil; n++ {
			key = fmt.Sprintf("%s/%s-%d", c.Name, tr.PipelineTask, n)
		}
		out[key] = [2][]byte{chains, ours[string(tr.UID)]}
	}
	return out, nil
}
