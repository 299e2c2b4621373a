package demo

import (
	"context"
	"fmt"
	"maps"
	"strings"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// The platform's ConfigMap (tasks/platform.yaml, docs/config.md).
const (
	PlatformNamespace = "chainseal-system"
	PlatformConfigMap = "chainseal-platform"
	platformReader    = "chainseal-platform-reader"
)

// PlatformSettings is the platform team's step for namespace ns: it sets
// settings (platform keys) as namespace.<ns>.<key> in the platform's
// ConfigMap, and lets ns's chainseal ServiceAccount read that ConfigMap
// (tasks/platform.yaml's Role, bound for ns). Other namespaces' keys are
// kept; concurrent writers retry.
func PlatformSettings(ctx context.Context, kube kubernetes.Interface, ns string, settings map[string]string) error {
	if _, err := kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: PlatformNamespace}}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating namespace %s: %w", PlatformNamespace, err)
	}
	if _, err := kube.RbacV1().Roles(PlatformNamespace).Create(ctx, &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Name: platformReader},
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"configmaps"},
			ResourceNames: []string{PlatformConfigMap}, Verbs: []string{"get"}}},
	}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating Role %s/%s: %w", PlatformNamespace, platformReader, err)
	}
	if _, err := kube.RbacV1().RoleBindings(PlatformNamespace).Create(ctx, &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "chainseal-platform-" + ns},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: platformReader},
		Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Name: "chainseal", Namespace: ns}},
	}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("binding %s's chainseal ServiceAccount to %s/%s: %w", ns, PlatformNamespace, platformReader, err)
	}
	return updatePlatform(ctx, kube, func(data map[string]string) {
		for k := range data {
			if strings.HasPrefix(k, "namespace."+ns+".") {
				delete(data, k)
			}
		}
		for k, v := range settings {
			data["namespace."+ns+"."+k] = v
		}
	})
}

// RemovePlatformSettings drops ns's keys from the platform's ConfigMap.
func RemovePlatformSettings(ctx context.Context, kube kubernetes.Interface, ns string) error {
	return PlatformSettings(ctx, kube, ns, nil)
}

func updatePlatform(ctx context.Context, kube kubernetes.Interface, edit func(map[string]string)) error {
	cms := kube.CoreV1().ConfigMaps(PlatformNamespace)
	for {
		cm, err := cms.Get(ctx, PlatformConfigMap, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			data := map[string]string{}
			edit(data)
			_, err = cms.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: PlatformConfigMap}, Data: data}, metav1.CreateOptions{})
		} else if err == nil {
			data := maps.Clone(cm.Data)
			if data == nil {
				data = map[string]string{}
			}
			edit(data)
			cm.Data = data
			_, err = cms.Update(ctx, cm, metav1.UpdateOptions{})
		}
		switch {
		case err == nil:
			return nil
		case apierrors.IsConflict(err) || apierrors.IsAlreadyExists(err):
			continue
		default:
			return fmt.Errorf("writing %s/%s: %w", PlatformNamespace, PlatformConfigMap, err)
		}
	}
}
