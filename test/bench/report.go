package main

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// writeReport writes README.md: the machine, the versions, one table per
// workload with the ratio chainseal/Chains for every figure, the plots,
// the method, and the hand-written reading in notes.md when there is one.
func writeReport(dir string, r *Results, plots []string) error {
	var w bytes.Buffer
	p := func(format string, a ...any) { fmt.Fprintf(&w, format+"\n", a...) }
	p("# Benchmark: chainseal and the Tekton Chains controller, side by side")
	p("")
	p("Written by `make bench` (test/bench) on %s; the run took %s. Do not edit: rerun it.", r.Date.Format("2006-01-02 15:04 MST"), r.Duration.Round(time.Second))
	p("Every figure comes from the same run, on the same real local stack (kube-apiserver, docker-registry, Rekor on Trillian).")
	p("")
	p("## Machine and versions")
	p("")
	p("| | |")
	p("|---|---|")
	m := r.Machine
	p("| machine | %s, %d cores, %.0f GiB, Linux %s |", m.CPU, m.Cores, m.MemoryGB, m.Kernel)
	p("| load average (1, 5, 15 min) | at start %s; at end %s |", m.LoadStart, m.LoadEnd)
	p("| Go | %s |", m.Go)
	keys := make([]string, 0, len(r.Versions))
	for k := range r.Versions {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		p("| %s | %s |", k, r.Versions[k])
	}
	o := r.Options
	p("| sizes | single: %d runs × %d TaskRuns; burst: %d × %d runs; wide: %d × %d TaskRuns; idle: %d runs for %s |",
		o.SingleReps, o.Tasks, o.BurstReps, o.Burst, o.WideReps, o.Wide, o.Idle, o.IdleWindow)
	p("")
	p("## Results")
	p("")
	p("chainseal/Chains below 1 means chainseal is faster or lighter (above 1 for throughput). The floor is a minimal Go program doing the same API read, one signature, one registry push and one Rekor upload: the limit of this machine. Noise is the spread (max − min) / median over repetitions, chainseal / Chains.")
	p("")
	for _, wr := range r.Workloads {
		p("### %s", wr.Workload.Title)
		p("")
		p("| figure | chainseal | Chains | chainseal/Chains | floor | noise |")
		p("|---|---:|---:|---:|---:|---:|")
		for _, f := range figures(wr) {
			p("| %s | %s | %s | %s | %s | %s |", f.Name, format(f.value(SideChainseal), f.Unit), format(f.value(SideChains), f.Unit),
				ratio(f.Ratio()), format(f.value(SideFloor), f.Unit), noise(f))
		}
		for _, side := range []string{SideChains, SideChainseal, SideFloor} {
			if s := wr.Sides[side]; s != nil {
				for _, n := range notes(s.Notes) {
					p("")
					p("Note (%s): %s", side, n)
				}
			}
		}
		if wr.Workload.Name == WIdle && wr.ClusterRuns > 0 {
			p("")
			p("Chains' informers cache every PipelineRun and TaskRun of the cluster (%d when measured), whatever its --namespace says.", wr.ClusterRuns)
		}
		if s := wr.Sides[SideChains]; s != nil && wr.Workload.Name != WIdle {
			p("")
			p("Chains started in %.1f s (%.2f CPU s, %.0f MiB when ready); that is not counted above.", s.StartSeconds, s.StartCPU, float64(s.ReadyRSS)/mib)
		}
		p("")
	}
	if r.Tekton != nil {
		writeTekton(&w, r.Tekton)
	}
	if f := r.FromFiles; f != nil {
		p("### %d TaskRuns read from files: `chainseal sign --dry-run --from-file` against Chains' formatter", f.TaskRuns)
		p("")
		p("| | wall | CPU | peak RSS |")
		p("|---|---:|---:|---:|")
		for _, side := range []string{SideChainseal, SideChains} {
			s := f.Sides[side]
			var rss []float64
			for _, v := range s.RSS {
				rss = append(rss, float64(v)/mib)
			}
			p("| %s | %.0f ms | %.2f s | %.0f MiB |", map[string]string{SideChainseal: "`chainseal sign --dry-run`", SideChains: "Chains' formatter (test/compat cmd/chainsformat)"}[side], fmedian(s.Wall), fmedian(s.CPU), fmedian(rss))
		}
		p("")
		p("Medians of %d processes each, one at a time; the same YAML files (provenancetest.Big, one object per file); slsa/v2alpha4 with deep inspection on both.", len(f.Sides[SideChainseal].CPU))
		p("")
	}
	writeTargets(&w, r)
	writeStages(&w, r)
	if len(plots) > 0 {
		p("## Plots")
		p("")
		for _, pl := range plots {
			p("![%s](%s)", strings.TrimSuffix(pl, ".png"), pl)
			p("")
		}
	}
	p("## How it was measured")
	p("")
	p(method)
	if notes, err := os.ReadFile(filepath.Join(dir, "notes.md")); err == nil {
		p("")
		w.Write(notes)
	}
	return os.WriteFile(filepath.Join(dir, "README.md"), w.Bytes(), 0o644)
}

