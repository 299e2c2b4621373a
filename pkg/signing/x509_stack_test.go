//go:build stack

package signing

import (
	"bytes"
	"context"
	"encoding/base64"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/chainseal/chainseal/pkg/config"
)

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
