// Package stacktest gives tests the addresses and credentials of the real
// local stack that test/stack/up starts. A test that needs the stack calls
// Load; when the stack is not up, the test fails (it never silently skips)
// and says how to start it.
package stacktest

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Env is the stack's env file, parsed.
type Env struct {
	Path string
	vals map[string]string
}

// Get returns one variable of the env file ("" when absent).
func (e *Env) Get(key string) string { return e.vals[key] }

// Must returns one variable, failing the test when it is absent.
func (e *Env) Must(t testing.TB, key string) string {
	t.Helper()
	v := e.vals[key]
	if v == "" {
		t.Fatalf("stack env %s has no %s: restart the stack with test/stack/down && test/stack/up", e.Path, key)
	}
	return v
}

// Environ returns os.Environ() with every stack variable added, for running
// the stack's clients (cosign, rekor-cli, crane, kubectl) as a user would.
func (e *Env) Environ() []string {
	env := os.Environ()
	for k, v := range e.vals {
		env = append(env, k+"="+v)
	}
	return env
}

// Common variables.
func (e *Env) Kubeconfig() string       { return e.vals["KUBECONFIG"] }
func (e *Env) KubeAPIURL() string       { return e.vals["KUBE_API_URL"] }
func (e *Env) KubeCAFile() string       { return e.vals["KUBE_CA_FILE"] }
func (e *Env) Registry() string         { return e.vals["REGISTRY"] }
func (e *Env) RegistryUsername() string { return e.vals["REGISTRY_USERNAME"] }
func (e *Env) RegistryPassword() string { return e.vals["REGISTRY_PASSWORD"] }
func (e *Env) RekorURL() string         { return e.vals["REKOR_URL"] }
func (e *Env) RekorPublicKeyFile() string {
	return e.vals["REKOR_PUBLIC_KEY_FILE"]
}
func (e *Env) VaultAddr() string  { return e.vals["VAULT_ADDR"] }
func (e *Env) VaultToken() string { return e.vals["VAULT_TOKEN"] }
func (e *Env) Kubectl() string    { return e.vals["KUBECTL"] }
func (e *Env) Cosign() string     { return e.vals["COSIGN"] }
func (e *Env) RekorCLI() string   { return e.vals["REKOR_CLI"] }
func (e *Env) Crane() string      { return e.vals["CRANE"] }
func (e *Env) Vault() string      { return e.vals["VAULT"] }

// Load reads the stack's env file: $CHAINSEAL_STACK_ENV, or .stack/env at
// the repository root. It fails the test when the stack is not up.
func Load(t testing.TB) *Env {
	t.Helper()
	e, err := Read()
	if err != nil {
		t.Fatalf("this test needs the real local stack: %v\nstart it with: test/stack/up  (or run: make test)", err)
	}
	return e
}

// Read is Load without a test, for programs (the demo, benchmarks).
func Read() (*Env, error) {
	path := os.Getenv("CHAINSEAL_STACK_ENV")
	if path == "" {
		root, err := repoRoot()
		if err != nil {
			return nil, err
		}
		path = filepath.Join(root, ".stack", "env")
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading the stack env file: %w", err)
	}
	defer f.Close()
	e := &Env{Path: path, vals: map[string]string{}}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if ok {
			e.vals[k] = v
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	return e, nil
}

// repoRoot walks up from the working directory to the directory that holds
// test/stack/up.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "test", "stack", "up")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no test/stack/up above the working directory; set CHAINSEAL_STACK_ENV to the stack's env file")
		}
		dir = parent
	}
}

// HandWritten is the spec.managedBy of the PipelineRuns and TaskRuns whose
// status a test writes by hand, as Tekton would. The stack runs a real
// Tekton controller, which leaves objects managed by another controller
// alone; without it, the controller would start pods for them and overwrite
// the status the test wrote.
const HandWritten = "chainseal.test/hand-written-status"
