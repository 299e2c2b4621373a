// Command bench measures chainseal against the Tekton Chains controller on
// the real local stack and writes docs/benchmarks (README.md, results.json,
// PNG plots). Run it with test/bench/run (or `make bench`), which builds
// what it needs and passes the flags; see options.go for the sizes.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	o, err := parseOptions(args)
	if err != nil {
		return err
	}
	if o.From != "" {
		return rewrite(o.From, o.Tekton, o.Out)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	b, err := newBench(o)
	if err != nil {
		return err
	}
	if o.Work == "" {
		defer os.RemoveAll(b.Work)
	}
	defer b.cleanup(context.Background())
	slog.Info("bench", "id", b.ID, "work", b.Work)

	r := &Results{Date: time.Now(), Machine: machine(), Versions: parseVersions(o.Versions), Options: o}
	if o.Tekton != "" {
		if r.Tekton, err = readTekton(o.Tekton); err != nil {
			return err
		}
	}
	start := time.Now()
	if r.Startup, err = b.startup(ctx, 10); err != nil {
		return err
	}
	if o.TypesFloor != "" {
		if r.TypesGzip, err = gzipSize(o.TypesFloor); err != nil {
			return err
		}
	}
	if o.ChainsFormat != "" {
		if r.FromFiles, err = b.fromFiles(ctx, 1000, 5); err != nil {
			return err
		}
	}
	for _, w := range o.workloads() {
		wr, err := b.runWorkload(ctx, w)
		if err != nil {
			return err
		}
		r.Workloads = append(r.Workloads, wr)
		if wr.ClusterRuns > 0 {
			r.ClusterRuns = wr.ClusterRuns
		}
	}
	r.Duration = time.Since(start)
	r.Machine.LoadEnd = loadAvg()
	return write(o.Out, r)
}

func write(dir string, r *Results) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	js, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "results.json"), js, 0o644); err != nil {
		return err
	}
	plots, err := writePlots(dir, r)
	if err != nil {
		return fmt.Errorf("drawing the plots: %w", err)
	}
	if err := writeReport(dir, r, plots); err != nil {
		return err
	}
	slog.Info("written", "dir", dir)
	return nil
}

// rewrite writes the report again from an earlier run's results.json
// (with tekton's real-Tekton results instead of its own, when given).
func rewrite(from, tekton, dir string) error {
	js, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	var r Results
	if err := json.Unmarshal(js, &r); err != nil {
		return fmt.Errorf("reading %s: %w", from, err)
	}
	if tekton != "" {
		if r.Tekton, err = readTekton(tekton); err != nil {
			return err
		}
	}
	return write(dir, &r)
}

// parseVersions reads "name=version,name=version".
func parseVersions(s string) map[string]string {
	out := map[string]string{}
	for _, kv := range strings.Split(s, ",") {
		if k, v, ok := strings.Cut(kv, "="); ok {
			out[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return out
}
