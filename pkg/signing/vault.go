package signing

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	vault "github.com/hashicorp/vault/api"

	"github.com/chainseal/chainseal/pkg/config"
)

// vaultCreds is how chainseal reaches Vault: its address and a token, with
// where the token came from so errors can say what to fix.
type vaultCreds struct {
	address string
	token   string
	method  string // "kubernetes auth role chainseal at auth/kubernetes"
	fix     string // the config keys that decide the token
}

// vaultLogin finds a Vault token, strongest method first: the Kubernetes
// auth method with the pod's ServiceAccount token (no long-lived secret),
// a JWT/OIDC role with the same token, a token file, a token in the config,
// and VAULT_TOKEN last.
func vaultLogin(ctx context.Context, cfg config.Config, o *loadOptions) (vaultCreds, error) {
	k := cfg.KMS
	c := vaultCreds{address: k.AuthAddress}
	if c.address == "" {
		c.address = o.getenv("VAULT_ADDR")
	}
	if c.address == "" {
		return c, fmt.Errorf("no Vault address: set %s (or VAULT_ADDR)", config.KeyKMSAuthAddress)
	}
	switch {
	case k.SpireSock != "":
		return c, fmt.Errorf("%w: %s (SPIRE) is not supported: use %s with the pod's ServiceAccount token",
			ErrUnsupported, config.KeyKMSSpireSock, config.KeyKMSAuthKubernetesRole)
	case k.KubernetesRole != "":
		mount := orDefault(k.KubernetesPath, "kubernetes")
		c.method = fmt.Sprintf("kubernetes auth role %s at auth/%s", k.KubernetesRole, mount)
		c.fix = fmt.Sprintf("%s, %s, %s", config.KeyKMSAuthKubernetesRole, config.KeyKMSAuthKubernetesPath, config.KeyKMSAuthKubernetesTokenPath)
		return c, c.jwtLogin(ctx, mount, k.KubernetesRole, k.KubernetesTokenPath, config.KeyKMSAuthKubernetesTokenPath)
	case k.OIDCRole != "":
		// Chains takes this JWT from SPIRE; a finally task has its projected
		// ServiceAccount token, which Vault's jwt method validates the same way.
		mount := orDefault(k.OIDCPath, "jwt")
		c.method = fmt.Sprintf("jwt auth role %s at auth/%s", k.OIDCRole, mount)
		c.fix = fmt.Sprintf("%s, %s, %s", config.KeyKMSAuthOIDCRole, config.KeyKMSAuthOIDCPath, config.KeyKMSAuthKubernetesTokenPath)
		return c, c.jwtLogin(ctx, mount, k.OIDCRole, k.KubernetesTokenPath, config.KeyKMSAuthKubernetesTokenPath)
	case k.AuthTokenPath != "":
		b, err := os.ReadFile(k.AuthTokenPath)
		if err != nil {
			return c, fmt.Errorf("reading the Vault token file named by %s: %w", config.KeyKMSAuthTokenPath, err)
		}
		c.token = strings.TrimSpace(string(b))
		c.method = "token file " + k.AuthTokenPath
		c.fix = config.KeyKMSAuthTokenPath
	case k.AuthToken != "":
		c.token = k.AuthToken
		c.method = "token from " + config.KeyKMSAuthToken
		c.fix = config.KeyKMSAuthToken
	default:
		c.token = o.getenv("VAULT_TOKEN")
		c.method = "VAULT_TOKEN"
		c.fix = "VAULT_TOKEN"
	}
	if c.token == "" {
		return c, fmt.Errorf("no Vault credentials: set %s (recommended: Vault's kubernetes auth with the pod's ServiceAccount), or %s",
			config.KeyKMSAuthKubernetesRole, config.KeyKMSAuthTokenPath)
	}
	return c, nil
}

// Where the chainseal Task mounts the pod's ServiceAccount token for
// Vault: projected, audience "vault", 10 minutes (tasks/chainseal.yaml).
// The pod's own token (audience: the API server, an hour) is never sent.
var (
	vaultTokenPath       = "/var/run/secrets/chainseal/vault/token"
	apiServiceTokenPath  = "/var/run/secrets/kubernetes.io/serviceaccount/token"
	errInsecureVaultAddr = errors.New("a ServiceAccount token is sent to Vault over https only")
)

