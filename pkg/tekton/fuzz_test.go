package tekton

import (
	"bytes"
	"encoding/json"
	"slices"
	"testing"

	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	"sigs.k8s.io/yaml"

	"github.com/chainseal/chainseal/pkg/tekton/tektontest"
)

// FuzzDecodeStream: a file given to `chainseal sign --from-file` (JSON or
// multi-document YAML: PipelineRuns, TaskRuns, Lists of them), decoded and
// then covered as the API path does. Seeds are runs shaped like what
// Tekton writes (tektontest), in each form the file may take. What decodes
// encodes and decodes again to the same objects, and Cover never covers a
// TaskRun twice or one that was not given.
func FuzzDecodeStream(f *testing.F) {
	r := tektontest.NewRun("ci", "p").FromBundle("registry.example/tekton/pipelines:v3@sha256:" + tektontest.Digest("p"))
	r.Results("IMAGE_URL", "gcr.io/p/app:1.0", "IMAGE_DIGEST", "sha256:"+tektontest.Digest("app"))
	r.Add(tektontest.Task{Name: "build", Results: []string{"IMAGE_URL", "gcr.io/p/app", "IMAGE_DIGEST", "sha256:" + tektontest.Digest("app")}, Steps: []string{"build", "push"}})
	r.Add(tektontest.Task{Name: "test", Failed: true})
	r.Complete()
	js := func(v any) []byte { b, _ := json.Marshal(v); return b }
	ym := func(v any) []byte { b, _ := yaml.Marshal(v); return b }
	list := map[string]any{"apiVersion": "v1", "kind": "List", "items": []any{r.PipelineRun, r.TaskRuns[0], r.TaskRuns[1]}}
	f.Add(js(r.PipelineRun))
	f.Add(ym(list))
	f.Add(js(list))
	f.Add(slices.Concat([]byte("---\n"), ym(r.TaskRuns[0]), []byte("---\n# only a comment\n---\n"), ym(r.PipelineRun), []byte("...\n")))
	f.Add(slices.Concat(js(r.PipelineRun), []byte("\n"), js(r.TaskRuns[1])))
	// The same child listed twice, a child of another run, no status.
	dup := r.PipelineRun.DeepCopy()
	dup.Status.ChildReferences = append(dup.Status.ChildReferences, dup.Status.ChildReferences...)
	f.Add(ym(map[string]any{"apiVersion": "v1", "kind": "PipelineRunList", "items": []any{dup, r.TaskRuns[0], r.TaskRuns[0]}}))
	f.Add([]byte(`{"apiVersion":"tekton.dev/v1","kind":"PipelineRun","metadata":{"name":"p"},"status":{"childReferences":[{"name":"x","kind":"TaskRun"},{"name":"x"},null]}}` + "\n" +
		`{"apiVersion":"tekton.dev/v1","kind":"TaskRun","metadata":{"name":"x","labels":{"tekton.dev/pipelineRun":"p"}},"status":{"conditions":[{"type":"Succeeded","status":"True"}],"completionTime":"2026-03-01T10:00:00Z"}}`))
	f.Add([]byte("apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: List\n  items: []\n"))
	f.Add([]byte("kind: PipelineRun\napiVersion: tekton.dev/v1\nmetadata: {name: \"\u202ep\"}\nspec: {params: [{name: a, value: {x: [1]}}]}\n"))
	f.Add([]byte("{\"kind\":\"TaskRun\",\"apiVersion\":\"tekton.dev/v1\",\"status\":{\"results\":[{\"name\":\"IMAGES\",\"type\":\"string\",\"value\":\"a\\nb\"}]}}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		prs, trs, err := decodeStream("fuzz", bytes.NewReader(data))
		if err != nil {
			return
		}
		if len(prs)+len(trs) == 0 || slices.Contains(prs, nil) || slices.Contains(trs, nil) {
			t.Fatalf("decoded %d PipelineRuns and %d TaskRuns, some nil", len(prs), len(trs))
		}
		// Encode what was decoded as one List and decode it again.
		items := make([]any, 0, len(prs)+len(trs))
		for _, p := range prs {
			items = append(items, p)
		}
		for _, tr := range trs {
			items = append(items, tr)
		}
		once, err := json.Marshal(map[string]any{"apiVersion": "v1", "kind": "List", "items": items})
		if err != nil {
			// Tekton's own types decode some values they refuse to encode
			// (a ParamValue with no type); that is not this parser's to fix.
			return
		}
		prs2, trs2, err := decodeStream("again", bytes.NewReader(once))
		if err != nil {
			t.Fatalf("what was decoded does not decode again: %v\n%s", err, once)
		}
		items = items[:0]
		for _, p := range prs2 {
			items = append(items, p)
		}
		for _, tr := range trs2 {
			items = append(items, tr)
		}
		twice, _ := json.Marshal(map[string]any{"apiVersion": "v1", "kind": "List", "items": items})
		if !bytes.Equal(once, twice) {
			t.Fatalf("decoding changed the objects:\n%s\n%s", once, twice)
		}
		if len(prs) != 1 {
			return
		}
		s, err := Cover(prs[0], trs, WithOwnTaskRun("chainseal"))
		if err != nil {
			return
		}
		seen := map[*v1.TaskRun]bool{}
		for _, tr := range s.TaskRuns {
			if tr.TaskRun == nil || !slices.Contains(trs, tr.TaskRun) {
				t.Fatalf("covered a TaskRun that was not given: %+v", tr)
			}
			if seen[tr.TaskRun] {
				t.Fatalf("covered TaskRun %q twice", tr.Name)
			}
			seen[tr.TaskRun] = true
			if !tr.IsDone() || tr.Status.CompletionTime == nil || tr.Name == "chainseal" {
				t.Fatalf("covered TaskRun %q, which is not finished or is chainseal's", tr.Name)
			}
		}
		_, _ = s.StartedOn(), s.FinishedOn()
		_, _ = s.Complete(), s.Failed()
	})
}
