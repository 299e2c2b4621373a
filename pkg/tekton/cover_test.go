package tekton_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/chainseal/chainseal/pkg/tekton"
	"github.com/chainseal/chainseal/pkg/tekton/tektontest"
	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
)

func names(trs []tekton.TaskRun) []string {
	var out []string
	for _, tr := range trs {
		out = append(out, tr.Name)
	}
	return out
}

func reasons(ex []tekton.Excluded) map[string]tekton.Reason {
	out := map[string]tekton.Reason{}
	for _, e := range ex {
		out[e.Name] = e.Reason
	}
	return out
}

func TestNewCoversFinishedChildrenOnly(t *testing.T) {
	r := tektontest.NewRun("ci", "release-7q2xk")
	r.Add(tektontest.Task{Name: "clone"})
	r.Add(tektontest.Task{Name: "build", Matrix: 3})
	r.Add(tektontest.Task{Name: "test", Retries: 2})
	r.Skip("deploy")
	r.CustomRun("approve")
	r.Add(tektontest.Task{Name: "notify", Finally: true})
	r.Add(tektontest.Task{Name: "slow", Finally: true, Running: true})
	r.Add(tektontest.Task{Name: "chainseal", Finally: true, Running: true})

	s, err := tekton.Cover(r.PipelineRun, r.TaskRuns, tekton.WithOwnTaskRun("release-7q2xk-chainseal"), tekton.WithUID(string(r.PipelineRun.UID)))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"release-7q2xk-clone", "release-7q2xk-build-0", "release-7q2xk-build-1", "release-7q2xk-build-2", "release-7q2xk-test", "release-7q2xk-notify"}
	if got := names(s.TaskRuns); !equal(got, want) {
		t.Errorf("covered = %v, want %v", got, want)
	}
	got := reasons(s.Excluded)
	if got["release-7q2xk-slow"] != tekton.ReasonRunning || got["release-7q2xk-chainseal"] != tekton.ReasonOwn || len(got) != 2 {
		t.Errorf("excluded = %v", got)
	}
	if len(s.Skipped) != 1 || s.Skipped[0].Name != "deploy" {
		t.Errorf("skipped = %v", s.Skipped)
	}
	if len(s.CustomRuns) != 1 || s.CustomRuns[0].PipelineTaskName != "approve" {
		t.Errorf("custom runs = %v", s.CustomRuns)
	}
	for _, tr := range s.TaskRuns {
		if tr.Finally != (tr.PipelineTask == "notify") {
			t.Errorf("%s: Finally = %v", tr.Name, tr.Finally)
		}
		if (tr.Retries == 2) != (tr.PipelineTask == "test") {
			t.Errorf("%s: Retries = %d", tr.Name, tr.Retries)
		}
	}
	if s.Complete() {
		t.Error("Complete() = true for a running PipelineRun")
	}
	if fin := s.FinishedOn(); fin == nil || !fin.Equal(s.TaskRuns[len(s.TaskRuns)-1].Status.CompletionTime.Time) {
		t.Errorf("FinishedOn = %v, want the notify TaskRun's completion", fin)
	}
}

func TestNewRecordsFailures(t *testing.T) {
	r := tektontest.NewRun("ci", "p")
	r.Add(tektontest.Task{Name: "build", Failed: true})
	r.Add(tektontest.Task{Name: "cleanup", Finally: true})
	s, err := tekton.Cover(r.PipelineRun, r.TaskRuns)
	if err != nil {
		t.Fatal(err)
	}
	if f := s.Failed(); len(f) != 1 || f[0].PipelineTask != "build" || f[0].Finally {
		t.Errorf("Failed() = %v", names(f))
	}
}

func TestNewRefusesOtherUID(t *testing.T) {
	r := tektontest.NewRun("ci", "p")
	_, err := tekton.Cover(r.PipelineRun, nil, tekton.WithUID("something-else"))
	var mm *tekton.UIDMismatchError
	if !errors.As(err, &mm) || !errors.Is(err, tekton.ErrUIDMismatch) {
		t.Fatalf("err = %v, want a UIDMismatchError", err)
	}
}

