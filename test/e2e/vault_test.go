//go:build stack

package e2e

import (
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"strings"
	"testing"

	vault "github.com/hashicorp/vault/api"

	"github.com/chainseal/chainseal/internal/kubetest"
	"github.com/chainseal/chainseal/internal/stacktest"
)

// TestStackVault shows Vault's transit engine and its kubernetes auth method
// are real and wired to our kube-apiserver: a ServiceAccount token logs in
// through a TokenReview, signs with a transit key its role's policy allows,
// and a ServiceAccount of another namespace is refused.
func TestStackVault(t *testing.T) {
	t.Parallel()
	env := stacktest.Load(t)
	ctx := context.Background()
	admin := kubetest.Admin(t, env)
	ns := kubetest.Namespace(t, admin, "vault-smoke")
	other := kubetest.Namespace(t, admin, "vault-other")
	kubetest.ServiceAccount(t, admin, ns, "chainseal")
	kubetest.ServiceAccount(t, admin, other, "chainseal")

	root := vaultClient(t, env, env.Must(t, "VAULT_TOKEN"))
	key := "smoke-" + ns
	if _, err := root.Logical().WriteWithContext(ctx, "transit/keys/"+key, map[string]any{"type": "ecdsa-p256"}); err != nil {
		t.Fatalf("creating transit key: %v", err)
	}
	policy := fmt.Sprintf(`path "transit/sign/%[1]s" { capabilities = ["update"] }
path "transit/keys/%[1]s" { capabilities = ["read"] }`, key)
	if err := root.Sys().PutPolicyWithContext(ctx, key, policy); err != nil {
		t.Fatalf("writing policy: %v", err)
	}
	if _, err := root.Logical().WriteWithContext(ctx, "auth/kubernetes/role/"+key, map[string]any{
		"bound_service_account_names":      "chainseal",
		"bound_service_account_namespaces": ns,
		"policies":                         key,
		"ttl":                              "10m",
	}); err != nil {
		t.Fatalf("writing kubernetes auth role: %v", err)
	}

	// Log in with the ServiceAccount's token, as the pod would.
	login := func(tokenNS string) (*vault.Secret, error) {
		c := vaultClient(t, env, "")
		return c.Logical().WriteWithContext(ctx, "auth/kubernetes/login", map[string]any{
			"role": key, "jwt": kubetest.Token(t, admin, tokenNS, "chainseal"),
		})
	}
	secret, err := login(ns)
	if err != nil {
		t.Fatalf("kubernetes auth login with the namespace's ServiceAccount: %v", err)
	}
	sa := vaultClient(t, env, secret.Auth.ClientToken)
	msg := []byte("chainseal smoke payload")
	sum := sha256.Sum256(msg)
	signed, err := sa.Logical().WriteWithContext(ctx, "transit/sign/"+key, map[string]any{
		"input": base64.StdEncoding.EncodeToString(sum[:]), "prehashed": true, "hash_algorithm": "sha2-256",
		"marshaling_algorithm": "asn1",
	})
	if err != nil {
		t.Fatalf("signing with the transit key as the ServiceAccount: %v", err)
	}
	sigB64 := strings.TrimPrefix(signed.Data["signature"].(string), "vault:v1:")
	sig, err := base64.StdEncoding.DecodeString(sigB64)
	if err != nil {
		t.Fatalf("decoding Vault's signature: %v", err)
	}
	// Verify locally with the key's public half, not with Vault.
	keyInfo, err := sa.Logical().ReadWithContext(ctx, "transit/keys/"+key)
	if err != nil {
		t.Fatalf("reading the transit key: %v", err)
	}
	pubPEM := keyInfo.Data["keys"].(map[string]any)["1"].(map[string]any)["public_key"].(string)
	block, _ := pem.Decode([]byte(pubPEM))
	pub, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		t.Fatalf("parsing the transit public key: %v", err)
	}
	if !ecdsa.VerifyASN1(pub.(*ecdsa.PublicKey), sum[:], sig) {
		t.Fatal("Vault's transit signature does not verify with the key's public half")
	}
	// The policy allows nothing else.
	if _, err := sa.Logical().WriteWithContext(ctx, "transit/keys/"+key+"-other", map[string]any{"type": "ecdsa-p256"}); err == nil {
		t.Fatal("the ServiceAccount's Vault token could create a transit key")
	}
	// Another namespace's ServiceAccount of the same name is refused.
	if _, err := login(other); err == nil || !strings.Contains(err.Error(), "namespace not authorized") {
		t.Fatalf("login with another namespace's ServiceAccount: want 'namespace not authorized', got %v", err)
	}
}

func vaultClient(t testing.TB, env *stacktest.Env, token string) *vault.Client {
	t.Helper()
	cfg := vault.DefaultConfig()
	cfg.Address = env.Must(t, "VAULT_ADDR")
	c, err := vault.NewClient(cfg)
	if err != nil {
		t.Fatalf("vault client: %v", err)
	}
	c.SetToken(token)
	return c
}
