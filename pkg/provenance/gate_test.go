package provenance_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/chainseal/chainseal/pkg/config"
	"github.com/chainseal/chainseal/pkg/provenance"
	"github.com/chainseal/chainseal/pkg/provenance/provenancetest"
	"github.com/chainseal/chainseal/pkg/tekton/tektontest"
	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
)

// deletedFailed is provenancetest.Failed after the failed integration
// TaskRun was deleted: the PipelineRun still lists it in
// status.childReferences, the API no longer returns it.
func deletedFailed() *tektontest.Run {
	r := provenancetest.Failed()
	r.TaskRuns = r.TaskRuns[:1]
	return r
}

// Attack (issue #13): a test TaskRun fails and is deleted before the
// finally task reads the run. It was simply left out, and the run looked
// as if every task had succeeded: the failed-task gate let it through.
func TestGateRefusesAFailedTaskRunThatWasDeleted(t *testing.T) {
	_, err := provenance.Build(snap(t, deletedFailed()), cfg(t))
	var fe *provenance.FailedTasksError
	if !errors.As(err, &fe) || !strings.Contains(err.Error(), "integration (TaskRun release-7q2xk-integration: listed in status.childReferences but not found)") {
		t.Fatalf("err = %v, want a FailedTasksError naming the deleted integration TaskRun", err)
	}
}

// Every child that cannot be shown to have succeeded stops signing, unless
// chainseal.allow-failed-tasks: a missing, foreign or unfinished TaskRun of
// a pipeline task, and a CustomRun (chainseal does not read its status).
// Finally tasks never block, and neither does chainseal's own TaskRun.
func TestGateCountsChildrenThatCannotBeShownToHaveSucceeded(t *testing.T) {
	image := []string{"IMAGE_URL", "registry.example/app", "IMAGE_DIGEST", "sha256:" + tektontest.Digest("app")}
	cases := []struct {
		name string
		run  func() *tektontest.Run
		want string // in the error; "" means Build signs
	}{
		{"a CustomRun", provenancetest.Skipped, "approve (CustomRun release-7q2xk-approve: chainseal does not read a CustomRun's status)"},
		{"an unfinished task", func() *tektontest.Run {
			r := tektontest.NewRun(provenancetest.Namespace, provenancetest.Name)
			r.Add(tektontest.Task{Name: "build", Results: image})
			r.Add(tektontest.Task{Name: "test", Running: true})
			return r
		}, "test (TaskRun release-7q2xk-test: not finished when read)"},
		{"a TaskRun of another run of the same name", func() *tektontest.Run {
			r := tektontest.NewRun(provenancetest.Namespace, provenancetest.Name)
			r.Add(tektontest.Task{Name: "build", Results: image})
			tr := r.Add(tektontest.Task{Name: "test"})[0]
			tr.Labels["tekton.dev/pipelineRunUID"] = "00000000-0000-0000-0000-000000000001"
			tr.OwnerReferences[0].UID = "00000000-0000-0000-0000-000000000001"
			return r
		}, "test (TaskRun release-7q2xk-test: owned by another PipelineRun of the same name (different UID))"},
		{"a pipeline task that never ran", func() *tektontest.Run {
			r := tektontest.NewRun(provenancetest.Namespace, provenancetest.Name)
			r.Add(tektontest.Task{Name: "build", Results: image})
			r.PipelineRun.Status.PipelineSpec.Tasks = append(r.PipelineRun.Status.PipelineSpec.Tasks, v1.PipelineTask{Name: "test", TaskRef: &v1.TaskRef{Name: "test"}})
			return r
		}, "test (in the pipeline spec, but neither a child nor a skipped task of the run)"},
		{"finally tasks and chainseal itself", func() *tektontest.Run {
			r := tektontest.NewRun(provenancetest.Namespace, provenancetest.Name)
			r.Add(tektontest.Task{Name: "build", Results: image})
			r.Add(tektontest.Task{Name: "notify", Finally: true, Failed: true})
			r.Add(tektontest.Task{Name: "report", Finally: true, Running: true})
			r.Add(tektontest.Task{Name: "chainseal", Finally: true, Running: true})
			return r
		}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := provenance.Build(snap(t, tc.run(), provenancetest.Own), cfg(t))
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Build: %v", err)
				}
				return
			}
			if !errors.Is(err, provenance.ErrFailedTasks) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want ErrFailedTasks naming %q", err, tc.want)
			}
			if _, err := provenance.Build(snap(t, tc.run(), provenancetest.Own), cfg(t, config.KeyAllowFailedTasks, "true")); err != nil {
				t.Fatalf("with %s: %v", config.KeyAllowFailedTasks, err)
			}
		})
	}
}
