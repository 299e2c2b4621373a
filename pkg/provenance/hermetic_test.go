package provenance_test

import (
	"encoding/json"
	"testing"

	"github.com/chainseal/chainseal/pkg/config"
	"github.com/chainseal/chainseal/pkg/provenance"
	"github.com/chainseal/chainseal/pkg/provenance/provenancetest"
)

type hermeticView struct {
	Hermetic    bool   `json:"hermetic"`
	NotEnforced string `json:"hermeticNotEnforced"`
}

// A policy can tell, per task, which TaskRuns ran without network: from the
// PipelineRun statement and from each TaskRun's own statement; a request
// Tekton did not enforce is never reported as hermetic.
func TestHermeticRecordedPerTask(t *testing.T) {
	r := provenancetest.Hermetic()
	r.TaskRuns[2].Annotations = map[string]string{provenance.ExecutionModeAnnotation: provenance.ExecutionModeHermetic}
	r.TaskRuns[2].Status.Provenance = nil // no feature flags recorded: cannot tell
	res, err := provenance.Build(snap(t, r), taskRunCfg(t, config.FormatSLSAv2alpha4))
	if err != nil {
		t.Fatal(err)
	}
	var pr struct {
		Predicate struct {
			BuildDefinition struct {
				InternalParameters struct {
					Chainseal struct {
						TaskRuns []struct {
							PipelineTask string `json:"pipelineTask"`
							hermeticView
						} `json:"taskRuns"`
					} `json:"chainseal"`
				} `json:"internalParameters"`
			} `json:"buildDefinition"`
		} `json:"predicate"`
	}
	if err := json.Unmarshal(res.Statements[0].Body, &pr); err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"build": true, "test": false, "publish": false}
	for _, tr := range pr.Predicate.BuildDefinition.InternalParameters.Chainseal.TaskRuns {
		if tr.Hermetic != want[tr.PipelineTask] {
			t.Errorf("PipelineRun statement: task %s hermetic = %v", tr.PipelineTask, tr.Hermetic)
		}
		if !tr.Hermetic && tr.NotEnforced == "" {
			t.Errorf("PipelineRun statement: task %s asked for hermetic execution, but no reason is recorded", tr.PipelineTask)
		}
	}
	if len(res.TaskRunStatements) != 3 {
		t.Fatalf("%d TaskRun statements, want 3", len(res.TaskRunStatements))
	}
	for _, p := range res.TaskRunStatements {
		var st struct {
			Predicate struct {
				BuildDefinition struct {
					InternalParameters struct {
						Chainseal *hermeticView `json:"chainseal"`
					} `json:"internalParameters"`
				} `json:"buildDefinition"`
			} `json:"predicate"`
		}
		if err := json.Unmarshal(p.Body, &st); err != nil {
			t.Fatal(err)
		}
		rec := st.Predicate.BuildDefinition.InternalParameters.Chainseal
		if rec == nil || rec.Hermetic != want[p.PipelineTask] || !rec.Hermetic && rec.NotEnforced == "" {
			t.Errorf("TaskRun statement of %s: chainseal record %+v", p.PipelineTask, rec)
		}
	}
}
