package demo

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	"sigs.k8s.io/yaml"

	"github.com/chainseal/chainseal/internal/stacktest"
)

// PushGoImage builds the Go program in dir (static, from the working
// directory's module) and pushes it to the stack registry as <name>: one
// layer with the binary at /ko-app/<name>, its entrypoint, as ko lays an
// image out. It returns the image by digest.
func PushGoImage(ctx context.Context, env *stacktest.Env, dir, imageName string) (string, error) {
	tmp, err := os.MkdirTemp("", "chainseal-image-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, imageName)
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", bin, dir)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build %s: %v\n%s", dir, err, out)
	}
	content, err := os.ReadFile(bin)
	if err != nil {
		return "", err
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, h := range []*tar.Header{
		{Name: "ko-app/", Typeflag: tar.TypeDir, Mode: 0o755},
		{Name: "ko-app/" + imageName, Typeflag: tar.TypeReg, Mode: 0o755, Size: int64(len(content))},
	} {
		if err := tw.WriteHeader(h); err != nil {
			return "", err
		}
	}
	if _, err := tw.Write(content); err != nil {
		return "", err
	}
	if err := tw.Close(); err != nil {
		return "", err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(buf.Bytes())), nil })
	if err != nil {
		return "", err
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		return "", err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return "", err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", "amd64"
	cf.Config.Entrypoint = []string{"/ko-app/" + imageName}
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		return "", err
	}
	ref, err := name.ParseReference(env.Registry() + "/e2e/" + imageName + ":latest")
	if err != nil {
		return "", err
	}
	if err := remote.Write(ref, img, remote.WithAuthFromKeychain(env.Keychain()), remote.WithContext(ctx)); err != nil {
		return "", fmt.Errorf("pushing %s: %w", ref, err)
	}
	d, err := img.Digest()
	if err != nil {
		return "", err
	}
	return ref.Context().Digest(d.String()).String(), nil
}

// Bundle is what `make bundle` pushed: the Tekton bundle holding the
// chainseal Task, and the chainseal image the Task is pinned to.
type Bundle struct {
	Ref   string // the bundle, by digest
	Image string // the chainseal image, by digest
}

// PushBundle runs what `make bundle` runs, from the repository at root: ko
// builds the chainseal image into the stack registry and the chainseal Task
// goes out as a Tekton bundle.
func PushBundle(ctx context.Context, env *stacktest.Env, root, version string) (*Bundle, error) {
	tmp, err := os.MkdirTemp("", "chainseal-bundle-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, "bundle")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/bundle")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("go build ./cmd/bundle: %v\n%s", err, out)
	}
	resolved := filepath.Join(tmp, "resolved.yaml")
	cmd := exec.CommandContext(ctx, bin, "-platform", "linux/amd64", "-resolved-out", resolved)
	cmd.Dir = root
	cmd.Env = append(withoutReleaseVars(os.Environ()), "CHAINSEAL_STACK_ENV="+env.Path, "VERSION="+version)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("cmd/bundle: %v\n%s", err, strings.TrimSpace(stderr.String()))
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	b := &Bundle{Ref: lines[len(lines)-1]}
	doc, err := os.ReadFile(resolved)
	if err != nil {
		return nil, err
	}
	// The Task comes first; the StepAction (the step form) pins the same image.
	first, _, _ := strings.Cut(string(doc), "\n---\n")
	var task pipelinev1.Task
	if err := yaml.Unmarshal([]byte(first), &task); err != nil || task.Kind != "Task" || len(task.Spec.Steps) == 0 {
		return nil, fmt.Errorf("the resolved chainseal Task (%v):\n%s", err, doc)
	}
	b.Image = task.Spec.Steps[0].Image
	return b, nil
}

// withoutReleaseVars drops what would point cmd/bundle at a release
// registry instead of the stack.
func withoutReleaseVars(environ []string) []string {
	var out []string
	for _, kv := range environ {
		switch k, _, _ := strings.Cut(kv, "="); k {
		case "BUNDLE_REPO", "KO_DOCKER_REPO", "KO_DEFAULTBASEIMAGE", "KO_CONFIG_PATH", "DOCKER_CONFIG", "SOURCE_DATE_EPOCH", "VERSION":
			continue
		}
		out = append(out, kv)
	}
	return out
}
