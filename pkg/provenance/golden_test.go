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
	s, err := tekton.New(r.PipelineRun, r.TaskRuns, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var d = tektontest.Digest

func buildPush() *tektontest.Run {
	r := tektontest.NewRun("payments", "release-7q2xk")
	r.Results("APP_IMAGE_URL", "registry.example/payments/app:1.4.2", "APP_IMAGE_DIGEST", "sha256:"+d("app"), "summary", "ok <done>")
	r.Add(tektontest.Task{Name: "clone", Results: []string{"CHAINS-GIT_URL", "https://git.example/payments/app", "CHAINS-GIT_COMMIT", d("commit")[:40], "commit", d("commit")[:40]}})
	r.Add(tektontest.Task{Name: "build", Steps: []string{"build", "push"}, Sidecars: []string{"dind"},
		Results: []string{"IMAGE_URL", "registry.example/payments/app:1.4.2", "IMAGE_DIGEST", "sha256:" + d("app")}})
	r.Add(tektontest.Task{Name: "package", Results: []string{"IMAGES", "registry.example/payments/worker@sha256:" + d("worker") + "\nregistry.example/payments/cli:1.4.2@sha256:" + d("cli") + "\n"}})
	r.Add(tektontest.Task{Name: "notify", Finally: true})
	r.Add(tektontest.Task{Name: "chainseal", Finally: true, Running: true})
	return r
}

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
		{name: "bundle", run: func() *tektontest.Run {
			r := tektontest.NewRun("payments", "release-7q2xk").FromBundle("registry.example/tekton/pipelines:v3")
			r.Add(tektontest.Task{Name: "build", Bundle: "registry.example/tekton/tasks:v3", Results: []string{"IMAGE_URL", "registry.example/app", "IMAGE_DIGEST", "sha256:" + d("app")}})
			r.Add(tektontest.Task{Name: "scan", Bundle: "registry.example/tekton/tasks:v3"})
			return r
		}},
		{name: "git", run: func() *tektontest.Run {
			r := tektontest.NewRun("payments", "release-7q2xk").FromGit("https://git.example/ci", d("pipeline")[:40], "pipelines/release.yaml")
			r.Add(tektontest.Task{Name: "build", Git: [3]string{"https://git.example/catalog", d("catalog")[:40], "task/build/0.3/build.yaml"}, Results: []string{"IMAGE_URL", "registry.example/app", "IMAGE_DIGEST", "sha256:" + d("app")}})
			return r
		}},
		{name: "matrix", run: func() *tektontest.Run {
			r := tektontest.NewRun("payments", "release-7q2xk")
			trs := r.Add(tektontest.Task{Name: "build", Matrix: 3})
			for i, tr := range trs {
				tr.Status.Results = append(tr.Status.Results, result("IMAGES", "registry.example/app-"+string(rune('a'+i))+"@sha256:"+d(tr.Name)))
			}
			return r
		}},
		{name: "retries", run: func() *tektontest.Run {
			r := tektontest.NewRun("payments", "release-7q2xk")
			r.Add(tektontest.Task{Name: "build", Retries: 2, Results: []string{"IMAGE_URL", "registry.example/app", "IMAGE_DIGEST", "sha256:" + d("app")}})
			return r
		}},
		{name: "failed-task", run: failed, is: provenance.ErrFailedTasks},
		{name: "failed-task-allowed", run: failed, cfg: []string{config.KeyAllowFailedTasks, "true"}},
		{name: "skipped-tasks", run: func() *tektontest.Run {
			r := tektontest.NewRun("payments", "release-7q2xk")
			r.Add(tektontest.Task{Name: "build", Results: []string{"IMAGE_URL", "registry.example/app", "IMAGE_DIGEST", "sha256:" + d("app")}})
			r.Skip("deploy")
			r.CustomRun("approve")
			return r
		}},
		{name: "no-artifacts", run: func() *tektontest.Run {
			r := tektontest.NewRun("payments", "release-7q2xk")
			r.Add(tektontest.Task{Name: "test", Results: []string{"IMAGE_URL", "registry.example/app", "IMAGE_DIGEST", "sha256:abc"}})
			return r
		}, is: provenance.ErrNoArtifacts},
		{name: "invalid-strict", run: invalid, cfg: []string{config.KeyStrictDigests, "true"}, is: provenance.ErrInvalidArtifacts},
		{name: "invalid-reported", run: invalid},
		{name: "stepaction-results", run: func() *tektontest.Run {
			r := tektontest.NewRun("payments", "release-7q2xk")
			r.Add(tektontest.Task{Name: "build", Steps: []string{"clone", "build"}, StepResults: map[string][]string{
				"clone": {"CHAINS-GIT_URL", "https://git.example/app", "CHAINS-GIT_COMMIT", d("c")[:40]},
				"build": {"IMAGE_URL", "registry.example/app:v1", "IMAGE_DIGEST", "sha256:" + d("app"), "log", "built"},
			}})
			return r
		}},
		{name: "tep0147-artifacts", run: func() *tektontest.Run {
			r := tektontest.NewRun("payments", "release-7q2xk")
			r.Add(tektontest.Task{Name: "build", Artifacts: tep0147()})
			return r
		}},
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

func failed() *tektontest.Run {
	r := tektontest.NewRun("payments", "release-7q2xk")
	r.Add(tektontest.Task{Name: "build", Results: []string{"IMAGE_URL", "registry.example/app", "IMAGE_DIGEST", "sha256:" + d("app")}})
	r.Add(tektontest.Task{Name: "integration", Failed: true, Results: []string{"IMAGE_URL", "registry.example/half-baked", "IMAGE_DIGEST", "sha256:" + d("half")}})
	return r
}

func invalid() *tektontest.Run {
	r := tektontest.NewRun("payments", "release-7q2xk")
	r.Add(tektontest.Task{Name: "build", Results: []string{
		"IMAGE_URL", "registry.example/app", "IMAGE_DIGEST", "sha256:" + d("app"),
		"DEBUG_IMAGE_URL", "registry.example/debug", "DEBUG_IMAGE_DIGEST", "sha256:" + d("debug")[:10] + "\u202e",
		"BIN_ARTIFACT_URI", "https://dl.example/bin", "BIN_ARTIFACT_DIGEST", "sha1:" + d("bin")[:40],
	}})
	return r
}
