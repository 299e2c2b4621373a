package provenance_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/chainseal/chainseal/pkg/config"
	"github.com/chainseal/chainseal/pkg/provenance"
	"github.com/chainseal/chainseal/pkg/provenance/provenancetest"
	"github.com/chainseal/chainseal/pkg/tekton/tektontest"
)

// taskRunGolden is what a TaskRun golden file holds.
type taskRunGolden struct {
	Error    string            `json:"error,omitempty"`
	TaskRuns []taskRunEntry    `json:"taskRuns,omitempty"`
	Skipped  []json.RawMessage `json:"skipped,omitempty"`
}

type taskRunEntry struct {
	Name         string          `json:"name"`
	UID          string          `json:"uid"`
	PipelineTask string          `json:"pipelineTask"`
	Format       string          `json:"format"`
	PayloadType  string          `json:"payloadType"`
	Payload      json.RawMessage `json:"payload"`
}

func renderTaskRuns(t *testing.T, res *provenance.Result, err error) []byte {
	t.Helper()
	var g taskRunGolden
	if err != nil {
		g.Error = err.Error()
	}
	if res != nil {
		for _, p := range res.TaskRunStatements {
			g.TaskRuns = append(g.TaskRuns, taskRunEntry{Name: p.Namespace + "/" + p.Name, UID: p.UID, PipelineTask: p.PipelineTask, Format: p.Format, PayloadType: p.PayloadType, Payload: p.Body})
		}
		for _, s := range res.SkippedTaskRuns {
			b, _ := json.Marshal(s)
			g.Skipped = append(g.Skipped, b)
		}
	}
	out, err := json.MarshalIndent(g, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(out, '\n')
}

func taskRunCfg(t testing.TB, format string, kv ...string) config.Config {
	return cfg(t, append([]string{config.KeyTaskRunSigner, config.SignerX509, config.KeyTaskRunFormat, format}, kv...)...)
}

func TestTaskRunGolden(t *testing.T) {
	cases := []struct {
		name   string
		run    func() *tektontest.Run
		format string
		cfg    []string
		is     error
	}{
		{name: "taskrun-build-push", run: provenancetest.BuildPush, format: config.FormatSLSAv2alpha4},
		{name: "taskrun-build-push-slsa02", run: provenancetest.BuildPush, format: config.FormatInToto},
		{name: "taskrun-build-push-tekton", run: provenancetest.BuildPush, format: config.FormatTekton},
		{name: "taskrun-bundle-slsa-tekton", run: provenancetest.Bundle, format: config.FormatSLSAv2alpha4, cfg: []string{config.KeyBuildType, config.BuildTypeSLSATekton}},
		{name: "taskrun-git-slsa02", run: provenancetest.Git, format: config.FormatSLSAv02},
		{name: "taskrun-structured-results", run: provenancetest.StructuredResults, format: config.FormatSLSAv2alpha4},
		{name: "taskrun-stepaction-tep0147", run: stepActionAndTEP0147, format: config.FormatSLSAv2alpha4},
		{name: "taskrun-failed-allowed", run: provenancetest.Failed, format: config.FormatSLSAv2alpha4, cfg: []string{config.KeyAllowFailedTasks, "true"}},
		{name: "taskrun-failed-allowed-tekton", run: provenancetest.Failed, format: config.FormatTekton, cfg: []string{config.KeyAllowFailedTasks, "true"}},
		{name: "taskrun-hermetic", run: provenancetest.Hermetic, format: config.FormatSLSAv2alpha4},
		{name: "taskrun-hermetic-slsa02", run: provenancetest.Hermetic, format: config.FormatSLSAv02},
		{name: "taskrun-no-artifacts-tekton", run: provenancetest.NoArtifacts, format: config.FormatTekton, is: provenance.ErrNoArtifacts},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			conf := taskRunCfg(t, c.format, c.cfg...)
			res, err := provenance.Build(snap(t, c.run(), provenancetest.Own), conf, provenance.WithVersion("v0.0.0-test"))
			if c.is == nil && err != nil || c.is != nil && !errors.Is(err, c.is) {
				t.Fatalf("err = %v, want %v", err, c.is)
			}
			got := renderTaskRuns(t, res, err)
			res2, err2 := provenance.Build(snap(t, c.run(), provenancetest.Own), conf, provenance.WithVersion("v0.0.0-test"))
			if again := renderTaskRuns(t, res2, err2); !bytes.Equal(got, again) {
				t.Error("two builds of the same snapshot differ")
			}
			checkGolden(t, c.name, got)
		})
	}
}

