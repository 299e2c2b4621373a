package main

import (
	"context"
	"fmt"
	"log/slog"
	"os/exec"
	"slices"
	"sync"
	"time"
)

// chainsRep runs one repetition on a running Chains controller watching
// ns: the runs are written (Chains handles their TaskRuns as they finish),
// then every PipelineRun completes at once, and the clock runs from each
// completion to its attestation being retrievable.
func (b *Bench) chainsRep(ctx context.Context, ch *Chains, ns string, w Workload, rep int, res *SideResult) error {
	before, err := ch.Stat()
	if err != nil {
		return err
	}
	start := time.Now()
	runs, err := b.prepare(ctx, ns, w, rep, SideChains)
	if err != nil {
		return err
	}
	if err := b.waitMarked(ctx, ns, runs, b.O.Timeout); err != nil {
		return err
	}
	marked := time.Since(start).Seconds()
	res.SetupSeconds += marked

	polled := b.watch(ctx, imagesOf(runs))
	t0 := make([]time.Time, len(runs))
	var mu sync.Mutex
	err = parallel(ctx, len(runs), 16, func(ctx context.Context, i int) error {
		if err := b.Complete(ctx, runs[i]); err != nil {
			return err
		}
		mu.Lock()
		t0[i] = time.Now()
		mu.Unlock()
		return nil
	})
	if err != nil {
		return err
	}
	p := <-polled
	if p.err != nil {
		return fmt.Errorf("Chains: %w (log %s)", p.err, ch.log)
	}
	after, err := ch.Stat()
	if err != nil {
		return err
	}
	r := measure(t0, p.found)
	r.CPU = after.CPU - before.CPU
	r.PeakRSS = after.HWM
	r.MarkSeconds, r.TaskRuns = marked, len(runs)*w.Tasks
	res.Reps = append(res.Reps, r)
	if ch.LostLeadership() {
		res.Notes = append(res.Notes, fmt.Sprintf("rep %d: Chains lost its leader lease during the rep (log %s)", rep, ch.log))
	}
	if n := ch.Errors(ns); n > 0 {
		res.Notes = append(res.Notes, fmt.Sprintf("rep %d: Chains logged %d errors about runs in %s (mostly conflicts with the benchmark writing the runs, retried)", rep, n, ns))
	}
	slog.Info("rep done", "workload", w.Name, "side", SideChains, "rep", rep, "median", median(r.Latencies), "cpu", r.CPU)
	return nil
}

// procRep runs one repetition of chainseal or the floor: the runs are
// written with their finally task running, then one process per run starts
// at once, as the finally tasks' pods would.
func (b *Bench) procRep(ctx context.Context, s *SealNS, w Workload, rep int, side string, res *SideResult) error {
	start := time.Now()
	runs, err := b.prepare(ctx, s.Name, w, rep, side)
	if err != nil {
		return err
	}
	res.SetupSeconds += time.Since(start).Seconds()
	cmds := make([]*exec.Cmd, len(runs))
	for i, r := range runs {
		if side == SideFloor {
			cmds[i] = b.floorCmd(ctx, s, r)
		} else {
			cmds[i] = b.chainsealCmd(ctx, s, r)
		}
	}
	polled := b.watch(ctx, imagesOf(runs))
	procs, peakSum := runProcs(ctx, cmds)
	p := <-polled
	for _, pr := range procs {
		if pr.Err != nil {
			return fmt.Errorf("%s failed: %w", side, pr.Err)
		}
	}
	if p.err != nil {
		return fmt.Errorf("%s: %w", side, p.err)
	}
	t0 := make([]time.Time, len(procs))
	for i, pr := range procs {
		t0[i] = pr.Start
	}
	r := measure(t0, p.found)
	r.PeakSumRSS = peakSum
	for _, pr := range procs {
		r.CPU += pr.CPU
		r.PeakRSS = max(r.PeakRSS, pr.RSS)
		r.ProcCPU = append(r.ProcCPU, pr.CPU)
		r.ProcRSS = append(r.ProcRSS, pr.RSS)
		r.Stages = append(r.Stages, stages(pr))
	}
	res.Reps = append(res.Reps, r)
	slog.Info("rep done", "workload", w.Name, "side", side, "rep", rep, "median", median(r.Latencies), "cpu", r.CPU)
	return nil
}

type pollResult struct {
	found []time.Time
	err   error
}

// watch polls for the images' attestations in the background.
func (b *Bench) watch(ctx context.Context, imgs []Image) <-chan pollResult {
	ch := make(chan pollResult, 1)
	go func() {
		found, err := b.poller().Watch(ctx, imgs, b.O.Timeout)
		ch <- pollResult{found, err}
	}()
	return ch
}

// measure turns start and found times into a Rep's latencies and timeline.
func measure(t0, found []time.Time) Rep {
	var r Rep
	first := slices.MinFunc(t0, func(a, b time.Time) int { return a.Compare(b) })
	var last time.Time
	for i := range t0 {
		r.Latencies = append(r.Latencies, max(found[i].Sub(t0[i]), 0))
		r.Done = append(r.Done, max(found[i].Sub(first), 0))
		if found[i].After(last) {
			last = found[i]
		}
	}
	slices.Sort(r.Done)
	r.Span = last.Sub(first)
	return r
}
