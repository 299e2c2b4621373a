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

// TestRegistryCredentialsInChainsOrder: as Chains finds them, the run's
// ServiceAccount's pull secrets come before chainseal's own. With the run's
// ServiceAccount (taskRunTemplate.serviceAccountName) holding the stack
// registry's credentials and chainseal's holding a wrong password, the push
// succeeds; swapped, the registry refuses it: the run's were asked first.
func TestRegistryCredentialsInChainsOrder(t *testing.T) {
	t.Parallel()
	env := stacktest.Load(t)
	bin := buildChainseal(t)
	ctx := context.Background()
	admin := kubetest.Admin(t, env)
	f := newBuildFixture(t, env, "credorder")
	ns := f.ns

	dockerSecret := func(name, password string) {
		auth := base64.StdEncoding.EncodeToString([]byte(env.RegistryUsername() + ":" + password))
		cfg, _ := json.Marshal(map[string]any{"auths": map[string]any{env.Registry(): map[string]string{"auth": auth}}})
		s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name}, Type: corev1.SecretTypeDockerConfigJson,
			Data: map[string][]byte{corev1.DockerConfigJsonKey: cfg}}
		if _, err := admin.CoreV1().Secrets(ns).Update(ctx, s, metav1.UpdateOptions{}); err != nil {
			if _, err := admin.CoreV1().Secrets(ns).Create(ctx, s, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
		}
	}
	// The builder ServiceAccount the run ran as: its credentials are a
	// Secret it mounts (secrets:), as Chains' k8schain reads with
	// UseMountSecrets; chainseal's are an imagePullSecret.
	if _, err := admin.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{
		ObjectMeta: metav1.ObjectMeta{Name: "builder"}, Secrets: []corev1.ObjectReference{{Name: "builder-cred"}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	sa, err := admin.CoreV1().ServiceAccounts(ns).Get(ctx, "chainseal", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sa.ImagePullSecrets = []corev1.LocalObjectReference{{Name: "chainseal-cred"}}
	if _, err := admin.CoreV1().ServiceAccounts(ns).Update(ctx, sa, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	// chainseal may read the builder ServiceAccount and both Secrets by name.
	if _, err := admin.RbacV1().Roles(ns).Create(ctx, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "chainseal-credentials"}, Rules: []rbacv1.PolicyRule{
		{APIGroups: []string{""}, Resources: []string{"serviceaccounts"}, ResourceNames: []string{"builder"}, Verbs: []string{"get"}},
		{APIGroups: []string{""}, Resources: []string{"secrets"}, ResourceNames: []string{"builder-cred", "chainseal-cred"}, Verbs: []string{"get"}},
	}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.RbacV1().RoleBindings(ns).Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "chainseal-credentials"},
		RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: "chainseal-credentials"},
		Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: "chainseal", Namespace: ns}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	run(t, env.Environ(), env.Kubectl(), "patch", "pipelinerun", f.build.Name, "-n", ns, "--type", "merge",
		"-p", `{"spec":{"taskRunTemplate":{"serviceAccountName":"builder"}}}`)

	secrets := filepath.Join(f.work, "signing")
	writeECKey(t, filepath.Join(secrets, "x509.pem"))
	sign := func() (string, error) {
		noDocker := append(os.Environ(), "DOCKER_CONFIG="+filepath.Join(f.work, "empty"))
		return runErr(noDocker, bin, append(f.signArgs(t), "--config-map", "", "--secret-dir", secrets)...)
	}

	dockerSecret("builder-cred", env.RegistryPassword())
	dockerSecret("chainseal-cred", "wrong-password")
	out, err := sign()
	if err != nil {
		t.Fatalf("sign with the run's ServiceAccount's credentials first: %v\n%s", err, out)
	}
	run(t, f.userEnv, env.Cosign(), "verify-attestation", "--insecure-ignore-tlog", "--type", "slsaprovenance1",
		"--key", filepath.Join(secrets, "x509.pub"), f.image())

	// Swapped: the run's ServiceAccount's wrong password is used first,
	// although chainseal's own would have worked.
	dockerSecret("builder-cred", "wrong-password")
	dockerSecret("chainseal-cred", env.RegistryPassword())
	out, err = sign()
	if err == nil || !strings.Contains(err.Error()+out, "401 Unauthorized") {
		t.Fatalf("sign with a wrong password in the run's ServiceAccount: want the registry's refusal, got %v\n%s", err, out)
	}
	if msg := err.Error() + out; !strings.Contains(msg, `source="ServiceAccount `+ns+`/builder"`) || strings.Contains(msg, env.RegistryPassword()) {
		t.Errorf("the log should say the run's ServiceAccount served the registry, and never a password:\n%s", msg)
	}
}
