package main

import (
	"fmt"
	"io"
	"math"
	"slices"
)

// writeStages: where chainseal's time goes, per workload, from its own
// log (median over its processes), and what start-up alone costs.
func writeStages(w io.Writer, r *Results) {
	p := func(format string, a ...any) { fmt.Fprintf(w, format+"\n", a...) }
	p("## Where chainseal's time goes")
	p("")
	p("From chainseal's own log (one line per stage with its duration), median over its processes; in brackets, the floor's same stage where it has one. Start-up is from exec to the first stage; exit is after the last line.")
	p("")
	var cols []*WorkloadResult
	for _, wr := range r.Workloads {
		if s := wr.Sides[SideChainseal]; s != nil && len(s.Reps) > 0 && len(s.Reps[0].Stages) > 0 {
			cols = append(cols, wr)
		}
	}
	head, rule := "| stage |", "|---|"
	for _, wr := range cols {
		head += " " + wr.Workload.Name + " |"
		rule += "---:|"
	}
	p("%s", head)
	p("%s", rule)
	for _, st := range stageOrder {
		name := st
		if parent, ok := subStage[st]; ok {
			name = "… of which " + st + " (in " + parent + ")"
		}
		row := "| " + name + " |"
		for _, wr := range cols {
			a, b := stageMedian(wr, SideChainseal, st), stageMedian(wr, SideFloor, st)
			switch {
			case math.IsNaN(a):
				row += " – |"
			case math.IsNaN(b):
				row += fmt.Sprintf(" %.0f ms |", a)
			default:
				row += fmt.Sprintf(" %.0f ms (floor %.0f) |", a, b)
			}
		}
		p("%s", row)
	}
	p("")
	if len(r.Startup) > 0 {
		p("Start-up alone (10 runs, median): ")
		p("")
		p("| | wall | CPU | peak RSS |")
		p("|---|---:|---:|---:|")
		for _, side := range []string{SideChainseal, SideTypes, SideFloor} {
			s := r.Startup[side]
			if s == nil {
				continue
			}
			rss := make([]float64, len(s.RSS))
			for i, v := range s.RSS {
				rss[i] = float64(v) / mib
			}
			what := map[string]string{SideChainseal: "`chainseal version`", SideFloor: "floor -h",
				SideTypes: "Tekton's API types alone (test/bench/cmd/typesfloor)"}[side]
			p("| %s | %.0f ms | %.3f s | %.1f MiB |", what, fmedian(s.Wall), fmedian(s.CPU), slices.Max(rss))
		}
		p("")
	}
}

// stageMedian is the median of one stage over a side's processes (NaN when
// none logged it).
func stageMedian(wr *WorkloadResult, side, stage string) float64 {
	s := wr.Sides[side]
	if s == nil {
		return math.NaN()
	}
	var xs []float64
	for _, rep := range s.Reps {
		for _, m := range rep.Stages {
			if v, ok := m[stage]; ok {
				xs = append(xs, v)
			}
		}
	}
	if len(xs) == 0 {
		return math.NaN()
	}
	return fmedian(xs)
}
