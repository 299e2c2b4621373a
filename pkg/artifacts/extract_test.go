package artifacts_test

import (
	"strings"
	"testing"

	"github.com/chainseal/chainseal/pkg/artifacts"
	"github.com/chainseal/chainseal/pkg/tekton"
	"github.com/chainseal/chainseal/pkg/tekton/tektontest"
	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
)

var d = tektontest.Digest

func snapshot(t *testing.T) *tekton.Snapshot {
	r := tektontest.NewRun("ci", "p")
	r.Results("IMAGE_URL", "gcr.io/p/release:1.0", "IMAGE_DIGEST", "sha256:"+d("release"))
	r.Add(tektontest.Task{Name: "build", Results: []string{"IMAGE_URL", "gcr.io/p/app", "IMAGE_DIGEST", "sha256:" + d("app")},
		StepResults: map[string][]string{"push": {"IMAGES", "gcr.io/p/step@sha256:" + d("step"), "CHAINS-GIT_URL", "https://git.example/s", "CHAINS-GIT_COMMIT", d("s")[:40]}},
		Steps:       []string{"build", "push"},
		Params:      []string{"CHAINS-GIT_URL", "https://git.example/app", "CHAINS-GIT_COMMIT", d("c")[:40]},
		Artifacts: &v1.Artifacts{
			Inputs:  []v1.Artifact{{Name: "source", Values: []v1.ArtifactValue{{Uri: "git:https://git.example/app", Digest: map[v1.Algorithm]string{"sha1": d("c")[:40]}}}}},
			Outputs: []v1.Artifact{{Name: "image", BuildOutput: true, Values: []v1.ArtifactValue{{Uri: "pkg:oci/tep@sha256:x", Digest: map[v1.Algorithm]string{"sha256": d("tep")}}}}, {Name: "sbom", Values: []v1.ArtifactValue{{Uri: "sbom.json", Digest: map[v1.Algorithm]string{"sha256": d("sbom")}}}}},
		}})
	r.Add(tektontest.Task{Name: "broken", Failed: true, Results: []string{"IMAGE_URL", "gcr.io/p/broken", "IMAGE_DIGEST", "sha256:" + d("broken")}})
	s, err := tekton.Cover(r.PipelineRun, r.TaskRuns)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func names(ss []artifacts.Subject) string {
	var out []string
	for _, s := range ss {
		out = append(out, s.Name)
	}
	return strings.Join(out, " ")
}

func TestExtractDeepInspection(t *testing.T) {
	s := artifacts.Extract(snapshot(t), artifacts.Options{DeepInspection: true})
	if got, want := names(s.Subjects), "gcr.io/p/app gcr.io/p/broken gcr.io/p/release gcr.io/p/step pkg:oci/tep@sha256:x"; got != want {
		t.Errorf("subjects = %s\nwant %s", got, want)
	}
	if got, want := names(s.Materials), "git+https://git.example/app.git git+https://git.example/s.git git:https://git.example/app"; got != want {
		t.Errorf("materials = %s\nwant %s", got, want)
	}
	if got := names(s.Byproducts); got != "sbom.json" {
		t.Errorf("byproducts = %s", got)
	}
	if len(s.Problems) != 0 {
		t.Errorf("problems: %v", s.Problems)
	}
	if len(s.Images()) != 4 {
		t.Errorf("images = %s", names(s.Images()))
	}
}

func TestExtractOptions(t *testing.T) {
	s := artifacts.Extract(snapshot(t), artifacts.Options{DeepInspection: true, SkipFailed: true})
	if strings.Contains(names(s.Subjects), "broken") {
		t.Errorf("a failed TaskRun's subject was taken: %s", names(s.Subjects))
	}
	s = artifacts.Extract(snapshot(t), artifacts.Options{})
	if got := names(s.Subjects); got != "gcr.io/p/release" {
		t.Errorf("without deep inspection, subjects = %s", got)
	}
}
