//go:build stack

package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/chainseal/chainseal/internal/kubetest"
	"github.com/chainseal/chainseal/internal/stacktest"
)

// TestMigrateGrantsTheRunsRegistryCredentials: the run's ServiceAccount
// (taskRunTemplate.serviceAccountName: builder) holds the only credentials
// for the stack's registry, as a Chains user's builds do. `chainseal
// migrate` finds it from the PipelineRun and writes a Role that lets the
// chainseal ServiceAccount get that ServiceAccount and its docker config
// Secret by name, and nothing else (asked of the API server). With it,
// chainseal pushes the image signature with those credentials; without
// it (the Role deleted), the registry answers 401; migrate again, and the
// push works.
func TestMigrateGrantsTheRunsRegistryCredentials(t *testing.T) {
	t.Parallel()
	env := stacktest.Load(t)
	bin := buildChainseal(t)
	ctx := context.Background()
	admin := kubetest.Admin(t, env)
	chains := kubetest.Namespace(t, admin, "chains")
	f := newBuildFixture(t, env, "migcred", "../../tasks/rbac-taskruns.yaml")
	ns := f.ns
	kubectl := func(args ...string) string { return run(t, env.Environ(), env.Kubectl(), args...) }

	if _, err := admin.CoreV1().ConfigMaps(chains).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "chains-config"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	gen := exec.Command(env.Cosign(), "generate-key-pair", "k8s://"+chains+"/signing-secrets")
	gen.Dir, gen.Env = f.work, append(env.Environ(), "COSIGN_PASSWORD=chains-password")
	if out, err := gen.CombinedOutput(); err != nil {
		t.Fatalf("cosign generate-key-pair: %v\n%s", err, out)
	}

	auth := base64.StdEncoding.EncodeToString([]byte(env.RegistryUsername() + ":" + env.RegistryPassword()))
	cfg, _ := json.Marshal(map[string]any{"auths": map[string]any{env.Registry(): map[string]string{"auth": auth}}})
	for _, s := range []*corev1.Secret{
		{ObjectMeta: metav1.ObjectMeta{Name: "builder-cred"}, Type: corev1.SecretTypeDockerConfigJson, Data: map[string][]byte{corev1.DockerConfigJsonKey: cfg}},
		{ObjectMeta: metav1.ObjectMeta{Name: "unrelated"}, Type: corev1.SecretTypeDockerConfigJson, Data: map[string][]byte{corev1.DockerConfigJsonKey: cfg}},
	} {
		if _, err := admin.CoreV1().Secrets(ns).Create(ctx, s, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := admin.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{
		ObjectMeta: metav1.ObjectMeta{Name: "builder"}, ImagePullSecrets: []corev1.LocalObjectReference{{Name: "builder-cred"}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	kubectl("patch", "pipelinerun", f.build.Name, "-n", ns, "--type", "merge", "-p", `{"spec":{"taskRunTemplate":{"serviceAccountName":"builder"}}}`)

	migrate := func() string {
		out, err := runErr(env.Environ(), bin, "migrate", "--kubeconfig", env.Kubeconfig(), "--chains-namespace", chains, "-n", ns, "--overwrite")
		if err != nil {
			t.Fatalf("chainseal migrate: %v\n%s", err, out)
		}
		return out
	}
	report := migrate()
	if !strings.Contains(report, "Role chainseal-registry-credentials lets chainseal get ServiceAccount builder, default and Secret builder-cred") {
		t.Errorf("the report does not say what chainseal may read for registry credentials:\n%s", report)
	}
	sa := "system:serviceaccount:" + ns + ":chainseal"
	for _, c := range []struct{ verb, what, want string }{
		{"get", "secrets/builder-cred", "yes"}, {"get", "serviceaccounts/builder", "yes"},
		{"get", "secrets/unrelated", "no"}, {"list", "secrets", "no"}, {"get", "serviceaccounts/other", "no"},
	} {
		out, _ := runErr(env.Environ(), env.Kubectl(), "auth", "can-i", c.verb, c.what, "-n", ns, "--as", sa)
		if got := strings.TrimSpace(out); got != c.want {
			t.Errorf("kubectl auth can-i %s %s as chainseal: %s, want %s", c.verb, c.what, got, c.want)
		}
	}

	// No docker config of its own: only the ServiceAccounts' Secrets.
	sign := func() (string, error) {
		noDocker := append(env.Environ(), "DOCKER_CONFIG="+filepath.Join(f.work, "empty"))
		return runErr(noDocker, bin, f.signArgs(t)...)
	}
	kubectl("delete", "role", "chainseal-registry-credentials", "-n", ns)
	out, err := sign()
	if err == nil || !strings.Contains(err.Error()+out, "401 Unauthorized") {
		t.Fatalf("sign without the Role migrate writes: want the registry's 401, got %v\n%s", err, out)
	}
	migrate()
	if out, err := sign(); err != nil {
		t.Fatalf("sign after migrate granted the run's registry credentials: %v\n%s", err, out)
	} else if strings.Contains(out, env.RegistryPassword()) {
		t.Errorf("the output holds the registry password:\n%s", out)
	}
	key, err := admin.CoreV1().Secrets(chains).Get(ctx, "signing-secrets", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pub := filepath.Join(f.work, "chains-cosign.pub")
	if err := os.WriteFile(pub, key.Data["cosign.pub"], 0o644); err != nil {
		t.Fatal(err)
	}
	run(t, f.userEnv, env.Cosign(), "verify", "--insecure-ignore-tlog", "--key", pub, f.image())
}
