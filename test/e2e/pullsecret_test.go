//go:build stack

package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/chainseal/chainseal/internal/kubetest"
	"github.com/chainseal/chainseal/internal/stacktest"
)

// TestRegistryCredentialsFromImagePullSecrets: with no docker config at all,
// chainseal pushes with the credentials of its ServiceAccount's
// imagePullSecrets, read through the API, and only when RBAC lets it read
// that Secret.
func TestRegistryCredentialsFromImagePullSecrets(t *testing.T) {
	t.Parallel()
	env := stacktest.Load(t)
	bin := buildChainseal(t)
	ctx := context.Background()
	admin := kubetest.Admin(t, env)
	f := newBuildFixture(t, env, "pullsecret")
	ns := f.ns

	auth := base64.StdEncoding.EncodeToString([]byte(env.RegistryUsername() + ":" + env.RegistryPassword()))
	cfg, _ := json.Marshal(map[string]any{"auths": map[string]any{env.Registry(): map[string]string{"auth": auth}}})
	if _, err := admin.CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "regcred"}, Type: corev1.SecretTypeDockerConfigJson,
		Data: map[string][]byte{corev1.DockerConfigJsonKey: cfg},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	sa, err := admin.CoreV1().ServiceAccounts(ns).Get(ctx, "chainseal", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sa.ImagePullSecrets = []corev1.LocalObjectReference{{Name: "regcred"}}
	if _, err := admin.CoreV1().ServiceAccounts(ns).Update(ctx, sa, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	secrets := filepath.Join(f.work, "signing")
	writeECKey(t, filepath.Join(secrets, "x509.pem"))
	sign := func() (string, error) {
		noDocker := append(os.Environ(), "DOCKER_CONFIG="+filepath.Join(f.work, "empty"))
		return runErr(noDocker, bin, append(f.signArgs(t), "--config-map", "", "--secret-dir", secrets)...)
	}

	// The Role does not name regcred yet: no credentials, the push is refused.
	if out, err := sign(); err == nil || !strings.Contains(err.Error()+out, "oci") {
		t.Fatalf("sign without read access to the pull secret: want an oci failure, got %v\n%s", err, out)
	}
	kubetest.Role(t, admin, ns, "chainseal-pull-secret", rbacv1.PolicyRule{
		APIGroups: []string{""}, Resources: []string{"secrets"}, ResourceNames: []string{"regcred"}, Verbs: []string{"get"}})
	rb, err := admin.RbacV1().RoleBindings(ns).Get(ctx, "chainseal-pull-secret", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rb.Subjects = append(rb.Subjects, rbacv1.Subject{Kind: "ServiceAccount", Name: "chainseal", Namespace: ns})
	if _, err := admin.RbacV1().RoleBindings(ns).Update(ctx, rb, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if out, err := sign(); err != nil {
		t.Fatalf("sign with the ServiceAccount's imagePullSecrets: %v\n%s", err, out)
	}
	run(t, f.userEnv, env.Cosign(), "verify-attestation", "--insecure-ignore-tlog", "--type", "slsaprovenance1",
		"--key", filepath.Join(secrets, "x509.pub"), f.image())
}
