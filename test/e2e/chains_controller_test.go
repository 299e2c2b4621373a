//go:build stack

package e2e

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
	"testing"
	"time"

	authv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/chainseal/chainseal/internal/kubetest"
	"github.com/chainseal/chainseal/internal/stacktest"
)

// chainsController is the Tekton Chains controller (v0.26.0, built by
// test/stack/build chains), run out of cluster against the stack's API
// server as its Deployment runs it in cluster (the Deployment's
// environment, its chains-config ConfigMap in its system namespace, its key
// where the Deployment mounts the signing-secrets Secret).
//
// Its --namespace does not fence it in: its informers list every
// namespace, and once leader it reconciles every run it has seen, signing
// finished runs elsewhere too (here: chainseal's side of the benchmark). So
// it runs as a ServiceAccount that may read runs everywhere (its informers
// need that) but write only in the namespace it watches and its own system
// namespace; elsewhere its first write (the finalizer) is refused.
type chainsController struct {
	cmd     *exec.Cmd
	log     string
	exited  chan error
	started time.Time
	ready   time.Duration
}

// chainsSigningSecrets is where Chains reads its key (a constant in its
// code: where its Deployment mounts the signing-secrets Secret).
const chainsSigningSecrets = "/etc/signing-secrets"

// startChainsController starts bin watching namespace watch, with config
// as its chains-config and secrets (cosign.key, cosign.password) as its
// signing-secrets, and waits until both its controllers lead and work.
func startChainsController(t testing.TB, env *stacktest.Env, bin, watch string, config map[string]string, secrets map[string][]byte, dockerConfig string) *chainsController {
	t.Helper()
	ctx := context.Background()
	admin := kubetest.Admin(t, env)
	sys := kubetest.Namespace(t, admin, "chains-system")
	kubeconfig := chainsKubeconfig(t, env, sys, watch)
	if _, err := admin.CoreV1().ConfigMaps(sys).Create(ctx, &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "chains-config"}, Data: config}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	keys := t.TempDir()
	for name, v := range secrets {
		if err := os.WriteFile(filepath.Join(keys, name), v, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := os.Stat(chainsSigningSecrets); os.IsNotExist(err) {
		if err := os.Mkdir(chainsSigningSecrets, 0o700); err != nil {
			t.Fatalf("Chains reads its key from %s (needs root): %v", chainsSigningSecrets, err)
		}
		t.Cleanup(func() { _ = os.Remove(chainsSigningSecrets) })
	}
	// knative parses METRICS_PROMETHEUS_PORT as a 16-bit signed integer.
	metrics := 20000 + rand.IntN(12000)
	for ; ; metrics++ {
		if l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", metrics)); err == nil {
			l.Close()
			break
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	profiling := l.Addr().(*net.TCPAddr).Port
	l.Close()

	c := &chainsController{log: filepath.Join(t.TempDir(), "chains.log"), exited: make(chan error, 1)}
	logf, err := os.Create(c.log)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	// A private mount namespace binds the key directory on
	// /etc/signing-secrets for this process only.
	c.cmd = exec.Command("unshare", "--mount", "--propagation", "private", "--",
		"sh", "-c", `mount --bind "$0" "$1" && shift && exec "$@"`, keys, chainsSigningSecrets,
		bin, "--kubeconfig", kubeconfig, "--namespace", watch)
	c.cmd.Env = append(cleanEnv(env),
		"SYSTEM_NAMESPACE="+sys,
		"METRICS_DOMAIN=tekton.dev/chains",
		"KUBERNETES_MIN_VERSION=v1.28.0",
		"METRICS_PROMETHEUS_HOST=127.0.0.1",
		"METRICS_PROMETHEUS_PORT="+strconv.Itoa(metrics),
		"PROFILING_PORT="+strconv.Itoa(profiling),
		"DOCKER_CONFIG="+dockerConfig,
		"KUBECONFIG="+kubeconfig,
	)
	c.cmd.Stdout, c.cmd.Stderr = logf, logf
	c.started = time.Now()
	if err := c.cmd.Start(); err != nil {
		t.Fatalf("starting the Chains controller %s: %v", bin, err)
	}
	go func() { c.exited <- c.cmd.Wait() }()
	t.Cleanup(c.stop)
	deadline := time.Now().Add(3 * time.Minute)
	for {
		b, _ := os.ReadFile(c.log)
		s := string(b)
		if strings.Count(s, `"Started workers"`) >= 2 && strings.Count(s, "has started leading") >= 2 {
			break
		}
		if err := c.alive(); err != nil {
			t.Fatalf("%v before it was ready:\n%s", err, lastLines(s, 20))
		}
		if time.Now().After(deadline) {
			t.Fatalf("the Chains controller was not ready after 3m:\n%s", lastLines(s, 20))
		}
		time.Sleep(50 * time.Millisecond)
	}
	c.ready = time.Since(c.started)
	return c
}

// chainsKubeconfig makes Chains' ServiceAccount in sys (see
// chainsController) and returns a kubeconfig with its token.
func chainsKubeconfig(t testing.TB, env *stacktest.Env, sys, watch string) string {
	t.Helper()
	ctx := context.Background()
	admin := kubetest.Admin(t, env)
	const sa = "tekton-chains-controller"
	kubetest.ServiceAccount(t, admin, sys, sa)
	subject := []rbacv1.Subject{{Kind: "ServiceAccount", Name: sa, Namespace: sys}}
	read := "chains-read-" + sys
	if _, err := admin.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: read},
		Rules:      []rbacv1.PolicyRule{{APIGroups: []string{"tekton.dev"}, Resources: []string{"pipelineruns", "taskruns"}, Verbs: []string{"get", "list", "watch"}}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: read},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: read},
		Subjects:   subject,
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = admin.RbacV1().ClusterRoleBindings().Delete(context.Background(), read, metav1.DeleteOptions{})
		_ = admin.RbacV1().ClusterRoles().Delete(context.Background(), read, metav1.DeleteOptions{})
	})
	roles := map[string][]rbacv1.PolicyRule{
		watch: {
			{APIGroups: []string{"tekton.dev"}, Resources: []string{"pipelineruns", "taskruns"}, Verbs: []string{"get", "list", "watch", "patch", "update"}},
			{APIGroups: []string{""}, Resources: []string{"serviceaccounts", "secrets"}, Verbs: []string{"get"}},
			{APIGroups: []string{""}, Resources: []string{"events"}, Verbs: []string{"create", "patch", "update"}},
		},
		sys: {
			{APIGroups: []string{""}, Resources: []string{"configmaps", "secrets"}, Verbs: []string{"get", "list", "watch"}},
			{APIGroups: []string{"coordination.k8s.io"}, Resources: []string{"leases"}, Verbs: []string{"get", "list", "watch", "create", "update", "patch", "delete"}},
			{APIGroups: []string{""}, Resources: []string{"events"}, Verbs: []string{"create", "patch", "update"}},
		},
	}
	for ns, rules := range roles {
		if _, err := admin.RbacV1().Roles(ns).Create(ctx, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: sa}, Rules: rules}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := admin.RbacV1().RoleBindings(ns).Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: sa},
			RoleRef: rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: sa}, Subjects: subject}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	exp := int64(3 * 3600)
	tr, err := admin.CoreV1().ServiceAccounts(sys).CreateToken(ctx, sa, &authv1.TokenRequest{
		Spec: authv1.TokenRequestSpec{ExpirationSeconds: &exp}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["stack"] = &clientcmdapi.Cluster{Server: env.KubeAPIURL(), CertificateAuthority: env.KubeCAFile()}
	cfg.AuthInfos["chains"] = &clientcmdapi.AuthInfo{Token: tr.Status.Token}
	cfg.Contexts["stack"] = &clientcmdapi.Context{Cluster: "stack", AuthInfo: "chains", Namespace: sys}
	cfg.CurrentContext = "stack"
	path := filepath.Join(t.TempDir(), "chains.kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		t.Fatal(err)
	}
	return path
}

func (c *chainsController) alive() error {
	select {
	case err := <-c.exited:
		c.exited <- err
		return fmt.Errorf("the Chains controller exited (%v); log %s", err, c.log)
	default:
		return nil
	}
}

// stat is the controller's CPU seconds so far, its RSS and its peak RSS.
func (c *chainsController) stat() (cpu float64, rss, peak int64, err error) {
	if err := c.alive(); err != nil {
		return 0, 0, 0, err
	}
	p := c.cmd.Process.Pid
	cpu, err = procCPU(p, false)
	if err != nil {
		return 0, 0, 0, err
	}
	rss, peak, err = procMem(p)
	return cpu, rss, peak, err
}

// errors is the controller's log lines at level ERROR or WARNING.
func (c *chainsController) errors() []string {
	b, _ := os.ReadFile(c.log)
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		if strings.Contains(line, `"severity":"ERROR"`) || strings.Contains(line, `"severity":"WARN`) {
			out = append(out, line)
		}
	}
	return out
}

func (c *chainsController) stop() {
	if c.cmd.Process == nil || c.alive() != nil {
		return
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-c.exited:
		c.exited <- err
	case <-time.After(15 * time.Second):
		_ = c.cmd.Process.Kill()
	}
}
