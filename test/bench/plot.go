package main

import (
	"fmt"
	"math"
	"path/filepath"
	"time"
)

var plotSides = []string{SideChainseal, SideChains, SideFloor}

// writePlots draws the PNGs beside README.md and returns their names.
func writePlots(dir string, r *Results) ([]string, error) {
	var names []string
	for _, p := range []struct {
		file, title, figure string
	}{
		{"latency.png", "Latency, completion to attestation retrievable (median)", "latency, median"},
		{"cpu.png", "CPU seconds per workload repetition (median)", "CPU, total"},
		{"memory.png", "Peak resident memory (chainseal and floor: all processes at once)", "memory"},
	} {
		if err := barChart(filepath.Join(dir, p.file), p.title, r, p.figure); err != nil {
			return nil, err
		}
		names = append(names, p.file)
	}
	if wr := find(r, WBurst); wr != nil {
		if err := burstChart(filepath.Join(dir, "burst.png"), wr); err != nil {
			return nil, err
		}
		names = append(names, "burst.png")
	}
	if r.Tekton != nil {
		if err := tektonChart(filepath.Join(dir, "tekton.png"), r.Tekton); err != nil {
			return nil, err
		}
		names = append(names, "tekton.png")
	}
	return names, nil
}

func find(r *Results, name string) *WorkloadResult {
	for _, wr := range r.Workloads {
		if wr.Workload.Name == name {
			return wr
		}
	}
	return nil
}

// pick finds a figure by name; "memory" is the largest RSS a side needs.
func pick(wr *WorkloadResult, name string) (Figure, bool) {
	fs := figures(wr)
	if name == "memory" {
		for _, n := range []string{"peak memory, all processes at once", "peak RSS (one process)", "idle resident memory"} {
			for _, f := range fs {
				if f.Name == n {
					return f, true
				}
			}
		}
	}
	if wr.Workload.Name == WIdle && name == "latency, median" {
		name = "latency of one run among them, median"
	}
	for _, f := range fs {
		if f.Name == name {
			return f, true
		}
	}
	return Figure{}, false
}

// barChart: one panel per workload, each on its own scale, one bar per
// side with its value written beside it.
func barChart(path, title string, r *Results, figure string) error {
	const width, left, barH, gap, panelGap = 900, 230, 18, 4, 22
	type panel struct {
		label string
		f     Figure
	}
	var panels []panel
	for _, wr := range r.Workloads {
		if f, ok := pick(wr, figure); ok {
			panels = append(panels, panel{wr.Workload.Title, f})
		}
	}
	height := 50 + len(panels)*(len(plotSides)*(barH+gap)+panelGap+16) + 30
	c := newCanvas(width, height)
	c.text(10, 22, title, black)
	y := 50
	for _, p := range panels {
		c.text(10, y+10, p.label, black)
		y += 16
		top := 0.0
		for _, s := range plotSides {
			if v := p.f.value(s); !math.IsNaN(v) {
				top = math.Max(top, v)
			}
		}
		for _, s := range plotSides {
			v := p.f.value(s)
			c.text(20, y+barH-5, s, black)
			if math.IsNaN(v) {
				c.text(left, y+barH-5, "not measured", grey)
			} else {
				w := 0
				if top > 0 {
					w = int(v / top * float64(width-left-140))
				}
				c.rect(left, y, left+max(w, 1), y+barH, sideColor[s])
				c.text(left+max(w, 1)+6, y+barH-5, format(v, p.f.Unit), black)
			}
			y += barH + gap
		}
		y += panelGap
	}
	legend(c, 10, height-12)
	return c.save(path)
}

// burstChart: attestations retrievable over time in the first burst.
func burstChart(path string, wr *WorkloadResult) error {
	const width, height, left, bottom, top, right = 900, 480, 60, 50, 40, 30
	c := newCanvas(width, height)
	c.text(10, 22, fmt.Sprintf("Burst: attestations retrievable over time (%d PipelineRuns completing together, first repetition)", wr.Workload.Runs), black)
	var tmax time.Duration
	for _, s := range wr.Sides {
		if len(s.Reps) > 0 && len(s.Reps[0].Done) > 0 {
			tmax = max(tmax, s.Reps[0].Done[len(s.Reps[0].Done)-1])
		}
	}
	if tmax == 0 {
		tmax = time.Second
	}
	n := wr.Workload.Runs
	x := func(d time.Duration) int { return left + int(float64(d)/float64(tmax)*float64(width-left-right)) }
	y := func(k int) int { return height - bottom - int(float64(k)/float64(n)*float64(height-top-bottom)) }
	c.line(left, height-bottom, width-right, height-bottom, black)
	c.line(left, top, left, height-bottom, black)
	for i := 0; i <= 5; i++ {
		d := tmax * time.Duration(i) / 5
		c.text(x(d)-10, height-bottom+16, fmt.Sprintf("%.1fs", d.Seconds()), black)
		k := n * i / 5
		c.text(8, y(k)+4, fmt.Sprintf("%d", k), black)
	}
	c.text(width/2-60, height-12, "seconds since the first completion", black)
	for _, side := range plotSides {
		s := wr.Sides[side]
		if s == nil || len(s.Reps) == 0 {
			continue
		}
		px, py := x(0), y(0)
		for k, d := range s.Reps[0].Done {
			nx, ny := x(d), y(k+1)
			c.line(px, py, nx, py, sideColor[side])
			c.line(nx, py, nx, ny, sideColor[side])
			px, py = nx, ny
		}
	}
	legend(c, width-300, top+10)
	return c.save(path)
}

func legend(c *canvas, x, y int) {
	for _, s := range plotSides {
		c.rect(x, y-9, x+10, y+1, sideColor[s])
		c.text(x+14, y, s, black)
		x += 30 + textWidth(s)
	}
}
