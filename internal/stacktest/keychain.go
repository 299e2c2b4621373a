package stacktest

import "github.com/google/go-containerregistry/pkg/authn"

// Keychain answers with the stack registry's credentials for that registry
// and anonymous elsewhere.
func (e *Env) Keychain() authn.Keychain {
	return registryKeychain{registry: e.vals["REGISTRY"], auth: authn.AuthConfig{
		Username: e.vals["REGISTRY_USERNAME"], Password: e.vals["REGISTRY_PASSWORD"]}}
}

type registryKeychain struct {
	registry string
	auth     authn.AuthConfig
}

func (k registryKeychain) Resolve(r authn.Resource) (authn.Authenticator, error) {
	if r.RegistryStr() == k.registry {
		return authn.FromConfig(k.auth), nil
	}
	return authn.Anonymous, nil
}
