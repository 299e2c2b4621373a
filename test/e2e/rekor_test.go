//go:build stack

package e2e

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chainseal/chainseal/internal/kubetest"
	"github.com/chainseal/chainseal/internal/stacktest"
)

// TestStackRekor shows Rekor, Trillian and the search index are real:
// rekor-cli uploads a signed artifact, finds it by its digest and reads the
// entry back with its inclusion proof verified.
func TestStackRekor(t *testing.T) {
	t.Parallel()
	env := stacktest.Load(t)
	cli := env.Must(t, "REKOR_CLI")
	url := env.Must(t, "REKOR_URL")
	dir := t.TempDir()

	artifact := []byte("chainseal smoke " + kubetest.Name("artifact"))
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(artifact)
	sig, err := ecdsa.SignASN1(rand.Reader, key, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	art := write("artifact", artifact)
	sigFile := write("artifact.sig", sig)
	pub := write("key.pub", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))

	e := env.Environ()
	out := run(t, e, cli, "upload", "--rekor_server", url, "--artifact", art, "--signature", sigFile, "--public-key", pub)
	if !strings.Contains(out, "Created entry") {
		t.Fatalf("rekor-cli upload: unexpected output %q", out)
	}
	digest := hex.EncodeToString(sum[:])
	found := strings.Fields(run(t, e, cli, "search", "--rekor_server", url, "--sha", digest))
	if len(found) == 0 {
		t.Fatalf("rekor-cli search --sha %s found nothing", digest)
	}
	uuid := found[len(found)-1]
	got := run(t, e, cli, "get", "--rekor_server", url, "--uuid", uuid, "--format", "json")
	if !strings.Contains(got, digest) {
		t.Fatalf("rekor-cli get %s does not name the artifact digest: %s", uuid, got)
	}
	// verify checks the inclusion proof and the signed entry timestamp
	// against the log's public key.
	run(t, e, cli, "verify", "--rekor_server", url, "--uuid", uuid)
}
