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
	"strconv"
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
func TestX509KeysVerifiedByOpenSSL(t *testing.T) {
	cases := []struct {
		name, wantType string
		gen            []string
		verify         func(t *testing.T, pub, data, sig string)
	}{
		{"ecdsa-p256", "ecdsa-p256", []string{"-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"}, dgstVerify("-sha256")},
		{"ecdsa-p384", "ecdsa-p384", []string{"-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"}, dgstVerify("-sha256")},
		{"ed25519", "ed25519", []string{"-algorithm", "ed25519"}, func(t *testing.T, pub, data, sig string) {
			run(t, nil, "openssl", "pkeyutl", "-verify", "-pubin", "-inkey", pub, "-rawin", "-in", data, "-sigfile", sig)
		}},
		{"rsa-2048", "rsa-2048", []string{"-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"}, dgstVerify("-sha256")},
		{"rsa-3072", "rsa-3072", []string{"-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:3072"}, dgstVerify("-sha256")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := opensslKey(t, tc.gen...)
			s, err := loadDir(t, config.SignerX509, dir, mustParse(t, nil))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(s.Description(), tc.wantType) || !strings.Contains(s.Description(), FileX509Key) {
				t.Errorf("Description() = %q, want the key type %s and the file name", s.Description(), tc.wantType)
			}
			env, err := s.SignEnvelope(context.Background(), PayloadTypeInToto, statement)
			if err != nil {
				t.Fatal(err)
			}
			if len(env.Signatures) != 1 || env.Signatures[0].KeyID != s.KeyID() || !strings.HasPrefix(s.KeyID(), "SHA256:") {
				t.Fatalf("signatures = %+v, want one with keyid %q", env.Signatures, s.KeyID())
			}
			payload, _ := base64.StdEncoding.DecodeString(env.Payload)
			if !bytes.Equal(payload, statement) || env.PayloadType != PayloadTypeInToto {
				t.Fatalf("envelope payload or type changed: %q %q", env.PayloadType, payload)
			}
			sig, _ := base64.StdEncoding.DecodeString(env.Signatures[0].Sig)

			// The public key as openssl derives it from the private key.
			pub := filepath.Join(dir, "openssl.pub")
			run(t, nil, "openssl", "pkey", "-in", filepath.Join(dir, FileX509Key), "-pubout", "-out", pub)
			sameKey(t, pub, s.PublicKeyPEM())

			pae := tmpFile(t, dir, "pae", []byte("DSSEv1 28 application/vnd.in-toto+json "+strconv.Itoa(len(statement))+" "+string(statement)))
			tc.verify(t, pub, pae, tmpFile(t, dir, "sig", sig))

			// A raw blob signature verifies the same way.
			blob, err := s.SignBlob(context.Background(), statement)
			if err != nil {
				t.Fatal(err)
			}
			tc.verify(t, pub, tmpFile(t, dir, "blob", statement), tmpFile(t, dir, "blob.sig", blob))
			// cosign verifies it with the exported key, as a user would.
			run(t, cosignEnv(t), cosignBin(t), "verify-blob", "--key", tmpFile(t, dir, "chainseal.pub", s.PublicKeyPEM()),
				"--signature", tmpFile(t, dir, "blob.sig.b64", []byte(base64.StdEncoding.EncodeToString(blob))),
				"--insecure-ignore-tlog", filepath.Join(dir, "blob"))

			// And chainseal's own verifier agrees, and refuses a tampered payload.
			v, err := VerifierFromPEM(s.PublicKeyPEM())
			if err != nil {
				t.Fatal(err)
			}
			got, err := VerifyEnvelope(context.Background(), env, PayloadTypeInToto, v)
			if err != nil || !bytes.Equal(got, statement) {
				t.Fatalf("VerifyEnvelope = %q, %v", got, err)
			}
			bad := *env
			bad.Payload = base64.StdEncoding.EncodeToString(append(bytes.Clone(statement), ' '))
			if _, err := VerifyEnvelope(context.Background(), &bad, PayloadTypeInToto, v); err == nil {
				t.Fatal("a tampered payload verified")
			}
			if _, err := VerifyEnvelope(context.Background(), env, "text/plain", v); err == nil {
				t.Fatal("a wrong payload type verified")
			}
		})
	}
}

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
	t.Run("fulcio", func(t *testing.T) {
		_, err := Load(ctx, config.SignerX509, mustParse(t, map[string]string{config.KeyFulcioEnabled: "true"}))
		assertContains(t, err, config.KeyFulcioEnabled)
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
