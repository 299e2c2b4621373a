package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/tektoncd/pipeline/pkg/apis/pipeline"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
)

// prepare pushes one image per run and writes the runs: every TaskRun
// finished, the PipelineRun still running (for chainseal, with its own
// finally TaskRun running).
func (b *Bench) prepare(ctx context.Context, ns string, w Workload, rep int, side string) ([]*Created, error) {
	imgs, err := b.pushImages(ctx, side, w.Runs)
	if err != nil {
		return nil, err
	}
	runs := make([]*Created, w.Runs)
	// A wide run's TaskRuns are written in parallel; many runs, in parallel
	// with each other.
	outer, inner := min(w.Runs, 16), 1
	if w.Runs == 1 {
		inner = 16
	}
	err = parallel(ctx, w.Runs, outer, func(ctx context.Context, i int) error {
		c, err := b.create(ctx, RunSpec{
			Namespace: ns, Name: fmt.Sprintf("%s-%s-%d-%03d", w.Name, side, rep, i), Tasks: w.Tasks,
			Image: imgs[i], Finally: side != SideChains,
		}, inner)
		runs[i] = c
		return err
	})
	return runs, err
}

// waitMarked waits until Chains has handled every TaskRun of the runs
// (marked them chains.tekton.dev/signed), as it does while a pipeline runs,
// so that only the PipelineRun's own signing is timed.
func (b *Bench) waitMarked(ctx context.Context, ns string, runs []*Created, timeout time.Duration) error {
	var names []string
	for _, r := range runs {
		names = append(names, r.Spec.Name)
	}
	left := 0
	err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		left = 0
		for start := 0; start < len(names); start += 50 {
			chunk := names[start:min(start+50, len(names))]
			sel := pipeline.PipelineRunLabelKey + " in (" + strings.Join(chunk, ",") + ")"
			l, err := b.Tekton.TektonV1().TaskRuns(ns).List(ctx, metav1.ListOptions{LabelSelector: sel})
			if err != nil {
				return false, err
			}
			for _, tr := range l.Items {
				if tr.Annotations[chainsSignedAnnotation] != "true" {
					left++
				}
			}
		}
		return left == 0, nil
	})
	if err != nil {
		return fmt.Errorf("Chains left %d TaskRuns in %s unmarked after %s: %w", left, ns, timeout, err)
	}
	return nil
}

func imagesOf(runs []*Created) []Image {
	out := make([]Image, len(runs))
	for i, r := range runs {
		out[i] = r.Spec.Image
	}
	return out
}
