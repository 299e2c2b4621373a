//go:build stack

package sign_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/chainseal/chainseal/internal/demo"
	"github.com/chainseal/chainseal/internal/kubetest"
	"github.com/chainseal/chainseal/internal/sigtest"
	"github.com/chainseal/chainseal/internal/stacktest"
	"github.com/chainseal/chainseal/pkg/config"
	"github.com/chainseal/chainseal/pkg/sign"
	"github.com/chainseal/chainseal/pkg/tekton/tektontest"
)

// Attack (issue #14): a task of the pipeline claims an image digest nobody
// pushed, and chainseal's key signs it: a signature for a "build" that
// never happened, ready for whoever pushes a matching digest later. With
// the platform's chainseal.check-images-exist, chainseal asks the stack's
// real registry (with the run's credentials) before signing anything, and
// refuses the run naming the image and the task that claimed it. Before
// the check, the claim was signed and the run marked signed.
func TestClaimOfAnImageNobodyPushedIsRefused(t *testing.T) {
	env := stacktest.Load(t)
	repo := env.Registry() + "/exists/app"
	img, err := random.Image(512, 1)
	if err != nil {
		t.Fatal(err)
	}
	auth := &authn.Basic{Username: env.RegistryUsername(), Password: env.RegistryPassword()}
	ref, _ := name.ParseReference(repo + ":pushed")
	if err := remote.Write(ref, img, remote.WithAuth(auth)); err != nil {
		t.Fatal(err)
	}
	pushed, _ := img.Digest()
	build := tektontest.Task{Name: "build", Steps: []string{"build"}, Results: []string{"IMAGE_URL", repo, "IMAGE_DIGEST", pushed.String()}}
	lint := tektontest.Task{Name: "lint", Steps: []string{"lint"}, Results: []string{"IMAGES", repo + "@sha256:" + tektontest.Digest("never pushed")}}

	tenant := map[string]string{
		config.KeyPipelineRunSigner: config.SignerX509, config.KeyPipelineRunStorage: "tekton",
		config.KeyTaskRunSigner: config.SignerNone, config.KeyOCISigner: config.SignerNone,
		config.KeyTransparencyEnabled: "false", config.KeyPipelineRunDeepInspection: "true",
	}
	seal := func(t *testing.T, tasks ...tektontest.Task) (governed, error) {
		g := governedNamespace(t, map[string]string{config.KeyCheckImagesExist: "true"}, tenant, tasks...)
		docker, _ := json.Marshal(map[string]any{"auths": map[string]any{env.Registry(): map[string]string{
			"auth": base64.StdEncoding.EncodeToString([]byte(env.RegistryUsername() + ":" + env.RegistryPassword()))}}})
		if err := demo.RegistryAccess(g.ctx, g.admin, g.ns, docker); err != nil {
			t.Fatal(err)
		}
		// Signing and marking need more than reading: the admin's clients.
		g.opts.DryRun, g.opts.SecretDir, g.opts.ServiceAccount = false, keyDir(t), "chainseal"
		g.opts.Kube, g.opts.Tekton = kubetest.AdminCore(t, g.env), kubetest.AdminTekton(t, g.env)
		_, err := sign.Run(g.ctx, g.opts)
		return g, err
	}
	signed := func(g governed) bool {
		pr, err := kubetest.AdminTekton(t, g.env).TektonV1().PipelineRuns(g.ns).Get(context.Background(), "release", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return pr.Annotations["chains.tekton.dev/signed"] == "true"
	}

	g, err := seal(t, build, lint)
	if !errors.Is(err, sign.ErrImageNotInRegistry) || !strings.Contains(err.Error(), "pipeline task lint") ||
		!strings.Contains(err.Error(), tektontest.Digest("never pushed")) {
		t.Fatalf("a lint task claiming a digest nobody pushed: err = %v, want ErrImageNotInRegistry naming the digest and task lint", err)
	}
	t.Logf("refused: %v", err)
	if signed(g) {
		t.Fatal("the run was marked signed although chainseal refused it")
	}

	g, err = seal(t, build)
	if err != nil {
		t.Fatalf("the image the build pushed: %v", err)
	}
	if !signed(g) {
		t.Fatal("the run with only the pushed image was not marked signed")
	}
}

// keyDir is a signing Secret's files: an x509.pem ECDSA key.
func keyDir(t *testing.T) string {
	dir := t.TempDir()
	sigtest.WriteKeyFile(t, filepath.Join(dir, "x509.pem"))
	return dir
}
