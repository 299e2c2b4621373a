package demo

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	authv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// ProtectedLabel marks the namespaces where tasks/admission.yaml binds the
// chainseal ServiceAccount to the chainseal step.
const ProtectedLabel = "chainseal.dev/protected"

// InstallAdmission applies tasks/admission.yaml (the platform team's step)
// and adds image to the chainseal images it allows, with Tekton's
// entrypoint image as the stack's controller runs it.
func InstallAdmission(ctx context.Context, kube kubernetes.Interface, kubectl func(args ...string) error, root, image, entrypointImage string) error {
	if err := kubectl("apply", "-f", filepath.Join(root, "tasks", "admission.yaml")); err != nil {
		return err
	}
	cms := kube.CoreV1().ConfigMaps("chainseal-system")
	for {
		cm, err := cms.Get(ctx, "chainseal-admission", metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			_, err = cms.Create(ctx, &corev1.ConfigMap{
				ObjectMeta: metav1.ObjectMeta{Name: "chainseal-admission"},
				Data:       map[string]string{"images": image, "entrypointImage": entrypointImage},
			}, metav1.CreateOptions{})
		} else if err == nil {
			images := strings.Fields(cm.Data["images"])
			if slices.Contains(images, image) && cm.Data["entrypointImage"] == entrypointImage {
				return nil
			}
			if !slices.Contains(images, image) {
				images = append(images, image)
			}
			cm.Data["images"], cm.Data["entrypointImage"] = strings.Join(images, " "), entrypointImage
			_, err = cms.Update(ctx, cm, metav1.UpdateOptions{})
		}
		switch {
		case err == nil:
			return nil
		case apierrors.IsConflict(err) || apierrors.IsAlreadyExists(err):
			continue // another test added its image meanwhile
		default:
			return fmt.Errorf("writing chainseal-system/chainseal-admission: %w", err)
		}
	}
}

// As is a client acting as a ServiceAccount of ns (impersonation by the
// stack's admin), as a tenant's pipeline or developer would.
func As(kubeconfig, ns, serviceAccount string) (kubernetes.Interface, error) {
	rc, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return nil, err
	}
	rc.Impersonate = rest.ImpersonationConfig{
		UserName: "system:serviceaccount:" + ns + ":" + serviceAccount,
		Groups:   []string{"system:serviceaccounts", "system:serviceaccounts:" + ns, "system:authenticated"},
	}
	return kubernetes.NewForConfig(rc)
}

// Developer gives ServiceAccount developer of ns what Kubernetes' edit
// role gives a tenant's developers over pods, ServiceAccount tokens,
// Secrets and PipelineRuns. (The stack runs no ClusterRole aggregation, so
// the edit role itself is empty here.)
func Developer(ctx context.Context, kube kubernetes.Interface, ns string) error {
	if _, err := kube.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "developer"}}, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("creating ServiceAccount %s/developer: %w", ns, err)
	}
	all := []string{"get", "list", "watch", "create", "update", "patch", "delete"}
	if _, err := kube.RbacV1().Roles(ns).Create(ctx, &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Name: "developer"},
		Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{""}, Resources: []string{"pods", "secrets", "configmaps", "serviceaccounts"}, Verbs: all},
			{APIGroups: []string{""}, Resources: []string{"serviceaccounts/token"}, Verbs: []string{"create"}},
			// kubectl exec and attach: POST, or GET over websockets.
			{APIGroups: []string{""}, Resources: []string{"pods/exec", "pods/attach"}, Verbs: []string{"create", "get"}},
			{APIGroups: []string{"tekton.dev"}, Resources: []string{"pipelineruns", "taskruns"}, Verbs: all},
		},
	}, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("creating Role %s/developer: %w", ns, err)
	}
	_, err := kube.RbacV1().RoleBindings(ns).Create(ctx, &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "developer"},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: "developer"},
		Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Name: "developer", Namespace: ns}},
	}, metav1.CreateOptions{})
	if err != nil {
		return fmt.Errorf("binding %s/developer: %w", ns, err)
	}
	return nil
}

// ShellAsChainseal is the first attack: a pod running a shell image as the
// chainseal ServiceAccount (what taskRunSpecs serviceAccountName: chainseal
// gives any task). It is created as a server-side dry run: admission runs,
// nothing is scheduled.
func ShellAsChainseal(ctx context.Context, c kubernetes.Interface, ns, shellImage string) error {
	_, err := c.CoreV1().Pods(ns).Create(ctx, &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "not-chainseal"},
		Spec: corev1.PodSpec{ServiceAccountName: "chainseal", RestartPolicy: corev1.RestartPolicyNever,
			Containers: []corev1.Container{{Name: "sh", Image: shellImage, Command: []string{"sh", "-c", "cat /var/run/secrets/kubernetes.io/serviceaccount/token"}}}},
	}, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
	return err
}

// MintChainsealToken is the second attack: a TokenRequest for the chainseal
// ServiceAccount, to use its KMS login from anywhere.
func MintChainsealToken(ctx context.Context, c kubernetes.Interface, ns string) error {
	_, err := c.CoreV1().ServiceAccounts(ns).CreateToken(ctx, "chainseal", &authv1.TokenRequest{}, metav1.CreateOptions{})
	return err
}

// Refused waits (for the API server to load freshly installed policies)
// until attack is refused by one of chainseal's admission policies (not by
// RBAC), and returns the refusal's message; an attack that is still allowed
// after 20 s, or refused for another reason, is an error.
func Refused(ctx context.Context, attack func(context.Context) error) (string, error) {
	deadline := time.Now().Add(20 * time.Second)
	for {
		err := attack(ctx)
		if apierrors.IsForbidden(err) && strings.Contains(err.Error(), "ValidatingAdmissionPolicy 'chainseal-") {
			return err.Error(), nil
		}
		if err != nil && !apierrors.IsForbidden(err) {
			return "", fmt.Errorf("the attack failed for another reason than chainseal's policies: %w", err)
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("not refused after 20s (last answer: %v)", err)
		}
		time.Sleep(500 * time.Millisecond)
	}
}