// jwtLogin logs in at auth/<mount>/login with {role, jwt}: the request both
// Vault's kubernetes and jwt auth methods take. The token goes over https
// only (or to a loopback address, which never leaves the pod: a test
// Vault), and is the Task's audience-bound token, not the pod's API token.
func (c *vaultCreds) jwtLogin(ctx context.Context, mount, role, tokenPath, tokenPathKey string) error {
	if err := sendableTo(c.address); err != nil {
		return err
	}
	if tokenPath == "" || tokenPath == apiServiceTokenPath {
		// The default: the audience-bound token the Task projects.
		tokenPath = vaultTokenPath
		if _, err := os.Stat(tokenPath); err != nil {
			return fmt.Errorf("no audience-bound token for Vault at %s (the chainseal Task projects one, audience vault): the pod's own ServiceAccount token, valid against the API server, is not sent to Vault; mount a projected token with audience vault there, or name one with %s", tokenPath, tokenPathKey)
		}
	}
	jwt, err := os.ReadFile(tokenPath)
	if err != nil {
		return fmt.Errorf("reading the ServiceAccount token (%s=%s): %w", tokenPathKey, tokenPath, err)
	}
	jwt = bytes.TrimSpace(jwt)
	client, err := newVaultClient(c.address)
	if err != nil {
		return err
	}
	path := "auth/" + mount + "/login"
	secret, err := client.Logical().WriteWithContext(ctx, path, map[string]any{"role": role, "jwt": string(jwt)})
	if err != nil {
		hint := ""
		var re *vault.ResponseError
		if errors.As(err, &re) {
			hint = " (check the role name and that the Vault role binds this pod's ServiceAccount and namespace)"
		}
		return scrub(fmt.Errorf("Vault login at %s with role %q failed: %w%s", path, role, explainVault(err, c.address), hint), jwt)
	}
	if secret == nil || secret.Auth == nil || secret.Auth.ClientToken == "" {
		return fmt.Errorf("Vault login at %s with role %q returned no token", path, role)
	}
	c.token = secret.Auth.ClientToken
	return nil
}

// sendableTo refuses to send a token to address unless over https, or
// over http to a loopback host (the stack's dev Vault; nothing leaves the
// pod's network namespace).
func sendableTo(address string) error {
	u, err := url.Parse(address)
	if err != nil || u.Host == "" {
		return fmt.Errorf("%s %q is not a URL: use https://host:port", config.KeyKMSAuthAddress, address)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		host := u.Hostname()
		if ip := net.ParseIP(host); host == "localhost" || (ip != nil && ip.IsLoopback()) {
			return nil
		}
	}
	return fmt.Errorf("%w: %s is %s; use https:// (http is accepted only to a loopback address, for a test Vault)", errInsecureVaultAddr, config.KeyKMSAuthAddress, u.Scheme+"://"+u.Host)
}

func newVaultClient(address string) (*vault.Client, error) {
	vc := vault.DefaultConfig() // reads VAULT_CACERT and friends for TLS
	vc.Address = address
	vc.Timeout = 30 * time.Second
	client, err := vault.NewClient(vc)
	if err != nil {
		return nil, fmt.Errorf("creating a Vault client for %s: %w", address, err)
	}
	client.ClearToken() // a login carries no token; never send VAULT_TOKEN along
	return client, nil
}

// explainVault adds what a Vault failure most likely means.
func explainVault(err error, address string) error {
	var re *vault.ResponseError
	if errors.As(err, &re) {
		flat := &vaultResponseError{re}
		switch re.StatusCode {
		case 403:
			return fmt.Errorf("permission denied: %w", flat)
		case 400:
			return fmt.Errorf("bad request: %w", flat)
		}
		return flat
	}
	if isUnreachable(err) {
		return fmt.Errorf("cannot reach Vault at %s (%s or VAULT_ADDR): %w", address, config.KeyKMSAuthAddress, err)
	}
	return err
}

// vaultResponseError prints Vault's answer on one line (the client's own
// text spans six), for log lines; errors.As still finds the original.
type vaultResponseError struct{ re *vault.ResponseError }

func (e *vaultResponseError) Error() string {
	msgs := make([]string, len(e.re.Errors))
	for i, m := range e.re.Errors {
		msgs[i] = strings.Join(strings.Fields(m), " ") // "2 errors occurred:\n\t* ..." on one line
	}
	return fmt.Sprintf("Vault answered %d to %s %s: %s", e.re.StatusCode, e.re.HTTPMethod, e.re.URL, strings.Join(msgs, "; "))
}

func (e *vaultResponseError) Unwrap() error { return e.re }

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}
