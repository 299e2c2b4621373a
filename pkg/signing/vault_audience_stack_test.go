//go:build stack

package signing

import (
	"context"
	"strings"
	"testing"

	authv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/chainseal/chainseal/pkg/config"
)

// On the real Vault and API server: a role bound to audience vault (as
// docs/signing.md sets it up) accepts the token the chainseal Task projects
// for that audience, which chainseal sends by default, and refuses the
// pod's API-audience token, which chainseal no longer sends.
func TestVaultAudienceBoundToken(t *testing.T) {
	s := loadStack(t)
	ctx := context.Background()
	key, policy := s.transitKey(t)
	ns := s.namespaceWithSA(t, "chainseal")
	role := s.k8sRole(t, ns, "chainseal", policy)
	s.vaultWrite(t, "auth/"+s.authPath()+"/role/"+role, map[string]any{
		"bound_service_account_names": "chainseal", "bound_service_account_namespaces": ns,
		"token_policies": policy, "token_ttl": "10m", "audience": "vault",
	})
	token := func(audiences ...string) string {
		exp := int64(600)
		tr, err := s.kube.CoreV1().ServiceAccounts(ns).CreateToken(ctx, "chainseal",
			&authv1.TokenRequest{Spec: authv1.TokenRequestSpec{Audiences: audiences, ExpirationSeconds: &exp}}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return tr.Status.Token
	}
	dir := t.TempDir()
	cfg := func(tokenPath string) config.Config {
		return kmsConfig(t, map[string]string{
			config.KeyKMSRef: "hashivault://" + key, config.KeyKMSAuthAddress: s.env.VaultAddr(),
			config.KeyKMSAuthKubernetesRole: role, config.KeyKMSAuthKubernetesPath: s.authPath(),
			config.KeyKMSAuthKubernetesTokenPath: tokenPath,
		})
	}
	// The API server's audience: Vault refuses it.
	apiToken := tmpFile(t, dir, "api-token", []byte(token()))
	if _, err := Load(ctx, config.SignerKMS, cfg(apiToken), WithEnv(noEnv)); err == nil || !strings.Contains(err.Error(), "Vault login") {
		t.Fatalf("an API-audience token logged in to a role bound to audience vault: %v", err)
	}
	// The default path means the projected token (here: where the Task
	// would mount it), audience vault: it signs.
	old := vaultTokenPath
	t.Cleanup(func() { vaultTokenPath = old })
	vaultTokenPath = tmpFile(t, dir, "vault-token", []byte(token("vault")))
	signer, err := Load(ctx, config.SignerKMS, cfg(apiServiceTokenPath), WithEnv(noEnv))
	if err != nil {
		t.Fatalf("the projected audience-vault token: %v", err)
	}
	if _, err := signer.SignEnvelope(ctx, PayloadTypeInToto, statement); err != nil {
		t.Fatal(err)
	}
}
