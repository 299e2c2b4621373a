//go:build stack

package e2e

import (
	"bytes"
	"context"
	"debug/elf"
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	tektonv1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	"sigs.k8s.io/yaml"

	"github.com/chainseal/chainseal/images/base"
	"github.com/chainseal/chainseal/internal/stacktest"
)

// TestKoImage builds the chainseal image the way a release does, with ko and
// no Docker engine: on the static base (pushed to the stack's registry
// first), straight to the registry. The image must exist, run as non-root,
// carry a static binary that reports the version ko.yaml stamps in, and
// `ko resolve` must pin the Task to the same digest.
func TestKoImage(t *testing.T) {
	t.Parallel()
	env := stacktest.Load(t)
	ko, crane, reg := env.Must(t, "KO"), env.Must(t, "CRANE"), env.Must(t, "REGISTRY")
	root := repoRoot(t)
	kc := stackKeychain(t, env)
	baseRef := pushBase(t, reg+"/chainseal-e2e/base:static", kc)
	koEnv := append(cleanEnv(env), "DOCKER_CONFIG="+dockerConfig(t, env),
		"KO_DOCKER_REPO="+reg+"/chainseal", "KO_DEFAULTBASEIMAGE="+baseRef,
		"KO_CONFIG_PATH=ko.yaml", "VERSION=v0.0.0-e2e")

	start := time.Now()
	out := runIn(t, root, koEnv, ko, "build", "-B", "--platform=linux/amd64", "./cmd/chainseal")
	t.Logf("ko build took %s", time.Since(start).Round(time.Second))
	built := strings.TrimSpace(lastLine(out))
	if !regexp.MustCompile(`^` + regexp.QuoteMeta(reg) + `/chainseal/chainseal@sha256:[0-9a-f]{64}$`).MatchString(built) {
		t.Fatalf("ko build printed %q, want %s/chainseal/chainseal@sha256:...", built, reg)
	}
	craneEnv := append(cleanEnv(env), "DOCKER_CONFIG="+dockerConfig(t, env))
	if d := strings.TrimSpace(run(t, craneEnv, crane, "digest", built)); !strings.HasSuffix(built, d) {
		t.Fatalf("crane digest %s does not match %s", d, built)
	}

	var cfg v1.ConfigFile
	if err := json.Unmarshal([]byte(run(t, craneEnv, crane, "config", built)), &cfg); err != nil {
		t.Fatal(err)
	}
	if u := cfg.Config.User; u == "" || u == "0" || strings.HasPrefix(u, "0:") || strings.HasPrefix(u, "root") {
		t.Fatalf("image runs as %q: want a non-root numeric user", u)
	}
	if cfg.Config.User != base.User+":"+base.User {
		t.Fatalf("image user %q, want the base's %s:%s (the Task's runAsUser)", cfg.Config.User, base.User, base.User)
	}
	if len(cfg.Config.Entrypoint) != 1 || cfg.Config.Entrypoint[0] != "/ko-app/chainseal" {
		t.Fatalf("entrypoint %v", cfg.Config.Entrypoint)
	}

	var m v1.Manifest
	if err := json.Unmarshal([]byte(run(t, craneEnv, crane, "manifest", built)), &m); err != nil {
		t.Fatal(err)
	}
	var size int64
	for _, l := range m.Layers {
		size += l.Size
	}
	t.Logf("image %s: %d layers, compressed size %d bytes (%.1f MiB)", built, len(m.Layers), size, float64(size)/(1<<20))
	if size > 100<<20 {
		t.Errorf("compressed image is %d bytes: over 100 MiB for one static binary", size)
	}

	bin := exportBinary(t, craneEnv, crane, built)
	if f, err := elf.Open(bin); err != nil {
		t.Fatal(err)
	} else {
		for _, p := range f.Progs {
			if p.Type == elf.PT_INTERP {
				t.Errorf("the binary has an ELF interpreter: not static (CGO_ENABLED=0 in ko.yaml)")
			}
		}
		f.Close()
	}
	if v := run(t, os.Environ(), bin, "version"); !strings.Contains(v, "v0.0.0-e2e") {
		t.Fatalf("chainseal version printed %q: ko.yaml's version ldflag did not apply", v)
	}
	// The Task's build signs only (ko.yaml: -tags chainseal_task).
	if out, err := exec.Command(bin, "verify", "--key", "k.pub", built).CombinedOutput(); err == nil || !strings.Contains(string(out), "chainseal CLI") {
		t.Fatalf("chainseal verify in the image: %v, %s; want the sign-only build's pointer to the chainseal CLI (ko.yaml's -tags chainseal_task did not apply)", err, out)
	}

	// ko resolve: the Task's ko:// image becomes the same digest.
	resolved := runIn(t, root, koEnv, ko, "resolve", "-B", "--platform=linux/amd64", "-f", "tasks/chainseal.yaml")
	if strings.Contains(resolved, "ko://") {
		t.Fatalf("ko resolve left a ko:// reference:\n%s", resolved)
	}
	var task tektonv1.Task
	if err := yaml.Unmarshal([]byte(resolved), &task); err != nil {
		t.Fatal(err)
	}
	if len(task.Spec.Steps) == 0 || task.Spec.Steps[0].Image != built {
		t.Fatalf("resolved Task's image is not %s: %+v", built, task.Spec.Steps)
	}
}

