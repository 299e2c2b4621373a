// Package provenancetest holds the runs that chainseal's golden tests
// (pkg/provenance) and the Tekton Chains compatibility test (test/compat)
// both build statements from, so that both test the very same fixtures.
package provenancetest

import (
	"fmt"

	"github.com/chainseal/chainseal/pkg/tekton"
	"github.com/chainseal/chainseal/pkg/tekton/tektontest"
	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
)

// Namespace and Name name every fixture PipelineRun.
const (
	Namespace = "payments"
	Name      = "release-7q2xk"
	// OwnTaskRun is chainseal's own (running) TaskRun in BuildPush.
	OwnTaskRun = Name + "-chainseal"
)

// Own is the snapshot option that leaves chainseal's own TaskRun out.
var Own = tekton.WithOwnTaskRun(OwnTaskRun)

var d = tektontest.Digest

// BuildPush clones, builds and pushes an image, packages two more, and has
// a finally task and chainseal's own running TaskRun.
func BuildPush() *tektontest.Run {
	r := tektontest.NewRun(Namespace, Name)
	r.Results("APP_IMAGE_URL", "registry.example/payments/app:1.4.2", "APP_IMAGE_DIGEST", "sha256:"+d("app"), "summary", "ok <done>")
	r.Add(tektontest.Task{Name: "clone", Results: []string{"CHAINS-GIT_URL", "https://git.example/payments/app", "CHAINS-GIT_COMMIT", d("commit")[:40], "commit", d("commit")[:40]}})
	r.Add(tektontest.Task{Name: "build", Steps: []string{"build", "push"}, Sidecars: []string{"dind"},
		Results: []string{"IMAGE_URL", "registry.example/payments/app:1.4.2", "IMAGE_DIGEST", "sha256:" + d("app")}})
	r.Add(tektontest.Task{Name: "package", Results: []string{"IMAGES", "registry.example/payments/worker@sha256:" + d("worker") + "\nregistry.example/payments/cli:1.4.2@sha256:" + d("cli") + "\n"}})
	r.Add(tektontest.Task{Name: "notify", Finally: true})
	r.Add(tektontest.Task{Name: "chainseal", Finally: true, Running: true})
	return r
}

// Bundle runs a pipeline and tasks from Tekton bundles.
func Bundle() *tektontest.Run {
	r := tektontest.NewRun(Namespace, Name).FromBundle("registry.example/tekton/pipelines:v3")
	r.Add(tektontest.Task{Name: "build", Bundle: "registry.example/tekton/tasks:v3", Results: []string{"IMAGE_URL", "registry.example/app", "IMAGE_DIGEST", "sha256:" + d("app")}})
	r.Add(tektontest.Task{Name: "scan", Bundle: "registry.example/tekton/tasks:v3"})
	return r
}

// LintClaim is the attack of issue #14: the build task, from the
// platform's bundle, pushes an image; a lint task (inline) writes IMAGES=
// naming an old digest of the same repository.
func LintClaim() *tektontest.Run {
	r := tektontest.NewRun(Namespace, Name).FromBundle("registry.example/tekton/pipelines:v3")
	r.Add(tektontest.Task{Name: "build", Bundle: "registry.example/tekton/tasks:v3", Results: []string{"IMAGE_URL", "registry.example/app", "IMAGE_DIGEST", "sha256:" + d("app")}})
	r.Add(tektontest.Task{Name: "lint", Results: []string{"IMAGES", "registry.example/app@sha256:" + d("old-vulnerable")}})
	return r
}

// Git runs a pipeline and a task resolved from git.
func Git() *tektontest.Run {
	r := tektontest.NewRun(Namespace, Name).FromGit("https://git.example/ci", d("pipeline")[:40], "pipelines/release.yaml")
	r.Add(tektontest.Task{Name: "build", Git: [3]string{"https://git.example/catalog", d("catalog")[:40], "task/build/0.3/build.yaml"}, Results: []string{"IMAGE_URL", "registry.example/app", "IMAGE_DIGEST", "sha256:" + d("app")}})
	return r
}

// Matrix fans one pipeline task out to three TaskRuns.
func Matrix() *tektontest.Run {
	r := tektontest.NewRun(Namespace, Name)
	trs := r.Add(tektontest.Task{Name: "build", Matrix: 3})
	for i, tr := range trs {
		tr.Status.Results = append(tr.Status.Results, Result("IMAGES", "registry.example/app-"+string(rune('a'+i))+"@sha256:"+d(tr.Name)))
	}
	return r
}

// Retries builds after two failed attempts.
func Retries() *tektontest.Run {
	r := tektontest.NewRun(Namespace, Name)
	r.Add(tektontest.Task{Name: "build", Retries: 2, Results: []string{"IMAGE_URL", "registry.example/app", "IMAGE_DIGEST", "sha256:" + d("app")}})
	return r
}

