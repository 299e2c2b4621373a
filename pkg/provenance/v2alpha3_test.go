package provenance_test

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/chainseal/chainseal/pkg/config"
	"github.com/chainseal/chainseal/pkg/provenance"
	"github.com/chainseal/chainseal/pkg/provenance/provenancetest"
)

type slsa1Doc struct {
	Subject []struct {
		Name string `json:"name"`
	} `json:"subject"`
	Predicate struct {
		BuildDefinition struct {
			ResolvedDependencies []struct {
				Name string `json:"name"`
				URI  string `json:"uri"`
			} `json:"resolvedDependencies"`
		} `json:"buildDefinition"`
		RunDetails struct {
			Byproducts []struct {
				Name string `json:"name"`
			} `json:"byproducts"`
		} `json:"runDetails"`
	} `json:"predicate"`
}

func (d slsa1Doc) deps() (names []string) {
	for _, r := range d.Predicate.BuildDefinition.ResolvedDependencies {
		names = append(names, r.Name+"="+r.URI)
	}
	return names
}

func (d slsa1Doc) byproducts() (names []string) {
	for _, b := range d.Predicate.RunDetails.Byproducts {
		names = append(names, b.Name)
	}
	return names
}

// slsa/v2alpha3 is Chains' v2alpha3, not v2alpha4 under another name: no
// StepAction (step) results read, no remote StepActions recorded, and every
// result of the statement's run as a byproduct named by the result alone.
// slsa/v2alpha4 records the remote StepActions as Chains v0.29 does.
func TestV2alpha3AndV2alpha4AsChains(t *testing.T) {
	snap := snap(t, provenancetest.RemoteStepActions())
	docs := map[string][2]slsa1Doc{}
	for _, format := range []string{config.FormatSLSAv2alpha3, config.FormatSLSAv2alpha4} {
		res, err := provenance.Build(snap, cfg(t, config.KeyPipelineRunFormat, format, config.KeyTaskRunFormat, format,
			config.KeyTaskRunSigner, config.SignerX509, config.KeyPipelineRunDeepInspection, "true"))
		if err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		if len(res.Statements) != 1 || len(res.TaskRunStatements) != 1 {
			t.Fatalf("%s: %d PipelineRun and %d TaskRun statements", format, len(res.Statements), len(res.TaskRunStatements))
		}
		var pr, tr slsa1Doc
		if err := json.Unmarshal(res.Statements[0].Body, &pr); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(res.TaskRunStatements[0].Body, &tr); err != nil {
			t.Fatal(err)
		}
		docs[format] = [2]slsa1Doc{pr, tr}
	}
	const stepAction = "stepAction/build=oci://registry.example/stepactions/build"
	const gitInput = "inputs/result=git+https://git.example/app.git"
	for i, kind := range []string{"PipelineRun", "TaskRun"} {
		v3, v4 := docs[config.FormatSLSAv2alpha3][i], docs[config.FormatSLSAv2alpha4][i]
		if slices.Contains(v3.deps(), stepAction) || slices.Contains(v3.deps(), gitInput) {
			t.Errorf("%s v2alpha3 resolvedDependencies %v: Chains' v2alpha3 records no StepAction and reads no step result", kind, v3.deps())
		}
		if !slices.Contains(v4.deps(), stepAction) || !slices.Contains(v4.deps(), "stepAction/clone=oci://registry.example/stepactions/clone") || !slices.Contains(v4.deps(), gitInput) {
			t.Errorf("%s v2alpha4 resolvedDependencies %v: want each remote StepAction and the step's git input", kind, v4.deps())
		}
		if len(v3.Subject) != 1 || len(v4.Subject) != 1 {
			t.Errorf("%s subjects: v2alpha3 %v, v2alpha4 %v; want the image in both", kind, v3.Subject, v4.Subject)
		}
	}
	tr := snap.TaskRuns[0].Name
	v4byproducts := []string{"taskRunResults/" + tr + "/note", "stepResults/" + tr + "/CHAINS-GIT_URL", "stepResults/" + tr + "/CHAINS-GIT_COMMIT"}
	want := map[string][2][]string{
		config.FormatSLSAv2alpha3: {{"pipelineRunResults/IMAGE_URL", "pipelineRunResults/IMAGE_DIGEST"},
			{"taskRunResults/IMAGE_URL", "taskRunResults/IMAGE_DIGEST", "taskRunResults/note"}},
		config.FormatSLSAv2alpha4: {v4byproducts, v4byproducts},
	}
	for format, w := range want {
		for i, kind := range []string{"PipelineRun", "TaskRun"} {
			if got := docs[format][i].byproducts(); !slices.Equal(got, w[i]) {
				t.Errorf("%s %s byproducts %v, want %v", format, kind, got, w[i])
			}
		}
	}
}
