package registryauth

import (
	"context"
	"io"
	"strings"
	"sync"

	ecr "github.com/awslabs/amazon-ecr-credential-helper/ecr-login"
	ecrapi "github.com/awslabs/amazon-ecr-credential-helper/ecr-login/api"
	"github.com/chrismellard/docker-credential-acr-env/pkg/credhelper"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/v1/google"
)

// cloud is one cloud's credential helper, the one go-containerregistry's
// k8schain asks for Chains: it is asked only for its own registries (by
// host name), and built on first use, so a seal that pushes elsewhere
// builds none and dials no metadata server.
type cloud struct {
	name  string
	owns  func(host string) bool
	build func() authn.Keychain
}

var clouds = []cloud{
	{
		name: "Google (gcr.io, Artifact Registry)",
		owns: func(h string) bool {
			h = hostOnly(h)
			return h == "gcr.io" || strings.HasSuffix(h, ".gcr.io") || strings.HasSuffix(h, ".pkg.dev")
		},
		build: func() authn.Keychain { return google.Keychain },
	},
	{
		name: "Amazon ECR",
		owns: func(h string) bool {
			_, err := ecrapi.ExtractRegistry(h)
			return err == nil
		},
		build: func() authn.Keychain {
			return authn.NewKeychainFromHelper(ecr.NewECRHelper(ecr.WithLogger(io.Discard)))
		},
	},
	{
		name: "Azure ACR",
		owns: func(h string) bool {
			h = hostOnly(h)
			for _, s := range []string{".azurecr.io", ".azurecr.cn", ".azurecr.de", ".azurecr.us"} {
				if strings.HasSuffix(h, s) {
					return true
				}
			}
			return false
		},
		build: func() authn.Keychain { return authn.NewKeychainFromHelper(credhelper.NewACRCredentialsHelper()) },
	},
}

// hostOnly drops a port.
func hostOnly(h string) string {
	if i := strings.LastIndexByte(h, ':'); i >= 0 && !strings.Contains(h[i:], "]") {
		return h[:i]
	}
	return h
}

// lazyCloud builds its cloud's keychain on the first request for one of
// the cloud's registries.
type lazyCloud struct {
	cloud
	once sync.Once
	kc   authn.Keychain
}

func (l *lazyCloud) Resolve(target authn.Resource) (authn.Authenticator, error) {
	return l.ResolveContext(context.Background(), target)
}

func (l *lazyCloud) ResolveContext(ctx context.Context, target authn.Resource) (authn.Authenticator, error) {
	if !l.owns(target.RegistryStr()) {
		return authn.Anonymous, nil
	}
	l.once.Do(func() { l.kc = l.build() })
	return authn.Resolve(ctx, l.kc, target)
}

// built reports whether the cloud's keychain was built (for tests).
func (l *lazyCloud) built() bool { return l.kc != nil }
