package main

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func (o Options) workloads() []Workload {
	all := []Workload{
		{Name: WSingle, Title: fmt.Sprintf("one PipelineRun, %d TaskRuns, one image", o.Tasks), Runs: 1, Tasks: o.Tasks, Reps: o.SingleReps},
		{Name: WBurst, Title: fmt.Sprintf("burst: %d such PipelineRuns completing together", o.Burst), Runs: o.Burst, Tasks: o.Tasks, Reps: o.BurstReps},
		{Name: WWide, Title: fmt.Sprintf("one PipelineRun, %d TaskRuns", o.Wide), Runs: 1, Tasks: o.Wide, Reps: o.WideReps},
		{Name: WIdle, Title: fmt.Sprintf("idle: %d completed PipelineRuns present", o.Idle), Runs: o.Idle, Tasks: 1, Reps: 3},
	}
	if o.Only == "" {
		return all
	}
	var out []Workload
	for _, w := range all {
		if slices.Contains(strings.Split(o.Only, ","), w.Name) {
			out = append(out, w)
		}
	}
	return out
}

func (o Options) sides() []string { return strings.Split(o.Sides, ",") }

// runWorkload measures one workload on every side, one side after the
// other (never two at once: they would compete for the same two cores).
func (b *Bench) runWorkload(ctx context.Context, w Workload) (*WorkloadResult, error) {
	if w.Name == WIdle {
		return b.runIdle(ctx, w)
	}
	wr := &WorkloadResult{Workload: w, Sides: map[string]*SideResult{}}
	for _, side := range b.O.sides() {
		slog.Info("workload", "name", w.Name, "side", side, "runs", w.Runs, "tasks", w.Tasks, "reps", w.Reps)
		var res *SideResult
		var err error
		if side == SideChains {
			res, err = b.chainsSide(ctx, w)
		} else {
			res, err = b.procSide(ctx, w, side)
		}
		if err != nil {
			return nil, fmt.Errorf("workload %s, %s: %w", w.Name, side, err)
		}
		wr.Sides[side] = res
	}
	return wr, nil
}

func (b *Bench) chainsSide(ctx context.Context, w Workload) (*SideResult, error) {
	ns, err := b.namespace(ctx, w.Name+"-chains")
	if err != nil {
		return nil, err
	}
	defer b.deleteNamespace(context.Background(), ns)
	ch, err := b.startChains(ctx, ns)
	if err != nil {
		return nil, err
	}
	defer ch.Stop()
	res := &SideResult{Side: SideChains, StartSeconds: ch.Ready.Seconds()}
	st, err := ch.Stat()
	if err != nil {
		return nil, err
	}
	res.StartCPU, res.ReadyRSS = st.CPU, st.RSS
	for rep := range w.Reps {
		if err := b.chainsRep(ctx, ch, ns, w, rep, res); err != nil {
			return nil, err
		}
	}
	return res, nil
}

func (b *Bench) procSide(ctx context.Context, w Workload, side string) (*SideResult, error) {
	s, err := b.sealNamespace(ctx, w.Name+"-"+side)
	if err != nil {
		return nil, err
	}
	defer b.deleteNamespace(context.Background(), s.Name)
	res := &SideResult{Side: side}
	for rep := range w.Reps {
		if err := b.procRep(ctx, s, w, rep, side, res); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// runIdle fills a namespace with completed, already signed runs (a cluster
// in its steady state), starts Chains, measures its start-up and then its
// idle CPU and memory; chainseal and the floor run nothing between
// pipelines. Then a few single runs on each side show what the crowd costs
// a run.
func (b *Bench) runIdle(ctx context.Context, w Workload) (*WorkloadResult, error) {
	wr := &WorkloadResult{Workload: w, Sides: map[string]*SideResult{}}
	s, err := b.sealNamespace(ctx, "idle")
	if err != nil {
		return nil, err
	}
	defer b.deleteNamespace(context.Background(), s.Name)
	start := time.Now()
	imgs, err := b.pushImages(ctx, "idle", 1)
	if err != nil {
		return nil, err
	}
	err = parallel(ctx, w.Runs, 32, func(ctx context.Context, i int) error {
		_, err := b.create(ctx, RunSpec{Namespace: s.Name, Name: fmt.Sprintf("old-%05d", i), Tasks: w.Tasks,
			Image: imgs[0], Signed: true, Done: true}, 1)
		return err
	})
	if err != nil {
		return nil, err
	}
	setup := time.Since(start).Seconds()
	slog.Info("idle runs written", "runs", w.Runs, "seconds", setup)
	single := Workload{Name: WIdle, Runs: 1, Tasks: b.O.Tasks, Reps: w.Reps}

	for _, side := range b.O.sides() {
		res := &SideResult{Side: side, SetupSeconds: setup}
		wr.Sides[side] = res
		if side != SideChains {
			for rep := range single.Reps {
				if err := b.procRep(ctx, s, single, rep, side, res); err != nil {
					return nil, fmt.Errorf("workload idle, %s: %w", side, err)
				}
			}
			continue
		}
		if err := b.idleChains(ctx, s.Name, single, res); err != nil {
			return nil, fmt.Errorf("workload idle, chains: %w", err)
		}
		if wr.ClusterRuns, err = b.clusterRuns(ctx); err != nil {
			return nil, err
		}
	}
	return wr, nil
}

func (b *Bench) idleChains(ctx context.Context, ns string, single Workload, res *SideResult) error {
	ch, err := b.startChains(ctx, ns)
	if err != nil {
		return err
	}
	defer ch.Stop()
	ready, err := ch.Stat()
	if err != nil {
		return err
	}
	res.StartSeconds, res.StartCPU, res.ReadyRSS = ch.Ready.Seconds(), ready.CPU, ready.RSS
	// Let start-up work (the first reconcile of every run) drain, then measure.
	time.Sleep(5 * time.Second)
	from, err := ch.Stat()
	if err != nil {
		return err
	}
	slog.Info("idle", "window", b.O.IdleWindow)
	select {
	case <-time.After(b.O.IdleWindow):
	case <-ctx.Done():
		return ctx.Err()
	}
	to, err := ch.Stat()
	if err != nil {
		return err
	}
	res.IdleCPU, res.IdleRSS, res.IdleSeconds = to.CPU-from.CPU, to.RSS, b.O.IdleWindow.Seconds()
	for rep := range single.Reps {
		if err := b.chainsRep(ctx, ch, ns, single, rep, res); err != nil {
			return err
		}
	}
	return nil
}

// clusterRuns counts the PipelineRuns and TaskRuns in the whole cluster:
// Chains caches all of them, whatever --namespace says.
func (b *Bench) clusterRuns(ctx context.Context) (int, error) {
	prs, err := b.Tekton.TektonV1().PipelineRuns("").List(ctx, metav1.ListOptions{ResourceVersion: "0"})
	if err != nil {
		return 0, fmt.Errorf("counting PipelineRuns: %w", err)
	}
	trs, err := b.Tekton.TektonV1().TaskRuns("").List(ctx, metav1.ListOptions{ResourceVersion: "0"})
	if err != nil {
		return 0, fmt.Errorf("counting TaskRuns: %w", err)
	}
	return len(prs.Items) + len(trs.Items), nil
}
