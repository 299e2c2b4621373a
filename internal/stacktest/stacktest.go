// Package stacktest gives tests the addresses and credentials of the real
// local stack that test/stack/up starts. A test that needs the stack calls
// Load; when the stack is not up, the test fails (it never silently skips)
// and says how to start it.
package stacktest

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
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

// The node and Tekton (see docs/stack.md). TektonNamespace is the one
// namespace the stack's Tekton controller runs PipelineRuns and TaskRuns in
// (TektonController starts one for another namespace); ShellImage is a
// busybox image in the stack registry, by digest (Tekton's shell image);
// Netns is the stack's network namespace, where its services listen.
func (e *Env) TektonNamespace() string { return e.vals["TEKTON_NAMESPACE"] }
func (e *Env) ShellImage() string      { return e.vals["TEKTON_SHELL_IMAGE"] }
func (e *Env) NodeName() string        { return e.vals["NODE_NAME"] }
func (e *Env) Netns() string           { return e.vals["STACK_NETNS"] }
func (e *Env) TKN() string             { return e.vals["TKN"] }

func (e *Env) VaultAddr() string  { return e.vals["VAULT_ADDR"] }
func (e *Env) VaultToken() string { return e.vals["VAULT_TOKEN"] }
func (e *Env) Kubectl() string    { return e.vals["KUBECTL"] }
func (e *Env) Cosign() string     { return e.vals["COSIGN"] }
func (e *Env) RekorCLI() string   { return e.vals["REKOR_CLI"] }
func (e *Env) Crane() string      { return e.vals["CRANE"] }
func (e *Env) Vault() string      { return e.vals["VAULT"] }

// TektonController starts one more Tekton controller of the stack, which
// reconciles only namespace ns (it must exist), for a test whose runs need a
// namespace of their own: the stack's own controller reconciles only
// TektonNamespace. It returns once the controller reconciles ns, and stops it
// when the test ends (showing its log if the test failed). The test must run
// inside the stack's network namespace (make test runs tests there; by hand:
// test/stack/exec go test ...). Never write runs with a hand-made status in ns.
func (e *Env) TektonController(t testing.TB, ns string) {
	t.Helper()
	logPath := filepath.Join(t.TempDir(), "tekton-controller.log")
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	stop, err := e.StartTektonController(ns, logf)
	if err != nil {
		logf.Close()
		b, _ := os.ReadFile(logPath)
		t.Fatalf("%v\n%s", err, tail(string(b), 30))
	}
	t.Cleanup(func() {
		stop()
		logf.Close()
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			t.Logf("Tekton controller for %s (log %s):\n%s", ns, logPath, tail(string(b), 30))
		}
	})
}

// Start starts the stack's on-demand services (the ondemand rows of
// test/stack/components.sh: servers only some tests need) unless they run
// already, and reads the env file again for what they publish. They run
// until test/stack/down; a test only asks for them. It must run inside the
// stack's network namespace, as stack tests do.
func (e *Env) Start(t testing.TB, services ...string) {
	t.Helper()
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(filepath.Join(root, "test", "stack", "up"), append([]string{"--start"}, services...)...)
	cmd.Env = append(os.Environ(), "CHAINSEAL_STACK_STATE="+e.vals["STACK_STATE_DIR"])
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("starting %s in the stack: %v\n%s", strings.Join(services, ", "), err, tail(string(out), 30))
	}
	n, err := readEnv(e.Path)
	if err != nil {
		t.Fatal(err)
	}
	e.vals = n.vals
}

// StartTektonController is TektonController for programs (the demo): it
// starts the controller for namespace ns with its log going to logw, waits
// until it reconciles ns (at most 3 minutes), and returns the function that
// stops it.
func (e *Env) StartTektonController(ns string, logw io.Writer) (stop func(), err error) {
	root, err := repoRoot()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(filepath.Join(root, "test", "stack", "tekton-controller"), ns)
	cmd.Env = append(os.Environ(), "CHAINSEAL_STACK_STATE="+e.vals["STACK_STATE_DIR"])
	cmd.Stderr = logw
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting a Tekton controller for %s: %w", ns, err)
	}
	exited := make(chan struct{})
	ready := make(chan error, 2) // "ready", then the end of its output
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if sc.Text() == "ready" {
				ready <- nil
			}
		}
		ready <- errors.New("it exited")
		_ = cmd.Wait()
		close(exited)
	}()
	stop = func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	}
	select {
	case err := <-ready:
		if err != nil {
			stop()
			return nil, fmt.Errorf("the Tekton controller for %s did not start: %w", ns, err)
		}
	case <-time.After(3 * time.Minute):
		stop()
		return nil, fmt.Errorf("the Tekton controller for %s did not reconcile in 3m", ns)
	}
	return stop, nil
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

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
	return readEnv(path)
}

func readEnv(path string) (*Env, error) {
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
// status a test writes by hand, as Tekton would. It says so to a Tekton
// controller, but is not enough to keep one away: Tekton v1.15.0 still
// reconciles such a PipelineRun when one of its TaskRuns changes. What keeps
// them safe is the namespace: the stack's controller reconciles only
// TektonNamespace (and TektonController's only the namespace it is given),
// so never write hand-made runs there.
const HandWritten = "chainseal.test/hand-written-status"
