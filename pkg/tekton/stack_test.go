//go:build stack

package tekton_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/chainseal/chainseal/internal/kubetest"
	"github.com/chainseal/chainseal/internal/stacktest"
	"github.com/chainseal/chainseal/pkg/kubeclient"
	"github.com/chainseal/chainseal/pkg/tekton"
	"github.com/chainseal/chainseal/pkg/tekton/tektontest"
	"github.com/tektoncd/pipeline/pkg/client/clientset/versioned"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// apply creates the run's PipelineRun and TaskRuns on the real
// kube-apiserver and writes their status through the status subresource,
// as the Tekton controller does. It returns the PipelineRun's real UID.
func apply(t testing.TB, c versioned.Interface, r *tektontest.Run) types.UID {
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
	token := kubetest.Token(t, admin, ns, "chainseal")
	reader := kubetest.TektonAs(t, env, token)
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

	// kubeclient's client (the one sign uses) decodes the TaskRun list as
	// it arrives and reads the PipelineRun meanwhile: the same snapshot.
	_, streamer, err := kubeclient.New(kubetest.ConfigAs(t, env, token))
	if err != nil {
		t.Fatal(err)
	}
	streamed, err := tekton.FromAPI(ctx, streamer, ns, "release", tekton.WithUID(string(newUID)), tekton.WithOwnTaskRun("release-chainseal"))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(streamed, s) {
		t.Errorf("kubeclient's snapshot differs from the typed client's:\n%+v\n%+v", streamed, s)
	}
	if _, err := tekton.FromAPI(ctx, streamer, ns, "release", tekton.WithUID(string(oldUID))); !errors.Is(err, tekton.ErrUIDMismatch) {
		t.Errorf("asking kubeclient for the old UID: %v", err)
	}
	// May read PipelineRuns, not list TaskRuns: the list's refusal is the
	// API's, named.
	kubetest.Role(t, admin, ns, "half", rbacv1.PolicyRule{APIGroups: []string{"tekton.dev"}, Resources: []string{"pipelineruns"}, Verbs: []string{"get"}})
	_, half, err := kubeclient.New(kubetest.ConfigAs(t, env, kubetest.Token(t, admin, ns, "half")))
	if err != nil {
		t.Fatal(err)
	}
	_, err = tekton.FromAPI(ctx, half, ns, "release")
	if !apierrors.IsForbidden(err) || !strings.HasPrefix(err.Error(), "reading TaskRuns of PipelineRun "+ns+"/release: ") {
		t.Errorf("without list on TaskRuns: %v", err)
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
