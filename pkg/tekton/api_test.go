package tekton_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/chainseal/chainseal/pkg/tekton"
	"github.com/chainseal/chainseal/pkg/tekton/tektontest"
	"github.com/tektoncd/pipeline/pkg/client/clientset/versioned/fake"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	k8stesting "k8s.io/client-go/testing"
)

// These use the fake clientset for FromAPI's own logic (one get, one list,
// errors); integration_test.go runs it against the real kube-apiserver.
func TestFromAPIListsOnceByLabel(t *testing.T) {
	r := tektontest.NewRun("ci", "p")
	r.Add(tektontest.Task{Name: "a"})
	other := tektontest.NewRun("ci", "q")
	other.Add(tektontest.Task{Name: "a"})
	objs := []runtime.Object{r.PipelineRun, other.PipelineRun}
	for _, tr := range append(r.TaskRuns, other.TaskRuns...) {
		objs = append(objs, tr)
	}
	c := fake.NewSimpleClientset(objs...)
	s, err := tekton.FromAPI(context.Background(), c, "ci", "p", tekton.WithUID(string(r.PipelineRun.UID)))
	if err != nil {
		t.Fatal(err)
	}
	if len(s.TaskRuns) != 1 || s.TaskRuns[0].Name != "p-a" {
		t.Errorf("covered %v", names(s.TaskRuns))
	}
	var lists int
	for _, a := range c.Actions() {
		if a.GetVerb() == "list" {
			lists++
			if sel := a.(k8stesting.ListAction).GetListRestrictions().Labels.String(); sel != "tekton.dev/pipelineRun=p" {
				t.Errorf("label selector %q", sel)
			}
		}
	}
	if lists != 1 {
		t.Errorf("%d list calls, want 1", lists)
	}
}

func TestFromAPIErrors(t *testing.T) {
	r := tektontest.NewRun("payments", "release-7q2xk")
	c := fake.NewSimpleClientset(r.PipelineRun)

	_, err := tekton.FromAPI(context.Background(), c, "payments", "gone")
	if !apierrors.IsNotFound(err) || !strings.HasPrefix(err.Error(), "reading PipelineRun payments/gone: ") {
		t.Errorf("not found: %v", err)
	}

	_, err = tekton.FromAPI(context.Background(), c, "payments", "release-7q2xk", tekton.WithUID("other"))
	if !errors.Is(err, tekton.ErrUIDMismatch) || !strings.Contains(err.Error(), "payments/release-7q2xk") {
		t.Errorf("uid: %v", err)
	}

	c.PrependReactor("list", "taskruns", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Group: "tekton.dev", Resource: "taskruns"}, "", errors.New("no RBAC"))
	})
	_, err = tekton.FromAPI(context.Background(), c, "payments", "release-7q2xk")
	if !apierrors.IsForbidden(err) || !strings.HasPrefix(err.Error(), "reading TaskRuns of PipelineRun payments/release-7q2xk: ") {
		t.Errorf("forbidden: %v", err)
	}
}
