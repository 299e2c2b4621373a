package annotations

import (
	"context"
	"testing"

	"github.com/tektoncd/pipeline/pkg/client/clientset/versioned/fake"

	"github.com/chainseal/chainseal/pkg/storage"
	"github.com/chainseal/chainseal/pkg/tekton/tektontest"
)

// Storing on a run and marking it signed are one patch each, the run's UID
// and the API server's annotation limit checked by the API server: no read
// of the run first (for a pipeline of a thousand tasks, a read of its whole
// status). The real API server's refusals, and what chainseal says of them,
// are in stack_test.go (TestRecreatedRunIsNotAnnotated,
// TestTooLargeForAnnotationsFailsClearly).
func TestStoreAndMarkAreOnePatchEach(t *testing.T) {
	r := tektontest.NewRun("ci", "p")
	c := fake.NewSimpleClientset(r.PipelineRun)
	o := storage.Object{Kind: "PipelineRun", Namespace: "ci", Name: "p", UID: string(r.PipelineRun.UID)}
	b := New(c)
	a := storage.Attestation{Object: o, Format: "slsa/v2alpha4", PayloadType: "application/vnd.in-toto+json",
		Payload: []byte(`{}`), Envelope: []byte(`{"payloadType":"application/vnd.in-toto+json","signatures":[{"sig":"c2ln"}]}`)}
	if _, err := b.Store(context.Background(), storage.Batch{Attestations: []storage.Attestation{a}}); err != nil {
		t.Fatal(err)
	}
	if err := b.MarkSigned(context.Background(), o, ""); err != nil {
		t.Fatal(err)
	}
	var verbs []string
	for _, a := range c.Actions() {
		verbs = append(verbs, a.GetVerb())
	}
	if len(verbs) != 2 || verbs[0] != "patch" || verbs[1] != "patch" {
		t.Errorf("requests %v, want a patch to store and one to mark", verbs)
	}
}
