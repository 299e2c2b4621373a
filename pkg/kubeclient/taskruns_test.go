package kubeclient

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/rest"
	kjson "sigs.k8s.io/json"
)

// taskRunList is a TaskRunList as the API server writes it: items carry
// their own apiVersion and kind.
const taskRunList = `{"apiVersion":"tekton.dev/v1","kind":"TaskRunList","metadata":{"resourceVersion":"42"},"items":[
 {"apiVersion":"tekton.dev/v1","kind":"TaskRun","metadata":{"name":"p-build","namespace":"ns","uid":"u1","labels":{"tekton.dev/pipelineRun":"p"}},
  "spec":{"params":[{"name":"n","value":["a","b"]}],"taskRef":{"name":"build"}},
  "status":{"podName":"p-build-pod","results":[{"name":"IMAGE_DIGEST","type":"string","value":"sha256:1"}],"steps":[{"name":"s","imageID":"img@sha256:2"}]}},
 {"apiVersion":"tekton.dev/v1","kind":"TaskRun","metadata":{"name":"p-test","namespace":"ns","uid":"u2"},"status":{"podName":"p-test-pod"}}
]}`

func TestDecodeTaskRunListAsTheTypedClientDoes(t *testing.T) {
	got, err := decodeTaskRunList(strings.NewReader(taskRunList))
	if err != nil {
		t.Fatal(err)
	}
	// client-go decodes a whole list with this call.
	var want v1.TaskRunList
	if err := kjson.UnmarshalCaseSensitivePreserveInts([]byte(taskRunList), &want); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want.Items) {
		t.Fatalf("%d items, want %d", len(got), len(want.Items))
	}
	for i := range got {
		if !reflect.DeepEqual(*got[i], want.Items[i]) {
			t.Errorf("item %d:\n got %+v\nwant %+v", i, *got[i], want.Items[i])
		}
	}
	if got[0].Spec.Params[0].Value.ArrayVal[1] != "b" || got[0].Status.Results[0].Value.StringVal != "sha256:1" {
		t.Errorf("custom-decoded fields lost: %+v", got[0])
	}
}

// A TaskRun's JSON can hold "Status" beside "status" (a CRD keeps unknown
// fields where its schema preserves them). Tekton's controller and
// client-go match field names case-sensitively and ignore "Status";
// encoding/json would let the later one replace what Tekton recorded.
func TestDecodeTaskRunListIgnoresMiscasedFields(t *testing.T) {
	list := `{"kind":"TaskRunList","items":[{"metadata":{"name":"p-build"},
	  "status":{"results":[{"name":"IMAGE_DIGEST","type":"string","value":"sha256:real"}]},
	  "Status":{"results":[{"name":"IMAGE_DIGEST","type":"string","value":"sha256:forged"}]},
	  "Metadata":{"name":"forged"}}]}`
	got, err := decodeTaskRunList(strings.NewReader(list))
	if err != nil {
		t.Fatal(err)
	}
	if d := got[0].Status.Results[0].Value.StringVal; d != "sha256:real" {
		t.Errorf("digest %q, want the one Tekton's controller reads", d)
	}
	if got[0].Name != "p-build" {
		t.Errorf("name %q", got[0].Name)
	}
}

func TestDecodeTaskRunListRefusesWhatIsNotOneWholeList(t *testing.T) {
	for name, c := range map[string]struct{ body, want string }{
		"a page of several":     {`{"kind":"TaskRunList","metadata":{"continue":"abc"},"items":[]}`, "one page of several"},
		"another kind":          {`{"kind":"PipelineRunList","items":[]}`, `kind "PipelineRunList"`},
		"no kind":               {`{"items":[]}`, `kind ""`},
		"items twice":           {`{"kind":"TaskRunList","items":[],"items":[]}`, "items twice"},
		"items not a list":      {`{"kind":"TaskRunList","items":{}}`, "not an array"},
		"cut short":             {`{"kind":"TaskRunList","items":[{"metadata":{"name":"a"}}`, "decoding the TaskRun list"},
		"an item not an object": {`{"kind":"TaskRunList","items":[1]}`, "item 0 of the TaskRun list"},
		"not an object":         {`[]`, `found [ where "{" belongs`},
	} {
		_, err := decodeTaskRunList(strings.NewReader(c.body))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one saying %q", name, err, c.want)
		}
	}
	for _, empty := range []string{`{"kind":"TaskRunList","items":[]}`, `{"kind":"TaskRunList","items":null}`, `{"kind":"TaskRunList"}`} {
		if got, err := decodeTaskRunList(strings.NewReader(empty)); err != nil || len(got) != 0 {
			t.Errorf("%s: %v, %v", empty, got, err)
		}
	}
}

// tektonDouble is a test double of the API server's TaskRun list (the real
// one: pkg/tekton's stack tests): the list above for the selector
// tekton.dev/pipelineRun=p, the API's Forbidden Status for anything else.
func tektonDouble(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/apis/tekton.dev/v1/namespaces/ns/taskruns" && r.URL.Query().Get("labelSelector") == "tekton.dev/pipelineRun=p" {
			_, _ = w.Write([]byte(taskRunList))
			return
		}
		st := apierrors.NewForbidden(schema.GroupResource{Group: "tekton.dev", Resource: "taskruns"}, "", nil).ErrStatus
		w.WriteHeader(int(st.Code))
		_ = json.NewEncoder(w).Encode(st)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestListTaskRuns(t *testing.T) {
	srv := tektonDouble(t)
	_, tk, err := New(&rest.Config{Host: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	l, ok := tk.(TaskRunLister)
	if !ok {
		t.Fatal("kubeclient's Tekton client is not a TaskRunLister")
	}
	got, err := l.ListTaskRuns(context.Background(), "ns", "tekton.dev/pipelineRun=p")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Name != "p-build" || got[1].Name != "p-test" {
		t.Errorf("listed %v", got)
	}
	if _, err := l.ListTaskRuns(context.Background(), "other", "tekton.dev/pipelineRun=p"); !apierrors.IsForbidden(err) {
		t.Errorf("a refused list: %v, want the API's Forbidden", err)
	}
}
