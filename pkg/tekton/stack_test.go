//go:build stack

package tekton_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/chainseal/chainseal/internal/kubetest"
	"github.com/chainseal/chainseal/internal/stacktest"
	"github.com/chainseal/chainseal/pkg/tekton"
	"github.com/chainseal/chainseal/pkg/tekton/tektontest"
	"github.com/tektoncd/pipeline/pkg/client/clientset/versioned"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// apply creates the run's PipelineRun and TaskRuns on the real
// kube-apiserver and writes their status through the status subresource,
// as the Tekton controller does. It returns the PipelineRun's real UID.
func apply(t *testing.T, c versioned.Interface, r *tektontest.Run) types.UID {
	t.Helper()
	return kubetest.ApplyRun(t, c, r.PipelineRun, r.TaskRuns)
}

// TestFromAPIOnTheRealAPIServer reads a run through the kube-apiserver of
// the local stack with chainseal's read-only RBAC, after a PipelineRun of
// the same name was deleted and recreated: nothing of the old run leaks.
func TestFromAPIOnTheRealAPIServer(t *testing.T) {
	env := stacktest.Load(t)
	admin := kubetest.Admin(t, env)
	tk := kubetest.AdminTekton(t, env)
	ns := kubetest.Namespace(t, admin, "snapshot")
	kubetest.ReaderRole(t, admin, ns, "chainseal")
	reader := kubetest.TektonAs(t, env, kubetest.Token(t, admin, ns, "chainseal"))
	ctx := context.Background()

	old := tektontest.NewRun(ns, "release")
	old.Add(tektontest.Task{Name: "build", Results: []string{"IMAGE_URL", "registry.example/old", "IMAGE_DIGEST", "sha256:" + tektontest.Digest("old")}})
	old.Add(tektontest.Task{Name: "lint"})
	oldUID := apply(t, tk, old)
	// An orphan of the old run: no owner reference left, labels intact.
	orphan, err := tk.TektonV1().TaskRuns(ns).Get(ctx, "release-lint", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	orphan.OwnerReferences = nil
	if _, err := tk.TektonV1().TaskRuns(ns).Update(ctx, orphan, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := tk.TektonV1().PipelineRuns(ns).Delete(ctx, "release", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	// The old build TaskRun is deleted (as the garbage collector would) so
	// the new run can reuse its name.
	if err := tk.TektonV1().TaskRuns(ns).Delete(ctx, "release-build", metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
		t.Fatal(err)
	}

	cur := tektontest.NewRun(ns, "release")
	cur.Add(tektontest.Task{Name: "build", Results: []string{"IMAGE_URL", "registry.example/new", "IMAGE_DIGEST", "sha256:" + tektontest.Digest("new")}})
	cur.Add(tektontest.Task{Name: "chainseal", Finally: true, Running: true})
	newUID := apply(t, tk, cur)
	if newUID == oldUID {
		t.Fatal("the recreated PipelineRun has the old UID")
	}

	s, err := tekton.FromAPI(ctx, reader, ns, "release", tekton.WithUID(string(newUID)), tekton.WithOwnTaskRun("release-chainseal"))
	if err != nil {
		t.Fatal(err)
	}
	if len(s.TaskRuns) != 1 || s.TaskRuns[0].Name != "release-build" || s.TaskRuns[0].OwnerReferences[0].UID != newUID {
		t.Fatalf("covered %v", names(s.TaskRuns))
	}
	if got := s.TaskRuns[0].Status.Results[0].Value.StringVal; got != "registry.example/new" {
		t.Errorf("read the old run's results: %q", got)
	}
	if r := reasons(s.Excluded); r["release-lint"] != tekton.ReasonForeign || r["release-chainseal"] != tekton.ReasonOwn {
		t.Errorf("excluded = %v", r)
	}
	if s.TaskRuns[0].Status.Steps[0].ImageID == "" || s.PipelineRun.Status.PipelineSpec == nil {
		t.Error("status did not survive the API round trip")
	}

	_, err = tekton.FromAPI(ctx, reader, ns, "release", tekton.WithUID(string(oldUID)))
	if !errors.Is(err, tekton.ErrUIDMismatch) {
		t.Errorf("asking for the old UID: %v", err)
	}

	kubetest.ServiceAccount(t, admin, ns, "nobody")
	stranger := kubetest.TektonAs(t, env, kubetest.Token(t, admin, ns, "nobody"))
	_, err = tekton.FromAPI(ctx, stranger, ns, "release")
	if !apierrors.IsForbidden(err) || !strings.HasPrefix(err.Error(), "reading PipelineRun "+ns+"/release: ") {
		t.Errorf("without RBAC: %v", err)
	}
	_, err = tekton.FromAPI(ctx, reader, ns, "absent")
	if !apierrors.IsNotFound(err) {
		t.Errorf("absent PipelineRun: %v", err)
	}
}
