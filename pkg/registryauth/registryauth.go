// Package registryauth finds registry credentials as Tekton Chains finds
// them, in this order: the run's ServiceAccount (its imagePullSecrets and
// the docker config Secrets it mounts), chainseal's own ServiceAccount
// (the same), the docker config of the process ($DOCKER_CONFIG), then the
// cloud credential helpers go-containerregistry's k8schain uses (Google,
// Amazon ECR, Azure ACR), each asked only for its own cloud's registries.
// The first source with credentials for a registry wins.
//
// Nothing is read before a registry is asked for: a seal that pushes
// nothing makes no API call for credentials and builds no cloud helper.
// Credentials are handed to go-containerregistry and never logged; the log
// says which source served which registry.
package registryauth

import (
	"context"
	"log/slog"
	"slices"
	"sync"

	"github.com/google/go-containerregistry/pkg/authn"

	"github.com/chainseal/chainseal/pkg/kubeclient"
)

// Sources says where to look for credentials.
type Sources struct {
	// Namespace of the run, its ServiceAccounts and their Secrets.
	Namespace string
	// RunServiceAccount is the ServiceAccount the run's TaskRuns ran as
	// (the PipelineRun's taskRunTemplate.serviceAccountName; Tekton's
	// default is "default"). Empty: not asked.
	RunServiceAccount string
	// ServiceAccount is chainseal's own. Empty: not asked.
	ServiceAccount string
	// DockerConfig is the keychain of the process's docker config; nil is
	// authn.DefaultKeychain ($DOCKER_CONFIG, ~/.docker/config.json).
	DockerConfig authn.Keychain
	// NoCloud leaves the cloud credential helpers out.
	NoCloud bool
}

// source is one place credentials may come from.
type source struct {
	name string
	kc   authn.Keychain
}

// Keychain returns the keychain of src. kube may be nil (no API: only the
// docker config and the cloud helpers). ctx bounds the API reads made on
// first use when the caller resolves without a context of its own.
func Keychain(ctx context.Context, kube kubeclient.Core, src Sources, log *slog.Logger) authn.Keychain {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &keychain{ctx: ctx, kube: kube, src: src, log: log, served: map[string]string{}}
}

type keychain struct {
	ctx  context.Context
	kube kubeclient.Core
	src  Sources
	log  *slog.Logger

	once    sync.Once
	sources []source

	mu     sync.Mutex
	served map[string]string // registry -> the source that served it, logged once
}

var _ authn.ContextKeychain = (*keychain)(nil)

func (k *keychain) Resolve(target authn.Resource) (authn.Authenticator, error) {
	return k.ResolveContext(k.ctx, target)
}

// ResolveContext asks each source in order; the first with credentials for
// the target's registry wins. A source that fails is skipped (logged): a
// later one may hold the credentials, and the registry's 401 names what
// was missing.
func (k *keychain) ResolveContext(ctx context.Context, target authn.Resource) (authn.Authenticator, error) {
	k.once.Do(func() { k.sources = k.build(ctx) })
	for _, s := range k.sources {
		auth, err := authn.Resolve(ctx, s.kc, target)
		if err != nil {
			k.log.Info("registry credentials: a source failed", "source", s.name, "registry", target.RegistryStr(), "reason", err.Error())
			continue
		}
		if auth != authn.Anonymous {
			k.note(target.RegistryStr(), s.name)
			return auth, nil
		}
	}
	k.note(target.RegistryStr(), "none (anonymous)")
	return authn.Anonymous, nil
}

// Sources names the sources in the order they are asked, for tests and
// the log.
func (k *keychain) Sources(ctx context.Context) []string {
	k.once.Do(func() { k.sources = k.build(ctx) })
	names := make([]string, len(k.sources))
	for i, s := range k.sources {
		names[i] = s.name
	}
	return names
}

func (k *keychain) build(ctx context.Context) []source {
	var out []source
	if k.kube != nil && k.src.Namespace != "" {
		var done []string
		for _, sa := range []string{k.src.RunServiceAccount, k.src.ServiceAccount} {
			if sa == "" || slices.Contains(done, sa) {
				continue
			}
			done = append(done, sa)
			if kc := serviceAccountKeychain(ctx, k.kube, k.src.Namespace, sa, k.log); kc != nil {
				out = append(out, source{"ServiceAccount " + k.src.Namespace + "/" + sa, kc})
			}
		}
	}
	docker := k.src.DockerConfig
	if docker == nil {
		docker = authn.DefaultKeychain
	}
	out = append(out, source{"docker config", docker})
	if !k.src.NoCloud {
		for _, c := range clouds {
			out = append(out, source{c.name, &lazyCloud{cloud: c}})
		}
	}
	return out
}

func (k *keychain) note(registry, source string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.served[registry] == source {
		return
	}
	k.served[registry] = source
	k.log.Info("registry credentials", "registry", registry, "source", source)
}
