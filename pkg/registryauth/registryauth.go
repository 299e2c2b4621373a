// Package registryauth finds registry credentials the way a pod would have
// them: the ServiceAccount's imagePullSecrets (and docker config Secrets they
// name), then a mounted docker config.json ($DOCKER_CONFIG). Credentials are
// handed to go-containerregistry and never logged.
package registryauth

import (
	"context"
	"log/slog"

	"github.com/google/go-containerregistry/pkg/authn"
	k8schain "github.com/google/go-containerregistry/pkg/authn/kubernetes"
	"k8s.io/client-go/kubernetes"
)

// Keychain returns a keychain that tries the ServiceAccount's pull secrets
// first (when kube is set and the ServiceAccount can be read), then the
// docker config. Failing to read the ServiceAccount is not an error: the
// docker config may be all a setup uses.
func Keychain(ctx context.Context, kube kubernetes.Interface, namespace, serviceAccount string, log *slog.Logger) authn.Keychain {
	if kube == nil || namespace == "" || serviceAccount == "" {
		return authn.DefaultKeychain
	}
	kc, err := k8schain.New(ctx, kube, k8schain.Options{Namespace: namespace, ServiceAccountName: serviceAccount})
	if err != nil {
		log.Info("registry credentials: not using the ServiceAccount's imagePullSecrets",
			"serviceAccount", namespace+"/"+serviceAccount, "reason", err.Error())
		return authn.DefaultKeychain
	}
	return authn.NewMultiKeychain(kc, authn.DefaultKeychain)
}