func stepActionAndTEP0147() *tektontest.Run {
	r := provenancetest.StepActionResults()
	r.TaskRuns[0].Status.Artifacts = provenancetest.TEP0147()
	return r
}

// TaskRun statements are only built when artifacts.taskrun.signer is not
// "none" (the default), and the PipelineRun statement is unchanged by them.
func TestTaskRunStatementsOnlyWhenEnabled(t *testing.T) {
	off, err := provenance.Build(snap(t, buildPush(), provenancetest.Own), cfg(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(off.TaskRunStatements) != 0 || len(off.SkippedTaskRuns) != 0 {
		t.Errorf("TaskRun statements built with the signer off: %d", len(off.TaskRunStatements))
	}
	on, err := provenance.Build(snap(t, buildPush(), provenancetest.Own), taskRunCfg(t, config.FormatSLSAv2alpha4))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(on.Statements[0].Body, off.Statements[0].Body) {
		t.Error("turning TaskRun signing on changed the PipelineRun statement")
	}
	// clone (git input only), notify: no subjects; build and package: one statement each.
	var names []string
	for _, p := range on.TaskRunStatements {
		names = append(names, p.PipelineTask)
		if !p.Wrapped() || p.PayloadType != provenance.PayloadTypeInToto {
			t.Errorf("%s: payload type %q", p.Name, p.PayloadType)
		}
	}
	if fmt.Sprint(names) != "[build package]" || len(on.SkippedTaskRuns) != 2 {
		t.Errorf("statements for %v, skipped %+v", names, on.SkippedTaskRuns)
	}
}

// The tekton format is signed raw, for every covered TaskRun, and is the
// TaskRun's status byte for byte as encoding/json writes it.
func TestTaskRunTektonFormatIsRawStatus(t *testing.T) {
	r := buildPush()
	res, err := provenance.Build(snap(t, r, provenancetest.Own), taskRunCfg(t, config.FormatTekton))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.TaskRunStatements) != 4 || len(res.SkippedTaskRuns) != 0 {
		t.Fatalf("%d tekton payloads, %d skipped; want 4 (own TaskRun excluded), 0", len(res.TaskRunStatements), len(res.SkippedTaskRuns))
	}
	for i, p := range res.TaskRunStatements {
		if p.Wrapped() || p.Format != config.FormatTekton {
			t.Errorf("%s: wrapped=%v format=%q", p.Name, p.Wrapped(), p.Format)
		}
		want, _ := json.Marshal(r.TaskRuns[i].Status)
		if p.UID != string(r.TaskRuns[i].UID) || !bytes.Equal(p.Body, want) {
			t.Errorf("%s: payload is not the TaskRun's status", p.Name)
		}
	}
}

// Every in-toto TaskRun statement passes in-toto's own validators and is
// about its own TaskRun (invocationId is the TaskRun's UID).
func TestTaskRunStatementsPassInTotoValidators(t *testing.T) {
	res, err := provenance.Build(snap(t, bigRun(5)), taskRunCfg(t, config.FormatSLSAv2alpha4))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.TaskRunStatements) != 5 {
		t.Fatalf("%d TaskRun statements, want 5", len(res.TaskRunStatements))
	}
	for _, p := range res.TaskRunStatements {
		st, prov := validSLSA1(t, p.Body)
		if got := prov.GetRunDetails().GetMetadata().GetInvocationId(); got != p.UID {
			t.Errorf("%s: invocationId %q, want the TaskRun UID %q", p.Name, got, p.UID)
		}
		if len(st.GetSubject()) != 1 || st.GetSubject()[0].GetName() != "registry.example/app/"+p.PipelineTask {
			t.Errorf("%s: subjects %v, want its own image only", p.Name, st.GetSubject())
		}
	}
}

func TestTaskRunFormatRejected(t *testing.T) {
	c := taskRunCfg(t, config.FormatSLSAv2alpha4)
	c.TaskRun.Format = "simplesigning"
	_, err := provenance.Build(snap(t, buildPush(), provenancetest.Own), c)
	if err == nil || !bytes.Contains([]byte(err.Error()), []byte(config.KeyTaskRunFormat)) {
		t.Errorf("err = %v, want one naming %s", err, config.KeyTaskRunFormat)
	}
}
