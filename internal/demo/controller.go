package demo

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/chainseal/chainseal/internal/stacktest"
)

// StartTektonController starts one more Tekton controller of the stack
// (test/stack/tekton-controller), reconciling only namespace ns, and
// returns once it does; stop ends it. The stack's own controller
// reconciles only its TEKTON_NAMESPACE, so each of the demo's namespaces
// gets its own, as a tenant namespace of a real cluster has Tekton.
func StartTektonController(ctx context.Context, env *stacktest.Env, root, ns, logPath string) (stop func(), err error) {
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(filepath.Join(root, "test", "stack", "tekton-controller"), ns)
	cmd.Env = append(os.Environ(), "CHAINSEAL_STACK_STATE="+env.Get("STACK_STATE_DIR"))
	cmd.Stderr = logf
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting a Tekton controller for %s: %w", ns, err)
	}
	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if sc.Text() == "ready" {
				ready <- true
			}
		}
		ready <- false
	}()
	stop = func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
		}
		logf.Close()
	}
	select {
	case ok := <-ready:
		if ok {
			return stop, nil
		}
		stop()
		return nil, fmt.Errorf("the Tekton controller for %s exited; log: %s", ns, logPath)
	case <-time.After(2 * time.Minute):
	case <-ctx.Done():
	}
	stop()
	return nil, fmt.Errorf("the Tekton controller for %s did not reconcile in time; log: %s", ns, logPath)
}
