//go:build stack

package e2e

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	tektonclient "github.com/tektoncd/pipeline/pkg/client/clientset/versioned"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"knative.dev/pkg/apis"

	"github.com/chainseal/chainseal/internal/kubetest"
)

// BenchmarkFinallyLatency measures, on real Tekton, the time from the last
// pipeline task's completion to the attestation being retrievable, over
// Release PipelineRuns run one after another (build pushes an image, test
// checks it, chainseal from the bundle as the finally task; cosign key,
// Rekor on, oci and tekton storage). It splits it into Tekton's part and
// chainseal's part:
//
//   - schedule: the last pipeline task seen Succeeded → the chainseal
//     TaskRun seen created (the controller scheduling the finally task);
//   - pod: → the chainseal process started (pod creation, image, Tekton's
//     init container and entrypoint; the process's start is its first log
//     line's time less the duration that line reports);
//   - seal: → its last log line (signed, logged in Rekor, stored in the
//     registry and annotations, marked signed: retrievable);
//   - record: → the chainseal TaskRun seen Succeeded with its results
//     (the container's end, the kubelet's report, the controller).
//
// "Seen" is when this process's watch of the API delivers the change; the
// chainseal times come from the step's log (one clock: same machine).
// Tekton's own timestamps have a one-second resolution, so they are not
// used. Run with:
//
//	test/stack/exec go test -tags stack ./test/e2e -run '^$' -bench FinallyLatency -benchtime 10x -timeout 30m
//
// Every iteration is one PipelineRun; the median and p95 (nearest rank)
// of each part over the b.N runs are reported as metrics.
func BenchmarkFinallyLatency(b *testing.B) {
	c := newFailureCase(b, "finally-latency", nil)
	tk := kubetest.AdminTekton(b, c.env)
	var samples []latency
	b.ResetTimer()
	lost := 0
	for n := 0; len(samples) < b.N; n++ {
		pr := c.pipelineRun(b, fmt.Sprintf("bench-%d", n), nil)
		logs := followStepLogs(b, c.env, c.ns, "tekton.dev/pipelineRun="+pr.Name+",tekton.dev/pipelineTask=chainseal", "step-sign")
		l, err := measureFinally(c, tk, logs, pr)
		var noLog *lostLogError
		if errors.As(err, &noLog) && lost < b.N {
			// The stack's node lost the step's log (see stepLogs): this run
			// has no chainseal times; another run replaces it.
			lost++
			b.Logf("run %d: %v; not counted", n, err)
			continue
		}
		if err != nil {
			b.Fatal(err)
		}
		samples = append(samples, l)
		b.Logf("run %d: %s", n, l)
	}
	if lost > 0 {
		b.Logf("%d run(s) not counted: the node lost the chainseal step's log", lost)
	}
	b.StopTimer()
	parts := []struct {
		name string
		get  func(latency) time.Duration
	}{
		{"schedule", func(l latency) time.Duration { return l.schedule }},
		{"pod", func(l latency) time.Duration { return l.pod }},
		{"tekton", func(l latency) time.Duration { return l.schedule + l.pod }},
		{"seal", func(l latency) time.Duration { return l.seal }},
		{"record", func(l latency) time.Duration { return l.record }},
		{"total", func(l latency) time.Duration { return l.schedule + l.pod + l.seal + l.record }},
	}
	var table strings.Builder
	fmt.Fprintf(&table, "%-9s %9s %9s %9s %9s (ms, %d runs)\n", "part", "median", "p95", "min", "max", len(samples))
	for _, p := range parts {
		var ms []float64
		for _, s := range samples {
			ms = append(ms, float64(p.get(s).Microseconds())/1000)
		}
		slices.Sort(ms)
		med, p95 := median(ms), nearestRank(ms, 0.95)
		b.ReportMetric(med, p.name+"-median-ms")
		b.ReportMetric(p95, p.name+"-p95-ms")
		fmt.Fprintf(&table, "%-9s %9.0f %9.0f %9.0f %9.0f\n", p.name, med, p95, ms[0], ms[len(ms)-1])
	}
	b.Log("\n" + table.String())
}

type latency struct{ schedule, pod, seal, record time.Duration }

