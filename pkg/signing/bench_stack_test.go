//go:build stack

package signing

import (
	"context"
	"testing"

	"github.com/chainseal/chainseal/pkg/config"
)

func BenchmarkSignVault(b *testing.B) {
	s := loadStack(b)
	key, policy := s.transitKey(b)
	ns := s.namespaceWithSA(b, "chainseal")
	role := s.k8sRole(b, ns, "chainseal", policy)
	tokenFile := tmpFile(b, b.TempDir(), "token", []byte(s.saToken(b, ns, "chainseal")))
	signer, err := Load(context.Background(), config.SignerKMS, kmsConfig(b, map[string]string{
		config.KeyKMSRef: "hashivault://" + key, config.KeyKMSAuthAddress: s.env.VaultAddr(),
		config.KeyKMSAuthKubernetesRole: role, config.KeyKMSAuthKubernetesPath: s.authPath(), config.KeyKMSAuthKubernetesTokenPath: tokenFile,
	}), WithEnv(noEnv), WithLogger(discard))
	if err != nil {
		b.Fatal(err)
	}
	benchSign(b, signer)
}

func BenchmarkSignCosignKey(b *testing.B) {
	dir := b.TempDir()
	run(b, cosignEnv(b, "COSIGN_PASSWORD=bench"), "sh", "-c", "cd "+dir+" && "+cosignBin(b)+" generate-key-pair")
	writeFile(b, dir+"/"+FileCosignPassword, []byte("bench"))
	s, err := loadDir(b, config.SignerX509, dir, mustParse(b, nil))
	if err != nil {
		b.Fatal(err)
	}
	benchSign(b, s)
}

func BenchmarkLoadCosignKey(b *testing.B) {
	dir := b.TempDir()
	run(b, cosignEnv(b, "COSIGN_PASSWORD=bench"), "sh", "-c", "cd "+dir+" && "+cosignBin(b)+" generate-key-pair")
	writeFile(b, dir+"/"+FileCosignPassword, []byte("bench"))
	for b.Loop() {
		if _, err := Load(context.Background(), config.SignerX509, mustParse(b, nil), WithSecrets(DirSecrets(dir)), WithLogger(discard)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoadVault is what a Vault transit signer costs before its first
// signature: the kubernetes login and reading the key.
func BenchmarkLoadVault(b *testing.B) {
	s := loadStack(b)
	key, policy := s.transitKey(b)
	ns := s.namespaceWithSA(b, "chainseal")
	role := s.k8sRole(b, ns, "chainseal", policy)
	tokenFile := tmpFile(b, b.TempDir(), "token", []byte(s.saToken(b, ns, "chainseal")))
	cfg := kmsConfig(b, map[string]string{
		config.KeyKMSRef: "hashivault://" + key, config.KeyKMSAuthAddress: s.env.VaultAddr(),
		config.KeyKMSAuthKubernetesRole: role, config.KeyKMSAuthKubernetesPath: s.authPath(), config.KeyKMSAuthKubernetesTokenPath: tokenFile,
	})
	for b.Loop() {
		if _, err := Load(context.Background(), config.SignerKMS, cfg, WithEnv(noEnv), WithLogger(discard)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoadKeyless is what a keyless signer costs before its first
// signature: an ephemeral key, the stack's Fulcio certifying it for a
// ServiceAccount token, and the certificate checked against the trusted
// root.
func BenchmarkLoadKeyless(b *testing.B) {
	k := newKeyless(b)
	k.token(b, FulcioAudience)
	for b.Loop() {
		if _, err := k.load(b, nil, WithLogger(discard)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSignKeyless(b *testing.B) {
	k := newKeyless(b)
	k.token(b, FulcioAudience)
	s, err := k.load(b, nil, WithLogger(discard))
	if err != nil {
		b.Fatal(err)
	}
	benchSign(b, s)
}
