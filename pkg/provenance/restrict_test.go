package provenance_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/chainseal/chainseal/pkg/config"
	"github.com/chainseal/chainseal/pkg/provenance"
	"github.com/chainseal/chainseal/pkg/tekton/tektontest"
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
