// Package tasks holds the chainseal Task and its RBAC; this test checks
// them, and the catalog copy and samples, with Tekton's own validation.
package tasks

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"

	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	"github.com/tektoncd/pipeline/pkg/apis/pipeline/v1beta1"
	"k8s.io/apimachinery/pkg/util/yaml"
	"knative.dev/pkg/apis"
	sigsyaml "sigs.k8s.io/yaml"
)

type validatable interface {
	apis.Validatable
	apis.Defaultable
}

// documents splits a multi-document YAML file.
func documents(t *testing.T, path string) [][]byte {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	r := yaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(raw)))
	var out [][]byte
	for {
		doc, err := r.Read()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if len(bytes.TrimSpace(doc)) > 0 {
			out = append(out, doc)
		}
	}
}

func validate(t *testing.T, path string) int {
	t.Helper()
	n := 0
	for i, doc := range documents(t, path) {
		var tm struct{ Kind string }
		if err := sigsyaml.Unmarshal(doc, &tm); err != nil {
			t.Fatalf("%s document %d: %v", path, i, err)
		}
		var obj validatable
		switch tm.Kind {
		case "Task":
			obj = &v1.Task{}
		case "Pipeline":
			obj = &v1.Pipeline{}
		case "PipelineRun":
			obj = &v1.PipelineRun{}
		case "StepAction":
			obj = &v1beta1.StepAction{}
		default:
			continue
		}
		if err := sigsyaml.UnmarshalStrict(doc, obj); err != nil {
			t.Errorf("%s document %d (%s) has fields Tekton v1 does not know: %v", path, i, tm.Kind, err)
			continue
		}
		// The API server names generateName objects before admission.
		if m, ok := obj.(interface {
			GetName() string
			GetGenerateName() string
			SetName(string)
		}); ok && m.GetName() == "" {
			m.SetName(m.GetGenerateName() + "x7k2q")
		}
		ctx := context.Background()
		obj.SetDefaults(ctx)
		if err := obj.Validate(ctx); err != nil {
			t.Errorf("%s document %d (%s) fails Tekton's validation: %v", path, i, tm.Kind, err)
		}
		n++
	}
	return n
}

func TestTektonValidatesTheTaskAndSamples(t *testing.T) {
	files := []string{"chainseal.yaml", "chainseal-step.yaml"}
	samples, _ := filepath.Glob("../catalog/task/chainseal/*/samples/*.yaml")
	catalog, _ := filepath.Glob("../catalog/task/chainseal/*/chainseal.yaml")
	files = append(append(files, catalog...), samples...)
	total := 0
	for _, f := range files {
		total += validate(t, f)
	}
	if total < 5 {
		t.Fatalf("validated only %d Tekton objects in %v", total, files)
	}
}

// The catalog holds a copy of the Task and RBAC; it must not drift.
func TestCatalogCopyIsTheTask(t *testing.T) {
	for src, dst := range map[string]string{
		"chainseal.yaml":     "../catalog/task/chainseal/0.1/chainseal.yaml",
		"rbac.yaml":          "../catalog/task/chainseal/0.1/samples/rbac.yaml",
		"rbac-taskruns.yaml": "../catalog/task/chainseal/0.1/samples/rbac-taskruns.yaml",
	} {
		a, _ := os.ReadFile(src)
		b, err := os.ReadFile(dst)
		if err != nil || !bytes.Equal(a, b) {
			t.Errorf("%s differs from tasks/%s: copy it over", dst, src)
		}
	}
}

// The step never runs as root and params never reach a script.
func TestTaskIsLockedDown(t *testing.T) {
	var task v1.Task
	if err := sigsyaml.UnmarshalStrict(documents(t, "chainseal.yaml")[0], &task); err != nil {
		t.Fatal(err)
	}
	for _, s := range task.Spec.Steps {
		sc := s.SecurityContext
		if sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
			t.Errorf("step %s may run as root or escalate", s.Name)
		}
		if s.Script != "" {
			t.Errorf("step %s has a script; params must be passed as args", s.Name)
		}
	}
}

// The StepAction runs as no root and takes its params as args too.
func TestStepActionIsLockedDown(t *testing.T) {
	var sa v1beta1.StepAction
	if err := sigsyaml.UnmarshalStrict(documents(t, "chainseal-step.yaml")[0], &sa); err != nil {
		t.Fatal(err)
	}
	sc := sa.Spec.SecurityContext
	if sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		t.Error("the chainseal StepAction may run as root or escalate")
	}
	if sa.Spec.Script != "" || len(sa.Spec.Args) == 0 || sa.Spec.Args[0] != "sign" || !slices.Contains(sa.Spec.Args, "--step-form") {
		t.Errorf("the StepAction must run chainseal sign --step-form with args, no script: %v", sa.Spec.Args)
	}
}
