//go:build stack

package oci_test

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/chainseal/chainseal/internal/stacktest"
)

// staticKeychain hands the stack's registry credentials to every registry
// the test talks to (only the stack's registry and proxies in front of it).
type staticKeychain struct{ user, pass string }

func (k staticKeychain) Resolve(authn.Resource) (authn.Authenticator, error) {
	return authn.FromConfig(authn.AuthConfig{Username: k.user, Password: k.pass}), nil
}

func stackKeychain(t testing.TB, env *stacktest.Env) authn.Keychain {
	return staticKeychain{env.Must(t, "REGISTRY_USERNAME"), env.Must(t, "REGISTRY_PASSWORD")}
}

func stackRemote(t testing.TB, env *stacktest.Env) []remote.Option {
	return []remote.Option{remote.WithAuthFromKeychain(stackKeychain(t, env))}
}

// clientEnv is what a user's shell would hold to run cosign and rekor-cli
// against the stack: a docker config with the registry login, an empty
// TUF_ROOT (so nothing is fetched from the public good instance), and the
// stack's Rekor key.
func clientEnv(t testing.TB, env *stacktest.Env, hosts ...string) []string {
	t.Helper()
	dir := t.TempDir()
	auth := base64.StdEncoding.EncodeToString([]byte(env.Must(t, "REGISTRY_USERNAME") + ":" + env.Must(t, "REGISTRY_PASSWORD")))
	auths := map[string]any{}
	for _, h := range append(hosts, env.Must(t, "REGISTRY")) {
		auths[h] = map[string]string{"auth": auth}
	}
	cfg, _ := json.Marshal(map[string]any{"auths": auths})
	if err := os.WriteFile(filepath.Join(dir, "config.json"), cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	tuf := t.TempDir()
	return append(env.Environ(),
		"DOCKER_CONFIG="+dir,
		"TUF_ROOT="+tuf,
		"SIGSTORE_REKOR_PUBLIC_KEY="+env.Must(t, "REKOR_PUBLIC_KEY_FILE"),
	)
}

// run runs one of the stack's clients and returns its combined output.
func run(t testing.TB, environ []string, bin string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = environ
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func mustRun(t testing.TB, environ []string, bin string, args ...string) string {
	t.Helper()
	out, err := run(t, environ, bin, args...)
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(bin), strings.Join(args, " "), err, out)
	}
	return out
}