// Failed has a failed non-finally task that still wrote an image result.
func Failed() *tektontest.Run {
	r := tektontest.NewRun(Namespace, Name)
	r.Add(tektontest.Task{Name: "build", Results: []string{"IMAGE_URL", "registry.example/app", "IMAGE_DIGEST", "sha256:" + d("app")}})
	r.Add(tektontest.Task{Name: "integration", Failed: true, Results: []string{"IMAGE_URL", "registry.example/half-baked", "IMAGE_DIGEST", "sha256:" + d("half")}})
	return r
}

// Skipped has a skipped task and a CustomRun.
func Skipped() *tektontest.Run {
	r := tektontest.NewRun(Namespace, Name)
	r.Add(tektontest.Task{Name: "build", Results: []string{"IMAGE_URL", "registry.example/app", "IMAGE_DIGEST", "sha256:" + d("app")}})
	r.Skip("deploy")
	r.CustomRun("approve")
	return r
}

// NoArtifacts has only an invalid image digest.
func NoArtifacts() *tektontest.Run {
	r := tektontest.NewRun(Namespace, Name)
	r.Add(tektontest.Task{Name: "test", Results: []string{"IMAGE_URL", "registry.example/app", "IMAGE_DIGEST", "sha256:abc"}})
	return r
}

// Invalid has one valid image and two invalid type-hinted values.
func Invalid() *tektontest.Run {
	r := tektontest.NewRun(Namespace, Name)
	r.Add(tektontest.Task{Name: "build", Results: []string{
		"IMAGE_URL", "registry.example/app", "IMAGE_DIGEST", "sha256:" + d("app"),
		"DEBUG_IMAGE_URL", "registry.example/debug", "DEBUG_IMAGE_DIGEST", "sha256:" + d("debug")[:10] + "\u202e",
		"BIN_ARTIFACT_URI", "https://dl.example/bin", "BIN_ARTIFACT_DIGEST", "sha1:" + d("bin")[:40],
	}})
	return r
}

// StepActionResults has type-hinted results written by StepAction steps.
func StepActionResults() *tektontest.Run {
	r := tektontest.NewRun(Namespace, Name)
	r.Add(tektontest.Task{Name: "build", Steps: []string{"clone", "build"}, StepResults: map[string][]string{
		"clone": {"CHAINS-GIT_URL", "https://git.example/app", "CHAINS-GIT_COMMIT", d("c")[:40]},
		"build": {"IMAGE_URL", "registry.example/app:v1", "IMAGE_DIGEST", "sha256:" + d("app"), "log", "built"},
	}})
	return r
}

// RemoteStepActions has steps that ran StepActions Tekton resolved from a
// bundle (status.steps[].provenance.refSource), a git checkout reported by
// a step result, and the image by the task's results.
func RemoteStepActions() *tektontest.Run {
	r := tektontest.NewRun(Namespace, Name)
	r.Results("IMAGE_URL", "registry.example/app:v1", "IMAGE_DIGEST", "sha256:"+d("app"))
	trs := r.Add(tektontest.Task{Name: "build", Steps: []string{"clone", "build"},
		Results:     []string{"IMAGE_URL", "registry.example/app:v1", "IMAGE_DIGEST", "sha256:" + d("app"), "note", "built"},
		StepResults: map[string][]string{"clone": {"CHAINS-GIT_URL", "https://git.example/app", "CHAINS-GIT_COMMIT", d("c")[:40]}}})
	for _, tr := range trs {
		for i := range tr.Status.Steps {
			tr.Status.Steps[i].Provenance = &v1.Provenance{RefSource: &v1.RefSource{
				URI:    "oci://registry.example/stepactions/" + tr.Status.Steps[i].Name,
				Digest: map[string]string{"sha256": d("stepaction-" + tr.Status.Steps[i].Name)},
			}}
		}
	}
	return r
}

// TEP0147Artifacts has Tekton's own artifacts (status.artifacts).
func TEP0147Artifacts() *tektontest.Run {
	r := tektontest.NewRun(Namespace, Name)
	r.Add(tektontest.Task{Name: "build", Artifacts: TEP0147()})
	return r
}

// Big is a PipelineRun with n TaskRuns, each building one image with two
// steps and a few results.
func Big(n int) *tektontest.Run {
	r := tektontest.NewRun(Namespace, Name)
	for i := range n {
		name := fmt.Sprintf("t%04d", i)
		r.Add(tektontest.Task{Name: name, Steps: []string{"build", "push"},
			Results: []string{"IMAGE_URL", "registry.example/app/" + name + ":v1", "IMAGE_DIGEST", "sha256:" + d(name), "note", "built " + name}})
	}
	return r
}

// Result is a string TaskRun result.
func Result(name, value string) v1.TaskRunResult {
	return v1.TaskRunResult{Name: name, Type: v1.ResultsTypeString, Value: *v1.NewStructuredValues(value)}
}