// A TaskRun of an earlier PipelineRun with the same name (same TaskRun
// name, other owner UID) must never be covered.
func TestNewDropsChildrenOfARecreatedRun(t *testing.T) {
	old := tektontest.NewRun("ci", "p")
	old.PipelineRun.UID = "00000000-0000-0000-0000-000000000001"
	oldTRs := old.Add(tektontest.Task{Name: "build"})
	oldTRs[0].OwnerReferences[0].UID = old.PipelineRun.UID
	oldTRs[0].Labels["tekton.dev/pipelineRunUID"] = string(old.PipelineRun.UID)
	stray := oldTRs[0].DeepCopy()
	stray.Name = "p-stray"
	delete(stray.Labels, "tekton.dev/pipelineRunUID")

	cur := tektontest.NewRun("ci", "p")
	cur.Add(tektontest.Task{Name: "build", Running: true})
	// The list returns the old TaskRun (not garbage-collected yet) instead
	// of the new one of the same name, plus one more old child.
	s, err := tekton.Cover(cur.PipelineRun, []*v1.TaskRun{oldTRs[0], stray})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.TaskRuns) != 0 {
		t.Fatalf("covered %v, want nothing", names(s.TaskRuns))
	}
	got := reasons(s.Excluded)
	if got["p-build"] != tekton.ReasonForeign || got["p-stray"] != tekton.ReasonForeign {
		t.Errorf("excluded = %v", got)
	}
}

func TestNewRecordsMissingAndUnlisted(t *testing.T) {
	r := tektontest.NewRun("ci", "p")
	r.Add(tektontest.Task{Name: "a"})
	r.Add(tektontest.Task{Name: "b"})
	// b's TaskRun is gone; a is not in childReferences any more.
	trs := r.TaskRuns[:1]
	r.PipelineRun.Status.ChildReferences = r.PipelineRun.Status.ChildReferences[1:]
	s, err := tekton.Cover(r.PipelineRun, trs)
	if err != nil {
		t.Fatal(err)
	}
	got := reasons(s.Excluded)
	if len(s.TaskRuns) != 0 || got["p-b"] != tekton.ReasonMissing || got["p-a"] != tekton.ReasonUnlisted {
		t.Errorf("covered %v, excluded %v", names(s.TaskRuns), got)
	}
}

func TestFinishedOnPrefersPipelineRunCompletion(t *testing.T) {
	r := tektontest.NewRun("ci", "p")
	r.Add(tektontest.Task{Name: "a"})
	r.Complete()
	s, err := tekton.Cover(r.PipelineRun, r.TaskRuns)
	if err != nil {
		t.Fatal(err)
	}
	if !s.Complete() || !s.FinishedOn().Equal(r.PipelineRun.Status.CompletionTime.Time) {
		t.Errorf("FinishedOn = %v, want %v", s.FinishedOn(), r.PipelineRun.Status.CompletionTime)
	}
	if !s.StartedOn().Equal(tektontest.Start) {
		t.Errorf("StartedOn = %v", s.StartedOn())
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Every child of the run that cannot be shown to have succeeded is listed
// by NotSucceeded: failed, missing, foreign and unfinished TaskRuns,
// CustomRuns (their status is not read), and pipeline tasks with neither a
// child nor a skip record; chainseal's own TaskRun and TaskRuns the run
// does not list are not its tasks.
func TestNotSucceeded(t *testing.T) {
	r := tektontest.NewRun("ci", "p")
	r.Add(tektontest.Task{Name: "clone"})
	r.Add(tektontest.Task{Name: "build", Failed: true})
	r.Add(tektontest.Task{Name: "test"}) // deleted below
	r.Add(tektontest.Task{Name: "scan", Running: true})
	r.CustomRun("approve")
	r.Skip("deploy")
	r.PipelineRun.Status.PipelineSpec.Tasks = append(r.PipelineRun.Status.PipelineSpec.Tasks, v1.PipelineTask{Name: "lint"})
	r.Add(tektontest.Task{Name: "notify", Finally: true, Running: true})
	r.Add(tektontest.Task{Name: "chainseal", Finally: true, Running: true})
	stray := r.TaskRuns[0].DeepCopy()
	stray.Name = "p-stray"
	trs := append([]*v1.TaskRun{stray}, r.TaskRuns[:2]...)
	trs = append(trs, r.TaskRuns[3:]...)

	s, err := tekton.Cover(r.PipelineRun, trs, tekton.WithOwnTaskRun("p-chainseal"))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, n := range s.NotSucceeded() {
		got[n.String()] = fmt.Sprint(n.Finally)
	}
	want := map[string]string{
		"build (TaskRun p-build: failed)":                                                "false",
		"test (TaskRun p-test: listed in status.childReferences but not found)":          "false",
		"scan (TaskRun p-scan: not finished when read)":                                  "false",
		"approve (CustomRun p-approve: chainseal does not read a CustomRun's status)":    "false",
		"lint (in the pipeline spec, but neither a child nor a skipped task of the run)": "false",
		"notify (TaskRun p-notify: not finished when read)":                              "true",
	}
	if len(got) != len(want) {
		t.Errorf("NotSucceeded() = %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("NotSucceeded() lacks %q (finally %s); got %v", k, v, got)
		}
	}
	if reasons(s.Excluded)[""] != tekton.ReasonNotRun {
		t.Errorf("the pipeline task that never ran is not recorded as excluded: %v", s.Excluded)
	}
}
