package provenance_test

import (
	"errors"
	"strings"
	"testing"

	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/chainseal/chainseal/pkg/config"
	"github.com/chainseal/chainseal/pkg/provenance"
	"github.com/chainseal/chainseal/pkg/tekton"
)

// stepFormTaskRun is a standalone TaskRun as tekton.StepView returns it.
func stepFormTaskRun(failed bool, results ...string) tekton.TaskRun {
	tr := &v1.TaskRun{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "build-1", UID: "uid-1"}}
	tr.Status.Steps = []v1.StepState{{Name: "build", ImageID: "r/builder@sha256:" + strings.Repeat("b", 64)}}
	for i := 0; i+1 < len(results); i += 2 {
		tr.Status.Results = append(tr.Status.Results, v1.TaskRunResult{Name: results[i], Type: v1.ResultsTypeString, Value: *v1.NewStructuredValues(results[i+1])})
	}
	return tekton.TaskRun{TaskRun: tr, Failed: failed}
}

func TestBuildTaskRunStepForm(t *testing.T) {
	digest := "sha256:" + strings.Repeat("c", 64)
	tr := stepFormTaskRun(false, "IMAGE_URL", "registry.example/app", "IMAGE_DIGEST", digest)
	c := taskRunCfg(t, config.FormatSLSAv2alpha4, config.KeyOCISigner, config.SignerX509)
	res, err := provenance.BuildTaskRun(tr, c)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.TaskRunStatements) != 1 || res.TaskRunStatements[0].Name != "build-1" || len(res.Statements) != 0 {
		t.Fatalf("statements: %d TaskRun, %d PipelineRun; want one of the TaskRun", len(res.TaskRunStatements), len(res.Statements))
	}
	if !strings.Contains(string(res.TaskRunStatements[0].Body), strings.TrimPrefix(digest, "sha256:")) {
		t.Errorf("the statement does not name the image: %s", res.TaskRunStatements[0].Body)
	}
	if len(res.Signatures) != 1 {
		t.Errorf("want one image signature payload, got %d", len(res.Signatures))
	}
}

func TestBuildTaskRunStepFormPolicy(t *testing.T) {
	digest := "sha256:" + strings.Repeat("c", 64)
	// A step before chainseal failed: nothing is signed, unless allowed.
	failed := stepFormTaskRun(true, "IMAGE_URL", "registry.example/app", "IMAGE_DIGEST", digest)
	_, err := provenance.BuildTaskRun(failed, taskRunCfg(t, config.FormatTekton))
	if !errors.Is(err, provenance.ErrFailedTasks) || !strings.Contains(err.Error(), config.KeyAllowFailedTasks) {
		t.Errorf("failed step: got %v, want ErrFailedTasks naming %s", err, config.KeyAllowFailedTasks)
	}
	res, err := provenance.BuildTaskRun(failed, taskRunCfg(t, config.FormatTekton, config.KeyAllowFailedTasks, "true"))
	if err != nil || len(res.TaskRunStatements) != 1 {
		t.Errorf("allowed failed: got %v, %+v; want the tekton record signed", err, res)
	}
	// No artifacts: an in-toto format has no subject.
	none := stepFormTaskRun(false)
	if _, err := provenance.BuildTaskRun(none, taskRunCfg(t, config.FormatSLSAv2alpha4)); !errors.Is(err, provenance.ErrNoArtifacts) {
		t.Errorf("no artifacts: got %v, want ErrNoArtifacts", err)
	}
	// Strict digests: a bad digest is an error.
	bad := stepFormTaskRun(false, "IMAGE_URL", "registry.example/app", "IMAGE_DIGEST", "sha256:nope")
	if _, err := provenance.BuildTaskRun(bad, taskRunCfg(t, config.FormatSLSAv2alpha4, config.KeyStrictDigests, "true")); !errors.Is(err, provenance.ErrInvalidArtifacts) {
		t.Errorf("strict: got %v, want ErrInvalidArtifacts", err)
	}
}
