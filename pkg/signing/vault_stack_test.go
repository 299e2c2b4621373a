//go:build stack

package signing

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/chainseal/chainseal/pkg/config"
)

// TestVaultKubernetesAuth is the production path against the real stack: a
// transit ecdsa-p256 key, a policy on it, a Vault kubernetes-auth role bound
// to one ServiceAccount of one namespace, and chainseal logging in with that
// ServiceAccount's token from our kube-apiserver.
func TestVaultKubernetesAuth(t *testing.T) {
	s := loadStack(t)
	ctx := context.Background()
	key, policy := s.transitKey(t)
	nsA := s.namespaceWithSA(t, "chainseal")
	roleA := s.k8sRole(t, nsA, "chainseal", policy)
	dir := t.TempDir()
	tokenA := s.saToken(t, nsA, "chainseal")
	tokenFileA := tmpFile(t, dir, "token-a", []byte(tokenA))

	cfgFor := func(role, tokenFile string) config.Config {
		return kmsConfig(t, map[string]string{
			config.KeyKMSRef:                     "hashivault://" + key,
			config.KeyKMSAuthAddress:             s.env.VaultAddr(),
			config.KeyKMSAuthKubernetesRole:      role,
			config.KeyKMSAuthKubernetesPath:      s.authPath(),
			config.KeyKMSAuthKubernetesTokenPath: tokenFile,
		})
	}
	// noEnv: the root VAULT_TOKEN of the test process must play no part.
	signer, err := Load(ctx, config.SignerKMS, cfgFor(roleA, tokenFileA), WithEnv(noEnv))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(signer.Description(), "kubernetes auth role "+roleA) {
		t.Errorf("Description() = %q, want the auth method named", signer.Description())
	}
	env, err := signer.SignEnvelope(ctx, PayloadTypeInToto, statement)
	if err != nil {
		t.Fatal(err)
	}
	// Verified with the public key Vault itself reports, by openssl.
	vaultPub := s.vaultPublicKey(t, key)
	verifyWithOpenSSL(t, env, vaultPub)
	sameKey(t, tmpFile(t, dir, "vault.pub", vaultPub), signer.PublicKeyPEM())
	// And by Vault's own transit/verify.
	sig, _ := base64.StdEncoding.DecodeString(env.Signatures[0].Sig)
	payload, _ := base64.StdEncoding.DecodeString(env.Payload)
	res := s.vaultWrite(t, "transit/verify/"+key+"/sha2-256", map[string]any{
		"input":     base64.StdEncoding.EncodeToString(PAE(env.PayloadType, payload)),
		"signature": "vault:v1:" + base64.StdEncoding.EncodeToString(sig),
	})
	if res.Data["valid"] != true {
		t.Fatalf("Vault transit/verify says %v", res.Data)
	}
	// cosign verifies a blob signature with the exported key.
	blob, err := signer.SignBlob(ctx, statement)
	if err != nil {
		t.Fatal(err)
	}
	run(t, cosignEnv(t), cosignBin(t), "verify-blob", "--key", tmpFile(t, dir, "chainseal.pub", signer.PublicKeyPEM()),
		"--signature", tmpFile(t, dir, "blob.sig", []byte(base64.StdEncoding.EncodeToString(blob))),
		"--insecure-ignore-tlog", tmpFile(t, dir, "blob", statement))
	// VerifierFromKMS checks the envelope with the key read through Vault.
	v, err := VerifierFromKMS(ctx, cfgFor(roleA, tokenFileA), WithEnv(noEnv))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyEnvelope(ctx, env, PayloadTypeInToto, v); err != nil {
		t.Fatal(err)
	}

	t.Run("another namespace's ServiceAccount cannot log in with this role", func(t *testing.T) {
		nsB := s.namespaceWithSA(t, "chainseal")
		tokenB := s.saToken(t, nsB, "chainseal")
		_, err := Load(ctx, config.SignerKMS, cfgFor(roleA, tmpFile(t, dir, "token-b", []byte(tokenB))), WithEnv(noEnv))
		assertContains(t, err, "kms hashivault://"+key, "auth/"+s.authPath()+"/login", roleA, "permission denied", "ServiceAccount and namespace")
		assertNoSecret(t, err, tokenB, s.env.VaultToken())
	})

	t.Run("another namespace's role and policy cannot use this key", func(t *testing.T) {
		_, policyB := s.transitKey(t) // namespace B's own key and policy
		nsB := s.namespaceWithSA(t, "chainseal")
		roleB := s.k8sRole(t, nsB, "chainseal", policyB)
		tokenB := s.saToken(t, nsB, "chainseal")
		_, err := Load(ctx, config.SignerKMS, cfgFor(roleB, tmpFile(t, dir, "token-b2", []byte(tokenB))), WithEnv(noEnv))
		assertContains(t, err, "kms hashivault://"+key, "permission denied", "transit/sign/"+key, config.KeyKMSAuthKubernetesRole)
		assertNoSecret(t, err, tokenB)
	})

	t.Run("unknown role", func(t *testing.T) {
		_, err := Load(ctx, config.SignerKMS, cfgFor("no-such-role", tokenFileA), WithEnv(noEnv))
		assertContains(t, err, "no-such-role", "auth/"+s.authPath()+"/login")
		assertNoSecret(t, err, tokenA)
	})
}

