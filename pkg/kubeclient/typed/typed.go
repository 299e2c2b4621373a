// Package typed adapts client-go's typed core/v1 client (a clientset, or
// its fake in tests) to kubeclient.Core, for callers that have one anyway:
// migrate, the benchmark, tests. Importing it links client-go's full
// scheme, which is why kubeclient itself does not.
package typed

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/chainseal/chainseal/pkg/kubeclient"
)

// Core is c's core/v1 client as a kubeclient.Core.
func Core(c kubernetes.Interface) kubeclient.Core { return core{c} }

type core struct{ c kubernetes.Interface }

func (k core) ConfigMap(ctx context.Context, namespace, name string) (*corev1.ConfigMap, error) {
	return k.c.CoreV1().ConfigMaps(namespace).Get(ctx, name, metav1.GetOptions{})
}

func (k core) Secret(ctx context.Context, namespace, name string) (*corev1.Secret, error) {
	return k.c.CoreV1().Secrets(namespace).Get(ctx, name, metav1.GetOptions{})
}

func (k core) ServiceAccount(ctx context.Context, namespace, name string) (*corev1.ServiceAccount, error) {
	return k.c.CoreV1().ServiceAccounts(namespace).Get(ctx, name, metav1.GetOptions{})
}
