// Command chainsformat runs Tekton Chains' own formatters (v0.28.1).
//
// With files only, it runs slsa/v2alpha4 with deep inspection (chainseal's
// defaults) on a PipelineRun and its TaskRuns read from files (YAML or
// JSON, one object each, the PipelineRun first), and prints the
// statement's size: what test/bench compares `chainseal sign --dry-run
// --from-file` with (Chains itself reads runs from its informers; this is
// its formatter alone).
//
// With -compare-taskrun, it compares the statement chainseal made for a
// TaskRun (a file holding the payload) with Chains' for the same TaskRun
// (the file argument, as `kubectl get taskrun -o yaml` prints it), field
// by field with the compat suite's comparison and accepted differences
// (TaskRunAccepted, matched against -case), prints every difference, and
// exits 1 if one is not accepted: what test/e2e's acceptance test of
// `chainseal migrate` runs on a TaskRun sealed by a real Tekton run.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	"sigs.k8s.io/yaml"

	"github.com/chainseal/chainseal/test/compat"
)

func main() {
	err := run(os.Args[1:], os.Stdout)
	if err == errUnaccepted {
		os.Exit(1)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "chainsformat:", err)
		os.Exit(2)
	}
}

var errUnaccepted = fmt.Errorf("differences not accepted")

func run(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("chainsformat", flag.ContinueOnError)
	compare := fs.String("compare-taskrun", "", "chainseal's statement (JSON) for the TaskRun given as the argument")
	format := fs.String("format", compat.ChainsSLSA02, "with -compare-taskrun: the chains-config format (slsa/v1, slsa/v2alpha3, slsa/v2alpha4)")
	builderID := fs.String("builder-id", "https://tekton.dev/chains/v2", "with -compare-taskrun: builder.id (Chains' default)")
	caseName := fs.String("case", "", "with -compare-taskrun: the case name accepted differences are matched against, <fixture>[-slsa02|-v2alpha3]/<pipeline task>")
	if err := fs.Parse(args); err != nil {
		return err
	}
	files := fs.Args()
	if *compare != "" {
		if len(files) != 1 || *caseName == "" {
			return fmt.Errorf("usage: chainsformat -compare-taskrun STATEMENT.json -case NAME [-format F] [-builder-id ID] TASKRUN.yaml")
		}
		return compareTaskRun(out, *compare, files[0], *caseName, compat.Options{Format: *format, BuilderID: *builderID})
	}
	if len(files) == 0 {
		return fmt.Errorf("usage: chainsformat PIPELINERUN.yaml TASKRUN.yaml... | chainsformat -compare-taskrun STATEMENT.json -case NAME TASKRUN.yaml")
	}
	var pr v1.PipelineRun
	if err := read(files[0], &pr); err != nil {
		return err
	}
	var trs []*v1.TaskRun
	for _, f := range files[1:] {
		tr := &v1.TaskRun{}
		if err := read(f, tr); err != nil {
			return err
		}
		trs = append(trs, tr)
	}
	st, err := compat.ChainsPipelineRun(&pr, trs, compat.Options{Format: compat.ChainsSLSA1, DeepInspection: true})
	if err != nil {
		return err
	}
	fmt.Fprintln(out, len(st), "bytes of statement")
	return nil
}

func compareTaskRun(out io.Writer, statement, taskRun, caseName string, o compat.Options) error {
	ours, err := os.ReadFile(statement)
	if err != nil {
		return err
	}
	tr := &v1.TaskRun{}
	if err := read(taskRun, tr); err != nil {
		return err
	}
	diffs, unaccepted, err := compat.CompareTaskRun(caseName, tr, o, ours)
	if err != nil {
		return err
	}
	for _, d := range diffs {
		if d.Reason == "" {
			fmt.Fprintf(out, "NEW: %s\n", d.Diff)
		} else {
			fmt.Fprintf(out, "accepted (%s): %s\n", d.Reason, d.Diff)
		}
	}
	fmt.Fprintf(out, "%d differences from Chains %s, %d not accepted\n", len(diffs), o.Format, unaccepted)
	if unaccepted > 0 {
		return errUnaccepted
	}
	return nil
}

func read(path string, obj any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := yaml.Unmarshal(b, obj); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