// TEP0147 is a status.artifacts with a git input, an image build output
// and an SBOM output that is not a build output.
func TEP0147() *v1.Artifacts {
	return &v1.Artifacts{
		Inputs: []v1.Artifact{{Name: "source", Values: []v1.ArtifactValue{{
			Uri: "git+https://git.example/app.git", Digest: map[v1.Algorithm]string{"sha1": d("src")[:40]},
		}}}},
		Outputs: []v1.Artifact{
			{Name: "image", BuildOutput: true, Values: []v1.ArtifactValue{{
				Uri: "pkg:oci/app?repository_url=registry.example/app", Digest: map[v1.Algorithm]string{"sha256": d("app")},
			}}},
			{Name: "sbom", Values: []v1.ArtifactValue{{
				Uri: "pkg:generic/sbom.spdx.json", Digest: map[v1.Algorithm]string{"sha256": d("sbom")},
			}}},
		},
	}
}

// StructuredResults has the object-result type hints (*ARTIFACT_OUTPUTS
// with and without isBuildArtifact, *ARTIFACT_INPUTS) and an
// *ARTIFACT_URI/*ARTIFACT_DIGEST pair, in a TaskRun and in the PipelineRun.
func StructuredResults() *tektontest.Run {
	r := tektontest.NewRun(Namespace, Name)
	r.ObjectResult("RELEASE_ARTIFACT_OUTPUTS", map[string]string{"uri": "https://dl.example/release.tar.gz", "digest": "sha256:" + d("release"), "isBuildArtifact": "true"})
	r.Add(tektontest.Task{Name: "build",
		Results: []string{"BIN_ARTIFACT_URI", "https://dl.example/bin", "BIN_ARTIFACT_DIGEST", "sha256:" + d("bin")},
		ObjectResults: map[string]map[string]string{
			"IMAGE_ARTIFACT_OUTPUTS": {"uri": "registry.example/app", "digest": "sha256:" + d("app"), "isBuildArtifact": "true"},
			"SBOM_ARTIFACT_OUTPUTS":  {"uri": "pkg:generic/sbom.spdx.json", "digest": "sha256:" + d("sbom")},
			"SOURCE_ARTIFACT_INPUTS": {"uri": "git+https://git.example/app.git", "digest": "sha1:" + d("src")[:40]},
		}})
	return r
}

// Hermetic has a task whose pipeline spec asks for hermetic execution and
// that ran with the alpha API (enforced), one that asks for it without the
// alpha API (not enforced), and a plain one.
func Hermetic() *tektontest.Run {
	r := tektontest.NewRun(Namespace, Name)
	build := r.Add(tektontest.Task{Name: "build", Results: []string{"IMAGE_URL", "registry.example/app", "IMAGE_DIGEST", "sha256:" + d("app")}})
	AskHermetic(r, build[0])
	build[0].Status.Provenance.FeatureFlags.EnableAPIFields = "alpha"
	test := r.Add(tektontest.Task{Name: "test", ObjectResults: map[string]map[string]string{
		"REPORT_ARTIFACT_OUTPUTS": {"uri": "https://dl.example/report.xml", "digest": "sha256:" + d("report"), "isBuildArtifact": "true"},
	}})
	AskHermetic(r, test[0])
	r.Add(tektontest.Task{Name: "publish", Results: []string{"IMAGES", "registry.example/app-docs@sha256:" + d("docs")}})
	return r
}

// AskHermetic makes tr's pipeline task an embedded task whose metadata asks
// for Tekton's hermetic execution mode, recorded as Tekton records it: the
// task in the PipelineRun's status.pipelineSpec, the TaskRun's
// spec.taskSpec, and the annotation Tekton copies to the TaskRun.
func AskHermetic(r *tektontest.Run, tr *v1.TaskRun) {
	hermetic := map[string]string{"experimental.tekton.dev/execution-mode": "hermetic"}
	task := tr.Labels["tekton.dev/pipelineTask"]
	spec := r.PipelineRun.Status.PipelineSpec
	for _, tasks := range [][]v1.PipelineTask{spec.Tasks, spec.Finally} {
		for i := range tasks {
			if tasks[i].Name == task {
				tasks[i].TaskRef = nil
				tasks[i].TaskSpec = &v1.EmbeddedTask{Metadata: v1.PipelineTaskMetadata{Annotations: hermetic}, TaskSpec: *tr.Status.TaskSpec.DeepCopy()}
			}
		}
	}
	tr.Spec.TaskRef = nil
	tr.Spec.TaskSpec = tr.Status.TaskSpec.DeepCopy()
	delete(tr.Labels, "tekton.dev/task")
	if tr.Annotations == nil {
		tr.Annotations = map[string]string{}
	}
	for k, v := range hermetic {
		tr.Annotations[k] = v
	}
}
