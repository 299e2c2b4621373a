package signing

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chainseal/chainseal/pkg/config"
)

// gnupg is a throwaway GNUPGHOME; its agent is stopped at cleanup.
type gnupg struct {
	home string
	env  []string
}

func newGnuPG(t *testing.T) *gnupg {
	t.Helper()
	// A short path: gpg-agent's socket path must fit in sun_path.
	home, err := os.MkdirTemp("", "gpg")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(home, 0o700); err != nil {
		t.Fatal(err)
	}
	g := &gnupg{home: home, env: append(os.Environ(), "GNUPGHOME="+home)}
	t.Cleanup(func() {
		_, _ = runErr(g.env, "gpgconf", "--kill", "gpg-agent")
		_ = os.RemoveAll(home)
	})
	return g
}

func (g *gnupg) gpg(t *testing.T, args ...string) string {
	t.Helper()
	return run(t, g.env, "gpg", append([]string{"--batch", "--pinentry-mode", "loopback"}, args...)...)
}

// genKey makes a key with gpg and writes pgp.private-key (and
// pgp.passphrase when pass is not empty) into a fresh secret directory.
func (g *gnupg) genKey(t *testing.T, uid, algo, pass string) string {
	t.Helper()
	g.gpg(t, "--passphrase", pass, "--quick-gen-key", uid, algo, "sign", "never")
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, FilePGPPrivateKey), []byte(g.gpg(t, "--passphrase", pass, "--armor", "--export-secret-keys", uid)))
	if pass != "" {
		writeFile(t, filepath.Join(dir, FilePGPPassphrase), []byte(pass+"\n"))
	}
	return dir
}

// TestPGPVerifiedByGPG signs a tekton-format payload (raw PipelineRun JSON)
// and checks the detached signature with `gpg --verify`.
func TestPGPVerifiedByGPG(t *testing.T) {
	g := newGnuPG(t)
	payload := []byte(`{"apiVersion":"tekton.dev/v1","kind":"PipelineRun","metadata":{"name":"release-7q2xk","namespace":"payments"}}`)
	for _, tc := range []struct{ name, uid, algo, pass string }{
		{"ed25519 with passphrase", "ed <ed@example.com>", "ed25519", "correct horse battery"},
		{"rsa3072 with passphrase", "rsa <rsa@example.com>", "rsa3072", "staple-2"},
		{"ed25519 without passphrase", "nopass <np@example.com>", "ed25519", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := g.genKey(t, tc.uid, tc.algo, tc.pass)
			s, err := loadDir(t, config.SignerPGP, dir, mustParse(t, nil))
			if err != nil {
				t.Fatal(err)
			}
			fpr := g.gpg(t, "--with-colons", "--fingerprint", tc.uid)
			if !strings.Contains(fpr, "fpr:::::::::"+s.KeyID()+":") {
				t.Fatalf("KeyID() %s is not the fingerprint gpg lists:\n%s", s.KeyID(), fpr)
			}
			sig, err := s.SignBlob(context.Background(), payload)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(string(sig), "-----BEGIN PGP SIGNATURE-----") {
				t.Fatalf("signature is not armored: %q", sig[:min(len(sig), 40)])
			}
			work := t.TempDir()
			sigFile, data := tmpFile(t, work, "payload.sig", sig), tmpFile(t, work, "payload", payload)
			out := g.gpg(t, "--status-fd", "1", "--verify", sigFile, data)
			if !strings.Contains(out, "[GNUPG:] GOODSIG") || !strings.Contains(out, "VALIDSIG "+s.KeyID()) {
				t.Fatalf("gpg --verify did not report a good signature by %s:\n%s", s.KeyID(), out)
			}
			// The same signature over other bytes must not verify.
			other := tmpFile(t, work, "other", append(payload, '\n'))
			if out, err := runErr(g.env, "gpg", "--batch", "--verify", sigFile, other); err == nil {
				t.Fatalf("gpg verified a signature over changed bytes:\n%s", out)
			}
			// The exported public key imports into a fresh keyring and verifies.
			g2 := newGnuPG(t)
			g2.gpg(t, "--import", tmpFile(t, work, "pub.asc", s.PublicKeyPEM()))
			if out := g2.gpg(t, "--status-fd", "1", "--verify", sigFile, data); !strings.Contains(out, "GOODSIG") {
				t.Fatalf("verifying with PublicKeyPEM() in a fresh keyring:\n%s", out)
			}
			if _, err := s.SignEnvelope(context.Background(), PayloadTypeInToto, payload); !errors.Is(err, ErrUnsupported) {
				t.Fatalf("SignEnvelope with pgp = %v, want ErrUnsupported", err)
			}
		})
	}
}

func TestPGPBadInput(t *testing.T) {
	g := newGnuPG(t)
	dir := g.genKey(t, "bad <bad@example.com>", "ed25519", "the-real-passphrase")
	key, _ := os.ReadFile(filepath.Join(dir, FilePGPPrivateKey))

	t.Run("wrong passphrase", func(t *testing.T) {
		writeFile(t, filepath.Join(dir, FilePGPPassphrase), []byte("not-the-passphrase"))
		_, err := loadDir(t, config.SignerPGP, dir, mustParse(t, nil))
		if !errors.Is(err, ErrWrongPassword) {
			t.Fatalf("want ErrWrongPassword, got %v", err)
		}
		assertContains(t, err, FilePGPPassphrase, dir)
		assertNoSecret(t, err, "not-the-passphrase", "the-real-passphrase", pemBody(key))
	})
	t.Run("missing passphrase", func(t *testing.T) {
		if err := os.Remove(filepath.Join(dir, FilePGPPassphrase)); err != nil {
			t.Fatal(err)
		}
		_, err := loadDir(t, config.SignerPGP, dir, mustParse(t, nil))
		assertContains(t, err, FilePGPPassphrase, "passphrase-protected")
	})
	t.Run("missing key", func(t *testing.T) {
		_, err := loadDir(t, config.SignerPGP, t.TempDir(), mustParse(t, nil))
		assertContains(t, err, FilePGPPrivateKey, "put the file")
	})
	t.Run("not a key", func(t *testing.T) {
		d := t.TempDir()
		writeFile(t, filepath.Join(d, FilePGPPrivateKey), []byte("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nsecret-ish-garbage\n-----END PGP PUBLIC KEY BLOCK-----\n"))
		_, err := loadDir(t, config.SignerPGP, d, mustParse(t, nil))
		assertContains(t, err, FilePGPPrivateKey, "export-secret-keys")
		assertNoSecret(t, err, "secret-ish-garbage")
	})
}
