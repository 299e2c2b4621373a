package migrate

import (
	"fmt"
	"strings"

	"github.com/chainseal/chainseal/pkg/config"
)

// defaultServiceAccountTokenPath is where a pod's ServiceAccount token is,
// and Chains' default signers.kms.auth.oidc.token-path.
const defaultServiceAccountTokenPath = "/var/run/secrets/kubernetes.io/serviceaccount/token"

// DefaultVaultRole is the Vault kubernetes auth role migrate writes for a
// hashivault:// key; {namespace} is the tenant namespace.
const DefaultVaultRole = "chainseal-{namespace}"

// VaultRoleFor fills {namespace} in a role name pattern.
func VaultRoleFor(pattern, ns string) string { return strings.ReplaceAll(pattern, "{namespace}", ns) }

func (t *translator) kmsRef() string { return t.value(config.KeyKMSRef) }

func (t *translator) isVault() bool { return strings.HasPrefix(t.kmsRef(), "hashivault://") }

// kmsKey translates the signers.kms.* keys. They go only where a signer is
// kms, and Vault's auth keys only with a Vault key. Chains logged in to
// Vault as its controller; chainseal logs in as the namespace's chainseal
// ServiceAccount, with Vault's kubernetes auth method unless
// TranslateOptions.VaultRole is empty.
func kmsKey(t *translator, k, v string) {
	if !t.uses(config.SignerKMS) {
		t.drop(k, "no artifacts.*.signer is kms")
		return
	}
	if k == config.KeyKMSRef {
		t.carry(k, v, "")
		if !t.isVault() {
			n := &t.notes[len(t.notes)-1]
			n.Blocking = true
			n.Todo = fmt.Sprintf("let ServiceAccount %s/chainseal sign with this key (workload identity, or cloud credentials in the chainseal Task): Chains signed as %s/%s",
				t.ns, DefaultChainsNamespace, chainsControllerServiceAccount)
		}
		return
	}
	if !t.isVault() {
		t.drop(k, fmt.Sprintf("only Vault (hashivault://) keys read it, and %s is not one", config.KeyKMSRef))
		return
	}
	switch k {
	case config.KeyKMSAuthAddress:
		t.carry(k, v, "")
		return
	case config.KeyKMSSpireSock, config.KeyKMSSpireAudience:
		t.drop(k, fmt.Sprintf("chainseal does not log in to Vault with SPIRE; it logs in with the pod's ServiceAccount token (%s)", config.KeyKMSAuthKubernetesRole))
		return
	}
	if t.o.VaultRole != "" {
		t.drop(k, fmt.Sprintf("replaced by %s=%s: chainseal logs in to Vault as ServiceAccount %s/chainseal, not as the Chains controller, and no Vault token is kept in the namespace",
			config.KeyKMSAuthKubernetesRole, t.o.VaultRole, t.ns))
		return
	}
	switch k {
	case config.KeyKMSAuthToken:
		t.carry(k, v, "")
		t.notes[len(t.notes)-1].Todo = fmt.Sprintf("a long-lived Vault token now in ConfigMap %s/%s: whoever reads ConfigMaps in %s can sign with it; prefer --vault-role", t.ns, config.DefaultConfigMapName, t.ns)
	case config.KeyKMSAuthTokenPath:
		t.carry(k, v, "")
		n := &t.notes[len(t.notes)-1]
		n.Blocking = true
		n.Todo = "a file in the Chains controller's pod: mount a Secret holding the Vault token at that path in the chainseal Task"
	case config.KeyKMSAuthOIDCPath:
		t.carry(k, v, "")
	case config.KeyKMSAuthOIDCRole:
		t.carry(k, v, "")
		n := &t.notes[len(t.notes)-1]
		n.Blocking = true
		n.Todo = fmt.Sprintf("the Vault jwt role must accept the token of ServiceAccount %s/chainseal (Chains logged in as %s/%s)", t.ns, DefaultChainsNamespace, chainsControllerServiceAccount)
	case chainsKMSAuthOIDCTokenPath:
		t.out[config.KeyKMSAuthKubernetesTokenPath] = v
		n := Note{Key: k, Status: Translated, Written: []string{config.KeyKMSAuthKubernetesTokenPath},
			Reason: "chainseal's jwt login reads its token from " + config.KeyKMSAuthKubernetesTokenPath}
		if v != defaultServiceAccountTokenPath {
			n.Blocking = true
			n.Todo = "a file in the Chains controller's pod: mount the token at that path in the chainseal Task"
		}
		t.add(n)
	}
}

