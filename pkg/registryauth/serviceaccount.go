package registryauth

import (
	"context"
	"log/slog"

	"github.com/google/go-containerregistry/pkg/authn"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/chainseal/chainseal/pkg/kubeclient"
)

// serviceAccountKeychain is the keychain of a ServiceAccount's docker
// config Secrets, as k8schain reads them for Chains (UseMountSecrets): its
// imagePullSecrets, then the Secrets it mounts (secrets:). A ServiceAccount
// or Secret chainseal may not read, or that does not exist, is skipped and
// logged by name; nil when nothing is left.
func serviceAccountKeychain(ctx context.Context, kube kubeclient.Core, ns, name string, log *slog.Logger) authn.Keychain {
	sa, err := kube.ServiceAccount(ctx, ns, name)
	if err != nil {
		log.Info("registry credentials: not using a ServiceAccount", "serviceAccount", ns+"/"+name, "reason", reason(err))
		return nil
	}
	var names []string
	for _, s := range sa.ImagePullSecrets {
		names = append(names, s.Name)
	}
	for _, s := range sa.Secrets {
		names = append(names, s.Name)
	}
	var secrets []corev1.Secret
	for _, n := range names {
		s, err := kube.Secret(ctx, ns, n)
		if err != nil {
			log.Info("registry credentials: not using a Secret of a ServiceAccount", "serviceAccount", ns+"/"+name, "secret", n, "reason", reason(err))
			continue
		}
		if s.Type != corev1.SecretTypeDockerConfigJson && s.Type != corev1.SecretTypeDockercfg {
			continue // a mounted Secret of another kind (a token, a key)
		}
		secrets = append(secrets, *s)
	}
	if len(secrets) == 0 {
		return nil
	}
	kc, err := newPullSecrets(secrets)
	if err != nil {
		// The parse error names the entry, never a credential.
		log.Info("registry credentials: not using a ServiceAccount's Secrets", "serviceAccount", ns+"/"+name, "reason", err.Error())
		return nil
	}
	return kc
}

// reason says why an object could not be read, with the fix for RBAC.
func reason(err error) string {
	switch {
	case apierrors.IsNotFound(err):
		return "not found"
	case apierrors.IsForbidden(err):
		return "forbidden: grant chainseal's Role get on it by name (tasks/rbac.yaml)"
	}
	return err.Error()
}
