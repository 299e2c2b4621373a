package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"sigs.k8s.io/yaml"

	"github.com/chainseal/chainseal/pkg/provenance/provenancetest"
)

// FromFiles is `chainseal sign --dry-run --from-file` on a 1,000-TaskRun
// pipeline read from YAML files, against Chains' formatter (test/compat's
// cmd/chainsformat: v0.26.0's slsa/v2alpha4, deep inspection) on the same
// files: per process, CPU seconds and peak RSS, Reps times each.
type FromFiles struct {
	TaskRuns int
	Sides    map[string]*Startup // chainseal, chains: Wall, CPU, RSS per rep
}

// fromFiles writes the files (as `kubectl get -o yaml` would, one object
// per file) and measures both programs, one process at a time.
func (b *Bench) fromFiles(ctx context.Context, taskRuns, reps int) (*FromFiles, error) {
	dir := filepath.Join(b.Work, "fromfiles")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	run := provenancetest.Big(taskRuns)
	var files []string
	write := func(name string, obj any) error {
		y, err := yaml.Marshal(obj)
		if err != nil {
			return err
		}
		p := filepath.Join(dir, name+".yaml")
		files = append(files, p)
		return os.WriteFile(p, y, 0o644)
	}
	if err := write(run.PipelineRun.Name, run.PipelineRun); err != nil {
		return nil, err
	}
	for _, tr := range run.TaskRuns {
		if err := write(tr.Name, tr); err != nil {
			return nil, err
		}
	}
	sealArgs := []string{"sign", "--dry-run"}
	for _, f := range files {
		sealArgs = append(sealArgs, "--from-file", f)
	}
	out := &FromFiles{TaskRuns: taskRuns, Sides: map[string]*Startup{}}
	for side, args := range map[string][]string{SideChainseal: append([]string{b.O.Chainseal}, sealArgs...), SideChains: append([]string{b.O.ChainsFormat}, files...)} {
		s := &Startup{}
		for range reps {
			cmd := exec.CommandContext(ctx, args[0], args[1:]...)
			cmd.Env = append(os.Environ(), "HOME="+dir)
			procs, _ := runProcs(ctx, []*exec.Cmd{cmd})
			p := procs[0]
			if p.Err != nil {
				return nil, fmt.Errorf("%s on %d TaskRuns from files: %w\n%s", side, taskRuns, p.Err, tail(p.Out, 2000))
			}
			s.Wall = append(s.Wall, ms(p.End.Sub(p.Start)))
			s.CPU = append(s.CPU, p.CPU)
			s.RSS = append(s.RSS, p.RSS)
		}
		out.Sides[side] = s
	}
	return out, nil
}

// fromFilesTarget is the "CPU and peak memory / Chains' formatter".
func fromFilesTarget(r *Results) string {
	f := r.FromFiles
	if f == nil || f.Sides[SideChainseal] == nil || f.Sides[SideChains] == nil {
		return "not measured"
	}
	a, c := f.Sides[SideChainseal], f.Sides[SideChains]
	rss := func(s *Startup) float64 {
		var v []float64
		for _, x := range s.RSS {
			v = append(v, float64(x))
		}
		return fmedian(v)
	}
	return fmt.Sprintf("%.2f / %.2f (%.2f s, %.0f MiB against %.2f s, %.0f MiB)",
		fmedian(a.CPU)/fmedian(c.CPU), rss(a)/rss(c), fmedian(a.CPU), rss(a)/mib, fmedian(c.CPU), rss(c)/mib)
}
