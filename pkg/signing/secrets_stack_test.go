//go:build stack

package signing

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/chainseal/chainseal/internal/kubetest"
	"github.com/chainseal/chainseal/pkg/config"
)

// TestKubeSecret reads the signing secret through our kube-apiserver with
// the chainseal ServiceAccount's own token: refused without RBAC, read with
// a Role that allows get on that one Secret.
func TestKubeSecret(t *testing.T) {
	s := loadStack(t)
	ctx := context.Background()
	ns := s.namespaceWithSA(t, "chainseal")
	key, err := os.ReadFile(filepath.Join(opensslKey(t, "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"), FileX509Key))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.kube.CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: DefaultSecretName},
		Data:       map[string][]byte{FileX509Key: key},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	sa := kubetest.CoreAs(t, s.env, s.saToken(t, ns, "chainseal"))
	cfg := mustParse(t, nil)

	_, err = Load(ctx, config.SignerX509, cfg, WithSecrets(KubeSecret(sa, ns, "")))
	assertContains(t, err, "Secret "+ns+"/"+DefaultSecretName, "forbidden", "get on secrets/"+DefaultSecretName)
	assertNoSecret(t, err, pemBody(key))

	if _, err := s.kube.RbacV1().Roles(ns).Create(ctx, &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Name: "chainseal-signing"},
		Rules:      []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"secrets"}, ResourceNames: []string{DefaultSecretName}, Verbs: []string{"get"}}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.kube.RbacV1().RoleBindings(ns).Create(ctx, &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "chainseal-signing"},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: "chainseal-signing"},
		Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Name: "chainseal", Namespace: ns}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	var signer Signer
	waitUntil(t, 10*time.Second, func() bool { // RBAC caches refresh quickly but not instantly
		signer, err = Load(ctx, config.SignerX509, cfg, WithSecrets(KubeSecret(sa, ns, "")))
		return err == nil
	})
	if _, err := signer.SignEnvelope(ctx, PayloadTypeInToto, statement); err != nil {
		t.Fatal(err)
	}

	t.Run("missing Secret", func(t *testing.T) {
		_, err := Load(ctx, config.SignerX509, cfg, WithSecrets(KubeSecret(kubetest.AdminCore(t, s.env), ns, "no-such-secret")))
		assertContains(t, err, "Secret "+ns+"/no-such-secret", "not found", FileX509Key)
	})
}
