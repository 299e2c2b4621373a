package annotations

import (
	"context"
	"testing"

	"github.com/tektoncd/pipeline/pkg/client/clientset/versioned/fake"

	"github.com/chainseal/chainseal/pkg/storage"
	"github.com/chainseal/chainseal/pkg/tekton/tektontest"
)

// Marking a run signed is one patch, its UID a precondition of it: no read
// of the run first (for a pipeline of a thousand tasks, a read of its whole
// status). The real API server's handling of the precondition is in
// stack_test.go (TestRecreatedRunIsNotAnnotated).
func TestMarkSignedIsOnePatch(t *testing.T) {
	r := tektontest.NewRun("ci", "p")
	c := fake.NewSimpleClientset(r.PipelineRun)
	o := storage.Object{Kind: "PipelineRun", Namespace: "ci", Name: "p", UID: string(r.PipelineRun.UID)}
	if err := New(c).MarkSigned(context.Background(), o, ""); err != nil {
		t.Fatal(err)
	}
	var verbs []string
	for _, a := range c.Actions() {
		verbs = append(verbs, a.GetVerb())
	}
	if len(verbs) != 1 || verbs[0] != "patch" {
		t.Errorf("requests %v, want one patch", verbs)
	}
}
