//go:build stack

package e2e

import (
	"bytes"
	"context"
	"crypto"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	archivistaclient "github.com/in-toto/archivista/pkg/http-client"
	"github.com/sigstore/sigstore/pkg/signature"
	sigdsse "github.com/sigstore/sigstore/pkg/signature/dsse"

	"github.com/chainseal/chainseal/internal/stacktest"
)

// TestArchivistaStoresWhereWitnessLooks signs a PipelineRun of the real API
// server into the stack's in-toto Archivista (on MariaDB) next to OCI. A
// first run with Archivista unreachable, and one whose URL it refuses (no
// such API there), fail and mark nothing signed; two re-runs leave one
// envelope for the statement. Archivista's own Go client finds it by the
// image's digest (the subject) and downloads it, and it verifies with the
// signing key.
func TestArchivistaStoresWhereWitnessLooks(t *testing.T) {
	t.Parallel()
	env := stacktest.Load(t)
	env.Start(t, "archivista")
	server := env.Must(t, "ARCHIVISTA_URL")
	bin := buildChainseal(t)
	f := newBuildFixture(t, env, "archivista")
	secrets := filepath.Join(f.work, "signing")
	writeECKey(t, filepath.Join(secrets, "x509.pem"))

	sign := func(url string) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, append(f.signArgs(t), "--config-map", "", "--secret-dir", secrets,
			"--config", "artifacts.pipelinerun.storage=oci,archivista",
			"--config", "storage.archivista.url="+url)...)
		cmd.Env = append(os.Environ(), "DOCKER_CONFIG="+f.docker)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	signed := func() bool { return f.markedSigned(t) }

	for _, down := range []string{"http://127.0.0.1:1", server + "/no-archivista-here"} {
		if out, err := sign(down); err == nil {
			t.Fatalf("sign succeeded with Archivista at %s:\n%s", down, out)
		} else if !strings.Contains(out, `"archivista"`) {
			t.Errorf("the failure does not name the archivista backend:\n%s", out)
		}
		if signed() {
			t.Fatalf("PipelineRun marked signed although storing to %s failed", down)
		}
	}
	for i := range 2 {
		out, err := sign(server)
		if err != nil {
			t.Fatalf("sign %d: %v\n%s", i+1, err, out)
		}
		logStored(t, out)
	}
	if !signed() {
		t.Fatal("PipelineRun not marked signed after every store held it")
	}

	// Archivista's client: the envelopes whose statement names the image.
	ctx := context.Background()
	client, err := archivistaclient.CreateArchivistaClient(http.DefaultClient, server)
	if err != nil {
		t.Fatal(err)
	}
	hex := strings.TrimPrefix(f.digest, "sha256:")
	res, err := client.GraphQLRetrieveSearchResults(ctx, "sha256", hex)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(res.Dsses.Edges); n != 1 {
		t.Fatalf("Archivista holds %d envelopes naming %s after three failed and two good runs, want 1", n, f.digest)
	}
	env1, err := client.DownloadDSSE(ctx, res.Dsses.Edges[0].Node.GitoidSha256)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(env1)
	if err != nil {
		t.Fatal(err)
	}
	v, err := signature.LoadVerifierFromPEMFile(filepath.Join(secrets, "x509.pub"), crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	if err := sigdsse.WrapVerifier(v).VerifySignature(bytes.NewReader(raw), nil); err != nil {
		t.Fatalf("the envelope Archivista returns does not verify with the signing key: %v", err)
	}
	if env1.PayloadType != "application/vnd.in-toto+json" || !bytes.Contains(env1.Payload, []byte(f.build.Name)) {
		t.Errorf("not the in-toto statement of PipelineRun %s (%s):\n%s", f.build.Name, env1.PayloadType, env1.Payload)
	}
}
