//go:build stack

package e2e

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chainseal/chainseal/internal/stacktest"
)

// TestStackUpTwiceAndDown starts a second, private stack with the project's
// scripts (its binaries are cached by the running one), runs up again (it
// must reuse the stack), then down: every process it started is gone and
// nothing listens on its ports.
func TestStackUpTwiceAndDown(t *testing.T) {
	t.Parallel()
	stacktest.Load(t) // the cached binaries come from the main stack's build
	state := t.TempDir()
	script := func(name string) string {
		cmd := exec.Command("../stack/" + name)
		cmd.Env = append(os.Environ(), "CHAINSEAL_STACK_STATE="+state)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("test/stack/%s: %v\n%s", name, err, out)
		}
		return string(out)
	}
	t.Cleanup(func() { // on failure too; down is idempotent
		cmd := exec.Command("../stack/down")
		cmd.Env = append(os.Environ(), "CHAINSEAL_STACK_STATE="+state)
		_ = cmd.Run()
	})
	script("up")
	env, err := os.ReadFile(filepath.Join(state, "env"))
	if err != nil {
		t.Fatal(err)
	}
	pids := readPIDs(t, state)
	if len(pids) < 10 {
		t.Fatalf("up recorded %d processes, want every component", len(pids))
	}
	if out := script("up"); !strings.Contains(out, "already up") {
		t.Fatalf("a second up did not reuse the running stack:\n%s", out)
	}
	if again := readPIDs(t, state); len(again) != len(pids) {
		t.Fatalf("a second up changed the processes: %v -> %v", pids, again)
	}
	var addrs []string
	for _, line := range strings.Split(string(env), "\n") {
		for _, key := range []string{"KUBE_API_URL=https://", "REGISTRY=", "REKOR_URL=http://", "VAULT_ADDR=http://", "REDIS_ADDR=", "MYSQL_ADDR="} {
			if v, ok := strings.CutPrefix(line, key); ok {
				addrs = append(addrs, v)
			}
		}
	}
	if len(addrs) != 6 {
		t.Fatalf("found %d addresses in the env file, want 6: %v", len(addrs), addrs)
	}
	script("down")
	for name, pid := range pids {
		if alive(pid) {
			t.Errorf("%s (pid %s) still runs after down", name, pid)
		}
	}
	for _, a := range addrs {
		if c, err := net.DialTimeout("tcp", a, time.Second); err == nil {
			c.Close()
			t.Errorf("%s still accepts connections after down", a)
		}
	}
}

func readPIDs(t *testing.T, state string) map[string]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(state, "pids", "*.pid"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[strings.TrimSuffix(filepath.Base(f), ".pid")] = strings.TrimSpace(string(b))
	}
	return out
}

// alive: the process exists and is not a zombie waiting to be reaped.
func alive(pid string) bool {
	b, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndex(s, ") ")
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}
