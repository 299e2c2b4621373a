package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
)

// TektonResults is what test/e2e's BenchmarkTektonVsChains writes (the
// same Pipeline on real Tekton, chainseal as its finally task against the
// Chains controller); test/bench/run passes its file with -tekton, and it
// is kept in results.json. Field names match the benchmark's JSON.
type TektonResults struct {
	Runs               int
	LoadStart, LoadEnd string
	Config             map[string]string
	Chainseal, Chains  []TektonRun
	WarmupChainseal    *TektonRun
	WarmupChains       *TektonRun
	ChainsReadySeconds float64
	ChainsReadyRSS     int64
	ChainsIdleSeconds  float64
	ChainsIdleCPU      float64
	ChainsIdleRSS      int64
	ChainsEndRSS       int64
	ChainsPeakRSS      int64
	ChainsErrors       int
	ClusterRuns        int
	Image              string
	ImageCompressed    int64
}

// TektonRun is one PipelineRun (ms, CPU seconds, bytes).
type TektonRun struct {
	VerifiableMs, WallMs, AfterDoneMs, CosignMs float64
	PodsCPU, NodeCPU, ChainsCPU                 float64
	PodPeak, PodAnon                            int64
	ScheduleMs, PodMs, SealMs, RecordMs         float64
}

func readTekton(path string) (*TektonResults, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var t TektonResults
	if err := json.Unmarshal(b, &t); err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if len(t.Chainseal) == 0 || len(t.Chains) == 0 {
		return nil, fmt.Errorf("%s has no runs", path)
	}
	return &t, nil
}

// stat is the median and p95 (nearest rank) of a figure over runs.
func (t *TektonResults) stat(runs []TektonRun, get func(TektonRun) float64) (med, p95 float64) {
	var v []float64
	for _, r := range runs {
		v = append(v, get(r))
	}
	slices.Sort(v)
	i := int(math.Ceil(0.95*float64(len(v)))) - 1
	return fmedian(v), v[min(max(i, 0), len(v)-1)]
}

// tektonFigures are the rows of the report's real-Tekton table; a nil get
// for a side means the figure has no meaning there.
type tektonFigure struct {
	name, unit       string
	chainseal, chain func(TektonRun) float64
}

var tektonFigures = []tektonFigure{
	{"last pipeline task done → attestation verifiable", "ms",
		func(r TektonRun) float64 { return r.VerifiableMs }, func(r TektonRun) float64 { return r.VerifiableMs }},
	{"… Tekton starting the finally task (schedule + pod start)", "ms",
		func(r TektonRun) float64 { return r.ScheduleMs + r.PodMs }, nil},
	{"… chainseal's process (start → last store)", "ms",
		func(r TektonRun) float64 { return r.SealMs }, nil},
	{"PipelineRun wall time (created → done)", "ms",
		func(r TektonRun) float64 { return r.WallMs }, func(r TektonRun) float64 { return r.WallMs }},
	{"PipelineRun done → attestation verifiable", "ms",
		func(r TektonRun) float64 { return r.AfterDoneMs }, func(r TektonRun) float64 { return r.AfterDoneMs }},
	{"CPU, the run's pods (cgroups)", "s",
		func(r TektonRun) float64 { return r.PodsCPU }, func(r TektonRun) float64 { return r.PodsCPU }},
	{"CPU, kubelet + containerd", "s",
		func(r TektonRun) float64 { return r.NodeCPU }, func(r TektonRun) float64 { return r.NodeCPU }},
	{"CPU, the Chains controller", "s",
		nil, func(r TektonRun) float64 { return r.ChainsCPU }},
	{"CPU, all of the above", "s",
		func(r TektonRun) float64 { return r.PodsCPU + r.NodeCPU }, func(r TektonRun) float64 { return r.PodsCPU + r.NodeCPU + r.ChainsCPU }},
	{"memory: chainseal pod, anonymous (peak of 100 ms samples)", "MiB",
		func(r TektonRun) float64 { return float64(r.PodAnon) / mib }, nil},
	{"memory: chainseal pod, cgroup peak with page cache", "MiB",
		func(r TektonRun) float64 { return float64(r.PodPeak) / mib }, nil},
}

