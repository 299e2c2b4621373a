//go:build stack

package signing

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chainseal/chainseal/pkg/config"
)

// cosignBin finds the real cosign: $COSIGN, the stack's build cache, PATH.
func cosignBin(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("COSIGN"); p != "" {
		return p
	}
	home, _ := os.UserHomeDir()
	if p := filepath.Join(home, ".cache", "chainseal", "bin", "cosign-v2.6.5", "cosign"); fileExists(p) {
		return p
	}
	p, err := exec.LookPath("cosign")
	if err != nil {
		t.Fatalf("this test needs the cosign binary: set COSIGN or run test/stack/build")
	}
	return p
}

// cosignKeyDir runs `cosign generate-key-pair` in a new secret directory and
// writes cosign.password the way a user would (with a trailing newline).
func cosignKeyDir(t *testing.T, password string) string {
	t.Helper()
	dir := t.TempDir()
	cmd := exec.Command(cosignBin(t), "generate-key-pair")
	cmd.Dir = dir
	cmd.Env = cosignEnv(t, "COSIGN_PASSWORD="+password)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("cosign generate-key-pair: %v\n%s", err, out)
	}
	writeFile(t, filepath.Join(dir, FileCosignPassword), []byte(password+"\n"))
	return dir
}

// TestCosignKeyVerifiedByCosign loads a key made by the cosign binary and
// has cosign verify the results: a blob signature and a DSSE attestation.
func TestCosignKeyVerifiedByCosign(t *testing.T) {
	dir := cosignKeyDir(t, "s3cret-Pa55word")
	s, err := loadDir(t, config.SignerX509, dir, mustParse(t, nil))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(s.Description(), FileCosignKey) {
		t.Errorf("Description() = %q, want it to name %s", s.Description(), FileCosignKey)
	}
	sameKey(t, filepath.Join(dir, FileCosignPub), s.PublicKeyPEM())
	ctx := context.Background()
	work := t.TempDir()
	pub := tmpFile(t, work, "chainseal.pub", s.PublicKeyPEM())

	// A blob: cosign verify-blob with the key cosign wrote and the one we export.
	blob := tmpFile(t, work, "blob", statement)
	sig, err := s.SignBlob(ctx, statement)
	if err != nil {
		t.Fatal(err)
	}
	sigFile := tmpFile(t, work, "blob.sig", []byte(base64.StdEncoding.EncodeToString(sig)))
	for _, key := range []string{filepath.Join(dir, FileCosignPub), pub} {
		run(t, cosignEnv(t), cosignBin(t), "verify-blob", "--key", key, "--signature", sigFile, "--insecure-ignore-tlog", blob)
	}
	if out, err := runErr(cosignEnv(t), cosignBin(t), "verify-blob", "--key", pub, "--signature", sigFile, "--insecure-ignore-tlog", tmpFile(t, work, "other", []byte("other"))); err == nil {
		t.Fatalf("cosign verified the signature over other bytes:\n%s", out)
	}

	// A DSSE attestation whose subject is an artifact file.
	artifact := tmpFile(t, work, "app.tar", []byte("the built artifact"))
	sum := sha256.Sum256([]byte("the built artifact"))
	stmt, _ := json.Marshal(map[string]any{
		"_type":         "https://in-toto.io/Statement/v1",
		"subject":       []any{map[string]any{"name": "app.tar", "digest": map[string]string{"sha256": hex.EncodeToString(sum[:])}}},
		"predicateType": "https://slsa.dev/provenance/v1",
		"predicate":     map[string]any{"buildDefinition": map[string]any{"buildType": config.BuildTypeSLSA}},
	})
	env, err := s.SignEnvelope(ctx, PayloadTypeInToto, stmt)
	if err != nil {
		t.Fatal(err)
	}
	envJSON, _ := json.Marshal(env)
	envFile := tmpFile(t, work, "att.json", envJSON)
	run(t, cosignEnv(t), cosignBin(t), "verify-blob-attestation", "--key", pub, "--signature", envFile,
		"--type", "slsaprovenance1", "--insecure-ignore-tlog", artifact)
	// cosign checks the subject: another artifact is refused.
	if out, err := runErr(cosignEnv(t), cosignBin(t), "verify-blob-attestation", "--key", pub, "--signature", envFile,
		"--type", "slsaprovenance1", "--insecure-ignore-tlog", blob); err == nil {
		t.Fatalf("cosign accepted the attestation for another artifact:\n%s", out)
	}
}

func TestCosignKeyBadInput(t *testing.T) {
	dir := cosignKeyDir(t, "the-right-password")
	key, _ := os.ReadFile(filepath.Join(dir, FileCosignKey))

	t.Run("wrong password", func(t *testing.T) {
		writeFile(t, filepath.Join(dir, FileCosignPassword), []byte("a-wrong-password"))
		_, err := loadDir(t, config.SignerX509, dir, mustParse(t, nil))
		if !errors.Is(err, ErrWrongPassword) {
			t.Fatalf("want ErrWrongPassword, got %v", err)
		}
		assertContains(t, err, FileCosignPassword, FileCosignKey, dir)
		assertNoSecret(t, err, "a-wrong-password", "the-right-password", pemBody(key))
	})
	t.Run("missing password", func(t *testing.T) {
		if err := os.Remove(filepath.Join(dir, FileCosignPassword)); err != nil {
			t.Fatal(err)
		}
		_, err := loadDir(t, config.SignerX509, dir, mustParse(t, nil))
		assertContains(t, err, FileCosignPassword, "put the file")
	})
	t.Run("unencrypted key in cosign.key", func(t *testing.T) {
		d := opensslKey(t, "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256")
		if err := os.Rename(filepath.Join(d, FileX509Key), filepath.Join(d, FileCosignKey)); err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(d, FileCosignPassword), []byte("pw"))
		_, err := loadDir(t, config.SignerX509, d, mustParse(t, nil))
		assertContains(t, err, FileCosignKey, FileX509Key, "generate-key-pair")
	})
}
