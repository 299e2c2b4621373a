package tekton

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	"github.com/tektoncd/pipeline/pkg/client/clientset/versioned/fake"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"knative.dev/pkg/apis"
	duckv1 "knative.dev/pkg/apis/duck/v1"
)

// runningTaskRun is a TaskRun with steps build, push and seal as Tekton's
// controller records it while seal (the last) runs: the earlier steps
// terminated with the messages given (Tekton's re-encoded results JSON).
func runningTaskRun(messages ...string) *v1.TaskRun {
	tr := &v1.TaskRun{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "build-1", UID: "uid-1"}}
	tr.Status.TaskSpec = &v1.TaskSpec{
		Results: []v1.TaskResult{{Name: "IMAGE_URL", Type: v1.ResultsTypeString}, {Name: "IMAGE_DIGEST", Type: v1.ResultsTypeString}, {Name: "IMAGES", Type: v1.ResultsTypeArray}},
		Steps:   []v1.Step{{Name: "build"}, {Name: "push"}, {Name: "seal"}},
	}
	tr.Status.Conditions = duckv1.Conditions{{Type: apis.ConditionSucceeded, Status: corev1.ConditionUnknown, Reason: "Running"}}
	for i, name := range []string{"build", "push"} {
		st := v1.StepState{Name: name, Container: "step-" + name, ImageID: "registry/img@sha256:" + strings.Repeat("a", 64)}
		st.Terminated = &corev1.ContainerStateTerminated{ExitCode: 0, Message: messages[i]}
		tr.Status.Steps = append(tr.Status.Steps, st)
	}
	tr.Status.Steps = append(tr.Status.Steps, v1.StepState{Name: "seal", Container: "step-seal",
		ContainerState: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}})
	return tr
}

func TestStepViewResultsAsTektonWillRecordThem(t *testing.T) {
	tr := runningTaskRun(
		`[{"key":"IMAGE_DIGEST","value":"sha256:old","type":1},{"key":"IMAGE_URL","value":"r/app","type":1}]`,
		`[{"key":"IMAGE_DIGEST","value":"sha256:new","type":1},{"key":"IMAGES","value":"[\"a\",\"b\"]","type":1},{"key":"out","value":"x","type":4}]`)
	view, err := StepView(tr)
	if err != nil {
		t.Fatal(err)
	}
	if view.Failed {
		t.Error("no step failed, yet the view is failed")
	}
	if len(view.Status.Steps) != 2 || view.Status.Steps[1].Name != "push" {
		t.Errorf("steps %+v, want build and push (not seal)", view.Status.Steps)
	}
	var got []string
	for _, r := range view.Status.Results {
		v := r.Value.StringVal
		if r.Type == v1.ResultsTypeArray {
			v = strings.Join(r.Value.ArrayVal, ",")
		}
		got = append(got, r.Name+"="+v)
	}
	// The latest value wins at the place of the first (Tekton's
	// removeDuplicateResults); a step result is not a task result.
	if want := "IMAGE_DIGEST=sha256:new IMAGE_URL=r/app IMAGES=a,b"; strings.Join(got, " ") != want {
		t.Errorf("results %q, want %q", strings.Join(got, " "), want)
	}
	if len(tr.Status.Results) != 0 || len(tr.Status.Steps) != 3 {
		t.Error("StepView changed the TaskRun it was given")
	}
}

func TestStepViewFailedStep(t *testing.T) {
	tr := runningTaskRun(``, ``)
	tr.Status.Steps[0].Terminated.ExitCode = 1
	view, err := StepView(tr)
	if err != nil || !view.Failed {
		t.Fatalf("got %v, failed %v; want a failed view (a step before chainseal exited 1)", err, view.Failed)
	}
}

