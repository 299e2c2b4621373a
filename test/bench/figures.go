package main

import (
	"fmt"
	"math"
	"time"
)

// Figure is one measured quantity on every side of a workload.
type Figure struct {
	Name   string
	Unit   string             // ms, s, MiB, runs/s, ...
	Values map[string]float64 // by side; NaN when not measured
	Noise  map[string]float64 // spread over reps in percent; NaN when one rep
	Better string             // "lower" or "higher"
	Note   string
}

func (f Figure) value(side string) float64 {
	if v, ok := f.Values[side]; ok {
		return v
	}
	return math.NaN()
}

// Ratio is chainseal/Chains.
func (f Figure) Ratio() float64 {
	c := f.value(SideChains)
	if c == 0 || math.IsNaN(c) {
		return math.NaN()
	}
	return f.value(SideChainseal) / c
}

const mib = 1 << 20

// figures derives the reported figures of one workload.
func figures(wr *WorkloadResult) []Figure {
	var out []Figure
	add := func(name, unit, better string, get func(*SideResult) (float64, []float64)) {
		f := Figure{Name: name, Unit: unit, Better: better, Values: map[string]float64{}, Noise: map[string]float64{}}
		for side, r := range wr.Sides {
			v, perRep := get(r)
			f.Values[side] = v
			f.Noise[side] = spread(perRep)
		}
		out = append(out, f)
	}
	procs := func(r *SideResult) bool { return r.Side != SideChains }
	latency := func(q float64) func(r *SideResult) (float64, []float64) {
		return func(r *SideResult) (float64, []float64) {
			var all []time.Duration
			var per []float64
			for _, rep := range r.Reps {
				all = append(all, rep.Latencies...)
				per = append(per, ms(quantile(rep.Latencies, q)))
			}
			if len(all) == 0 {
				return math.NaN(), nil
			}
			if wr.Workload.Runs == 1 || wr.Workload.Name == WIdle {
				per = nil // one latency per rep: the spread is over runs, shown by p95
				for _, d := range all {
					per = append(per, ms(d))
				}
			}
			return ms(quantile(all, q)), per
		}
	}
	perRep := func(get func(Rep) float64) func(r *SideResult) (float64, []float64) {
		return func(r *SideResult) (float64, []float64) {
			var per []float64
			for _, rep := range r.Reps {
				per = append(per, get(rep))
			}
			if len(per) == 0 {
				return math.NaN(), nil
			}
			return fmedian(per), per
		}
	}
	w := wr.Workload
	if w.Name == WIdle {
		add("idle resident memory", "MiB", "lower", func(r *SideResult) (float64, []float64) {
			if procs(r) {
				return 0, nil
			}
			return float64(r.IdleRSS) / mib, nil
		})
		add("idle CPU per minute", "s", "lower", func(r *SideResult) (float64, []float64) {
			if procs(r) {
				return 0, nil
			}
			return r.IdleCPU / r.IdleSeconds * 60, nil
		})
		add("controller start-up to ready", "s", "lower", func(r *SideResult) (float64, []float64) {
			if procs(r) {
				return 0, nil
			}
			return r.StartSeconds, nil
		})
		add("controller start-up CPU", "s", "lower", func(r *SideResult) (float64, []float64) {
			if procs(r) {
				return 0, nil
			}
			return r.StartCPU, nil
		})
		add("latency of one run among them, median", "ms", "lower", latency(0.5))
		return out
	}
	add("latency, median", "ms", "lower", latency(0.5))
	add("latency, p95", "ms", "lower", latency(0.95))
	if w.Runs > 1 {
		add("throughput", "runs/s", "higher", perRep(func(rep Rep) float64 { return float64(len(rep.Latencies)) / rep.Span.Seconds() }))
	}
	add("CPU, total", "s", "lower", perRep(func(rep Rep) float64 { return rep.CPU }))
	if w.Runs > 1 {
		add("CPU per run", "s", "lower", perRep(func(rep Rep) float64 { return rep.CPU / float64(len(rep.Latencies)) }))
	}
	if wr.Sides[SideChains] != nil {
		add("Chains marking finished TaskRuns (runs written → all marked)", "TaskRuns/s", "higher", func(r *SideResult) (float64, []float64) {
			if procs(r) {
				return math.NaN(), nil
			}
			var per []float64
			for _, rep := range r.Reps {
				if rep.MarkSeconds > 0 {
					per = append(per, float64(rep.TaskRuns)/rep.MarkSeconds)
				}
			}
			return fmedian(per), per
		})
	}
	add("peak RSS (one process)", "MiB", "lower", perRep(func(rep Rep) float64 { return float64(rep.PeakRSS) / mib }))
	if w.Runs > 1 {
		add("peak memory, all processes at once", "MiB", "lower", func(r *SideResult) (float64, []float64) {
			var per []float64
			for _, rep := range r.Reps {
				if procs(r) {
					per = append(per, float64(rep.PeakSumRSS)/mib)
				} else {
					per = append(per, float64(rep.PeakRSS)/mib)
				}
			}
			return fmedian(per), per
		})
	}
	return out
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// format renders a value in its unit.
func format(v float64, unit string) string {
	switch {
	case math.IsNaN(v):
		return "–"
	case unit == "ms" && v >= 10000:
		return fmt.Sprintf("%.1f s", v/1000)
	case unit == "ms":
		return fmt.Sprintf("%.0f ms", v)
	case v == 0:
		return "0 " + unit
	case v < 1:
		return fmt.Sprintf("%.3f %s", v, unit)
	case v < 100:
		return fmt.Sprintf("%.2f %s", v, unit)
	}
	return fmt.Sprintf("%.0f %s", v, unit)
}
