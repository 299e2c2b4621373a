package verify

import (
	"strings"
	"testing"

	"github.com/chainseal/chainseal/pkg/tekton/tektontest"
)

// Attack (issue #14): a lint task writes IMAGES= naming an old digest of
// the app, and chainseal (without chainseal.subject-producers) signs it as
// a subject. The statement records who named it: verify
// --trusted-producer rejects that image, and accepts the one the build
// task (resolved from the trusted bundle) named.
func TestTrustedProducer(t *testing.T) {
	st := loadStatement(t, "lint-claim")
	req := Requirements{TrustedProducers: []string{"registry.example/tekton/tasks"}}
	build := digestRef(t, "registry.example/app@sha256:"+tektontest.Digest("app"))
	lint := digestRef(t, "registry.example/app@sha256:"+tektontest.Digest("old-vulnerable"))
	if c := req.checkProducer(st, build); c.Status != Pass || !strings.Contains(c.Detail, "pipeline task build (TaskRun release-7q2xk-build) from registry.example/tekton/tasks:v3@sha256:") {
		t.Errorf("the build task's image: %+v", c)
	}
	if c := req.checkProducer(st, lint); c.Status != Fail || !strings.Contains(c.Detail, "pipeline task lint (TaskRun release-7q2xk-lint)") || !strings.Contains(c.Detail, "no reference") {
		t.Errorf("the lint task's image: %+v", c)
	}
	other := Requirements{TrustedProducers: []string{"registry.example/tekton/task"}}
	if c := other.checkProducer(st, build); c.Status != Fail || !strings.Contains(c.Detail, "not under --trusted-producer") {
		t.Errorf("a prefix that is not a path boundary: %+v", c)
	}
	// git: the task's git URL.
	git := loadStatement(t, "git")
	if c := (Requirements{TrustedProducers: []string{"https://git.example/catalog"}}).checkProducer(git, build); c.Status != Pass {
		t.Errorf("git producer: %+v", c)
	}
	// SLSA v0.2 records producers too.
	v02 := loadStatement(t, "build-push-slsa02")
	worker := digestRef(t, "registry.example/payments/worker@sha256:"+tektontest.Digest("worker"))
	if c := req.checkProducer(v02, worker); c.Status != Fail || !strings.Contains(c.Detail, "pipeline task package") {
		t.Errorf("v0.2, inline task: %+v", c)
	}
}

func TestUnderRef(t *testing.T) {
	for _, c := range []struct {
		uri, ref string
		want     bool
	}{
		{"registry.example/tekton/tasks:v3", "registry.example/tekton/tasks", true},
		{"registry.example/tekton/tasks@sha256:00", "registry.example/tekton/tasks", true},
		{"registry.example/tekton/tasks-evil:v3", "registry.example/tekton/tasks", false},
		{"registry.example/tekton/tasks:v3", "registry.example/tekton/", true},
		{"git+https://git.example/catalog.git", "https://git.example/catalog", true},
		{"git+https://git.example/catalog-evil", "https://git.example/catalog", false},
	} {
		if got := underRef(c.uri, c.ref); got != c.want {
			t.Errorf("underRef(%q, %q) = %v", c.uri, c.ref, got)
		}
	}
}
