package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/chainseal/chainseal/internal/stacktest"
	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	tektonclient "github.com/tektoncd/pipeline/pkg/client/clientset/versioned"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"knative.dev/pkg/apis"
	duckv1 "knative.dev/pkg/apis/duck/v1"
)

// Build is a PipelineRun as Tekton leaves it while its finally task
// (chainseal) runs: a build task that pushed an image has succeeded, and
// chainseal's own TaskRun is running.
type Build struct {
	Namespace    string
	Name         string
	UID          types.UID
	Image        string // repository, as the build's IMAGE_URL result
	Digest       string // sha256:hex, as its IMAGE_DIGEST result
	OwnTaskRun   string
	BuildTaskRun string
}

const (
	builderImage = "cgr.dev/chainguard/go@sha256:4ac5c3c4c1a6e3e3e1a1e8d8f8e6b6b0c5d3e9f1b2a4c6d8e0f2a4b6c8d0e2f4"
	gitURL       = "https://github.com/chainseal/example-app"
	gitCommit    = "9f1c2b3a4d5e6f708192a3b4c5d6e7f801234567"
)

// CreateBuild writes the PipelineRun and its TaskRuns with the status Tekton
// would write (through the status subresource, as Tekton's controller does).
func CreateBuild(ctx context.Context, tk tektonclient.Interface, ns, name, image, digest string) (*Build, error) {
	now := time.Now().UTC().Truncate(time.Second)
	started := metav1.NewTime(now.Add(-2 * time.Minute))
	built := metav1.NewTime(now.Add(-30 * time.Second))
	buildSpec := pipelinev1.TaskSpec{
		Params: pipelinev1.ParamSpecs{{Name: "git-url", Type: pipelinev1.ParamTypeString}, {Name: "git-commit", Type: pipelinev1.ParamTypeString}},
		Results: []pipelinev1.TaskResult{{Name: "IMAGE_URL", Type: pipelinev1.ResultsTypeString}, {Name: "IMAGE_DIGEST", Type: pipelinev1.ResultsTypeString},
			{Name: "CHAINS-GIT_URL", Type: pipelinev1.ResultsTypeString}, {Name: "CHAINS-GIT_COMMIT", Type: pipelinev1.ResultsTypeString}},
		Steps: []pipelinev1.Step{{Name: "build-and-push", Image: "cgr.dev/chainguard/go", Script: "ko build ."}},
	}
	sealSpec := pipelinev1.TaskSpec{Steps: []pipelinev1.Step{{Name: "sign", Image: "ko://github.com/chainseal/chainseal/cmd/chainseal"}}}
	params := pipelinev1.Params{
		{Name: "git-url", Value: *pipelinev1.NewStructuredValues(gitURL)},
		{Name: "git-commit", Value: *pipelinev1.NewStructuredValues(gitCommit)},
	}
	spec := pipelinev1.PipelineSpec{
		Tasks:   []pipelinev1.PipelineTask{{Name: "build", TaskSpec: &pipelinev1.EmbeddedTask{TaskSpec: buildSpec}, Params: pipelinev1.Params{{Name: "git-url", Value: *pipelinev1.NewStructuredValues("$(params.git-url)")}, {Name: "git-commit", Value: *pipelinev1.NewStructuredValues("$(params.git-commit)")}}}},
		Finally: []pipelinev1.PipelineTask{{Name: "chainseal", TaskSpec: &pipelinev1.EmbeddedTask{TaskSpec: sealSpec}}},
		Params:  pipelinev1.ParamSpecs{{Name: "git-url", Type: pipelinev1.ParamTypeString}, {Name: "git-commit", Type: pipelinev1.ParamTypeString}},
	}
	pr, err := tk.TektonV1().PipelineRuns(ns).Create(ctx, &pipelinev1.PipelineRun{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec:       pipelinev1.PipelineRunSpec{PipelineSpec: &spec, Params: params, ManagedBy: ptr(stacktest.HandWritten)},
	}, metav1.CreateOptions{})
	if err != nil {
		return nil, fmt.Errorf("creating PipelineRun %s/%s: %w", ns, name, err)
	}
	b := &Build{Namespace: ns, Name: name, UID: pr.UID, Image: image, Digest: digest,
		BuildTaskRun: name + "-build", OwnTaskRun: name + "-chainseal"}
	owner := []metav1.OwnerReference{{APIVersion: "tekton.dev/v1", Kind: "PipelineRun", Name: name, UID: pr.UID,
		Controller: ptr(true), BlockOwnerDeletion: ptr(true)}}
	labels := func(task string) map[string]string {
		return map[string]string{"tekton.dev/pipelineRun": name, "tekton.dev/pipelineTask": task, "tekton.dev/pipelineRunUID": string(pr.UID)}
	}

	buildTR, err := tk.TektonV1().TaskRuns(ns).Create(ctx, &pipelinev1.TaskRun{
		ObjectMeta: metav1.ObjectMeta{Name: b.BuildTaskRun, Namespace: ns, Labels: labels("build"), OwnerReferences: owner},
		Spec:       pipelinev1.TaskRunSpec{TaskSpec: &buildSpec, Params: params, ManagedBy: ptr(stacktest.HandWritten)},
	}, metav1.CreateOptions{})
	if err != nil {
		return nil, fmt.Errorf("creating TaskRun %s: %w", b.BuildTaskRun, err)
	}
	buildTR.Status = pipelinev1.TaskRunStatus{
		Status: succeeded(corev1.ConditionTrue, "Succeeded"),
		TaskRunStatusFields: pipelinev1.TaskRunStatusFields{
			PodName: b.BuildTaskRun + "-pod", StartTime: &started, CompletionTime: &built,
			Steps: []pipelinev1.StepState{{Name: "build-and-push", Container: "step-build-and-push", ImageID: builderImage,
				ContainerState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 0, Reason: "Completed"}}}},
			Results: []pipelinev1.TaskRunResult{
				{Name: "IMAGE_URL", Type: pipelinev1.ResultsTypeString, Value: *pipelinev1.NewStructuredValues(image + "\n")},
				{Name: "IMAGE_DIGEST", Type: pipelinev1.ResultsTypeString, Value: *pipelinev1.NewStructuredValues(digest)},
				{Name: "CHAINS-GIT_URL", Type: pipelinev1.ResultsTypeString, Value: *pipelinev1.NewStructuredValues(gitURL)},
				{Name: "CHAINS-GIT_COMMIT", Type: pipelinev1.ResultsTypeString, Value: *pipelinev1.NewStructuredValues(gitCommit)},
			},
			TaskSpec: &buildSpec,
		},
	}
	if _, err := tk.TektonV1().TaskRuns(ns).UpdateStatus(ctx, buildTR, metav1.UpdateOptions{}); err != nil {
		return nil, fmt.Errorf("writing TaskRun %s status: %w", b.BuildTaskRun, err)
	}

	ownTR, err := tk.TektonV1().TaskRuns(ns).Create(ctx, &pipelinev1.TaskRun{
		ObjectMeta: metav1.ObjectMeta{Name: b.OwnTaskRun, Namespace: ns, Labels: labels("chainseal"), OwnerReferences: owner},
		Spec:       pipelinev1.TaskRunSpec{TaskSpec: &sealSpec, ManagedBy: ptr(stacktest.HandWritten)},
	}, metav1.CreateOptions{})
	if err != nil {
		return nil, fmt.Errorf("creating TaskRun %s: %w", b.OwnTaskRun, err)
	}
	ownTR.Status = pipelinev1.TaskRunStatus{
		Status:              succeeded(corev1.ConditionUnknown, "Running"),
		TaskRunStatusFields: pipelinev1.TaskRunStatusFields{PodName: b.OwnTaskRun + "-pod", StartTime: &built, TaskSpec: &sealSpec},
	}
	if _, err := tk.TektonV1().TaskRuns(ns).UpdateStatus(ctx, ownTR, metav1.UpdateOptions{}); err != nil {
		return nil, fmt.Errorf("writing TaskRun %s status: %w", b.OwnTaskRun, err)
	}

	pr.Status = pipelinev1.PipelineRunStatus{
		Status: succeeded(corev1.ConditionUnknown, "Running"),
		PipelineRunStatusFields: pipelinev1.PipelineRunStatusFields{
			StartTime:    &started,
			PipelineSpec: &spec,
			ChildReferences: []pipelinev1.ChildStatusReference{
				{TypeMeta: runtimeTaskRun(), Name: b.BuildTaskRun, PipelineTaskName: "build"},
				{TypeMeta: runtimeTaskRun(), Name: b.OwnTaskRun, PipelineTaskName: "chainseal"},
			},
		},
	}
	if _, err := tk.TektonV1().PipelineRuns(ns).UpdateStatus(ctx, pr, metav1.UpdateOptions{}); err != nil {
		return nil, fmt.Errorf("writing PipelineRun %s status: %w", name, err)
	}
	return b, nil
}

func succeeded(s corev1.ConditionStatus, reason string) duckv1.Status {
	return duckv1.Status{Conditions: duckv1.Conditions{{Type: apis.ConditionSucceeded, Status: s, Reason: reason,
		LastTransitionTime: apis.VolatileTime{Inner: metav1.Now()}}}}
}

func runtimeTaskRun() runtime.TypeMeta {
	return runtime.TypeMeta{APIVersion: "tekton.dev/v1", Kind: "TaskRun"}
}

func ptr[T any](v T) *T { return &v }
