//go:build stack

package e2e

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/chainseal/chainseal/internal/demo"
	"github.com/chainseal/chainseal/internal/kubetest"
	"github.com/chainseal/chainseal/internal/stacktest"
)

// buildFixture is one namespace with chainseal's RBAC applied, an image a
// build pushed, and the PipelineRun that built it, as Tekton left it while
// the chainseal finally task runs.
type buildFixture struct {
	env     *stacktest.Env
	ns      string
	work    string
	docker  string   // DOCKER_CONFIG holding the registry credentials
	userEnv []string // the stack's environment with that docker config
	repo    string
	digest  string
	build   *demo.Build
}

func newBuildFixture(t testing.TB, env *stacktest.Env, prefix string, rbac ...string) *buildFixture {
	t.Helper()
	admin := kubetest.Admin(t, env)
	f := &buildFixture{env: env, work: t.TempDir()}
	f.ns = kubetest.Namespace(t, admin, prefix)
	for _, r := range append([]string{"../../tasks/rbac.yaml"}, rbac...) {
		run(t, env.Environ(), env.Kubectl(), "apply", "-n", f.ns, "-f", r)
	}
	f.docker = filepath.Join(f.work, "docker")
	f.userEnv = append(env.Environ(), "DOCKER_CONFIG="+f.docker, "TUF_ROOT="+filepath.Join(f.work, "tuf"))
	run(t, f.userEnv, env.Crane(), "auth", "login", env.Registry(), "-u", env.RegistryUsername(), "-p", env.RegistryPassword())
	layer := filepath.Join(f.work, "layer.tar")
	writeTar(t, layer, "app", f.ns)
	f.repo = env.Registry() + "/" + f.ns + "/app"
	run(t, f.userEnv, env.Crane(), "append", "-f", layer, "-t", f.repo+":latest")
	f.digest = strings.TrimSpace(run(t, f.userEnv, env.Crane(), "digest", f.repo+":latest"))
	b, err := demo.CreateBuild(context.Background(), kubetest.AdminTekton(t, env), f.ns, "release", f.repo, f.digest)
	if err != nil {
		t.Fatal(err)
	}
	f.build = b
	return f
}

// image is the built image by digest.
func (f *buildFixture) image() string { return f.repo + "@" + f.digest }

// kubeconfig writes a kubeconfig holding a fresh token of the namespace's
// chainseal ServiceAccount, what its pod would have.
func (f *buildFixture) kubeconfig(t testing.TB) string {
	t.Helper()
	kc := filepath.Join(f.work, "kubeconfig")
	writeTokenKubeconfig(t, f.env, kc, kubetest.Token(t, kubetest.Admin(t, f.env), f.ns, "chainseal"))
	return kc
}

// signArgs are the flags that name the fixture's run.
func (f *buildFixture) signArgs(t testing.TB) []string {
	return []string{"sign", "--kubeconfig", f.kubeconfig(t), "-n", f.ns, "--pipelinerun", f.build.Name,
		"--pipelinerun-uid", string(f.build.UID), "--taskrun", f.build.OwnTaskRun, "--results-dir", ""}
}

// markedSigned: the build's PipelineRun carries chains.tekton.dev/signed=true.
func (f *buildFixture) markedSigned(t testing.TB) bool {
	t.Helper()
	pr, err := kubetest.AdminTekton(t, f.env).TektonV1().PipelineRuns(f.ns).Get(context.Background(), f.build.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return pr.Annotations["chains.tekton.dev/signed"] == "true"
}
