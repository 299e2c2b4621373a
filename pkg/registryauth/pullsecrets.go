package registryauth

import (
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"path"
	"sort"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	corev1 "k8s.io/api/core/v1"
)

// pullSecrets is the keychain of docker config Secrets, matched as the
// kubelet matches image pull secrets (and go-containerregistry's
// authn/kubernetes, which Chains' k8schain uses, does): an entry is a
// registry host, optionally with a port and a path; the host's labels may
// be globs (*.example.com), the port must equal the image's, the path must
// prefix the repository's; of the entries that match, the first in reverse
// lexical order wins, which puts an entry before its own prefixes and a
// name before a glob. It is ours because
// go-containerregistry's imports client-go's full clientset, whose API
// groups every finally task would initialise (see package kubeclient).
type pullSecrets struct {
	keys  []string // in reverse lexical order: the more specific first
	creds map[string]authn.AuthConfig
}

// newPullSecrets reads the .dockerconfigjson and .dockercfg Secrets among
// secrets; others are ignored. A Secret that does not parse is an error
// naming it, never its content.
func newPullSecrets(secrets []corev1.Secret) (*pullSecrets, error) {
	p := &pullSecrets{creds: map[string]authn.AuthConfig{}}
	for _, s := range secrets {
		var auths map[string]authn.AuthConfig
		switch s.Type {
		case corev1.SecretTypeDockerConfigJson:
			var cfg struct {
				Auths map[string]authn.AuthConfig `json:"auths"`
			}
			if err := json.Unmarshal(s.Data[corev1.DockerConfigJsonKey], &cfg); err != nil {
				return nil, fmt.Errorf("Secret %s: %s is not a docker config (JSON with \"auths\")", s.Name, corev1.DockerConfigJsonKey)
			}
			auths = cfg.Auths
		case corev1.SecretTypeDockercfg:
			if err := json.Unmarshal(s.Data[corev1.DockerConfigKey], &auths); err != nil {
				return nil, fmt.Errorf("Secret %s: %s is not a docker config (JSON of registries)", s.Name, corev1.DockerConfigKey)
			}
		default:
			continue
		}
		for entry, cfg := range auths {
			key, err := pullSecretKey(entry)
			if err != nil {
				return nil, fmt.Errorf("Secret %s: registry entry %q: %w", s.Name, entry, err)
			}
			if _, dup := p.creds[key]; dup {
				continue // the first Secret naming a registry wins, as the kubelet's keyring's first match
			}
			cfg.Auth = "" // decoded into Username and Password by AuthConfig's UnmarshalJSON
			p.creds[key] = cfg
			p.keys = append(p.keys, key)
		}
	}
	sort.Sort(sort.Reverse(sort.StringSlice(p.keys)))
	return p, nil
}

// pullSecretKey is an entry without its scheme and without docker's /v1/
// or /v2/ API path, which stand for the whole registry.
func pullSecretKey(entry string) (string, error) {
	if !strings.HasPrefix(entry, "https://") && !strings.HasPrefix(entry, "http://") {
		entry = "https://" + entry
	}
	u, err := url.Parse(entry)
	if err != nil {
		return "", err
	}
	p := u.Path
	if strings.HasPrefix(p, "/v1/") || strings.HasPrefix(p, "/v2/") {
		p = p[3:]
	}
	if p == "/" {
		p = ""
	}
	return u.Host + p, nil
}

// Resolve implements authn.Keychain.
func (p *pullSecrets) Resolve(target authn.Resource) (authn.Authenticator, error) {
	for _, k := range p.keys {
		if pullSecretMatches(k, target.String()) {
			return authn.FromConfig(p.creds[k]), nil
		}
	}
	return authn.Anonymous, nil
}

// pullSecretMatches: key's host labels match image's as globs, one for one,
// the ports are equal and key's path prefixes image's.
func pullSecretMatches(key, image string) bool {
	k, err1 := url.Parse("https://" + key)
	i, err2 := url.Parse("https://" + image)
	if err1 != nil || err2 != nil || !strings.HasPrefix(i.Path, k.Path) {
		return false
	}
	kh, kp := splitHostPort(k.Host)
	ih, ip := splitHostPort(i.Host)
	if kp != ip {
		return false
	}
	kl, il := strings.Split(kh, "."), strings.Split(ih, ".")
	if len(kl) != len(il) {
		return false
	}
	for n := range kl {
		if ok, err := path.Match(kl[n], il[n]); err != nil || !ok {
			return false
		}
	}
	return true
}

func splitHostPort(hostport string) (host, port string) {
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		return hostport, ""
	}
	return host, port
}
