package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// chainsSecretPath is where Chains reads its signing key (a constant in
// its reconcilers, where its Deployment mounts the signing-secrets Secret).
const chainsSecretPath = "/etc/signing-secrets"

// Chains is one Tekton Chains controller process, run out of cluster
// against the stack's API server as its Deployment runs it in cluster.
type Chains struct {
	b       *Bench
	cmd     *exec.Cmd
	log     string
	sysNS   string
	exited  chan error
	Started time.Time
	Ready   time.Duration
}

// sharedConfig is the chains-config both sides run with (Chains' ConfigMap
// and chainseal's), so they produce the same thing: PipelineRun provenance
// in slsa/v2alpha4 (deep inspection, as chainseal's default), signed with
// the x509 key file, stored in OCI and logged in Rekor. TaskRun statements
// and image signatures are off on both sides.
func (b *Bench) sharedConfig() map[string]string {
	return map[string]string{
		"artifacts.pipelinerun.format":                 "slsa/v2alpha4",
		"artifacts.pipelinerun.storage":                "oci",
		"artifacts.pipelinerun.signer":                 "x509",
		"artifacts.pipelinerun.enable-deep-inspection": "true",
		"artifacts.taskrun.signer":                     "none",
		"artifacts.oci.signer":                         "none",
		"transparency.enabled":                         "true",
		"transparency.url":                             b.Env.RekorURL(),
	}
}

// startChains starts the controller, watching the namespace watch, and
// waits until it is ready: informers synced, workers started, and both
// controllers leading their leases.
func (b *Bench) startChains(ctx context.Context, watch string) (*Chains, error) {
	sysNS, err := b.namespace(ctx, "chains-system-"+watch[len("bench-"+b.ID+"-"):])
	if err != nil {
		return nil, err
	}
	if _, err := b.Kube.CoreV1().ConfigMaps(sysNS).Create(ctx, &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "chains-config"}, Data: b.sharedConfig()}, metav1.CreateOptions{}); err != nil {
		return nil, fmt.Errorf("creating ConfigMap %s/chains-config: %w", sysNS, err)
	}
	kubeconfig, err := b.chainsKubeconfig(ctx, sysNS, watch)
	if err != nil {
		return nil, err
	}
	// knative parses METRICS_PROMETHEUS_PORT as a 16-bit signed integer.
	metrics, err := freePortBelow(32768)
	if err != nil {
		return nil, err
	}
	profiling, err := freePort()
	if err != nil {
		return nil, err
	}
	c := &Chains{b: b, sysNS: sysNS, log: filepath.Join(b.Work, "chains-"+watch+".log"), exited: make(chan error, 1)}
	logf, err := os.Create(c.log)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	// Chains reads its key from /etc/signing-secrets (a constant: the
	// Deployment mounts the signing-secrets Secret there). A private mount
	// namespace binds our key directory there for this process only.
	if _, err := os.Stat(chainsSecretPath); os.IsNotExist(err) {
		if err := os.Mkdir(chainsSecretPath, 0o700); err != nil {
			return nil, fmt.Errorf("Chains reads its key from %s (needs root): %w", chainsSecretPath, err)
		}
		b.madeSecretPath = true // an empty mount point, removed by cleanup
	}
	c.cmd = exec.Command("unshare", "--mount", "--propagation", "private", "--",
		"sh", "-c", `mount --bind "$0" "$1" && shift && exec "$@"`, b.KeyDir, chainsSecretPath,
		b.O.Chains, "--kubeconfig", kubeconfig, "--namespace", watch)
	// The Deployment's environment (config/100-deployment.yaml), with the
	// metrics and profiling servers on free ports.
	c.cmd.Env = append(os.Environ(),
		"SYSTEM_NAMESPACE="+sysNS,
		"METRICS_DOMAIN=tekton.dev/chains",
		"KUBERNETES_MIN_VERSION=v1.28.0",
		"METRICS_PROMETHEUS_HOST=127.0.0.1",
		"METRICS_PROMETHEUS_PORT="+strconv.Itoa(metrics),
		"PROFILING_PORT="+strconv.Itoa(profiling),
		"DOCKER_CONFIG="+b.DockerDir,
		"KUBECONFIG="+kubeconfig,
	)
	c.cmd.Stdout, c.cmd.Stderr = logf, logf
	c.Started = time.Now()
	if err := c.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting the Chains controller %s: %w", b.O.Chains, err)
	}
	go func() { c.exited <- c.cmd.Wait() }()
	if err := c.waitReady(ctx, 3*time.Minute); err != nil {
		c.Stop()
		return nil, err
	}
	c.Ready = time.Since(c.Started)
	return c, nil
}

func (c *Chains) waitReady(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		log, _ := os.ReadFile(c.log)
		s := string(log)
		if strings.Count(s, `"Started workers"`) >= 2 && strings.Count(s, "has started leading") >= 2 {
			return nil
		}
		select {
		case err := <-c.exited:
			c.exited <- err
			return fmt.Errorf("the Chains controller exited before it was ready (%v); log %s:\n%s", err, c.log, tail(s, 2000))
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the Chains controller was not ready after %s; log %s:\n%s", timeout, c.log, tail(s, 2000))
		}
	}
}

// Stat reads the controller's CPU and memory now.
func (c *Chains) Stat() (ProcStat, error) {
	s, err := readProc(c.cmd.Process.Pid)
	if err != nil {
		return s, fmt.Errorf("reading the Chains controller's /proc (did it exit? log %s): %w", c.log, err)
	}
	return s, nil
}

// Alive is nil while the process runs.
func (c *Chains) Alive() error {
	select {
	case err := <-c.exited:
		c.exited <- err
		return fmt.Errorf("the Chains controller exited (%v); log %s", err, c.log)
	default:
		return nil
	}
}

// Stop ends the controller (SIGTERM, then SIGKILL) and removes its system
// namespace.
func (c *Chains) Stop() {
	if c.cmd.Process != nil && c.Alive() == nil {
		_ = c.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-c.exited:
			c.exited <- err
		case <-time.After(15 * time.Second):
			_ = c.cmd.Process.Kill()
		}
	}
	_ = c.b.deleteNamespace(context.Background(), c.sysNS)
}

// LostLeadership: has the controller logged that it stopped leading? It
// then stops reconciling until it wins the lease again.
func (c *Chains) LostLeadership() bool {
	log, _ := os.ReadFile(c.log)
	return strings.Contains(string(log), "has stopped leading")
}

// Errors counts the controller's logged errors about runs in the
// namespace it watches (elsewhere, its writes are refused by design).
func (c *Chains) Errors(ns string) int {
	log, _ := os.ReadFile(c.log)
	n := 0
	for _, line := range strings.Split(string(log), "\n") {
		if strings.Contains(line, `"severity":"ERROR"`) && strings.Contains(line, `"knative.dev/key":"`+ns+`/`) {
			n++
		}
	}
	return n
}

// freePortBelow finds a free loopback port under limit.
func freePortBelow(limit int) (int, error) {
	for p := 20000 + rand.IntN(limit-20000); ; p++ {
		if p >= limit {
			p = 20000
		}
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
		if err == nil {
			l.Close()
			return p, nil
		}
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}
