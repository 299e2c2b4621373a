// Command inclusterprobe is the finally task of TestTektonPipelineRunOnNode:
// in a pod on the stack's node it reads its PipelineRun and that run's
// TaskRuns through the API with rest.InClusterConfig (the pod's
// ServiceAccount token and kube-root-ca.crt, the kubernetes Service's
// address), as chainseal's finally task does, and writes what it read as
// Tekton results.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	tektonclient "github.com/tektoncd/pipeline/pkg/client/clientset/versioned"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
)

func main() {
	ns := flag.String("namespace", "", "the PipelineRun's namespace")
	name := flag.String("pipelinerun", "", "the PipelineRun's name")
	task := flag.String("task", "", "the pipeline task whose result to read")
	result := flag.String("result", "", "that task's result")
	out := flag.String("results", "/tekton/results", "where to write results")
	flag.Parse()
	if err := run(*ns, *name, *task, *result, *out); err != nil {
		fmt.Fprintln(os.Stderr, "inclusterprobe:", err)
		os.Exit(1)
	}
}

func run(ns, name, task, result, out string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cfg, err := rest.InClusterConfig()
	if err != nil {
		return fmt.Errorf("in-cluster config: %w", err)
	}
	c, err := tektonclient.NewForConfig(cfg)
	if err != nil {
		return err
	}
	pr, err := c.TektonV1().PipelineRuns(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("reading PipelineRun %s/%s: %w", ns, name, err)
	}
	trs, err := c.TektonV1().TaskRuns(ns).List(ctx, metav1.ListOptions{LabelSelector: "tekton.dev/pipelineRun=" + name})
	if err != nil {
		return fmt.Errorf("listing the TaskRuns of %s/%s: %w", ns, name, err)
	}
	value := ""
	for _, tr := range trs.Items {
		if tr.Labels["tekton.dev/pipelineTask"] != task {
			continue
		}
		for _, r := range tr.Status.Results {
			if r.Name == result {
				value = r.Value.StringVal
			}
		}
	}
	if value == "" {
		return fmt.Errorf("no result %s of task %s among %d TaskRuns of %s/%s", result, task, len(trs.Items), ns, name)
	}
	for k, v := range map[string]string{"pipelinerun-uid": string(pr.UID), "task-result": value, "api-host": cfg.Host} {
		if err := os.WriteFile(filepath.Join(out, k), []byte(v), 0o644); err != nil {
			return err
		}
	}
	return nil
}
