package bundle

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	tkoci "github.com/tektoncd/pipeline/pkg/remote/oci"
)

const twoObjects = `apiVersion: tekton.dev/v1
kind: Task
metadata: {name: seal}
spec:
  steps:
    - name: sign
      image: registry.example/chainseal@sha256:0000000000000000000000000000000000000000000000000000000000000000
---
apiVersion: tekton.dev/v1
kind: Pipeline
metadata: {name: release}
spec:
  tasks:
    - name: seal
      taskRef: {name: seal}
`

func mustParse(t *testing.T, src string) []Resource {
	t.Helper()
	rs, err := Parse("test.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

func TestBuildLayersAndAnnotations(t *testing.T) {
	img, err := Build(mustParse(t, twoObjects), time.Unix(1700000000, 0))
	if err != nil {
		t.Fatal(err)
	}
	m, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Layers) != 2 {
		t.Fatalf("got %d layers, want one per object (2)", len(m.Layers))
	}
	want := []map[string]string{
		{tkoci.APIVersionAnnotation: "v1", tkoci.KindAnnotation: "task", tkoci.TitleAnnotation: "seal"},
		{tkoci.APIVersionAnnotation: "v1", tkoci.KindAnnotation: "pipeline", tkoci.TitleAnnotation: "release"},
	}
	for i, l := range m.Layers {
		for k, v := range want[i] {
			if l.Annotations[k] != v {
				t.Errorf("layer %d annotation %s = %q, want %q", i, k, l.Annotations[k], v)
			}
		}
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Created.Unix(); got != 1700000000 {
		t.Errorf("created = %d, want SOURCE_DATE_EPOCH 1700000000", got)
	}
}

func TestBuildIsReproducible(t *testing.T) {
	digest := func(created time.Time) string {
		img, err := Build(mustParse(t, twoObjects), created)
		if err != nil {
			t.Fatal(err)
		}
		d, err := img.Digest()
		if err != nil {
			t.Fatal(err)
		}
		return d.String()
	}
	a, b := digest(time.Unix(1700000000, 0)), digest(time.Unix(1700000000, 0))
	if a != b {
		t.Fatalf("same objects and time gave %s and %s", a, b)
	}
	if c := digest(time.Unix(1700000001, 0)); c == a {
		t.Fatalf("a different creation time gave the same digest %s", c)
	}
}

func TestParseRefuses(t *testing.T) {
	for name, tc := range map[string]struct{ src, want string }{
		"unresolved ko image": {strings.Replace(twoObjects, "registry.example/chainseal@sha256:0000000000000000000000000000000000000000000000000000000000000000", "ko://github.com/chainseal/chainseal/cmd/chainseal", 1), "ko resolve"},
		"not a Tekton object": {"apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: x}\n", "not a Tekton object"},
		"no name":             {"apiVersion: tekton.dev/v1\nkind: Task\nmetadata: {}\nspec: {}\n", "no metadata.name"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Parse("in.yaml", []byte(tc.src))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestBuildRefusesDuplicatesAndEmpty(t *testing.T) {
	rs := mustParse(t, twoObjects)
	if _, err := Build(append(rs, rs[0]), time.Unix(0, 0)); err == nil || !strings.Contains(err.Error(), "task/seal appears twice") {
		t.Fatalf("duplicate: got %v", err)
	}
	if _, err := Build(nil, time.Unix(0, 0)); err == nil {
		t.Fatal("an empty bundle was built")
	}
}

// TestTektonResolvesTheBundle pushes a bundle to an in-process registry and
// reads it back with Tekton's own OCI bundle resolver.
func TestTektonResolvesTheBundle(t *testing.T) {
	srv := httptest.NewServer(registry.New(registry.Logger(nilLogger())))
	defer srv.Close()
	ref, err := name.ParseReference(strings.TrimPrefix(srv.URL, "http://") + "/tasks/chainseal:test")
	if err != nil {
		t.Fatal(err)
	}
	img, err := Build(mustParse(t, twoObjects), time.Unix(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img); err != nil {
		t.Fatal(err)
	}
	obj, _, err := tkoci.NewResolver(ref.String(), authn.DefaultKeychain).Get(context.Background(), "task", "seal")
	if err != nil {
		t.Fatal(err)
	}
	task, ok := obj.(*v1.Task)
	if !ok {
		t.Fatalf("resolved a %T, want a *v1.Task", obj)
	}
	if task.Name != "seal" || len(task.Spec.Steps) != 1 || !strings.HasPrefix(task.Spec.Steps[0].Image, "registry.example/chainseal@sha256:") {
		t.Fatalf("resolved Task is not the one bundled: %+v", task)
	}
	if _, _, err := tkoci.NewResolver(ref.String(), authn.DefaultKeychain).Get(context.Background(), "task", "missing"); err == nil {
		t.Fatal("resolving a Task that is not in the bundle succeeded")
	}
}
