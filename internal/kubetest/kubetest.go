// Package kubetest makes clients, namespaces, ServiceAccounts and tokens on
// the real kube-apiserver of the local stack, for tests.
package kubetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	tektonclient "github.com/tektoncd/pipeline/pkg/client/clientset/versioned"
	authv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/chainseal/chainseal/internal/stacktest"

	"github.com/chainseal/chainseal/pkg/kubeclient"
)

// AdminConfig is the stack's admin rest config.
func AdminConfig(t testing.TB, env *stacktest.Env) *rest.Config {
	t.Helper()
	cfg, err := clientcmd.BuildConfigFromFlags("", env.Must(t, "KUBECONFIG"))
	if err != nil {
		t.Fatalf("loading the stack's kubeconfig: %v", err)
	}
	return cfg
}

// Admin is a Kubernetes clientset with cluster-admin rights.
func Admin(t testing.TB, env *stacktest.Env) kubernetes.Interface {
	t.Helper()
	return kubernetes.NewForConfigOrDie(AdminConfig(t, env))
}

// AdminCore is the Task's own core/v1 client (kubeclient.New) with
// cluster-admin rights.
func AdminCore(t testing.TB, env *stacktest.Env) kubeclient.Core {
	t.Helper()
	return core(t, AdminConfig(t, env))
}

// CoreAs is the Task's own core/v1 client (kubeclient.New) authenticating
// with token.
func CoreAs(t testing.TB, env *stacktest.Env, token string) kubeclient.Core {
	t.Helper()
	return core(t, ConfigAs(t, env, token))
}

func core(t testing.TB, rc *rest.Config) kubeclient.Core {
	t.Helper()
	c, _, err := kubeclient.New(rc)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// AdminTekton is a Tekton clientset with cluster-admin rights.
func AdminTekton(t testing.TB, env *stacktest.Env) tektonclient.Interface {
	t.Helper()
	return tektonclient.NewForConfigOrDie(AdminConfig(t, env))
}

// ConfigAs is a rest config that authenticates with a bearer token only.
func ConfigAs(t testing.TB, env *stacktest.Env, token string) *rest.Config {
	t.Helper()
	return &rest.Config{
		Host:            env.Must(t, "KUBE_API_URL"),
		BearerToken:     token,
		TLSClientConfig: rest.TLSClientConfig{CAFile: env.Must(t, "KUBE_CA_FILE")},
	}
}

// TektonAs is a Tekton clientset that authenticates with token.
func TektonAs(t testing.TB, env *stacktest.Env, token string) tektonclient.Interface {
	t.Helper()
	return tektonclient.NewForConfigOrDie(ConfigAs(t, env, token))
}

// KubeAs is a Kubernetes clientset that authenticates with token.
func KubeAs(t testing.TB, env *stacktest.Env, token string) kubernetes.Interface {
	t.Helper()
	return kubernetes.NewForConfigOrDie(ConfigAs(t, env, token))
}

// Name is prefix plus a random suffix, a valid DNS label.
func Name(prefix string) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return prefix + "-" + hex.EncodeToString(b)
}

// Namespace creates a fresh namespace, deleted when the test ends unless
// CHAINSEAL_KEEP_NAMESPACES is set (to look at what a failing test left).
func Namespace(t testing.TB, c kubernetes.Interface, prefix string) string {
	t.Helper()
	name := Name(prefix)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := c.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating namespace %s: %v", name, err)
	}
	t.Cleanup(func() {
		if os.Getenv("CHAINSEAL_KEEP_NAMESPACES") != "" {
			return
		}
		_ = c.CoreV1().Namespaces().Delete(context.Background(), name, metav1.DeleteOptions{})
	})
	return name
}

// ServiceAccount creates a ServiceAccount.
func ServiceAccount(t testing.TB, c kubernetes.Interface, ns, name string) {
	t.Helper()
	_, err := c.CoreV1().ServiceAccounts(ns).Create(context.Background(),
		&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("creating ServiceAccount %s/%s: %v", ns, name, err)
	}
}

// Role creates a Role with rules and binds it to the ServiceAccount sa,
// creating the ServiceAccount.
func Role(t testing.TB, c kubernetes.Interface, ns, sa string, rules ...rbacv1.PolicyRule) {
	t.Helper()
	ServiceAccount(t, c, ns, sa)
	ctx := context.Background()
	if _, err := c.RbacV1().Roles(ns).Create(ctx, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: sa}, Rules: rules}, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating Role %s/%s: %v", ns, sa, err)
	}
	rb := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: sa},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: sa},
		Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Name: sa, Namespace: ns}},
	}
	if _, err := c.RbacV1().RoleBindings(ns).Create(ctx, rb, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating RoleBinding %s/%s: %v", ns, sa, err)
	}
}

// ReaderRole gives the ServiceAccount sa get and list on PipelineRuns and
// TaskRuns in ns, what chainseal needs to read a run.
func ReaderRole(t testing.TB, c kubernetes.Interface, ns, sa string) {
	t.Helper()
	Role(t, c, ns, sa, rbacv1.PolicyRule{
		APIGroups: []string{"tekton.dev"},
		Resources: []string{"pipelineruns", "taskruns"},
		Verbs:     []string{"get", "list"},
	})
}

// Token gets a ServiceAccount token through the TokenRequest API, as the
// kubelet does for a pod. Audiences default to the API server's.
func Token(t testing.TB, c kubernetes.Interface, ns, sa string, audiences ...string) string {
	t.Helper()
	exp := int64(3600)
	tr, err := c.CoreV1().ServiceAccounts(ns).CreateToken(context.Background(), sa, &authv1.TokenRequest{
		Spec: authv1.TokenRequestSpec{Audiences: audiences, ExpirationSeconds: &exp},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("requesting a token for ServiceAccount %s/%s: %v", ns, sa, err)
	}
	return tr.Status.Token
}
