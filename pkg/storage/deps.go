package storage

import (
	"log/slog"

	"github.com/google/go-containerregistry/pkg/authn"

	"github.com/chainseal/chainseal/pkg/config"
	"github.com/chainseal/chainseal/pkg/kubeclient"
)

// Deps is what backends may use. Fields a backend does not need may be nil;
// a backend that needs a nil one says which flag or setting provides it.
type Deps struct {
	Config config.Config
	// Kube and Tekton are clients of the run's cluster (nil offline).
	Kube   kubeclient.Core
	Tekton kubeclient.Tekton
	// Keychain resolves registry credentials (imagePullSecrets, docker
	// config); never logged.
	Keychain authn.Keychain
	Log      *slog.Logger
}