// vault adds what a Vault key needs in the namespace: the kubernetes auth
// role chainseal logs in with, and the Vault address.
func (t *translator) vault() {
	if !t.uses(config.SignerKMS) || !t.isVault() {
		return
	}
	key := strings.TrimPrefix(t.kmsRef(), "hashivault://")
	if t.value(config.KeyKMSAuthAddress) == "" {
		t.add(Note{Key: config.KeyKMSAuthAddress, Status: Needed, Blocking: true,
			Reason: "chains-config names no Vault address (the Chains controller may have had VAULT_ADDR in its environment); the chainseal Task has none",
			Todo:   fmt.Sprintf("set %s in ConfigMap %s/%s", config.KeyKMSAuthAddress, t.ns, config.DefaultConfigMapName)})
	}
	if t.o.VaultRole == "" {
		if t.value(config.KeyKMSAuthToken) == "" && t.value(config.KeyKMSAuthTokenPath) == "" && t.value(config.KeyKMSAuthOIDCRole) == "" {
			t.add(Note{Key: config.KeyKMSAuthKubernetesRole, Status: Needed, Blocking: true,
				Reason: "no Vault credentials carried over (the Chains controller may have had VAULT_TOKEN in its environment, or used SPIRE)",
				Todo:   "run chainseal migrate with --vault-role, or set " + config.KeyKMSAuthKubernetesRole})
		}
		return
	}
	t.out[config.KeyKMSAuthKubernetesRole] = t.o.VaultRole
	t.add(Note{Key: config.KeyKMSAuthKubernetesRole, Status: Added, Written: []string{config.KeyKMSAuthKubernetesRole}, Blocking: true,
		Reason: fmt.Sprintf("chainseal logs in to Vault's kubernetes auth method (auth/kubernetes) with the token of ServiceAccount %s/chainseal", t.ns),
		Todo: fmt.Sprintf(`create the Vault role, and a policy that lets it sign with transit key %[3]s:
  vault policy write %[1]s - <<'EOF'
  path "transit/sign/%[3]s" { capabilities = ["update"] }
  path "transit/keys/%[3]s" { capabilities = ["read"] }
  EOF
  vault write auth/kubernetes/role/%[1]s bound_service_account_names=chainseal bound_service_account_namespaces=%[2]s policies=%[1]s ttl=10m`,
			t.o.VaultRole, t.ns, key)})
}

// transparencyKey pins the transparency log's key, which chainseal needs
// (it never trusts the key the log serves) and Chains had no key for.
func (t *translator) transparencyKey() {
	if t.out[config.KeyTransparencyEnabled] != "true" {
		return
	}
	if len(t.o.RekorPublicKey) > 0 {
		t.out[config.KeyTransparencyPublicKey] = string(t.o.RekorPublicKey)
		t.add(Note{Key: config.KeyTransparencyPublicKey, Status: Added, Written: []string{config.KeyTransparencyPublicKey},
			Reason: "the log's public key, from --rekor-public-key: chainseal checks every entry the log returns against it"})
		return
	}
	t.add(Note{Key: config.KeyTransparencyPublicKey, Status: Needed, Blocking: true,
		Reason: "chainseal checks the log's entries against a pinned key, never the one the log serves; Chains had no such key",
		Todo: fmt.Sprintf("set %s to the PEM public key of %s in ConfigMap %s/%s (or run chainseal migrate with --rekor-public-key)",
			config.KeyTransparencyPublicKey, t.value(config.KeyTransparencyURL), t.ns, config.DefaultConfigMapName)})
}
