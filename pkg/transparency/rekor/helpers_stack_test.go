//go:build stack

package rekor_test

import (
	"os"
	"os/exec"
	"testing"

	"github.com/chainseal/chainseal/internal/stacktest"
)

func rekorKey(t testing.TB, env *stacktest.Env) []byte {
	t.Helper()
	b, err := os.ReadFile(env.Must(t, "REKOR_PUBLIC_KEY_FILE"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func rekorCLI(t testing.TB, env *stacktest.Env, args ...string) string {
	t.Helper()
	args = append(args, "--rekor_server", env.Must(t, "REKOR_URL"))
	cmd := exec.Command(env.Must(t, "REKOR_CLI"), args...)
	cmd.Env = env.Environ()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("rekor-cli %v: %v\n%s", args, err, out)
	}
	return string(out)
}
