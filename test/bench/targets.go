package main

import (
	"bytes"
	"fmt"
	"math"
)

// writeTargets writes the table of issue #18's targets with this run's
// values (the "now" column of the issue), where this run measures them.
func writeTargets(w *bytes.Buffer, r *Results) {
	p := func(format string, a ...any) { fmt.Fprintf(w, format+"\n", a...) }
	fig := func(workload, name, side string) float64 {
		wr := find(r, workload)
		if wr == nil {
			return math.NaN()
		}
		for _, f := range figures(wr) {
			if f.Name == name {
				return f.value(side)
			}
		}
		return math.NaN()
	}
	div := func(a, b float64) string {
		if math.IsNaN(a) || math.IsNaN(b) || b == 0 {
			return "not measured"
		}
		return fmt.Sprintf("%.2f", a/b)
	}
	version := "not measured"
	if s := r.Startup[SideChainseal]; s != nil && len(s.Wall) > 0 {
		var rss []float64
		for _, v := range s.RSS {
			rss = append(rss, float64(v)/mib)
		}
		version = fmt.Sprintf("%.1f MiB / %.0f ms", fmedian(rss), fmedian(s.Wall))
	}
	seal := "not measured"
	if v := fig(WSingle, "peak RSS (one process)", SideChainseal); !math.IsNaN(v) {
		seal = fmt.Sprintf("%.1f MiB", v)
	}
	lat := "latency, median"
	image := "not measured"
	if r.Tekton != nil && r.Tekton.ImageCompressed > 0 {
		image = fmt.Sprintf("%.1f MiB", float64(r.Tekton.ImageCompressed)/mib)
	}
	// What no program can beat here: Tekton's API types alone (start-up,
	// memory, size), the floor's burst throughput against Chains'.
	typesStart, typesRSS, typesSize := "not measured", "not measured", "not measured"
	if s := r.Startup[SideTypes]; s != nil && len(s.Wall) > 0 {
		var rss []float64
		for _, v := range s.RSS {
			rss = append(rss, float64(v)/mib)
		}
		typesStart = fmt.Sprintf("%.1f MiB / %.0f ms", fmedian(rss), fmedian(s.Wall))
		typesRSS = fmt.Sprintf("%.1f MiB before any work", fmedian(rss))
	}
	if r.TypesGzip > 0 {
		typesSize = fmt.Sprintf("%.1f MiB (its binary, gzipped)", float64(r.TypesGzip)/mib)
	}
	p("## Issue #18's targets, this run")
	p("")
	p("The last column is a bound no program reaches past on this machine: for start-up, memory and size, a program that links Tekton's API types and nothing else (test/bench/cmd/typesfloor; chainseal reads runs through them); for the burst, the floor's own throughput against Chains'.")
	p("")
	p("| figure | this run | target | bound |")
	p("|---|---|---|---|")
	p("| `chainseal version`: peak RSS / wall (median of 10) | %s | ≤ 12 MiB / ≤ 5 ms | %s |", version, typesStart)
	p("| one seal (%d TaskRuns, key file, OCI + Rekor): peak RSS | %s | ≤ 24 MiB | %s |", r.Options.Tasks, seal, typesRSS)
	p("| one seal: latency / floor | %s | ≤ 1.10 | 1.00 |", div(fig(WSingle, lat, SideChainseal), fig(WSingle, lat, SideFloor)))
	p("| one seal: latency / Chains | %s | ≤ 1.00 | %s |", div(fig(WSingle, lat, SideChainseal), fig(WSingle, lat, SideChains)), div(fig(WSingle, lat, SideFloor), fig(WSingle, lat, SideChains)))
	p("| %d TaskRuns: latency / Chains | %s | ≤ 1.00 | %s |", r.Options.Wide, div(fig(WWide, lat, SideChainseal), fig(WWide, lat, SideChains)), div(fig(WWide, lat, SideFloor), fig(WWide, lat, SideChains)))
	p("| 1,000 TaskRuns from files (`--dry-run`): CPU and peak memory / Chains' formatter | %s | ≤ 0.5 / ≤ 0.5 | – |", fromFilesTarget(r))
	p("| burst of %d: throughput / Chains | %s | ≥ 4 | %s |", r.Options.Burst, div(fig(WBurst, "throughput", SideChainseal), fig(WBurst, "throughput", SideChains)), div(fig(WBurst, "throughput", SideFloor), fig(WBurst, "throughput", SideChains)))
	p("| image, compressed | %s | ≤ 12 MiB | %s |", image, typesSize)
	if r.Tekton != nil {
		t := r.Tekton
		a, _ := t.stat(t.Chainseal, func(x TektonRun) float64 { return x.VerifiableMs })
		b, _ := t.stat(t.Chains, func(x TektonRun) float64 { return x.VerifiableMs })
		// Tekton scheduling and starting the finally task's pod, before
		// chainseal's process runs at all.
		pod, _ := t.stat(t.Chainseal, func(x TektonRun) float64 { return x.ScheduleMs + x.PodMs })
		p("| on real Tekton: last task → attestation verifiable, chainseal / Chains (median) | %s | (issue: ahead of Chains on every figure) | %s (the finally task's pod start alone) |", div(a, b), div(pod, b))
	}
	p("")
}