// writeTekton writes the real-Tekton section of README.md.
func writeTekton(w *bytes.Buffer, t *TektonResults) {
	p := func(format string, a ...any) { fmt.Fprintf(w, format+"\n", a...) }
	p("### On real Tekton: the same Pipeline, chainseal as its finally task or the Chains controller")
	p("")
	p("%d PipelineRuns per side, the sides alternating, on Tekton v1.15.0 and the stack's node (kubelet, containerd, runc); load average at start %s, at end %s. Medians, p95 by nearest rank (of 10: the slowest). Details: [finally.md](finally.md).", t.Runs, t.LoadStart, t.LoadEnd)
	p("")
	p("| figure | chainseal median | chainseal p95 | Chains median | Chains p95 | chainseal/Chains (median) |")
	p("|---|---:|---:|---:|---:|---:|")
	cell := func(runs []TektonRun, get func(TektonRun) float64, unit string) (string, string, float64) {
		if get == nil {
			return "–", "–", math.NaN()
		}
		m, q := t.stat(runs, get)
		return format(m, unit), format(q, unit), m
	}
	for _, f := range tektonFigures {
		am, aq, a := cell(t.Chainseal, f.chainseal, f.unit)
		bm, bq, b := cell(t.Chains, f.chain, f.unit)
		rt := "–"
		if !math.IsNaN(a) && !math.IsNaN(b) && b != 0 && a > 0 && b > 0 {
			rt = ratio(a / b)
		}
		p("| %s | %s | %s | %s | %s | %s |", f.name, am, aq, bm, bq, rt)
	}
	p("| memory: Chains controller RSS, ready / after the runs / peak | – | – | %s / %s / %s | – | – |",
		format(float64(t.ChainsReadyRSS)/mib, "MiB"), format(float64(t.ChainsEndRSS)/mib, "MiB"), format(float64(t.ChainsPeakRSS)/mib, "MiB"))
	p("| idle: CPU per minute, resident memory | 0 s, 0 MiB | – | %s, %s | – | 0 |",
		format(t.ChainsIdleCPU*60/math.Max(t.ChainsIdleSeconds, 1), "s"), format(float64(t.ChainsIdleRSS)/mib, "MiB"))
	p("")
	if t.ImageCompressed > 0 {
		p("The finally task's image (%s): %.1f MiB compressed (manifest, config and layers as pulled).", t.Image, float64(t.ImageCompressed)/mib)
		p("")
	}
	if w := t.WarmupChainseal; w != nil {
		p("Not counted: one warm-up run per side before these, where the node pulls the images for the first time; there chainseal's finally task took %.1f s from the last task to verifiable (pod start %.1f s), Chains %.1f s.",
			w.VerifiableMs/1000, w.PodMs/1000, t.WarmupChains.VerifiableMs/1000)
		p("")
	}
	p("Chains' idle cost is measured over %.0f s with no runs, 10 s after it was ready, with %d PipelineRuns and TaskRuns in the cluster (its informers cache them all). Chains' start-up to ready: %.1f s.", t.ChainsIdleSeconds, t.ClusterRuns, t.ChainsReadySeconds)
	p("")
	p("Verifiable: the image's `sha256-<hex>.att` tag answers in the registry (polled every 50 ms) and a `cosign verify-attestation --key --type slsaprovenance1 --rekor-url` started right after that poll passes; the time is the poll's. Chains logged %d errors or warnings. Both sides: %s.",
		t.ChainsErrors, configLine(t.Config))
	p("")
}

func configLine(c map[string]string) string {
	var kv []string
	for k, v := range c {
		kv = append(kv, "`"+k+": "+v+"`")
	}
	slices.Sort(kv)
	return strings.Join(kv, ", ")
}

// tektonChart draws tekton.png: per figure, each side's runs as dots and
// its median as a bar; chainseal's latency bar shows Tekton's part (the
// finally task's schedule and pod start) lighter.
func tektonChart(path string, t *TektonResults) error {
	const width, left, barH, gap, panelGap = 900, 230, 22, 6, 24
	panels := []struct {
		title string
		unit  string
		get   func(TektonRun) float64
		split bool
	}{
		{"last pipeline task → attestation verifiable (s)", "s", func(r TektonRun) float64 { return r.VerifiableMs / 1000 }, true},
		{"PipelineRun wall time (s)", "s", func(r TektonRun) float64 { return r.WallMs / 1000 }, false},
		{"CPU per PipelineRun: pods + kubelet/containerd + controller (s)", "s", func(r TektonRun) float64 { return r.PodsCPU + r.NodeCPU + r.ChainsCPU }, false},
	}
	sides := []struct {
		name string
		runs []TektonRun
	}{{SideChainseal, t.Chainseal}, {SideChains, t.Chains}}
	height := 50 + len(panels)*(2*(barH+gap)+panelGap+16) + 40
	c := newCanvas(width, height)
	c.text(10, 22, fmt.Sprintf("On real Tekton: the same Pipeline, %d runs per side (bar: median; dots: each run)", t.Runs), black)
	y := 50
	light := sideColor[SideChainseal]
	light.R, light.G, light.B = 160, 210, 180
	for _, pn := range panels {
		c.text(10, y+10, pn.title, black)
		y += 16
		top := 0.0
		for _, s := range sides {
			for _, r := range s.runs {
				top = math.Max(top, pn.get(r))
			}
		}
		scale := func(v float64) int {
			if top <= 0 {
				return 0
			}
			return int(v / top * float64(width-left-140))
		}
		for _, s := range sides {
			med, _ := t.stat(s.runs, pn.get)
			c.text(20, y+barH-7, s.name, black)
			w := max(scale(med), 1)
			c.rect(left, y+4, left+w, y+barH-4, sideColor[s.name])
			if pn.split && s.name == SideChainseal {
				tek, _ := t.stat(s.runs, func(r TektonRun) float64 { return (r.ScheduleMs + r.PodMs) / 1000 })
				c.rect(left, y+4, left+min(max(scale(tek), 1), w), y+barH-4, light)
			}
			for _, r := range s.runs {
				x := left + scale(pn.get(r))
				c.rect(x-2, y+barH/2-2, x+2, y+barH/2+2, black)
			}
			c.text(left+scale(top)+10, y+barH-7, format(med, pn.unit), black)
			y += barH + gap
		}
		y += panelGap
	}
	c.rect(10, height-30, 20, height-20, light)
	c.text(24, height-21, "chainseal: Tekton starting the finally task (schedule + pod start), median", black)
	x := 10
	for _, s := range []string{SideChainseal, SideChains} {
		c.rect(x, height-14, x+10, height-4, sideColor[s])
		c.text(x+14, height-5, s, black)
		x += 30 + textWidth(s)
	}
	return c.save(path)
}
