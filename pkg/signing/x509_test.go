package signing

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chainseal/chainseal/pkg/config"
)

var statement = []byte(`{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"reg/app","digest":{"sha256":"` + strings.Repeat("ab", 32) + `"}}],"predicateType":"https://slsa.dev/provenance/v1","predicate":{}}`)

// opensslKey makes a key with openssl and returns its directory.
func opensslKey(t *testing.T, genArgs ...string) string {
	t.Helper()
	dir := t.TempDir()
	run(t, nil, "openssl", append([]string{"genpkey"}, append(genArgs, "-out", filepath.Join(dir, FileX509Key))...)...)
	return dir
}

// TestX509KeysVerifiedByOpenSSL signs DSSE envelopes with openssl-made keys
// and checks them with openssl, not with chainseal's code.
func dgstVerify(hash string) func(t *testing.T, pub, data, sig string) {
	return func(t *testing.T, pub, data, sig string) {
		t.Helper()
		out := run(t, nil, "openssl", "dgst", hash, "-verify", pub, "-signature", sig, data)
		if !strings.Contains(out, "Verified OK") {
			t.Fatalf("openssl: %s", out)
		}
	}
}

func sameKey(t *testing.T, opensslPub string, ours []byte) {
	t.Helper()
	theirs, err := os.ReadFile(opensslPub)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := pem.Decode(theirs)
	b, _ := pem.Decode(ours)
	if a == nil || b == nil || !bytes.Equal(a.Bytes, b.Bytes) || b.Type != "PUBLIC KEY" {
		t.Fatalf("PublicKeyPEM() differs from openssl's public key:\n%s\n%s", theirs, ours)
	}
	if _, err := x509.ParsePKIXPublicKey(b.Bytes); err != nil {
		t.Fatal(err)
	}
}

// TestX509TraditionalPEM accepts what `openssl genrsa`/`ecparam` write too.
func TestX509TraditionalPEM(t *testing.T) {
	for name, args := range map[string][]string{
		"pkcs1-rsa": {"genrsa", "-traditional", "2048"},
		"sec1-ec":   {"ecparam", "-name", "prime256v1", "-genkey", "-noout"},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, FileX509Key), []byte(run(t, nil, "openssl", args...)))
			s, err := loadDir(t, config.SignerX509, dir, mustParse(t, nil))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.SignBlob(context.Background(), statement); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestX509BadInput(t *testing.T) {
	ctx := context.Background()
	t.Run("unsupported key type", func(t *testing.T) {
		dir := opensslKey(t, "-algorithm", "X25519")
		key, _ := os.ReadFile(filepath.Join(dir, FileX509Key))
		_, err := loadDir(t, config.SignerX509, dir, mustParse(t, nil))
		if !errors.Is(err, ErrUnsupported) {
			t.Fatalf("want ErrUnsupported, got %v", err)
		}
		assertContains(t, err, FileX509Key, dir, "ECDSA")
		assertNoSecret(t, err, pemBody(key))
	})
	t.Run("short rsa key", func(t *testing.T) {
		dir := opensslKey(t, "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024")
		_, err := loadDir(t, config.SignerX509, dir, mustParse(t, nil))
		if !errors.Is(err, ErrUnsupported) {
			t.Fatalf("want ErrUnsupported, got %v", err)
		}
		assertContains(t, err, "rsa-1024", "2048")
	})
	t.Run("encrypted pem", func(t *testing.T) {
		dir := opensslKey(t, "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-aes256", "-pass", "pass:hunter2-secret")
		_, err := loadDir(t, config.SignerX509, dir, mustParse(t, nil))
		assertContains(t, err, FileX509Key, "unencrypted", FileCosignKey)
		assertNoSecret(t, err, "hunter2-secret")
	})
	t.Run("garbage", func(t *testing.T) {
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, FileX509Key), []byte("not a key at all, but sensitive-looking-material"))
		_, err := loadDir(t, config.SignerX509, dir, mustParse(t, nil))
		assertContains(t, err, FileX509Key, "PKCS#8")
		assertNoSecret(t, err, "sensitive-looking-material")
	})
	t.Run("unreadable", func(t *testing.T) {
		dir := t.TempDir()
		// A directory where the file should be cannot be read, even by root.
		if err := os.Mkdir(filepath.Join(dir, FileX509Key), 0o700); err != nil {
			t.Fatal(err)
		}
		_, err := loadDir(t, config.SignerX509, dir, mustParse(t, nil))
		assertContains(t, err, FileX509Key, "readable", dir)
	})
	t.Run("empty secret", func(t *testing.T) {
		dir := t.TempDir()
		_, err := loadDir(t, config.SignerX509, dir, mustParse(t, nil))
		assertContains(t, err, FileX509Key, FileCosignKey, dir, config.KeyPipelineRunSigner)
	})
	t.Run("no secrets at all", func(t *testing.T) {
		_, err := Load(ctx, config.SignerX509, mustParse(t, nil))
		assertContains(t, err, "no signing secret")
	})
	t.Run("unknown signer", func(t *testing.T) {
		_, err := Load(ctx, "tpm", mustParse(t, nil))
		if !errors.Is(err, ErrUnsupported) {
			t.Fatalf("want ErrUnsupported, got %v", err)
		}
		assertContains(t, err, "tpm", "kms, pgp, x509")
	})
	t.Run("fulcio without a trusted root", func(t *testing.T) {
		_, err := Load(ctx, config.SignerX509, mustParse(t, map[string]string{config.KeyFulcioEnabled: "true"}))
		assertContains(t, err, config.KeyFulcioTrustedRoot+" is empty")
	})
}

// pemBody is the base64 body of a PEM block: the part that is the secret.
func pemBody(pemBytes []byte) string {
	b, _ := pem.Decode(pemBytes)
	if b == nil {
		return string(pemBytes)
	}
	return base64.StdEncoding.EncodeToString(b.Bytes)[:40]
}

// TestLoaderLoadsOnce shows a Loader hands out one Signer per name.
func TestLoaderLoadsOnce(t *testing.T) {
	dir := opensslKey(t, "-algorithm", "ed25519")
	l := NewLoader(mustParse(t, nil), WithSecrets(DirSecrets(dir)))
	a, err := l.Signer(context.Background(), config.SignerX509)
	if err != nil {
		t.Fatal(err)
	}
	// The key file is gone: a second load would fail, the Loader does not load again.
	if err := os.Remove(filepath.Join(dir, FileX509Key)); err != nil {
		t.Fatal(err)
	}
	b, err := l.Signer(context.Background(), config.SignerX509)
	if err != nil || a != b {
		t.Fatalf("second Signer() = %p, %v; want the first one %p", b, err, a)
	}
}
