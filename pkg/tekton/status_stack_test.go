//go:build stack

package tekton_test

import (
	"context"
	"encoding/json"
	"testing"

	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/chainseal/chainseal/internal/demo"
	"github.com/chainseal/chainseal/internal/kubetest"
	"github.com/chainseal/chainseal/internal/stacktest"
	"github.com/chainseal/chainseal/pkg/tekton/tektontest"
)

// The trust model's premise (docs/slsa.md): tenants cannot write what
// chainseal reads as Tekton's record. A developer with every verb on
// pipelineruns and taskruns (Kubernetes' edit role plus Tekton's
// tekton-aggregate-edit) tries, on the real API server, to forge a TaskRun
// that "succeeded" with an image result: the status written with the
// object is dropped on create and on update, and the status subresource
// refuses them. Only Tekton's controller (or an admin) writes status.
func TestTenantCannotWriteTektonsRecord(t *testing.T) {
	env := stacktest.Load(t)
	admin := kubetest.Admin(t, env)
	ns := kubetest.Namespace(t, admin, "status")
	ctx := context.Background()
	if err := demo.Developer(ctx, admin, ns); err != nil {
		t.Fatal(err)
	}
	dev := kubetest.TektonAs(t, env, kubetest.Token(t, admin, ns, "developer"))

	r := tektontest.NewRun(ns, "forged")
	forged := r.Add(tektontest.Task{Name: "build", Steps: []string{"build"}, Results: []string{
		"IMAGE_URL", "registry.example/app", "IMAGE_DIGEST", "sha256:" + tektontest.Digest("forged")}})[0]
	if len(forged.Status.Results) == 0 || !forged.IsSuccessful() {
		t.Fatal("the forged TaskRun should carry a succeeded status with results")
	}
	// No owner: the garbage collector would delete a TaskRun whose
	// PipelineRun does not exist.
	forged.ResourceVersion, forged.UID, forged.OwnerReferences = "", "", nil
	trs := dev.TektonV1().TaskRuns(ns)

	created, err := trs.Create(ctx, forged, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("a developer creating a TaskRun: %v", err)
	}
	if len(created.Status.Results) != 0 || created.IsDone() {
		t.Fatalf("the status a developer wrote with the TaskRun was kept: %+v", created.Status)
	}

	created.Status = forged.Status
	if _, err := trs.UpdateStatus(ctx, created, metav1.UpdateOptions{}); !apierrors.IsForbidden(err) {
		t.Fatalf("a developer updating TaskRun status: err = %v, want 403", err)
	}
	status, _ := json.Marshal(map[string]any{"status": forged.Status})
	if _, err := trs.Patch(ctx, created.Name, types.MergePatchType, status, metav1.PatchOptions{}, "status"); !apierrors.IsForbidden(err) {
		t.Fatalf("a developer patching TaskRun status: err = %v, want 403", err)
	}
	fresh, err := trs.Get(ctx, created.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	fresh.Status = forged.Status
	updated, err := trs.Update(ctx, fresh, metav1.UpdateOptions{})
	if err != nil {
		t.Fatalf("a developer updating the TaskRun (spec): %v", err)
	}
	patched, err := trs.Patch(ctx, created.Name, types.MergePatchType, status, metav1.PatchOptions{})
	if err != nil {
		t.Fatalf("a developer patching the TaskRun: %v", err)
	}
	for _, got := range []*pipelinev1.TaskRun{updated, patched} {
		if len(got.Status.Results) != 0 || got.IsDone() {
			t.Fatalf("the status a developer wrote through the main resource was kept: %+v", got.Status)
		}
	}

	pr := r.PipelineRun.DeepCopy()
	pr.ResourceVersion, pr.UID = "", ""
	prs := dev.TektonV1().PipelineRuns(ns)
	gotPR, err := prs.Create(ctx, pr, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("a developer creating a PipelineRun: %v", err)
	}
	if gotPR.IsDone() || len(gotPR.Status.ChildReferences) != 0 {
		t.Fatalf("the status a developer wrote with the PipelineRun was kept: %+v", gotPR.Status)
	}
	gotPR.Status = r.PipelineRun.Status
	if _, err := prs.UpdateStatus(ctx, gotPR, metav1.UpdateOptions{}); !apierrors.IsForbidden(err) {
		t.Fatalf("a developer updating PipelineRun status: err = %v, want 403", err)
	}
}
