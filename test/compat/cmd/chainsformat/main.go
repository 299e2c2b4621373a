// Command chainsformat runs Tekton Chains' own formatter (v0.26.0,
// slsa/v2alpha4 with deep inspection, as chainseal's defaults) on a
// PipelineRun and its TaskRuns read from files (YAML or JSON, one object
// each, the PipelineRun first), and prints the statement's size: what
// test/bench compares `chainseal sign --dry-run --from-file` with (Chains
// itself reads runs from its informers; this is its formatter alone).
package main

import (
	"fmt"
	"os"

	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	"sigs.k8s.io/yaml"

	"github.com/chainseal/chainseal/test/compat"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "chainsformat:", err)
		os.Exit(1)
	}
}

func run(files []string) error {
	if len(files) == 0 {
		return fmt.Errorf("usage: chainsformat PIPELINERUN.yaml TASKRUN.yaml...")
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
	fmt.Println(len(st), "bytes of statement")
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