// exportBinary extracts /ko-app/chainseal from the image with crane export.
func exportBinary(t *testing.T, env []string, crane, ref string) string {
	t.Helper()
	dir := t.TempDir()
	tarPath := filepath.Join(dir, "fs.tar")
	run(t, env, crane, "export", ref, tarPath)
	// GNU tar strips a leading "/" from member names.
	runIn(t, dir, env, "tar", "--no-same-owner", "-xf", tarPath)
	return filepath.Join(dir, "ko-app", "chainseal")
}

// stackKeychain authenticates to the stack's registry with its credentials.
func stackKeychain(t *testing.T, env *stacktest.Env) authn.Keychain {
	for _, k := range []string{"REGISTRY", "REGISTRY_USERNAME", "REGISTRY_PASSWORD"} {
		env.Must(t, k)
	}
	return env.Keychain()
}

// dockerConfig writes a DOCKER_CONFIG dir with the stack registry's login,
// for the clients (ko, crane, tkn) that read Docker's config.
func dockerConfig(t testing.TB, env *stacktest.Env) string {
	t.Helper()
	dir := t.TempDir()
	auth := base64.StdEncoding.EncodeToString([]byte(env.Must(t, "REGISTRY_USERNAME") + ":" + env.Must(t, "REGISTRY_PASSWORD")))
	b, _ := json.Marshal(map[string]any{"auths": map[string]any{env.Must(t, "REGISTRY"): map[string]string{"auth": auth}}})
	if err := os.WriteFile(filepath.Join(dir, "config.json"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

// pushBase pushes the linux/amd64 static base and returns it by digest.
func pushBase(t *testing.T, tag string, kc authn.Keychain) string {
	t.Helper()
	img, err := base.Image("/etc/ssl/certs/ca-certificates.crt", v1.Platform{OS: "linux", Architecture: "amd64"})
	if err != nil {
		t.Fatal(err)
	}
	ref, err := name.ParseReference(tag)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img, remote.WithAuthFromKeychain(kc)); err != nil {
		t.Fatalf("pushing the base to %s: %v", ref, err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return ref.Context().Digest(d.String()).String()
}

// cleanEnv is the stack's environment without variables that would make a
// release tool go somewhere else than this test says.
func cleanEnv(env *stacktest.Env) []string {
	var out []string
	for _, kv := range env.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "BUNDLE_REPO", "KO_DOCKER_REPO", "KO_DEFAULTBASEIMAGE", "KO_CONFIG_PATH", "DOCKER_CONFIG", "SOURCE_DATE_EPOCH", "VERSION":
			continue
		}
		out = append(out, kv)
	}
	return out
}

// runIn runs a command in dir with a timeout long enough for a cold ko build
// on a busy 2-core machine, failing the test with its stderr.
func runIn(t *testing.T, dir string, env []string, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir, cmd.Env = dir, env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, lastLines(stderr.String(), 30))
	}
	return stdout.String()
}

func repoRoot(t testing.TB) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "ko.yaml")); err != nil {
		t.Fatalf("repository root not found from the test's directory: %v", err)
	}
	return root
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
