package provenance_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/chainseal/chainseal/pkg/config"
	"github.com/chainseal/chainseal/pkg/provenance"
	"github.com/chainseal/chainseal/pkg/provenance/provenancetest"
	"github.com/chainseal/chainseal/pkg/tekton/tektontest"
	"github.com/tektoncd/pipeline/pkg/apis/pipeline/pod"
	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	corev1 "k8s.io/api/core/v1"
)

type hermeticView struct {
	Hermetic    bool   `json:"hermetic"`
	NotEnforced string `json:"hermeticNotEnforced"`
}

// A policy can tell, per task, which TaskRuns ran without network: from the
// PipelineRun statement and from each TaskRun's own statement; a request
// Tekton did not enforce is never reported as hermetic.
func TestHermeticRecordedPerTask(t *testing.T) {
	r := provenancetest.Hermetic()
	r.TaskRuns[2].Annotations = map[string]string{provenance.ExecutionModeAnnotation: provenance.ExecutionModeHermetic}
	r.TaskRuns[2].Status.Provenance = nil // no feature flags recorded: cannot tell
	res, err := provenance.Build(snap(t, r), taskRunCfg(t, config.FormatSLSAv2alpha4))
	if err != nil {
		t.Fatal(err)
	}
	var pr struct {
		Predicate struct {
			BuildDefinition struct {
				InternalParameters struct {
					Chainseal struct {
						TaskRuns []struct {
							PipelineTask string `json:"pipelineTask"`
							hermeticView
						} `json:"taskRuns"`
					} `json:"chainseal"`
				} `json:"internalParameters"`
			} `json:"buildDefinition"`
		} `json:"predicate"`
	}
	if err := json.Unmarshal(res.Statements[0].Body, &pr); err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"build": true, "test": false, "publish": false}
	for _, tr := range pr.Predicate.BuildDefinition.InternalParameters.Chainseal.TaskRuns {
		if tr.Hermetic != want[tr.PipelineTask] {
			t.Errorf("PipelineRun statement: task %s hermetic = %v", tr.PipelineTask, tr.Hermetic)
		}
		if !tr.Hermetic && tr.NotEnforced == "" {
			t.Errorf("PipelineRun statement: task %s asked for hermetic execution, but no reason is recorded", tr.PipelineTask)
		}
	}
	if len(res.TaskRunStatements) != 3 {
		t.Fatalf("%d TaskRun statements, want 3", len(res.TaskRunStatements))
	}
	for _, p := range res.TaskRunStatements {
		var st struct {
			Predicate struct {
				BuildDefinition struct {
					InternalParameters struct {
						Chainseal *hermeticView `json:"chainseal"`
					} `json:"internalParameters"`
				} `json:"buildDefinition"`
			} `json:"predicate"`
		}
		if err := json.Unmarshal(p.Body, &st); err != nil {
			t.Fatal(err)
		}
		rec := st.Predicate.BuildDefinition.InternalParameters.Chainseal
		if rec == nil || rec.Hermetic != want[p.PipelineTask] || !rec.Hermetic && rec.NotEnforced == "" {
			t.Errorf("TaskRun statement of %s: chainseal record %+v", p.PipelineTask, rec)
		}
	}
}

// hermeticOf builds r's PipelineRun statement and returns its chainseal
// hermetic record per pipeline task.
func hermeticOf(t *testing.T, r *tektontest.Run) map[string]hermeticView {
	t.Helper()
	res, err := provenance.Build(snap(t, r), cfg(t))
	if err != nil {
		t.Fatal(err)
	}
	var st struct {
		Predicate struct {
			BuildDefinition struct {
				InternalParameters struct {
					Chainseal struct {
						TaskRuns []struct {
							PipelineTask string `json:"pipelineTask"`
							hermeticView
						} `json:"taskRuns"`
					} `json:"chainseal"`
				} `json:"internalParameters"`
			} `json:"buildDefinition"`
		} `json:"predicate"`
	}
	if err := json.Unmarshal(res.Statements[0].Body, &st); err != nil {
		t.Fatal(err)
	}
	out := map[string]hermeticView{}
	for _, tr := range st.Predicate.BuildDefinition.InternalParameters.Chainseal.TaskRuns {
		out[tr.PipelineTask] = tr.hermeticView
	}
	return out
}

func taskRunOf(r *tektontest.Run, task string) *v1.TaskRun {
	for _, tr := range r.TaskRuns {
		if tr.Labels["tekton.dev/pipelineTask"] == task {
			return tr
		}
	}
	return nil
}

