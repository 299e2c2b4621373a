package tekton

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	"github.com/tektoncd/pipeline/pkg/result"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/chainseal/chainseal/pkg/kubeclient"
)

// The step form: chainseal as the last step of a Task (the chainseal-step
// StepAction) seals the TaskRun it runs in. Tekton writes a TaskRun's
// status.results only once the TaskRun is done, which is after the last
// step; while the last step runs, what Tekton has recorded is each earlier
// step's terminated state in status.steps, whose message is the step's
// results as Tekton's controller filtered and re-encoded them (the
// declared task and step results). OwnTaskRun waits for those records and
// derives from them the results Tekton will write, in Tekton's way (the
// latest value of a name wins, at the place of its first appearance).

// StepFormError is a TaskRun the step form cannot seal, or did not see
// recorded in time.
type StepFormError struct {
	Namespace, Name string
	Reason          string
}

func (e *StepFormError) Error() string {
	return fmt.Sprintf("sealing TaskRun %s/%s from its last step: %s", e.Namespace, e.Name, e.Reason)
}

// StepFormPoll is how often OwnTaskRun reads the TaskRun while it waits
// for Tekton to record the earlier steps.
var StepFormPoll = 250 * time.Millisecond

// OwnTaskRun reads TaskRun namespace/name from its last step (the caller)
// and returns it as the step form covers it: status.steps holds the steps
// before the last, each terminated as Tekton recorded it; status.results
// holds the task results those steps' recorded messages carry; the last
// step itself (chainseal) is left out. It waits, until ctx ends, for
// Tekton to record every earlier step as terminated. uid, when set, must be
// the TaskRun's.
func OwnTaskRun(ctx context.Context, c kubeclient.Tekton, namespace, name string, uid types.UID) (TaskRun, error) {
	var last error
	for {
		tr, err := c.TektonV1().TaskRuns(namespace).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return TaskRun{}, &ReadError{What: "TaskRun", Namespace: namespace, Name: name, Err: err}
		}
		if uid != "" && tr.UID != uid {
			return TaskRun{}, &StepFormError{Namespace: namespace, Name: name,
				Reason: fmt.Sprintf("its UID is %s, not %s: the TaskRun was deleted and recreated; nothing is signed", tr.UID, uid)}
		}
		view, err := StepView(tr)
		if err == nil {
			return view, nil
		}
		var wait *notYetError
		if !errors.As(err, &wait) {
			return TaskRun{}, err
		}
		last = err
		select {
		case <-ctx.Done():
			return TaskRun{}, &StepFormError{Namespace: namespace, Name: name,
				Reason: fmt.Sprintf("%v (%v); is chainseal the Task's last step?", last, context.Cause(ctx))}
		case <-time.After(StepFormPoll):
		}
	}
}

// notYetError: Tekton has not recorded the earlier steps yet; read again.
type notYetError struct{ reason string }

func (e *notYetError) Error() string { return e.reason }

// StepView is tr as the step form covers it, from one read (see
// OwnTaskRun). It fails with a *notYetError while an earlier step is not
// recorded as terminated.
func StepView(tr *v1.TaskRun) (TaskRun, error) {
	fail := func(format string, args ...any) (TaskRun, error) {
		return TaskRun{}, &StepFormError{Namespace: tr.Namespace, Name: tr.Name, Reason: fmt.Sprintf(format, args...)}
	}
	spec := tr.Status.TaskSpec
	if spec == nil {
		return TaskRun{}, &notYetError{"Tekton has not recorded the TaskRun's task spec (status.taskSpec) yet"}
	}
	if tr.IsDone() {
		return fail("the TaskRun is already done: the step form seals the TaskRun it runs in, from its last step")
	}
	n := len(spec.Steps)
	if n < 2 {
		return fail("the Task has %d step(s): the step form needs the steps to seal and chainseal as the last step", n)
	}
	if len(tr.Status.Steps) != n {
		return TaskRun{}, &notYetError{fmt.Sprintf("Tekton records %d step states of the Task's %d steps", len(tr.Status.Steps), n)}
	}
	view := tr.DeepCopy()
	view.Status.Steps = view.Status.Steps[:n-1]
	view.Status.Results = nil
	failed := false
	var results []v1.TaskRunResult
	for i, st := range view.Status.Steps {
		if want := spec.Steps[i].Name; want != "" && st.Name != want {
			return fail("status.steps[%d] is %q, but the task spec's step %d is %q", i, st.Name, i, spec.Steps[i].Name)
		}
		if st.Terminated == nil {
			return TaskRun{}, &notYetError{fmt.Sprintf("step %q is not recorded as terminated yet", st.Name)}
		}
		if st.Terminated.ExitCode != 0 {
			failed = true
		}
		rs, err := stepResults(spec, st)
		if err != nil {
			return fail("%v", err)
		}
		results = append(results, rs...)
	}
	if last := tr.Status.Steps[n-1]; spec.Steps[n-1].Name != "" && last.Name != spec.Steps[n-1].Name || last.Terminated != nil {
		return fail("the last step %q is recorded as done, or is not the last step of the task spec: the step form runs as the last step", last.Name)
	}
	view.Status.Results = latestResults(results)
	return TaskRun{TaskRun: view, Failed: failed}, nil
}

// stepResults are the task results in a terminated step's recorded
// message, typed as the task spec declares them (as Tekton does).
func stepResults(spec *v1.TaskSpec, st v1.StepState) ([]v1.TaskRunResult, error) {
	msg := st.Terminated.Message
	if msg == "" {
		return nil, nil
	}
	var rrs []result.RunResult
	if err := json.Unmarshal([]byte(msg), &rrs); err != nil {
		return nil, fmt.Errorf("step %q: its recorded termination message is not Tekton's results JSON (results-from: sidecar-logs is not supported by the step form): %w", st.Name, err)
	}
	types := map[string]v1.ResultsType{}
	for _, r := range spec.Results {
		types[r.Name] = r.Type
	}
	var out []v1.TaskRunResult
	for _, r := range rrs {
		if r.ResultType != result.TaskRunResultType {
			continue
		}
		// As Tekton's pod status code (filterResults) does it.
		if types[r.Key] == v1.ResultsTypeString {
			out = append(out, v1.TaskRunResult{Name: r.Key, Type: v1.ResultsTypeString, Value: *v1.NewStructuredValues(r.Value)})
			continue
		}
		var v v1.ResultValue
		if err := v.UnmarshalJSON([]byte(r.Value)); err != nil {
			continue
		}
		out = append(out, v1.TaskRunResult{Name: r.Key, Type: v1.ResultsType(v.Type), Value: v})
	}
	return out, nil
}

// latestResults keeps one result per name: the latest value, at the place
// of the name's first appearance (Tekton's removeDuplicateResults).
func latestResults(in []v1.TaskRunResult) []v1.TaskRunResult {
	if len(in) == 0 {
		return nil
	}
	latest := map[string]v1.TaskRunResult{}
	var order []string
	for _, r := range in {
		if _, seen := latest[r.Name]; !seen {
			order = append(order, r.Name)
		}
		latest[r.Name] = r
	}
	out := make([]v1.TaskRunResult, len(order))
	for i, n := range order {
		out[i] = latest[n]
	}
	return out
}
