package main

import (
	"context"
	"fmt"
	"time"

	"github.com/tektoncd/pipeline/pkg/apis/pipeline"
	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/chainseal/chainseal/internal/stacktest"
	"github.com/chainseal/chainseal/pkg/tekton/tektontest"
)

// RunSpec is one PipelineRun to write: a build task that pushed Image,
// Tasks-1 other tasks, and (Finally) chainseal's own TaskRun, running.
type RunSpec struct {
	Namespace string
	Name      string
	Tasks     int
	Image     Image
	Finally   bool
	// Signed marks the run as Chains leaves it once done: its annotation
	// and finalizers (the idle workload: a cluster in its steady state).
	Signed bool
	// Done completes the PipelineRun at once (idle); otherwise it is left
	// running and completed later by Complete.
	Done bool
}

// Created is a PipelineRun on the API server.
type Created struct {
	Spec RunSpec
	PR   *v1.PipelineRun
}

// OwnTaskRun is chainseal's TaskRun in the run (the finally task).
func (c *Created) OwnTaskRun() string { return c.Spec.Name + "-chainseal" }

const (
	chainsSignedAnnotation = "chains.tekton.dev/signed"
	chainsPRFinalizer      = "chains.tekton.dev/pipelinerun"
	chainsTRFinalizer      = "chains.tekton.dev/taskrun"
)

// build makes the PipelineRun and its TaskRuns in memory, shaped as Tekton
// writes them (pkg/tekton/tektontest).
func (s RunSpec) build() *tektontest.Run {
	r := tektontest.NewRun(s.Namespace, s.Name)
	r.Add(tektontest.Task{Name: "build", Steps: []string{"build", "push"},
		Params:  []string{"revision", "main"},
		Results: []string{"IMAGE_URL", s.Image.Repo, "IMAGE_DIGEST", s.Image.Digest}})
	for i := 1; i < s.Tasks; i++ {
		r.Add(tektontest.Task{Name: fmt.Sprintf("task-%04d", i), Steps: []string{"run"}})
	}
	if s.Finally {
		r.Add(tektontest.Task{Name: "chainseal", Finally: true, Running: true})
	}
	if s.Done {
		r.Complete()
	}
	return r
}

// create writes the run through the API as Tekton's controller does: the
// object, then its status through the status subresource.
func (b *Bench) create(ctx context.Context, s RunSpec, width int) (*Created, error) {
	r := s.build()
	pr := r.PipelineRun.DeepCopy()
	status := pr.Status
	scrub(&pr.ObjectMeta)
	pr.Spec.ManagedBy = &handWritten
	if s.Signed {
		pr.Annotations = map[string]string{chainsSignedAnnotation: "true"}
		pr.Finalizers = []string{chainsPRFinalizer}
	}
	made, err := b.Tekton.TektonV1().PipelineRuns(s.Namespace).Create(ctx, pr, metav1.CreateOptions{})
	if err != nil {
		return nil, fmt.Errorf("creating PipelineRun %s/%s: %w", s.Namespace, s.Name, err)
	}
	if made, err = b.prStatus(ctx, made, status); err != nil {
		return nil, err
	}
	err = parallel(ctx, len(r.TaskRuns), width, func(ctx context.Context, i int) error {
		return b.createTaskRun(ctx, r.TaskRuns[i].DeepCopy(), made, s.Signed)
	})
	if err != nil {
		return nil, err
	}
	return &Created{Spec: s, PR: made}, nil
}

// handWritten is the managedBy of runs whose status the benchmark writes:
// the stack's Tekton controller leaves them alone.
var handWritten = stacktest.HandWritten

func (b *Bench) createTaskRun(ctx context.Context, tr *v1.TaskRun, pr *v1.PipelineRun, signed bool) error {
	status := tr.Status
	scrub(&tr.ObjectMeta)
	tr.Spec.ManagedBy = &handWritten
	tr.OwnerReferences[0].UID = pr.UID
	tr.Labels[pipeline.PipelineRunUIDLabelKey] = string(pr.UID)
	if signed {
		tr.Annotations = map[string]string{chainsSignedAnnotation: "true"}
		tr.Finalizers = []string{chainsTRFinalizer}
	}
	made, err := b.Tekton.TektonV1().TaskRuns(tr.Namespace).Create(ctx, tr, metav1.CreateOptions{})
	if err != nil {
		return fmt.Errorf("creating TaskRun %s/%s: %w", tr.Namespace, tr.Name, err)
	}
	for {
		made.Status = status
		_, err := b.Tekton.TektonV1().TaskRuns(tr.Namespace).UpdateStatus(ctx, made, metav1.UpdateOptions{})
		if err == nil {
			return nil
		}
		// Chains adds its finalizer meanwhile: a conflict; read and retry.
		if !apierrors.IsConflict(err) || ctx.Err() != nil {
			return fmt.Errorf("writing TaskRun %s/%s status: %w", tr.Namespace, tr.Name, err)
		}
		if made, err = b.Tekton.TektonV1().TaskRuns(tr.Namespace).Get(ctx, tr.Name, metav1.GetOptions{}); err != nil {
			return fmt.Errorf("reading TaskRun %s/%s: %w", tr.Namespace, tr.Name, err)
		}
	}
}

// prStatus writes a PipelineRun's status, retrying on conflicts.
func (b *Bench) prStatus(ctx context.Context, pr *v1.PipelineRun, status v1.PipelineRunStatus) (*v1.PipelineRun, error) {
	for {
		pr.Status = status
		made, err := b.Tekton.TektonV1().PipelineRuns(pr.Namespace).UpdateStatus(ctx, pr, metav1.UpdateOptions{})
		if err == nil {
			return made, nil
		}
		// Chains adds its finalizer meanwhile: a conflict; read and retry.
		if !apierrors.IsConflict(err) || ctx.Err() != nil {
			return nil, fmt.Errorf("writing PipelineRun %s/%s status: %w", pr.Namespace, pr.Name, err)
		}
		if pr, err = b.Tekton.TektonV1().PipelineRuns(pr.Namespace).Get(ctx, pr.Name, metav1.GetOptions{}); err != nil {
			return nil, fmt.Errorf("reading PipelineRun %s/%s: %w", pr.Namespace, pr.Name, err)
		}
	}
}

// scrub drops what the API server assigns.
func scrub(m *metav1.ObjectMeta) {
	m.UID, m.ResourceVersion, m.CreationTimestamp = "", "", metav1.Time{}
}

// Complete writes the PipelineRun's final status, as Tekton does when its
// last task is done: for Chains, the moment the pipeline's tasks completed.
func (b *Bench) Complete(ctx context.Context, c *Created) error {
	latest, err := b.Tekton.TektonV1().PipelineRuns(c.PR.Namespace).Get(ctx, c.PR.Name, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("reading PipelineRun %s/%s: %w", c.PR.Namespace, c.PR.Name, err)
	}
	st := *latest.Status.DeepCopy()
	now := metav1.NewTime(time.Now())
	st.CompletionTime = &now
	st.Conditions[0].Status = corev1.ConditionTrue
	st.Conditions[0].Reason = "Succeeded"
	st.Conditions[0].Message = "Tasks Completed: all (Failed: 0, Cancelled 0), Skipped: 0"
	_, err = b.prStatus(ctx, latest, st)
	return err
}
