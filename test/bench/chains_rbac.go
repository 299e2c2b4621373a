package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	authv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// Chains' --namespace does not fence it in: its informers list every
// namespace, and when it becomes leader it reconciles every run it has
// seen, adding its finalizers and annotations (and signing finished runs)
// in namespaces it was told to leave alone. Other people's tests share
// this API server, so Chains runs as a ServiceAccount that may read runs
// everywhere (its informers need that) but write only in the benchmark's
// namespace and its own system namespace: elsewhere its first write (the
// finalizer) is refused and it goes no further.

// chainsKubeconfig sets up that ServiceAccount and returns a kubeconfig
// holding its token.
func (b *Bench) chainsKubeconfig(ctx context.Context, sysNS, watch string) (string, error) {
	const sa = "tekton-chains-controller"
	if _, err := b.Kube.CoreV1().ServiceAccounts(sysNS).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: sa}}, metav1.CreateOptions{}); err != nil {
		return "", fmt.Errorf("creating ServiceAccount %s/%s: %w", sysNS, sa, err)
	}
	subject := []rbacv1.Subject{{Kind: "ServiceAccount", Name: sa, Namespace: sysNS}}
	read := "bench-" + b.ID + "-" + sysNS[len("bench-"+b.ID+"-"):]
	if _, err := b.Kube.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: read, Labels: benchLabels},
		Rules:      []rbacv1.PolicyRule{{APIGroups: []string{"tekton.dev"}, Resources: []string{"pipelineruns", "taskruns"}, Verbs: []string{"get", "list", "watch"}}},
	}, metav1.CreateOptions{}); err != nil {
		return "", fmt.Errorf("creating ClusterRole %s: %w", read, err)
	}
	b.clusterRBAC = append(b.clusterRBAC, read)
	if _, err := b.Kube.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: read, Labels: benchLabels},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: read},
		Subjects:   subject,
	}, metav1.CreateOptions{}); err != nil {
		return "", fmt.Errorf("creating ClusterRoleBinding %s: %w", read, err)
	}
	roles := map[string][]rbacv1.PolicyRule{
		watch: {
			{APIGroups: []string{"tekton.dev"}, Resources: []string{"pipelineruns", "taskruns"}, Verbs: []string{"get", "list", "watch", "patch", "update"}},
			{APIGroups: []string{""}, Resources: []string{"serviceaccounts", "secrets"}, Verbs: []string{"get"}},
			{APIGroups: []string{""}, Resources: []string{"events"}, Verbs: []string{"create", "patch", "update"}},
		},
		sysNS: {
			{APIGroups: []string{""}, Resources: []string{"configmaps", "secrets"}, Verbs: []string{"get", "list", "watch"}},
			{APIGroups: []string{"coordination.k8s.io"}, Resources: []string{"leases"}, Verbs: []string{"get", "list", "watch", "create", "update", "patch", "delete"}},
			{APIGroups: []string{""}, Resources: []string{"events"}, Verbs: []string{"create", "patch", "update"}},
		},
	}
	for ns, rules := range roles {
		if _, err := b.Kube.RbacV1().Roles(ns).Create(ctx, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: sa}, Rules: rules}, metav1.CreateOptions{}); err != nil {
			return "", fmt.Errorf("creating Role %s/%s: %w", ns, sa, err)
		}
		if _, err := b.Kube.RbacV1().RoleBindings(ns).Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: sa},
			RoleRef: rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: sa}, Subjects: subject}, metav1.CreateOptions{}); err != nil {
			return "", fmt.Errorf("creating RoleBinding %s/%s: %w", ns, sa, err)
		}
	}
	exp := int64(3 * 3600)
	tr, err := b.Kube.CoreV1().ServiceAccounts(sysNS).CreateToken(ctx, sa, &authv1.TokenRequest{
		Spec: authv1.TokenRequestSpec{ExpirationSeconds: &exp}}, metav1.CreateOptions{})
	if err != nil {
		return "", fmt.Errorf("TokenRequest for %s/%s: %w", sysNS, sa, err)
	}
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["stack"] = &clientcmdapi.Cluster{Server: b.Env.KubeAPIURL(), CertificateAuthority: b.Env.KubeCAFile()}
	cfg.AuthInfos["chains"] = &clientcmdapi.AuthInfo{Token: tr.Status.Token}
	cfg.Contexts["stack"] = &clientcmdapi.Context{Cluster: "stack", AuthInfo: "chains", Namespace: sysNS}
	cfg.CurrentContext = "stack"
	path := filepath.Join(b.Work, sysNS+".kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		return "", fmt.Errorf("writing %s: %w", path, err)
	}
	return path, os.Chmod(path, 0o600)
}

var benchLabels = map[string]string{"app.kubernetes.io/part-of": "chainseal-bench"}

// deleteClusterRBAC removes the cluster-scoped objects the benchmark made.
func (b *Bench) deleteClusterRBAC(ctx context.Context) {
	for _, name := range b.clusterRBAC {
		_ = b.Kube.RbacV1().ClusterRoleBindings().Delete(ctx, name, metav1.DeleteOptions{})
		_ = b.Kube.RbacV1().ClusterRoles().Delete(ctx, name, metav1.DeleteOptions{})
	}
	b.clusterRBAC = nil
}