func TestStepViewRefuses(t *testing.T) {
	for name, c := range map[string]struct {
		change func(*v1.TaskRun)
		wait   bool // Tekton has not recorded it yet: read again
		want   string
	}{
		"earlier step still running": {func(tr *v1.TaskRun) {
			tr.Status.Steps[1].Terminated, tr.Status.Steps[1].Running = nil, &corev1.ContainerStateRunning{}
		}, true, `step "push" is not recorded as terminated yet`},
		"no task spec yet":   {func(tr *v1.TaskRun) { tr.Status.TaskSpec = nil }, true, "status.taskSpec"},
		"step states behind": {func(tr *v1.TaskRun) { tr.Status.Steps = tr.Status.Steps[:1] }, true, "records 1 step states of the Task's 3"},
		"done": {func(tr *v1.TaskRun) {
			tr.Status.Conditions[0].Status = corev1.ConditionTrue
		}, false, "already done"},
		"one step": {func(tr *v1.TaskRun) {
			tr.Status.TaskSpec.Steps = tr.Status.TaskSpec.Steps[2:]
			tr.Status.Steps = tr.Status.Steps[2:]
		}, false, "1 step(s)"},
		"last step ended": {func(tr *v1.TaskRun) {
			tr.Status.Steps[2].Terminated, tr.Status.Steps[2].Running = &corev1.ContainerStateTerminated{}, nil
		}, false, "runs as the last step"},
		"steps out of order": {func(tr *v1.TaskRun) {
			tr.Status.Steps[0].Name, tr.Status.Steps[1].Name = "push", "build"
		}, false, `status.steps[0] is "push"`},
		"not Tekton's message": {func(tr *v1.TaskRun) { tr.Status.Steps[0].Terminated.Message = "IMAGE_DIGEST=sha256:x" }, false, "sidecar-logs"},
	} {
		t.Run(name, func(t *testing.T) {
			tr := runningTaskRun(``, ``)
			c.change(tr)
			_, err := StepView(tr)
			var wait *notYetError
			var refused *StepFormError
			switch {
			case err == nil:
				t.Fatal("no error")
			case c.wait && !errors.As(err, &wait), !c.wait && !errors.As(err, &refused):
				t.Fatalf("got %T %v, want wait=%v", err, err, c.wait)
			case !strings.Contains(err.Error(), c.want):
				t.Fatalf("got %v, want it to say %q", err, c.want)
			}
		})
	}
}

// OwnTaskRun reads again until Tekton records the earlier steps, and names
// what it waited for when its deadline comes first. (A fake clientset:
// this tests the waiting, not Tekton; test/e2e runs it under Tekton.)
func TestOwnTaskRunWaitsForTektonsRecord(t *testing.T) {
	old := StepFormPoll
	StepFormPoll = 10 * time.Millisecond
	t.Cleanup(func() { StepFormPoll = old })

	tr := runningTaskRun(`[{"key":"IMAGE_DIGEST","value":"sha256:d","type":1}]`, ``)
	tr.Status.Steps[1].Terminated, tr.Status.Steps[1].Running = nil, &corev1.ContainerStateRunning{}
	c := fake.NewSimpleClientset(tr)
	go func() {
		time.Sleep(50 * time.Millisecond)
		done := tr.DeepCopy()
		done.Status.Steps[1].Running, done.Status.Steps[1].Terminated = nil, &corev1.ContainerStateTerminated{}
		_, _ = c.TektonV1().TaskRuns("ns").UpdateStatus(context.Background(), done, metav1.UpdateOptions{})
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	view, err := OwnTaskRun(ctx, c, "ns", "build-1", "uid-1")
	if err != nil || len(view.Status.Results) != 1 {
		t.Fatalf("got %+v, %v", view.Status.Results, err)
	}

	if _, err := OwnTaskRun(ctx, c, "ns", "build-1", "uid-2"); err == nil || !strings.Contains(err.Error(), "recreated") {
		t.Errorf("another UID: got %v", err)
	}
	stuck := runningTaskRun(``, ``)
	stuck.Name = "stuck"
	stuck.Status.Steps[1].Terminated, stuck.Status.Steps[1].Running = nil, &corev1.ContainerStateRunning{}
	c = fake.NewSimpleClientset(stuck)
	short, cancel2 := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel2()
	_, err = OwnTaskRun(short, c, "ns", "stuck", "")
	if err == nil || !strings.Contains(err.Error(), `step "push" is not recorded as terminated yet`) || !strings.Contains(err.Error(), "last step") {
		t.Errorf("deadline: got %v, want what it waited for and the last-step hint", err)
	}
}
