package signing

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chainseal/chainseal/pkg/config"
)

// run runs a real tool (openssl, gpg, cosign) and fails the test with its
// output when it fails.
func run(t testing.TB, env []string, name string, args ...string) string {
	t.Helper()
	out, err := runErr(env, name, args...)
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return out
}

func runErr(env []string, name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	if env != nil {
		cmd.Env = env
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

func writeFile(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func mustParse(t testing.TB, kv map[string]string) config.Config {
	t.Helper()
	c, err := config.Parse(kv)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// noEnv keeps VAULT_ADDR/VAULT_TOKEN of the test process out of loading.
func noEnv(string) string { return "" }

func loadDir(t testing.TB, signer, dir string, cfg config.Config) (Signer, error) {
	t.Helper()
	return Load(context.Background(), signer, cfg, WithSecrets(DirSecrets(dir)), WithEnv(noEnv))
}

// assertNoSecret fails when an error text contains secret material.
func assertNoSecret(t testing.TB, err error, secrets ...string) {
	t.Helper()
	if err == nil {
		t.Fatal("want an error, got none")
	}
	for _, s := range secrets {
		s = strings.TrimSpace(s)
		if s != "" && strings.Contains(err.Error(), s) {
			t.Fatalf("error text contains a secret (%q...): %v", s[:min(len(s), 12)], err)
		}
	}
}

func assertContains(t testing.TB, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("want an error containing %q, got none", parts)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Fatalf("error %q does not contain %q", err, p)
		}
	}
}

func tmpFile(t testing.TB, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	writeFile(t, p, data)
	return p
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// cosignEnv keeps cosign offline and away from the user's config.
func cosignEnv(t testing.TB, extra ...string) []string {
	return append(os.Environ(), append([]string{"TUF_ROOT=" + t.TempDir(), "HOME=" + t.TempDir(), "SIGSTORE_NO_CACHE=true"}, extra...)...)
}