func ratio(v float64) string {
	if math.IsNaN(v) {
		return "–"
	}
	if v < 0.01 && v > 0 {
		return fmt.Sprintf("%.4f", v)
	}
	return fmt.Sprintf("%.2f", v)
}

func noise(f Figure) string {
	get := func(side string) float64 {
		if v, ok := f.Noise[side]; ok {
			return v
		}
		return math.NaN()
	}
	a, b := get(SideChainseal), get(SideChains)
	if math.IsNaN(a) && math.IsNaN(b) {
		return "–"
	}
	n := func(v float64) string {
		if math.IsNaN(v) {
			return "–"
		}
		return fmt.Sprintf("%.0f%%", v)
	}
	return n(a) + " / " + n(b)
}

const method = `- **Sides.** Chains: the Tekton Chains controller, built from the Go module proxy (tools/chains mirrors its replace lines), run out of cluster against the stack's kube-apiserver with its Deployment's environment, a chains-config ConfigMap and the key where its Deployment mounts the signing-secrets Secret; one fresh process per workload, watching only the workload's namespace (--namespace). chainseal: ` + "`chainseal sign`" + ` run as its Task runs it, one process per PipelineRun, with the namespace's chainseal ServiceAccount token (tasks/rbac.yaml), config and key read through the API. Floor: test/bench/cmd/floor, one process per PipelineRun.
- **Same output.** Both produce PipelineRun provenance in slsa/v2alpha4 (deep inspection on), signed with the same ECDSA P-256 x509.pem, stored as a cosign .att in the registry and logged in Rekor. TaskRun statements and image signatures are off on both sides.
- **Runs.** No Tekton controller runs: the benchmark writes each PipelineRun and its TaskRuns as Tekton does (object, then status through the status subresource; shapes from pkg/tekton/tektontest), one freshly pushed image per run. Every TaskRun is written finished first; for Chains the benchmark then waits until Chains has marked them all (its work while a pipeline runs: counted in its CPU, not in latency).
- **Latency.** Chains: from the PipelineRun's final status being written (the pipeline's tasks completed) to the attestation being retrievable. chainseal and floor: from the process start (its finally task starting) to the same. Pod scheduling and image pull of the finally task are not included: no kubelet runs here; on a real cluster they add seconds to chainseal's latency. Retrievable = the sha256-<digest>.att tag answers in the registry and Rekor's index returns an entry for the image digest, polled every 20 ms.
- **CPU and memory.** chainseal and floor: getrusage of each process for CPU (user+system); its peak RSS is VmHWM sampled every 10 ms (getrusage's maxrss includes the parent's memory when Go starts a child with vfork); "all processes at once" is the peak, over 10 ms samples, of their anonymous memory summed plus the binary's file pages once (shared page cache, as on a node). Chains: /proc of the controller (CPU during each repetition including its handling of the runs being written, VmHWM for the peak). Idle: Chains' CPU over the window after start-up settled, and its RSS; chainseal runs nothing between pipelines.
- **Burst.** All PipelineRuns complete together (Chains: statuses written 16 at a time; chainseal: all processes started at once on the same two cores). Throughput = runs / (first completion → last attestation retrievable).
- **On real Tekton** (test/e2e BenchmarkTektonVsChains, run first by test/bench/run). The Release Pipeline of the demo (build pushes an image, test checks it) on Tekton v1.15.0's controller (one per namespace) and the stack's node (kubelet, containerd, runc): with chainseal, resolved from its bundle, as the finally task; or without it, with the Chains controller watching its namespace (fenced by RBAC as above). Same chains-config on both sides (listed under the table), a cosign key (scrypt-encrypted, as cosign makes it) in each side's Secret, Rekor on; the sides alternate run by run. Times are when the benchmark's watch of the API delivers a change; chainseal's parts come from its step's log. CPU over each run (created → done, verifiable and, for Chains, the run annotated signed): the pods' cgroup (cpuacct of the node's kubepods, which keeps the CPU of removed pods), kubelet and containerd with the children they reaped (/proc; containerd's shims are not counted), and the Chains controller (/proc). The chainseal pod's memory is its cgroup's: peak (page cache included) and anonymous memory sampled every 100 ms.
- **Noise.** Other engineers run tests on the same machine and stack meanwhile; the load average above says how busy it was. Repetitions and the noise column show the spread.`

// notes drops the running error counts but the last (each rep's note
// repeats the count so far).
func notes(all []string) []string {
	var out []string
	last := -1
	for i, n := range all {
		if strings.Contains(n, "errors about runs in") {
			last = i
			continue
		}
		out = append(out, n)
	}
	if last >= 0 {
		out = append(out, "by the end, "+all[last])
	}
	return out
}
