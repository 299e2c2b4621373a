package provenance_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/chainseal/chainseal/pkg/config"
	"github.com/chainseal/chainseal/pkg/provenance"
	"github.com/chainseal/chainseal/pkg/provenance/provenancetest"
	"github.com/chainseal/chainseal/pkg/tekton"
	"github.com/chainseal/chainseal/pkg/tekton/tektontest"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

func cfg(t testing.TB, kv ...string) config.Config {
	t.Helper()
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	c, err := config.Parse(m)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// golden is what a golden file holds: everything Build returned, readable.
type golden struct {
	Error         string            `json:"error,omitempty"`
	Problems      []string          `json:"problems,omitempty"`
	Statements    []json.RawMessage `json:"statements,omitempty"`
	SimpleSigning []json.RawMessage `json:"simplesigning,omitempty"`
}

func render(t *testing.T, res *provenance.Result, err error) []byte {
	t.Helper()
	var g golden
	if err != nil {
		g.Error = err.Error()
	}
	if res != nil {
		for _, p := range res.Problems {
			g.Problems = append(g.Problems, p.String())
		}
		for _, s := range res.Statements {
			if s.PayloadType != provenance.PayloadTypeInToto {
				t.Errorf("payload type %q", s.PayloadType)
			}
			g.Statements = append(g.Statements, s.Body)
		}
		for _, s := range res.Signatures {
			g.SimpleSigning = append(g.SimpleSigning, s.Body)
		}
	}
	out, err := json.MarshalIndent(g, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(out, '\n')
}

func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden.json")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file; review the diff and run go test -update:\n%s", path, got)
	}
}

func snap(t testing.TB, r *tektontest.Run, opts ...tekton.Option) *tekton.Snapshot {
	t.Helper()
	s, err := tekton.Cover(r.PipelineRun, r.TaskRuns, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func buildPush() *tektontest.Run { return provenancetest.BuildPush() }

func TestGolden(t *testing.T) {
	own := tekton.WithOwnTaskRun("release-7q2xk-chainseal")
	cases := []struct {
		name string
		run  func() *tektontest.Run
		cfg  []string
		is   error
	}{
		{name: "build-push", run: buildPush},
		{name: "build-push-slsa02", run: buildPush, cfg: []string{config.KeyPipelineRunFormat, config.FormatInToto}},
		{name: "build-push-no-deep-inspection", run: buildPush, cfg: []string{config.KeyPipelineRunDeepInspection, "false"}},
		{name: "bundle", run: provenancetest.Bundle},
		{name: "lint-claim", run: provenancetest.LintClaim},
		{name: "git", run: provenancetest.Git},
		{name: "matrix", run: provenancetest.Matrix},
		{name: "retries", run: provenancetest.Retries},
		{name: "failed-task", run: failed, is: provenance.ErrFailedTasks},
		{name: "failed-task-allowed", run: failed, cfg: []string{config.KeyAllowFailedTasks, "true"}},
		// A CustomRun's status is not read: it counts as not succeeded.
		{name: "skipped-tasks", run: provenancetest.Skipped, cfg: []string{config.KeyAllowFailedTasks, "true"}},
		{name: "no-artifacts", run: provenancetest.NoArtifacts, is: provenance.ErrNoArtifacts},
		{name: "invalid-strict", run: invalid, cfg: []string{config.KeyStrictDigests, "true"}, is: provenance.ErrInvalidArtifacts},
		{name: "invalid-reported", run: invalid},
		{name: "stepaction-results", run: provenancetest.StepActionResults},
		{name: "tep0147-artifacts", run: provenancetest.TEP0147Artifacts},
		{name: "structured-results", run: provenancetest.StructuredResults},
		{name: "hermetic", run: provenancetest.Hermetic},
		{name: "hermetic-slsa02", run: provenancetest.Hermetic, cfg: []string{config.KeyPipelineRunFormat, config.FormatSLSAv02}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := snap(t, c.run(), own)
			conf := cfg(t, c.cfg...)
			res, err := provenance.Build(s, conf, provenance.WithVersion("v0.0.0-test"))
			if c.is == nil && err != nil || c.is != nil && !errors.Is(err, c.is) {
				t.Fatalf("err = %v, want %v", err, c.is)
			}
			got := render(t, res, err)
			// Deterministic: a second build gives the same bytes.
			res2, err2 := provenance.Build(snap(t, c.run(), own), conf, provenance.WithVersion("v0.0.0-test"))
			if again := render(t, res2, err2); !bytes.Equal(got, again) {
				t.Error("two builds of the same snapshot differ")
			}
			checkGolden(t, c.name, got)
		})
	}
}

func failed() *tektontest.Run { return provenancetest.Failed() }

func invalid() *tektontest.Run { return provenancetest.Invalid() }
