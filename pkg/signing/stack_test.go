//go:build stack

package signing

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"testing"
	"time"

	vault "github.com/hashicorp/vault/api"
	authv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/chainseal/chainseal/internal/stacktest"
)

// stack is the real local stack as an admin sees it: a root Vault client and
// a cluster-admin Kubernetes client.
type stack struct {
	env   *stacktest.Env
	vault *vault.Client
	kube  kubernetes.Interface
	rest  *rest.Config
}

func loadStack(t testing.TB) *stack {
	t.Helper()
	env := stacktest.Load(t)
	vc := vault.DefaultConfig()
	vc.Address = env.Must(t, "VAULT_ADDR")
	v, err := vault.NewClient(vc)
	if err != nil {
		t.Fatal(err)
	}
	v.SetToken(env.Must(t, "VAULT_TOKEN"))
	rc, err := clientcmd.BuildConfigFromFlags("", env.Must(t, "KUBECONFIG"))
	if err != nil {
		t.Fatal(err)
	}
	k, err := kubernetes.NewForConfig(rc)
	if err != nil {
		t.Fatal(err)
	}
	return &stack{env: env, vault: v, kube: k, rest: rc}
}

func randName(prefix string) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return prefix + "-" + hex.EncodeToString(b)
}

func (s *stack) vaultWrite(t testing.TB, path string, data map[string]any) *vault.Secret {
	t.Helper()
	sec, err := s.vault.Logical().Write(path, data)
	if err != nil {
		t.Fatalf("vault write %s: %v", path, err)
	}
	return sec
}

// transitKey creates an ecdsa-p256 transit key and a policy that may sign
// with it and read it, and removes both at cleanup.
func (s *stack) transitKey(t testing.TB) (key, policy string) {
	t.Helper()
	key, policy = randName("chainseal"), randName("chainseal-sign")
	s.vaultWrite(t, "transit/keys/"+key, map[string]any{"type": "ecdsa-p256"})
	rules := `
path "transit/keys/` + key + `" { capabilities = ["read"] }
path "transit/sign/` + key + `" { capabilities = ["update"] }
path "transit/sign/` + key + `/*" { capabilities = ["update"] }
path "transit/verify/` + key + `/*" { capabilities = ["update"] }
`
	if err := s.vault.Sys().PutPolicy(policy, rules); err != nil {
		t.Fatalf("vault policy %s: %v", policy, err)
	}
	t.Cleanup(func() {
		_ = s.vault.Sys().DeletePolicy(policy)
		_, _ = s.vault.Logical().Write("transit/keys/"+key+"/config", map[string]any{"deletion_allowed": true})
		_, _ = s.vault.Logical().Delete("transit/keys/" + key)
	})
	return key, policy
}

// vaultPublicKey reads a transit key's public key with the root token,
// independently of chainseal's code.
func (s *stack) vaultPublicKey(t testing.TB, key string) []byte {
	t.Helper()
	sec, err := s.vault.Logical().Read("transit/keys/" + key)
	if err != nil || sec == nil {
		t.Fatalf("reading transit/keys/%s: %v", key, err)
	}
	keys, _ := sec.Data["keys"].(map[string]any)
	v1, _ := keys["1"].(map[string]any)
	pub, _ := v1["public_key"].(string)
	if pub == "" {
		t.Fatalf("transit/keys/%s has no public key: %v", key, sec.Data)
	}
	return []byte(pub)
}

// k8sRole binds a Vault kubernetes-auth role to one ServiceAccount of one
// namespace with one policy.
func (s *stack) k8sRole(t testing.TB, namespace, sa, policy string) string {
	t.Helper()
	role := randName("chainseal-" + namespace)
	mount := s.authPath()
	s.vaultWrite(t, "auth/"+mount+"/role/"+role, map[string]any{
		"bound_service_account_names":      sa,
		"bound_service_account_namespaces": namespace,
		"token_policies":                   policy,
		"token_ttl":                        "10m",
	})
	t.Cleanup(func() { _, _ = s.vault.Logical().Delete("auth/" + mount + "/role/" + role) })
	return role
}

func (s *stack) authPath() string {
	if p := s.env.Get("VAULT_KUBERNETES_AUTH_PATH"); p != "" {
		return p
	}
	return "kubernetes"
}

// namespaceWithSA creates a namespace holding a ServiceAccount, deleted at
// cleanup.
func (s *stack) namespaceWithSA(t testing.TB, sa string) string {
	t.Helper()
	ctx := context.Background()
	ns := randName("signing")
	if _, err := s.kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.kube.CoreV1().Namespaces().Delete(context.Background(), ns, metav1.DeleteOptions{}) })
	if _, err := s.kube.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: sa}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	return ns
}

// saToken gets a ServiceAccount token through the TokenRequest API, as the
// kubelet projects it into the chainseal pod.
func (s *stack) saToken(t testing.TB, ns, sa string) string {
	t.Helper()
	exp := int64(600)
	tr, err := s.kube.CoreV1().ServiceAccounts(ns).CreateToken(context.Background(), sa,
		&authv1.TokenRequest{Spec: authv1.TokenRequestSpec{ExpirationSeconds: &exp}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("TokenRequest for %s/%s: %v", ns, sa, err)
	}
	return tr.Status.Token
}

// clientAs is a Kubernetes client that authenticates with a bearer token
// (a ServiceAccount's), trusting the stack's CA.
func (s *stack) clientAs(t testing.TB, token string) kubernetes.Interface {
	t.Helper()
	rc := rest.AnonymousClientConfig(s.rest)
	rc.BearerToken = token
	k, err := kubernetes.NewForConfig(rc)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func waitUntil(t testing.TB, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(100 * time.Millisecond)
	}
}
