package storage

import (
	"log/slog"

	"github.com/google/go-containerregistry/pkg/authn"
	tektonclient "github.com/tektoncd/pipeline/pkg/client/clientset/versioned"
	"k8s.io/client-go/kubernetes"

	"github.com/chainseal/chainseal/pkg/config"
)

// Deps is what backends may use. Fields a backend does not need may be nil;
// a backend that needs a nil one says which flag or setting provides it.
type Deps struct {
	Config config.Config
	// Kube and Tekton are clients of the run's cluster (nil offline).
	Kube   kubernetes.Interface
	Tekton tektonclient.Interface
	// Keychain resolves registry credentials (imagePullSecrets, docker
	// config); never logged.
	Keychain authn.Keychain
	Log      *slog.Logger
}
