// Package tektontest builds PipelineRuns and TaskRuns shaped like what
// Tekton Pipelines v1.15 writes (labels, owner references,
// status.childReferences, status.provenance, steps[].imageID, taskSpec in
// status), with Tekton's own Go types, for tests. Times and UIDs are fixed
// so that outputs are deterministic.
package tektontest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/tektoncd/pipeline/pkg/apis/config"
	"github.com/tektoncd/pipeline/pkg/apis/pipeline"
	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"knative.dev/pkg/apis"
	duckv1 "knative.dev/pkg/apis/duck/v1"
)

// Start is when every built PipelineRun starts.
var Start = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

// Digest returns a stable sha256 hex digest of s.
func Digest(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// Run is a PipelineRun under construction and its TaskRuns.
type Run struct {
	PipelineRun *v1.PipelineRun
	TaskRuns    []*v1.TaskRun
	clock       time.Time
}

// NewRun starts a running PipelineRun namespace/name with a stable UID, an
// embedded pipeline spec, and the feature flags Tekton records.
func NewRun(namespace, name string) *Run {
	uid := types.UID(uidOf(namespace + "/" + name))
	pr := &v1.PipelineRun{
		TypeMeta: metav1.TypeMeta{APIVersion: "tekton.dev/v1", Kind: "PipelineRun"},
		ObjectMeta: metav1.ObjectMeta{
			Name: name, Namespace: namespace, UID: uid,
			ResourceVersion:   "4711",
			CreationTimestamp: metav1.NewTime(Start.Add(-time.Second)),
			Labels:            map[string]string{pipeline.PipelineLabelKey: "release"},
		},
		Spec: v1.PipelineRunSpec{
			PipelineRef: &v1.PipelineRef{Name: "release"},
			Params: v1.Params{
				{Name: "revision", Value: *v1.NewStructuredValues("main")},
			},
			Timeouts:        &v1.TimeoutFields{Pipeline: &metav1.Duration{Duration: time.Hour}},
			TaskRunTemplate: v1.PipelineTaskRunTemplate{ServiceAccountName: "default"},
		},
	}
	pr.Status.StartTime = &metav1.Time{Time: Start}
	pr.Status.PipelineSpec = &v1.PipelineSpec{
		Params: v1.ParamSpecs{{Name: "revision", Type: v1.ParamTypeString}},
	}
	pr.Status.Provenance = &v1.Provenance{FeatureFlags: featureFlags()}
	pr.Status.Conditions = duckv1.Conditions{{
		Type: apis.ConditionSucceeded, Status: corev1.ConditionUnknown,
		Reason: "Running", Message: "Tasks Completed: 0 (Failed: 0, Cancelled 0), Incomplete: 1, Skipped: 0",
		LastTransitionTime: apis.VolatileTime{Inner: metav1.NewTime(Start)},
	}}
	return &Run{PipelineRun: pr, clock: Start}
}

func featureFlags() *config.FeatureFlags {
	ff, err := config.NewFeatureFlagsFromMap(map[string]string{})
	if err != nil {
		panic(err) // the defaults always parse
	}
	return ff
}

func uidOf(s string) string {
	d := Digest(s)
	return fmt.Sprintf("%s-%s-%s-%s-%s", d[0:8], d[8:12], d[12:16], d[16:20], d[20:32])
}

// Complete marks the PipelineRun itself finished (as when read after the
// fact, not from a finally task).
func (r *Run) Complete() *Run {
	r.clock = r.clock.Add(time.Second)
	r.PipelineRun.Status.CompletionTime = &metav1.Time{Time: r.clock}
	r.PipelineRun.Status.Conditions[0].Status = corev1.ConditionTrue
	r.PipelineRun.Status.Conditions[0].Reason = "Succeeded"
	return r
}

// FromBundle makes the pipeline come from a Tekton bundle.
func (r *Run) FromBundle(ref string) *Run {
	r.PipelineRun.Spec.PipelineRef = &v1.PipelineRef{ResolverRef: v1.ResolverRef{
		Resolver: "bundles",
		Params: v1.Params{
			{Name: "bundle", Value: *v1.NewStructuredValues(ref)},
			{Name: "name", Value: *v1.NewStructuredValues("release")},
			{Name: "kind", Value: *v1.NewStructuredValues("pipeline")},
		},
	}}
	r.PipelineRun.Status.Provenance.RefSource = &v1.RefSource{
		URI:        ref,
		Digest:     map[string]string{"sha256": Digest(ref)},
		EntryPoint: "release",
	}
	return r
}

// FromGit makes the pipeline come from git with the git resolver.
func (r *Run) FromGit(url, commit, path string) *Run {
	r.PipelineRun.Spec.PipelineRef = &v1.PipelineRef{ResolverRef: v1.ResolverRef{
		Resolver: "git",
		Params: v1.Params{
			{Name: "url", Value: *v1.NewStructuredValues(url)},
			{Name: "revision", Value: *v1.NewStructuredValues(commit)},
			{Name: "pathInRepo", Value: *v1.NewStructuredValues(path)},
		},
	}}
	r.PipelineRun.Status.Provenance.RefSource = &v1.RefSource{
		URI:        "git+" + url,
		Digest:     map[string]string{"sha1": commit},
		EntryPoint: path,
	}
	return r
}

// Results sets the PipelineRun's results.
func (r *Run) Results(kv ...string) *Run {
	for i := 0; i+1 < len(kv); i += 2 {
		r.PipelineRun.Status.Results = append(r.PipelineRun.Status.Results,
			v1.PipelineRunResult{Name: kv[i], Value: *v1.NewStructuredValues(kv[i+1])})
	}
	return r
}

// ObjectResult adds one object-valued PipelineRun result.
func (r *Run) ObjectResult(name string, obj map[string]string) *Run {
	r.PipelineRun.Status.Results = append(r.PipelineRun.Status.Results,
		v1.PipelineRunResult{Name: name, Value: *v1.NewObject(obj)})
	return r
}

// Skip records a skipped pipeline task.
func (r *Run) Skip(task string) *Run {
	r.PipelineRun.Status.PipelineSpec.Tasks = append(r.PipelineRun.Status.PipelineSpec.Tasks, v1.PipelineTask{
		Name: task, TaskRef: &v1.TaskRef{Name: task},
		When: v1.WhenExpressions{{Input: "$(params.revision)", Operator: "in", Values: []string{"release"}}},
	})
	r.PipelineRun.Status.SkippedTasks = append(r.PipelineRun.Status.SkippedTasks, v1.SkippedTask{
		Name: task, Reason: v1.WhenExpressionsSkip,
		WhenExpressions: v1.WhenExpressions{{Input: "main", Operator: "in", Values: []string{"release"}}},
	})
	return r
}

// CustomRun records a child CustomRun.
func (r *Run) CustomRun(task string) *Run {
	r.PipelineRun.Status.PipelineSpec.Tasks = append(r.PipelineRun.Status.PipelineSpec.Tasks, v1.PipelineTask{
		Name: task, TaskRef: &v1.TaskRef{APIVersion: "example.dev/v1", Kind: "Wait"},
	})
	r.PipelineRun.Status.ChildReferences = append(r.PipelineRun.Status.ChildReferences, v1.ChildStatusReference{
		TypeMeta: runtimeTypeMeta("tekton.dev/v1beta1", "CustomRun"),
		Name:     r.PipelineRun.Name + "-" + task, PipelineTaskName: task,
	})
	return r
}