// Attack (issue #13): the execution-mode annotation is metadata anyone who
// may edit TaskRuns or PipelineRuns can set at any time. Set on the
// "publish" TaskRun (and its PipelineRun) after it ran with network
// access, on a cluster running the alpha API, it made chainseal record
// that publish ran hermetically. Hermeticity must come from what Tekton's
// controller recorded: the pipeline task's spec in the PipelineRun's
// status.pipelineSpec, the TaskRun's status.taskSpec, its spec.
func TestHermeticIsNotTakenFromAnAnnotationPatchedAfterTheRun(t *testing.T) {
	r := provenancetest.Hermetic()
	publish := taskRunOf(r, "publish")
	publish.Status.Provenance.FeatureFlags.EnableAPIFields = "alpha"
	publish.Annotations = map[string]string{provenance.ExecutionModeAnnotation: provenance.ExecutionModeHermetic}
	r.PipelineRun.Annotations = map[string]string{provenance.ExecutionModeAnnotation: provenance.ExecutionModeHermetic}
	got := hermeticOf(t, r)["publish"]
	if got.Hermetic || !strings.Contains(got.NotEnforced, "taskSpec.metadata.annotations") {
		t.Fatalf("publish, annotated after it ran: %+v, want not hermetic, saying where the request must be", got)
	}
	if !hermeticOf(t, provenancetest.Hermetic())["build"].Hermetic {
		t.Fatal("build, whose pipeline task asks for hermetic execution with the alpha API, is not hermetic")
	}
}

// What Tekton recorded can show a hermetic request did not hold, and each
// such run is recorded as not hermetic, with the reason.
func TestHermeticNotEnforced(t *testing.T) {
	cases := []struct {
		name   string
		change func(r *tektontest.Run, build *v1.TaskRun)
		reason string
	}{
		{"a sidecar has the network", func(r *tektontest.Run, build *v1.TaskRun) {
			build.Status.TaskSpec.Sidecars = append(build.Status.TaskSpec.Sidecars, v1.Sidecar{Name: "proxy", Image: "ghcr.io/example/proxy"})
		}, "sidecar proxy"},
		{"a step sets TEKTON_RESOURCE_NAME", func(r *tektontest.Run, build *v1.TaskRun) {
			build.Status.TaskSpec.Steps[0].Env = append(build.Status.TaskSpec.Steps[0].Env, corev1.EnvVar{Name: "TEKTON_RESOURCE_NAME", Value: "x"})
		}, "TEKTON_RESOURCE_NAME"},
		{"the step template sets TEKTON_RESOURCE_NAME", func(r *tektontest.Run, build *v1.TaskRun) {
			build.Status.TaskSpec.StepTemplate = &v1.StepTemplate{Env: []corev1.EnvVar{{Name: "TEKTON_RESOURCE_NAME", Value: "x"}}}
		}, "TEKTON_RESOURCE_NAME"},
		{"a step takes its environment from a ConfigMap", func(r *tektontest.Run, build *v1.TaskRun) {
			build.Status.TaskSpec.Steps[0].EnvFrom = []corev1.EnvFromSource{{ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "env"}}}}
		}, "envFrom"},
		{"the pod template sets TEKTON_RESOURCE_NAME", func(r *tektontest.Run, build *v1.TaskRun) {
			build.Spec.PodTemplate = &pod.PodTemplate{Env: []corev1.EnvVar{{Name: "TEKTON_RESOURCE_NAME", Value: "x"}}}
		}, "TEKTON_RESOURCE_NAME"},
		{"no task spec recorded", func(r *tektontest.Run, build *v1.TaskRun) {
			build.Status.TaskSpec = nil
		}, "status.taskSpec"},
		{"the TaskRun ran with another execution mode", func(r *tektontest.Run, build *v1.TaskRun) {
			build.Annotations[provenance.ExecutionModeAnnotation] = "none"
		}, `"none"`},
		{"the PipelineRun's annotation overrides the pipeline's", func(r *tektontest.Run, build *v1.TaskRun) {
			r.PipelineRun.Annotations = map[string]string{provenance.ExecutionModeAnnotation: "none"}
		}, "PipelineRun"},
		{"spec.taskRunSpecs overrides the pipeline's", func(r *tektontest.Run, build *v1.TaskRun) {
			r.PipelineRun.Spec.TaskRunSpecs = []v1.PipelineTaskRunSpec{{PipelineTaskName: "build", Metadata: &v1.PipelineTaskMetadata{Annotations: map[string]string{provenance.ExecutionModeAnnotation: "none"}}}}
		}, "taskRunSpecs"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := provenancetest.Hermetic()
			tc.change(r, taskRunOf(r, "build"))
			got := hermeticOf(t, r)["build"]
			if got.Hermetic || !strings.Contains(got.NotEnforced, tc.reason) {
				t.Fatalf("build: %+v, want not hermetic with a reason naming %q", got, tc.reason)
			}
		})
	}
}