// TestVaultTokenFile covers the token sources other than Kubernetes auth,
// and revoked and expired tokens.
func TestVaultTokenFile(t *testing.T) {
	s := loadStack(t)
	ctx := context.Background()
	key, policy := s.transitKey(t)
	dir := t.TempDir()
	newToken := func(ttl string) string {
		sec := s.vaultWrite(t, "auth/token/create", map[string]any{"policies": []string{policy}, "ttl": ttl, "no_default_policy": true})
		return sec.Auth.ClientToken
	}
	cfg := func(tokenFile string) config.Config {
		return kmsConfig(t, map[string]string{config.KeyKMSRef: "hashivault://" + key,
			config.KeyKMSAuthAddress: s.env.VaultAddr(), config.KeyKMSAuthTokenPath: tokenFile})
	}

	good := newToken("10m")
	signer, err := Load(ctx, config.SignerKMS, cfg(tmpFile(t, dir, "good", []byte(good+"\n"))), WithEnv(noEnv))
	if err != nil {
		t.Fatal(err)
	}
	env, err := signer.SignEnvelope(ctx, PayloadTypeInToto, statement)
	if err != nil {
		t.Fatal(err)
	}
	verifyWithOpenSSL(t, env, s.vaultPublicKey(t, key))

	t.Run("token in config and VAULT_TOKEN", func(t *testing.T) {
		for name, c := range map[string]config.Config{
			"config": kmsConfig(t, map[string]string{config.KeyKMSRef: "hashivault://" + key, config.KeyKMSAuthAddress: s.env.VaultAddr(), config.KeyKMSAuthToken: good}),
			"env":    kmsConfig(t, map[string]string{config.KeyKMSRef: "hashivault://" + key}),
		} {
			getenv := func(k string) string {
				return map[string]string{"VAULT_ADDR": s.env.VaultAddr(), "VAULT_TOKEN": good}[k]
			}
			s2, err := Load(ctx, config.SignerKMS, c, WithEnv(getenv))
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if _, err := s2.SignBlob(ctx, statement); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
		}
	})

	t.Run("revoked token, while signing", func(t *testing.T) {
		tok := newToken("10m")
		s2, err := Load(ctx, config.SignerKMS, cfg(tmpFile(t, dir, "revoked", []byte(tok))), WithEnv(noEnv))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.vault.Auth().Token().RevokeTree(tok); err != nil {
			t.Fatal(err)
		}
		_, err = s2.SignEnvelope(ctx, PayloadTypeInToto, statement)
		assertContains(t, err, "signing with kms hashivault://"+key, "invalid token", "revoked", "replace the token from "+config.KeyKMSAuthTokenPath)
		assertNoSecret(t, err, tok)
		var se *Error
		if !errors.As(err, &se) {
			t.Fatalf("not a *signing.Error: %T", err)
		}
	})

	t.Run("expired token", func(t *testing.T) {
		tok := newToken("1s")
		time.Sleep(2 * time.Second)
		_, err := Load(ctx, config.SignerKMS, cfg(tmpFile(t, dir, "expired", []byte(tok))), WithEnv(noEnv))
		assertContains(t, err, "kms hashivault://"+key, "expired", "replace the token from "+config.KeyKMSAuthTokenPath)
		assertNoSecret(t, err, tok)
	})

	t.Run("invalid token", func(t *testing.T) {
		_, err := Load(ctx, config.SignerKMS, cfg(tmpFile(t, dir, "invalid", []byte("hvs.not-a-real-token-at-all"))), WithEnv(noEnv))
		assertContains(t, err, "kms hashivault://"+key, "invalid token", "replace the token from "+config.KeyKMSAuthTokenPath)
		assertNoSecret(t, err, "hvs.not-a-real-token-at-all")
	})

	t.Run("policy without this key", func(t *testing.T) {
		_, otherPolicy := s.transitKey(t)
		sec := s.vaultWrite(t, "auth/token/create", map[string]any{"policies": []string{otherPolicy}, "ttl": "10m", "no_default_policy": true})
		_, err := Load(ctx, config.SignerKMS, cfg(tmpFile(t, dir, "other", []byte(sec.Auth.ClientToken))), WithEnv(noEnv))
		assertContains(t, err, "permission denied", "transit/keys/"+key, "transit/sign/"+key)
		assertNoSecret(t, err, sec.Auth.ClientToken)
	})
}
