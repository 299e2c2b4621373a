//go:build stack

package e2e

import (
	"context"
	"encoding/json"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	tektonv1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	tektonv1beta1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1beta1"
	tkoci "github.com/tektoncd/pipeline/pkg/remote/oci"

	"github.com/chainseal/chainseal/internal/stacktest"
)

// TestBundle runs what `make bundle` runs (cmd/bundle against the local
// stack): ko builds and pins the image, the Task goes into a Tekton bundle,
// and the bundle is pushed. Built twice from the same commit and
// SOURCE_DATE_EPOCH, the digest is the same. Tekton's own bundle resolver
// fetches the Task back from the registry with the stack's credentials (and
// not without them), and `tkn bundle list` lists it.
func TestBundle(t *testing.T) {
	t.Parallel()
	env := stacktest.Load(t)
	tkn, crane, reg := env.Must(t, "TKN"), env.Must(t, "CRANE"), env.Must(t, "REGISTRY")
	env.Must(t, "KO")
	root := repoRoot(t)
	bin := filepath.Join(t.TempDir(), "bundle")
	runIn(t, root, cleanEnv(env), "go", "build", "-o", bin, "./cmd/bundle")

	bundleEnv := append(cleanEnv(env), "CHAINSEAL_STACK_ENV="+env.Path, "SOURCE_DATE_EPOCH=1700000000", "VERSION=v0.0.0-e2e")
	build := func() string {
		start := time.Now()
		out := strings.TrimSpace(runIn(t, root, bundleEnv, bin, "-platform", "linux/amd64"))
		t.Logf("cmd/bundle took %s: %s", time.Since(start).Round(time.Second), out)
		return out
	}
	ref := build()
	if !regexp.MustCompile(`^` + regexp.QuoteMeta(reg) + `/chainseal/bundle@sha256:[0-9a-f]{64}$`).MatchString(ref) {
		t.Fatalf("cmd/bundle printed %q, want %s/chainseal/bundle@sha256:...", ref, reg)
	}
	if again := build(); again != ref {
		t.Fatalf("same commit and SOURCE_DATE_EPOCH, different bundles: %s then %s", ref, again)
	}

	// The format, read with crane rather than our own code.
	craneEnv := append(cleanEnv(env), "DOCKER_CONFIG="+dockerConfig(t, env))
	var m v1.Manifest
	if err := json.Unmarshal([]byte(run(t, craneEnv, crane, "manifest", ref)), &m); err != nil {
		t.Fatal(err)
	}
	if len(m.Layers) != 2 {
		t.Fatalf("bundle has %d layers, want two (the Task and the StepAction)", len(m.Layers))
	}
	for i, want := range []map[string]string{
		{tkoci.APIVersionAnnotation: "v1", tkoci.KindAnnotation: "task", tkoci.TitleAnnotation: "chainseal"},
		{tkoci.APIVersionAnnotation: "v1beta1", tkoci.KindAnnotation: "stepaction", tkoci.TitleAnnotation: "chainseal-step"},
	} {
		for k, v := range want {
			if got := m.Layers[i].Annotations[k]; got != v {
				t.Errorf("layer %d annotation %s = %q, want %q", i, k, got, v)
			}
		}
	}
	var cfg v1.ConfigFile
	if err := json.Unmarshal([]byte(run(t, craneEnv, crane, "config", ref)), &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.Created.Unix() != 1700000000 {
		t.Errorf("bundle created %s, want SOURCE_DATE_EPOCH 1700000000", cfg.Created.Time)
	}

	// Tekton's resolver, against the real registry.
	ctx := context.Background()
	obj, _, err := tkoci.NewResolver(ref, stackKeychain(t, env)).Get(ctx, "task", "chainseal")
	if err != nil {
		t.Fatalf("Tekton's bundle resolver: %v", err)
	}
	task, ok := obj.(*tektonv1.Task)
	if !ok {
		t.Fatalf("resolved a %T, want a *v1.Task", obj)
	}
	if len(task.Spec.Steps) != 1 {
		t.Fatalf("the bundled Task has %d steps, want 1", len(task.Spec.Steps))
	}
	image := task.Spec.Steps[0].Image
	if !regexp.MustCompile(`^` + regexp.QuoteMeta(reg) + `/chainseal/chainseal@sha256:[0-9a-f]{64}$`).MatchString(image) {
		t.Fatalf("the bundled Task's image %q is not pinned to the pushed chainseal image", image)
	}
	if d := strings.TrimSpace(run(t, craneEnv, crane, "digest", image)); !strings.HasSuffix(image, d) {
		t.Fatalf("the bundled Task names %s, which the registry does not serve (digest %s)", image, d)
	}
	step, _, err := tkoci.NewResolver(ref, stackKeychain(t, env)).Get(ctx, "stepaction", "chainseal-step")
	if err != nil {
		t.Fatalf("Tekton's bundle resolver, the StepAction: %v", err)
	}
	if sa, ok := step.(*tektonv1beta1.StepAction); !ok || sa.Spec.Image != image {
		t.Fatalf("resolved the StepAction as %T %+v, want a *v1beta1.StepAction pinned to %s", step, step, image)
	}
	if _, _, err := tkoci.NewResolver(ref, authn.NewMultiKeychain()).Get(ctx, "task", "chainseal"); err == nil {
		t.Fatal("resolving the bundle without registry credentials succeeded")
	}

	// tkn, as a user would run it.
	list := run(t, craneEnv, tkn, "bundle", "list", ref, "--no-cache")
	if want := "task.tekton.dev/chainseal\nstepaction.tekton.dev/chainseal-step"; strings.TrimSpace(list) != want {
		t.Fatalf("tkn bundle list printed %q, want %q", list, want)
	}
	got := run(t, craneEnv, tkn, "bundle", "list", ref, "task", "chainseal", "--no-cache", "-o", "jsonpath={.spec.steps[0].image}")
	if strings.TrimSpace(got) != image {
		t.Fatalf("tkn bundle list task chainseal shows image %q, want %q", got, image)
	}
}
