package provenance_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/chainseal/chainseal/pkg/config"
	"github.com/chainseal/chainseal/pkg/provenance"
	"github.com/chainseal/chainseal/pkg/tekton/tektontest"
	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
)

func twoImages() *tektontest.Run {
	r := tektontest.NewRun("team-a", "release-1")
	r.Add(tektontest.Task{Name: "build", Results: []string{"IMAGES",
		"registry.example/team-a/app@sha256:" + tektontest.Digest("app") + "\nregistry.example/team-b/app@sha256:" + tektontest.Digest("b")}})
	return r
}

// The platform's chainseal.allowed-repositories: an image of another
// team's repository is not a subject (not signed, reported).
func TestAllowedRepositoriesLeaveOthersUnsigned(t *testing.T) {
	res, err := provenance.Build(snap(t, twoImages()), cfg(t, config.KeyAllowedRepositories, "registry.example/team-a"))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.ImageSubjects) != 1 || res.ImageSubjects[0].Name != "registry.example/team-a/app" || len(res.Signatures) != 1 {
		t.Fatalf("subjects %+v, signatures %d: want team-a's image only", res.ImageSubjects, len(res.Signatures))
	}
	if len(res.Problems) != 1 || !strings.Contains(res.Problems[0].String(), "registry.example/team-b/app") ||
		!strings.Contains(res.Problems[0].String(), config.KeyAllowedRepositories) {
		t.Fatalf("problems %v: want team-b's image reported, naming the key", res.Problems)
	}
	if strings.Contains(string(res.Statements[0].Body), "team-b") {
		t.Error("the statement names team-b's image")
	}
	// Nothing allowed: nothing to sign.
	if _, err := provenance.Build(snap(t, twoImages()), cfg(t, config.KeyAllowedRepositories, "registry.example/team-c")); !errors.Is(err, provenance.ErrNoArtifacts) {
		t.Errorf("err = %v, want ErrNoArtifacts", err)
	}
}

// lintAttack is the attack of issue #14: a build task resolved from the
// platform's bundle pushes an image; a third-party lint task (inline here)
// writes IMAGES= naming an old digest of the same repository.
func lintAttack() *tektontest.Run {
	r := tektontest.NewRun("team-a", "release-2")
	r.Add(tektontest.Task{Name: "build", Bundle: "registry.example/bundles/build@sha256:" + tektontest.Digest("bundle"), Results: []string{
		"IMAGE_URL", "registry.example/team-a/app", "IMAGE_DIGEST", "sha256:" + tektontest.Digest("new")}})
	r.Add(tektontest.Task{Name: "lint", Results: []string{"IMAGES", "registry.example/team-a/app@sha256:" + tektontest.Digest("old-vulnerable")}})
	return r
}

// Every subject records the pipeline task and TaskRun that named it, and
// the task's resolved reference; with chainseal.subject-producers only the
// subjects of tasks resolved from the named bundles are signed.
func TestSubjectProducers(t *testing.T) {
	res, err := provenance.Build(snap(t, lintAttack()), cfg(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.ImageSubjects) != 2 {
		t.Fatalf("without the platform's restriction both images are subjects: %+v", res.ImageSubjects)
	}
	for _, s := range res.ImageSubjects {
		if len(s.Producers) != 1 {
			t.Fatalf("subject %s has producers %+v", s.Name, s.Producers)
		}
		p := s.Producers[0]
		switch s.Digest["sha256"] {
		case tektontest.Digest("new"):
			if p.PipelineTask != "build" || p.TaskRun != "release-2-build" || p.Ref == nil || p.Ref.URI != "registry.example/bundles/build@sha256:"+tektontest.Digest("bundle") {
				t.Errorf("build's image producer %+v", p)
			}
		default:
			if p.PipelineTask != "lint" || p.TaskRun != "release-2-lint" || p.Ref != nil {
				t.Errorf("lint's image producer %+v", p)
			}
		}
	}

	res, err = provenance.Build(snap(t, lintAttack()), cfg(t, config.KeySubjectProducers, "registry.example/bundles/build"))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.ImageSubjects) != 1 || res.ImageSubjects[0].Digest["sha256"] != tektontest.Digest("new") || len(res.Signatures) != 1 {
		t.Fatalf("subjects %+v: want the build task's image only", res.ImageSubjects)
	}
	if len(res.Problems) != 1 || !strings.Contains(res.Problems[0].String(), "pipeline task lint (TaskRun release-2-lint), with no resolved reference") {
		t.Fatalf("problems %v: want the lint task's claim reported", res.Problems)
	}
	if strings.Contains(string(res.Statements[0].Body), tektontest.Digest("old-vulnerable")) {
		t.Error("the statement names the lint task's digest")
	}
}

// A pipeline result names the task whose result it takes: the producer of
// IMAGE_URL/IMAGE_DIGEST read from the PipelineRun is that task.
func TestPipelineResultProducer(t *testing.T) {
	r := lintAttack()
	r.PipelineRun.Status.PipelineSpec.Results = []v1.PipelineResult{
		{Name: "IMAGE_URL", Value: *v1.NewStructuredValues("$(tasks.build.results.IMAGE_URL)")},
		{Name: "IMAGE_DIGEST", Value: *v1.NewStructuredValues("$(tasks.lint.results.IMAGE_DIGEST)")},
	}
	r.Results("IMAGE_URL", "registry.example/team-a/app", "IMAGE_DIGEST", "sha256:"+tektontest.Digest("other"))
	res, err := provenance.Build(snap(t, r), cfg(t, config.KeyPipelineRunDeepInspection, "false"))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.ImageSubjects) != 1 || len(res.ImageSubjects[0].Producers) != 2 {
		t.Fatalf("subjects %+v: want one, produced by build and lint", res.ImageSubjects)
	}
	_, err = provenance.Build(snap(t, r), cfg(t, config.KeyPipelineRunDeepInspection, "false", config.KeySubjectProducers, "registry.example/bundles"))
	if !errors.Is(err, provenance.ErrNoArtifacts) {
		t.Fatalf("err = %v: a subject half named by an untrusted task is not signed", err)
	}
}
