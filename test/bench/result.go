package main

import "time"

// Side names.
const (
	SideChains    = "chains"
	SideChainseal = "chainseal"
	SideFloor     = "floor"
	// SideTypes is cmd/typesfloor: Tekton's API types and nothing else,
	// measured only at start-up (a bound, not a competitor).
	SideTypes = "tekton types"
)

// Workload names.
const (
	WSingle = "single"
	WBurst  = "burst"
	WWide   = "wide"
	WIdle   = "idle"
)

// Workload is one shape of work, repeated Reps times.
type Workload struct {
	Name  string
	Title string
	Runs  int // PipelineRuns completing together in one rep
	Tasks int // TaskRuns per PipelineRun
	Reps  int
}

// Rep is one repetition of a workload on one side.
type Rep struct {
	// Latencies: per PipelineRun, from its completion (Chains) or the start
	// of its finally task (chainseal, floor) to its attestation being
	// retrievable from the registry and from Rekor.
	Latencies []time.Duration
	// Span: from the first completion to the last attestation retrievable.
	Span time.Duration
	// CPU seconds: the controller's during the rep (including its work on
	// the TaskRuns as they finished), or the sum over the processes.
	CPU float64
	// Peak RSS in bytes: the controller's (high-water mark so far), or the
	// largest single process.
	PeakRSS int64
	// PeakSumRSS: the largest sum of RSS over the processes alive at once.
	PeakSumRSS int64
	// ProcCPU and ProcRSS: per process (chainseal, floor).
	ProcCPU []float64
	ProcRSS []int64
	// Timeline: attestations retrievable over time (burst plot).
	Done []time.Duration
	// Chains only: from the first run written to every TaskRun marked
	// (Chains' own work while pipelines run, before they complete).
	MarkSeconds float64
	TaskRuns    int
	// Stages: chainseal's own log, milliseconds per stage, one map per process.
	Stages []map[string]float64
}

// SideResult is one side of one workload.
type SideResult struct {
	Side string
	Reps []Rep
	// Controller only: start-up to ready, and its cost.
	StartSeconds float64
	StartCPU     float64
	ReadyRSS     int64
	// Idle only: CPU seconds over the window and RSS at its end.
	IdleCPU     float64
	IdleRSS     int64
	IdleSeconds float64
	// Setup: seconds the benchmark took to write the runs, for the record.
	SetupSeconds float64
	Notes        []string
}

// WorkloadResult is every side of one workload.
type WorkloadResult struct {
	Workload Workload
	Sides    map[string]*SideResult
	// ClusterRuns (idle): PipelineRuns and TaskRuns in the whole cluster.
	ClusterRuns int
	// Tekton: the same Pipeline on real Tekton, chainseal as its finally
	// task against the Chains controller (test/e2e BenchmarkTektonVsChains).
	Tekton *TektonResults `json:",omitempty"`
	// FromFiles: 1,000 TaskRuns from files, chainseal --dry-run against
	// Chains' formatter.
	FromFiles *FromFiles `json:",omitempty"`
}

// Results is the whole run, as written to results.json.
type Results struct {
	Date      time.Time
	Machine   Machine
	Versions  map[string]string
	Options   Options
	Workloads []*WorkloadResult
	Startup   map[string]*Startup
	Duration  time.Duration
	// Cluster: PipelineRuns and TaskRuns in the whole cluster when idle was
	// measured (Chains caches every one of them).
	ClusterRuns int
	// Tekton: the same Pipeline on real Tekton, chainseal as its finally
	// task against the Chains controller (test/e2e BenchmarkTektonVsChains).
	Tekton *TektonResults `json:",omitempty"`
	// FromFiles: 1,000 TaskRuns from files, chainseal --dry-run against
	// Chains' formatter.
	FromFiles *FromFiles `json:",omitempty"`
	// TypesGzip: cmd/typesfloor's binary, gzipped as an image layer is.
	TypesGzip int64 `json:",omitempty"`
}