func (l latency) String() string {
	ms := func(d time.Duration) string { return d.Round(time.Millisecond).String() }
	return fmt.Sprintf("schedule %s, pod %s, seal %s, record %s", ms(l.schedule), ms(l.pod), ms(l.seal), ms(l.record))
}

func median(sorted []float64) float64 {
	n := len(sorted)
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}

// nearestRank is the p-th percentile by the nearest-rank method (of 10
// samples, p95 is the largest).
func nearestRank(sorted []float64, p float64) float64 {
	i := int(math.Ceil(p*float64(len(sorted)))) - 1
	return sorted[max(i, 0)]
}

// measureFinally runs pr and times its finally task (see
// BenchmarkFinallyLatency).
func measureFinally(c *failureCase, tk tektonclient.Interface, logs *stepLogs, pr *pipelinev1.PipelineRun) (latency, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	sel := metav1.ListOptions{LabelSelector: "tekton.dev/pipelineRun=" + pr.Name}
	w, err := tk.TektonV1().TaskRuns(c.ns).Watch(ctx, sel)
	if err != nil {
		return latency{}, err
	}
	defer w.Stop()
	if _, err := tk.TektonV1().PipelineRuns(c.ns).Create(ctx, pr, metav1.CreateOptions{}); err != nil {
		return latency{}, err
	}
	var lastDone, created, done time.Time
	tasksDone := map[string]bool{}
	var seal *pipelinev1.TaskRun
	for done.IsZero() {
		select {
		case <-ctx.Done():
			return latency{}, fmt.Errorf("PipelineRun %s: the chainseal TaskRun did not succeed in time", pr.Name)
		case ev, ok := <-w.ResultChan():
			if !ok {
				return latency{}, fmt.Errorf("the watch of %s's TaskRuns ended", pr.Name)
			}
			now := time.Now()
			tr, isTR := ev.Object.(*pipelinev1.TaskRun)
			if !isTR || ev.Type == watch.Deleted {
				continue
			}
			task := tr.Labels["tekton.dev/pipelineTask"]
			cond := tr.Status.GetCondition(apis.ConditionSucceeded)
			succeeded := cond != nil && cond.Status == corev1.ConditionTrue
			failed := cond != nil && cond.Status == corev1.ConditionFalse
			if task == "chainseal" && created.IsZero() {
				created = now
			}
			if failed {
				return latency{}, fmt.Errorf("TaskRun %s failed: %s", tr.Name, cond.Message)
			}
			if !succeeded {
				continue
			}
			if task == "chainseal" {
				done, seal = now, tr
			} else if !tasksDone[task] {
				tasksDone[task] = true
				lastDone = now
			}
		}
	}
	if lastDone.IsZero() || created.IsZero() || created.Before(lastDone) {
		return latency{}, fmt.Errorf("PipelineRun %s: pipeline tasks done at %v, chainseal created at %v", pr.Name, lastDone, created)
	}
	log := logs.get(seal.Status.PodName)
	start, end, err := logSpan(log)
	if err != nil {
		return latency{}, err
	}
	return latency{schedule: created.Sub(lastDone), pod: start.Sub(created), seal: end.Sub(start), record: done.Sub(end)}, nil
}

// logSpan reads chainseal's text log: its start (the first stage line's
// time less the duration it reports) and its last line's time.
func logSpan(log string) (start, end time.Time, err error) {
	sc := bufio.NewScanner(strings.NewReader(log))
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 || !strings.HasPrefix(fields[0], "time=") {
			continue
		}
		t, err := time.Parse(time.RFC3339Nano, strings.TrimPrefix(fields[0], "time="))
		if err != nil {
			continue
		}
		end = t
		if start.IsZero() && strings.Contains(sc.Text(), `msg="run read"`) {
			start = t
			for _, f := range fields {
				if d, ok := strings.CutPrefix(f, "duration="); ok {
					if dd, err := time.ParseDuration(d); err == nil {
						start = t.Add(-dd)
					}
				}
			}
		}
	}
	if start.IsZero() || end.IsZero() || !strings.Contains(log, "marked PipelineRun") {
		return start, end, &lostLogError{log: log}
	}
	return start, end, nil
}

// lostLogError: chainseal's log, as followed, does not reach its end.
type lostLogError struct{ log string }

func (e *lostLogError) Error() string {
	return "chainseal's log does not reach its end (marked PipelineRun ...): " + lastLines(e.log, 2)
}
