//go:build stack

package e2e

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/chainseal/chainseal/internal/demo"
	"github.com/chainseal/chainseal/internal/kubetest"
	"github.com/chainseal/chainseal/internal/stacktest"
)

// TestStackRegistry shows the registry is real and authenticates: crane
// pushes with the stack's credentials, and the same push without them is
// refused.
func TestStackRegistry(t *testing.T) {
	t.Parallel()
	env := stacktest.Load(t)
	crane := env.Must(t, "CRANE")
	reg := env.Must(t, "REGISTRY")
	dir := t.TempDir()
	layer := filepath.Join(dir, "layer.tar")
	writeTar(t, layer, "hello.txt", kubetest.Name("smoke"))
	ref := reg + "/smoke/hello:latest"

	// No credentials: refused.
	anon := append(env.Environ(), "DOCKER_CONFIG="+filepath.Join(dir, "anon"))
	if out, err := runErr(anon, crane, "append", "-f", layer, "-t", ref); err == nil {
		t.Fatalf("unauthenticated push succeeded: %s", out)
	} else if !strings.Contains(err.Error(), "UNAUTHORIZED") && !strings.Contains(err.Error(), "401") {
		t.Fatalf("unauthenticated push failed for another reason than authentication: %v", err)
	}

	authed := append(env.Environ(), "DOCKER_CONFIG="+filepath.Join(dir, "authed"))
	run(t, authed, crane, "auth", "login", reg, "-u", env.Must(t, "REGISTRY_USERNAME"), "-p", env.Must(t, "REGISTRY_PASSWORD"))
	pushed := strings.TrimSpace(run(t, authed, crane, "append", "-f", layer, "-t", ref))
	digest := strings.TrimSpace(run(t, authed, crane, "digest", ref))
	if !strings.HasPrefix(digest, "sha256:") || !strings.HasSuffix(pushed, digest) {
		t.Fatalf("crane digest %q does not match the pushed reference %q", digest, pushed)
	}
	// Reading is authenticated too.
	if _, err := runErr(anon, crane, "digest", ref); err == nil {
		t.Fatalf("unauthenticated read of %s succeeded", ref)
	}
}

func writeTar(t testing.TB, path, name, content string) {
	t.Helper()
	if err := demo.WriteLayer(path, name, content); err != nil {
		t.Fatal(err)
	}
}
