//go:build stack

package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gstorage "cloud.google.com/go/storage"
	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	"google.golang.org/api/option"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/chainseal/chainseal/internal/kubetest"
	"github.com/chainseal/chainseal/internal/stacktest"
)

// TestVerifyFromBackends seals a PipelineRun whose build task also names a
// file that is not an image (PKG_ARTIFACT_URI, PKG_ARTIFACT_DIGEST) into
// the stack's GCS server, FerretDB, Grafeas v1 server and Archivista only,
// then runs chainseal verify on that artifact with --from-gcs, --from-docdb,
// --from-grafeas and --from-archivista: each finds the attestation there and verifies it with the
// public key; another key fails (exit 1) and another digest finds nothing
// (exit 3).
func TestVerifyFromBackends(t *testing.T) {
	t.Parallel()
	env := stacktest.Load(t)
	gcsHost := env.Must(t, "GCS_EMULATOR_HOST")
	mongoURL := env.Must(t, "DOCDB_MONGO_URL")
	grafeasEndpoint := env.Must(t, "GRAFEAS_ENDPOINT")
	env.Start(t, "archivista")
	archivista := env.Must(t, "ARCHIVISTA_URL")
	bin := buildChainseal(t)
	f := newBuildFixture(t, env, "verifyfrom")
	secrets := filepath.Join(f.work, "signing")
	writeECKey(t, filepath.Join(secrets, "x509.pem"))
	other := filepath.Join(f.work, "other")
	writeECKey(t, filepath.Join(other, "x509.pem"))
	ctx := context.Background()

	// The build task also produced app.tar: a type-hinted artifact.
	sum := sha256.Sum256([]byte("app.tar of " + f.ns))
	artifact := "pkg:generic/app.tar@sha256:" + hex.EncodeToString(sum[:])
	uri, _, _ := strings.Cut(artifact, "@")
	trs := kubetest.AdminTekton(t, env).TektonV1().TaskRuns(f.ns)
	tr, err := trs.Get(ctx, f.build.BuildTaskRun, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tr.Status.Results = append(tr.Status.Results,
		pipelinev1.TaskRunResult{Name: "PKG_ARTIFACT_URI", Type: pipelinev1.ResultsTypeString, Value: *pipelinev1.NewStructuredValues(uri)},
		pipelinev1.TaskRunResult{Name: "PKG_ARTIFACT_DIGEST", Type: pipelinev1.ResultsTypeString, Value: *pipelinev1.NewStructuredValues("sha256:" + hex.EncodeToString(sum[:]))})
	if _, err := trs.UpdateStatus(ctx, tr, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}

	gc, err := gstorage.NewClient(ctx, option.WithEndpoint("http://"+gcsHost+"/storage/v1/"), option.WithoutAuthentication())
	if err != nil {
		t.Fatal(err)
	}
	defer gc.Close()
	bucket := f.ns
	if err := gc.Bucket(bucket).Create(ctx, "chainseal-stack", nil); err != nil {
		t.Fatal(err)
	}
	db := strings.ReplaceAll(f.ns, "-", "")
	backendEnv := append(os.Environ(), "DOCKER_CONFIG="+f.docker, "STORAGE_EMULATOR_HOST="+gcsHost, "MONGO_SERVER_URL="+mongoURL)

	sctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(sctx, bin, append(f.signArgs(t), "--config-map", "", "--secret-dir", secrets,
		"--config", "artifacts.pipelinerun.storage=gcs,docdb,grafeas,archivista",
		"--config", "storage.archivista.url="+archivista,
		"--config", "artifacts.oci.signer=none",
		"--config", "storage.gcs.bucket="+bucket,
		"--config", "storage.docdb.url=mongo://"+db+"/attestations?id_field=name",
		"--config", "storage.grafeas.projectid="+f.ns,
		"--config", "storage.grafeas.endpoint="+grafeasEndpoint)...)
	cmd.Env = backendEnv
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("sign: %v\n%s", err, out)
	}

	verify := func(key string, arg string, from ...string) (string, int) {
		cmd := exec.CommandContext(sctx, bin, append(append([]string{"verify", "--key", key, "--insecure-ignore-tlog"}, from...), arg)...)
		cmd.Env = backendEnv
		out, err := cmd.CombinedOutput()
		if ee, ok := err.(*exec.ExitError); ok {
			return string(out), ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return string(out), 0
	}
	pub, otherPub := filepath.Join(secrets, "x509.pub"), filepath.Join(other, "x509.pub")
	_, wrongDigest := "", strings.TrimSuffix(artifact, artifact[len(artifact)-4:])+"0000"
	for _, from := range [][]string{
		{"--from-gcs", "gs://" + bucket},
		{"--from-docdb", "mongo://" + db + "/attestations?id_field=name"},
		{"--from-grafeas", "projects/" + f.ns, "--grafeas-endpoint", grafeasEndpoint},
		{"--from-archivista", archivista},
	} {
		if out, code := verify(pub, artifact, from...); code != 0 {
			t.Errorf("verify %s %s: exit %d\n%s", strings.Join(from, " "), artifact, code, out)
		} else {
			t.Logf("verify %s: %s", from[0], strings.TrimSpace(out))
		}
		if out, code := verify(otherPub, artifact, from...); code != 1 {
			t.Errorf("verify %s with another key: exit %d, want 1\n%s", from[0], code, out)
		}
		if out, code := verify(pub, wrongDigest, from...); code != 3 {
			t.Errorf("verify %s of another digest: exit %d, want 3 (nothing found)\n%s", from[0], code, out)
		}
	}
}
