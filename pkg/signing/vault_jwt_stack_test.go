//go:build stack

package signing

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
	vault "github.com/hashicorp/vault/api"

	"github.com/chainseal/chainseal/pkg/config"
)

// TestVaultJWTAuth logs in through Vault's jwt auth method (Chains' oidc
// keys) with a ServiceAccount token, validated against the kube-apiserver's
// own signing keys, on a jwt mount made for the test.
func TestVaultJWTAuth(t *testing.T) {
	s := loadStack(t)
	ctx := context.Background()
	key, policy := s.transitKey(t)
	ns := s.namespaceWithSA(t, "chainseal")

	// The API server's ServiceAccount signing keys, as PEM for Vault.
	raw, err := s.kube.CoreV1().RESTClient().Get().AbsPath("/openid/v1/jwks").DoRaw(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(raw, &set); err != nil {
		t.Fatal(err)
	}
	var pems []string
	for _, k := range set.Keys {
		der, err := x509.MarshalPKIXPublicKey(k.Key)
		if err != nil {
			t.Fatal(err)
		}
		pems = append(pems, string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})))
	}
	mount := randName("jwt")
	if err := s.vault.Sys().EnableAuthWithOptions(mount, &vault.EnableAuthOptions{Type: "jwt"}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.vault.Sys().DisableAuth(mount) })
	apiURL := s.env.Must(t, "KUBE_API_URL")
	s.vaultWrite(t, "auth/"+mount+"/config", map[string]any{"jwt_validation_pubkeys": pems, "bound_issuer": apiURL})
	s.vaultWrite(t, "auth/"+mount+"/role/chainseal", map[string]any{
		"role_type": "jwt", "user_claim": "sub", "bound_audiences": []string{apiURL},
		"bound_subject": "system:serviceaccount:" + ns + ":chainseal", "token_policies": policy, "token_ttl": "10m",
	})
	tokenFile := tmpFile(t, t.TempDir(), "token", []byte(s.saToken(t, ns, "chainseal")))
	signer, err := Load(ctx, config.SignerKMS, kmsConfig(t, map[string]string{
		config.KeyKMSRef: "hashivault://" + key, config.KeyKMSAuthAddress: s.env.VaultAddr(),
		config.KeyKMSAuthOIDCRole: "chainseal", config.KeyKMSAuthOIDCPath: mount, config.KeyKMSAuthKubernetesTokenPath: tokenFile,
	}), WithEnv(noEnv))
	if err != nil {
		t.Fatal(err)
	}
	env, err := signer.SignEnvelope(ctx, PayloadTypeInToto, statement)
	if err != nil {
		t.Fatal(err)
	}
	verifyWithOpenSSL(t, env, s.vaultPublicKey(t, key))
}
