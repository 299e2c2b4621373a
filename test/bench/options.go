package main

import (
	"flag"
	"fmt"
	"time"
)

// Options are the benchmark's knobs: the workloads' sizes and where things
// are. The defaults are the full run that docs/benchmarks/README.md reports;
// -quick is a small run for development.
type Options struct {
	Chainseal string // the chainseal binary
	Floor     string // the floor binary (cmd/floor)
	// TypesFloor: cmd/typesfloor, Tekton's API types alone (optional).
	TypesFloor string
	Chains     string // the Tekton Chains controller binary
	// ChainsFormat: Chains' formatter on files (test/compat's cmd/chainsformat)
	ChainsFormat string
	RBAC         string // tasks/rbac.yaml
	Out          string // docs/benchmarks
	Work         string // scratch directory ("" = a temp dir)
	Versions     string // name=version,... for the report
	From         string // results.json to write the report from, measuring nothing
	Tekton       string // BenchmarkTektonVsChains' JSON (test/e2e), for the real-Tekton section

	Tasks      int           // TaskRuns per PipelineRun (workloads single and burst)
	SingleReps int           // sequential single runs
	Burst      int           // PipelineRuns completing together
	BurstReps  int           // bursts
	Wide       int           // TaskRuns of the wide PipelineRun
	WideReps   int           // wide runs
	Idle       int           // completed PipelineRuns present while idle
	IdleWindow time.Duration // how long idle is measured
	Timeout    time.Duration // per run: from completion to retrievable

	Only  string // comma list of workloads to run (default all)
	Sides string // comma list of sides (default chains,chainseal,floor)
	Quick bool
	Keep  bool // keep namespaces (to look at a failure)
}

func parseOptions(args []string) (Options, error) {
	var o Options
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.StringVar(&o.Chainseal, "chainseal", "", "chainseal binary (required)")
	fs.StringVar(&o.Floor, "floor", "", "floor binary, built from ./cmd/floor (required)")
	fs.StringVar(&o.TypesFloor, "types-floor", "", "cmd/typesfloor (Tekton's API types alone), measured at start-up as a bound on chainseal's; optional")
	fs.StringVar(&o.Chains, "chains", "", "Tekton Chains controller binary (required)")
	fs.StringVar(&o.ChainsFormat, "chains-format", "", "Chains' formatter on files (test/compat's cmd/chainsformat); without it, the from-files figure is not measured")
	fs.StringVar(&o.RBAC, "rbac", "", "chainseal's tasks/rbac.yaml (required)")
	fs.StringVar(&o.Out, "out", "", "output directory for README.md, results.json and the plots (required)")
	fs.StringVar(&o.Work, "work", "", "scratch directory (default: a new temp dir, removed at the end)")
	fs.StringVar(&o.From, "from", "", "write README.md and the plots from this results.json of an earlier run, measuring nothing")
	fs.StringVar(&o.Tekton, "tekton", "", "the JSON test/e2e's BenchmarkTektonVsChains wrote (TEKTON_BENCH_OUT), reported as the real-Tekton section")
	fs.StringVar(&o.Versions, "versions", "", "name=version,... of what was measured, for the report")
	fs.IntVar(&o.Tasks, "tasks", 10, "TaskRuns per PipelineRun in the single and burst workloads")
	fs.IntVar(&o.SingleReps, "single-reps", 10, "single PipelineRuns, one after the other")
	fs.IntVar(&o.Burst, "burst", 100, "PipelineRuns completing together in a burst")
	fs.IntVar(&o.BurstReps, "burst-reps", 2, "bursts")
	fs.IntVar(&o.Wide, "wide", 1000, "TaskRuns of the wide PipelineRun")
	fs.IntVar(&o.WideReps, "wide-reps", 2, "wide PipelineRuns, one after the other")
	fs.IntVar(&o.Idle, "idle", 5000, "completed PipelineRuns present while idle")
	fs.DurationVar(&o.IdleWindow, "idle-window", time.Minute, "how long idle CPU is measured")
	fs.DurationVar(&o.Timeout, "timeout", 10*time.Minute, "limit from a run's completion to its attestation being retrievable")
	fs.StringVar(&o.Only, "only", "", "comma list of workloads: single,burst,wide,idle (default: all)")
	fs.StringVar(&o.Sides, "sides", "chains,chainseal,floor", "comma list of sides: chains,chainseal,floor")
	fs.BoolVar(&o.Quick, "quick", false, "small sizes for development: 3 single, a burst of 10, 100 TaskRuns, 200 idle runs for 10s")
	fs.BoolVar(&o.Keep, "keep", false, "keep the namespaces the run creates")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if o.Quick {
		o.SingleReps, o.Burst, o.BurstReps, o.Wide, o.WideReps, o.Idle, o.IdleWindow = 3, 10, 1, 100, 1, 200, 10*time.Second
	}
	required := map[string]string{"-out": o.Out}
	if o.From == "" {
		required["-chainseal"], required["-floor"], required["-chains"], required["-rbac"] = o.Chainseal, o.Floor, o.Chains, o.RBAC
	}
	for name, v := range required {
		if v == "" {
			return o, fmt.Errorf("%s is required (test/bench/run passes it)", name)
		}
	}
	for name, v := range map[string]int{"-tasks": o.Tasks, "-single-reps": o.SingleReps, "-burst": o.Burst, "-burst-reps": o.BurstReps, "-wide": o.Wide, "-wide-reps": o.WideReps, "-idle": o.Idle} {
		if v < 1 {
			return o, fmt.Errorf("%s must be at least 1, got %d", name, v)
		}
	}
	return o, nil
}
