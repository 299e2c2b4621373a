//go:build stack

package annotations

import (
	"bytes"
	"context"
	"encoding/base64"
	"strings"
	"testing"

	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	tektonclient "github.com/tektoncd/pipeline/pkg/client/clientset/versioned"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/chainseal/chainseal/internal/kubetest"
	"github.com/chainseal/chainseal/internal/stacktest"
	"github.com/chainseal/chainseal/pkg/storage"
)

// These tests run against the real kube-apiserver, as chainseal's
// ServiceAccount with the Task's RBAC.

func setup(t *testing.T, canPatch bool) (*Backend, storage.Object, func() map[string]string) {
	t.Helper()
	env := stacktest.Load(t)
	admin := kubetest.Admin(t, env)
	tk := kubetest.AdminTekton(t, env)
	ns := kubetest.Namespace(t, admin, "tekton-store")
	rules := []rbacv1.PolicyRule{{APIGroups: []string{"tekton.dev"}, Resources: []string{"pipelineruns", "taskruns"}, Verbs: []string{"get", "list"}}}
	if canPatch {
		rules = append(rules, rbacv1.PolicyRule{APIGroups: []string{"tekton.dev"}, Resources: []string{"pipelineruns"}, Verbs: []string{"patch"}})
	}
	kubetest.Role(t, admin, ns, "chainseal", rules...)
	pr, err := tk.TektonV1().PipelineRuns(ns).Create(context.Background(), &pipelinev1.PipelineRun{
		ObjectMeta: metav1.ObjectMeta{Name: "release", Annotations: map[string]string{"team": "a"}},
		Spec:       pipelinev1.PipelineRunSpec{PipelineRef: &pipelinev1.PipelineRef{Name: "release"}, ManagedBy: ptr(stacktest.HandWritten)},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b := New(kubetest.TektonAs(t, env, kubetest.Token(t, admin, ns, "chainseal")))
	obj := storage.Object{Kind: "PipelineRun", Namespace: ns, Name: "release", UID: string(pr.UID)}
	read := func() map[string]string {
		got, err := tk.TektonV1().PipelineRuns(ns).Get(context.Background(), "release", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return got.Annotations
	}
	return b, obj, read
}

func attestation(o storage.Object, payload []byte) storage.Attestation {
	return storage.Attestation{Object: o, Format: "slsa/v2alpha4", PayloadType: "application/vnd.in-toto+json",
		Payload: payload, Envelope: []byte(`{"payloadType":"application/vnd.in-toto+json","signatures":[{"sig":"c2ln"}]}`)}
}

func TestAnnotationsAsChainsWritesThem(t *testing.T) {
	t.Parallel()
	b, obj, read := setup(t, true)
	ctx := context.Background()
	a := attestation(obj, []byte(`{"_type":"https://in-toto.io/Statement/v1"}`))
	for i := 0; i < 2; i++ { // a re-run writes the same annotations again
		if _, err := b.Store(ctx, storage.Batch{Attestations: []storage.Attestation{a}}); err != nil {
			t.Fatalf("store %d: %v", i, err)
		}
	}
	ann := read()
	if ann["team"] != "a" {
		t.Errorf("an unrelated annotation was lost: %v", ann)
	}
	key := "chains.tekton.dev/payload-pipelinerun-" + obj.UID
	payload, _ := base64.StdEncoding.DecodeString(ann[key])
	if !bytes.Equal(payload, a.Payload) {
		t.Errorf("%s = %q, want the base64 payload", key, ann[key])
	}
	sig, _ := base64.StdEncoding.DecodeString(ann["chains.tekton.dev/signature-pipelinerun-"+obj.UID])
	if !bytes.Equal(sig, a.Envelope) {
		t.Errorf("signature annotation holds %q, want the DSSE envelope", sig)
	}
	if _, ok := ann[SignedAnnotation]; ok {
		t.Fatal("Store marked the run signed; only MarkSigned may")
	}
	if err := b.MarkSigned(ctx, obj, "http://rekor.example/api/v1/log/entries?logIndex=3"); err != nil {
		t.Fatal(err)
	}
	ann = read()
	if ann[SignedAnnotation] != "true" || !strings.HasSuffix(ann[TransparencyAnnotation], "logIndex=3") {
		t.Errorf("after MarkSigned: %v", ann)
	}
}

func TestRecreatedRunIsNotAnnotated(t *testing.T) {
	t.Parallel()
	b, obj, read := setup(t, true)
	stale := obj
	stale.UID = "00000000-0000-0000-0000-000000000000"
	_, err := b.Store(context.Background(), storage.Batch{Attestations: []storage.Attestation{attestation(stale, []byte("{}"))}})
	if err == nil || !strings.Contains(err.Error(), "recreated") {
		t.Fatalf("want an error saying the run was recreated, got %v", err)
	}
	if err := b.MarkSigned(context.Background(), stale, ""); err == nil || !strings.Contains(err.Error(), "recreated") {
		t.Fatalf("MarkSigned on a run with another UID: %v, want an error saying it was recreated", err)
	}
	for k := range read() {
		if strings.HasPrefix(k, Prefix) {
			t.Fatalf("annotation %s written on the wrong run", k)
		}
	}
}

func TestTooLargeForAnnotationsFailsClearly(t *testing.T) {
	t.Parallel()
	b, obj, read := setup(t, true)
	big := bytes.Repeat([]byte("x"), 300*1024)
	_, err := b.Store(context.Background(), storage.Batch{Attestations: []storage.Attestation{attestation(obj, big)}})
	if err == nil || !strings.Contains(err.Error(), "limit") || !strings.Contains(err.Error(), "oci or file") {
		t.Fatalf("want an error naming the limit and the alternative, got %v", err)
	}
	for k := range read() {
		if strings.HasPrefix(k, Prefix) {
			t.Fatalf("annotation %s written although the payload was refused", k)
		}
	}
}

func TestWithoutPatchPermissionFailsForbidden(t *testing.T) {
	t.Parallel()
	b, obj, _ := setup(t, false)
	_, err := b.Store(context.Background(), storage.Batch{Attestations: []storage.Attestation{attestation(obj, []byte("{}"))}})
	if !apierrors.IsForbidden(err) {
		t.Fatalf("want forbidden (the Role lacks patch), got %v", err)
	}
}

// BenchmarkStore measures one annotation patch (with its read) on the real
// API server, for a 4 KiB statement.
func BenchmarkStore(b *testing.B) {
	env := stacktest.Load(b)
	admin := kubetest.Admin(b, env)
	// As chainseal configures its client: no client-side throttling.
	rc := kubetest.AdminConfig(b, env)
	rc.QPS, rc.Burst = 100, 200
	tk := tektonclient.NewForConfigOrDie(rc)
	ns := kubetest.Namespace(b, admin, "tekton-bench")
	pr, err := tk.TektonV1().PipelineRuns(ns).Create(context.Background(), &pipelinev1.PipelineRun{
		ObjectMeta: metav1.ObjectMeta{Name: "release"},
		Spec:       pipelinev1.PipelineRunSpec{PipelineRef: &pipelinev1.PipelineRef{Name: "release"}, ManagedBy: ptr(stacktest.HandWritten)},
	}, metav1.CreateOptions{})
	if err != nil {
		b.Fatal(err)
	}
	be := New(tk)
	a := attestation(storage.Object{Kind: "PipelineRun", Namespace: ns, Name: "release", UID: string(pr.UID)}, bytes.Repeat([]byte("x"), 4096))
	batch := storage.Batch{Attestations: []storage.Attestation{a}}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := be.Store(context.Background(), batch); err != nil {
			b.Fatal(err)
		}
	}
}

func ptr[T any](v T) *T { return &v }
