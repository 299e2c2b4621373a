package main

import (
	"fmt"
	"io"
	"slices"
)

// writeStages: where chainseal's time goes, per workload, from its own
// log (median over its processes), and what start-up alone costs.
func writeStages(w io.Writer, r *Results) {
	p := func(format string, a ...any) { fmt.Fprintf(w, format+"\n", a...) }
	p("## Where chainseal's time goes")
	p("")
	p("From chainseal's own log (one line per stage with its duration), median over its processes. Start-up is from exec to the first stage; exit is after the last line.")
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
			var xs []float64
			for _, rep := range wr.Sides[SideChainseal].Reps {
				for _, m := range rep.Stages {
					if v, ok := m[st]; ok {
						xs = append(xs, v)
					}
				}
			}
			if len(xs) == 0 {
				row += " – |"
			} else {
				row += fmt.Sprintf(" %.0f ms |", fmedian(xs))
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
		for _, side := range []string{SideChainseal, SideFloor} {
			s := r.Startup[side]
			if s == nil {
				continue
			}
			rss := make([]float64, len(s.RSS))
			for i, v := range s.RSS {
				rss[i] = float64(v) / mib
			}
			what := "`chainseal version`"
			if side == SideFloor {
				what = "floor -h"
			}
			p("| %s | %.0f ms | %.3f s | %.1f MiB |", what, fmedian(s.Wall), fmedian(s.CPU), slices.Max(rss))
		}
		p("")
	}
}
