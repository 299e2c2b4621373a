//go:build stack

package e2e

import (
	"bytes"
	"context"
	"crypto"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	gstorage "cloud.google.com/go/storage"
	"github.com/sigstore/sigstore/pkg/signature"
	sigdsse "github.com/sigstore/sigstore/pkg/signature/dsse"
	"google.golang.org/api/iterator"
	"google.golang.org/api/option"

	"github.com/chainseal/chainseal/internal/stacktest"
)

// TestGCSStoresWhereChainsReadersLook signs a PipelineRun of the real API
// server into the stack's GCS server (fake-gcs-server) next to OCI. A first
// run whose bucket refuses the write (it does not exist) fails and marks
// nothing signed; a re-run stores, twice, leaving one set of objects named as
// Tekton Chains names them; Google's own storage client reads the envelope
// back and it verifies with the signing key's public half.
func TestGCSStoresWhereChainsReadersLook(t *testing.T) {
	t.Parallel()
	env := stacktest.Load(t)
	host := env.Must(t, "GCS_EMULATOR_HOST")
	bin := buildChainseal(t)
	f := newBuildFixture(t, env, "gcs")
	secrets := filepath.Join(f.work, "signing")
	writeECKey(t, filepath.Join(secrets, "x509.pem"))

	ctx := context.Background()
	client, err := gstorage.NewClient(ctx, option.WithEndpoint("http://"+host+"/storage/v1/"), option.WithoutAuthentication())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	bucket := f.ns
	if err := client.Bucket(bucket).Create(ctx, "chainseal-stack", nil); err != nil {
		t.Fatalf("creating bucket %s: %v", bucket, err)
	}

	sign := func(bucket string) (string, error) {
		ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, append(f.signArgs(t), "--config-map", "", "--secret-dir", secrets,
			"--config", "artifacts.pipelinerun.storage=oci,gcs",
			"--config", "storage.gcs.bucket="+bucket)...)
		cmd.Env = append(os.Environ(), "DOCKER_CONFIG="+f.docker, "STORAGE_EMULATOR_HOST="+host)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	signed := func() bool { return f.markedSigned(t) }

	if out, err := sign(bucket + "-missing"); err == nil {
		t.Fatalf("sign succeeded into a bucket that does not exist:\n%s", out)
	} else if !strings.Contains(out, `"gcs"`) {
		t.Errorf("the failure does not name the gcs backend:\n%s", out)
	}
	if signed() {
		t.Fatal("PipelineRun marked signed although the gcs store failed")
	}
	for i := range 2 {
		out, err := sign(bucket)
		if err != nil {
			t.Fatalf("sign %d: %v\n%s", i+1, err, out)
		}
		logStored(t, out)
	}
	if !signed() {
		t.Fatal("PipelineRun not marked signed after every store held it")
	}

	// Chains' names: pipelinerun-<ns>-<name>/pipelinerun-<uid>.{payload,signature}
	// (no .cert/.chain with a key).
	prefix := "pipelinerun-" + f.ns + "-" + f.build.Name + "/pipelinerun-" + string(f.build.UID)
	var names []string
	it := client.Bucket(bucket).Objects(ctx, nil)
	for {
		a, err := it.Next()
		if errors.Is(err, iterator.Done) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, a.Name)
	}
	slices.Sort(names)
	if want := []string{prefix + ".payload", prefix + ".signature"}; !slices.Equal(names, want) {
		t.Fatalf("bucket holds %q after two runs, want exactly %q", names, want)
	}
	read := func(name string) []byte {
		r, err := client.Bucket(bucket).Object(name).NewReader(ctx)
		if err != nil {
			t.Fatalf("reading %s: %v", name, err)
		}
		defer r.Close()
		b, err := io.ReadAll(r)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	envelope, payload := read(prefix+".signature"), read(prefix+".payload")

	v, err := signature.LoadVerifierFromPEMFile(filepath.Join(secrets, "x509.pub"), crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	if err := sigdsse.WrapVerifier(v).VerifySignature(bytes.NewReader(envelope), nil); err != nil {
		t.Fatalf("the envelope in GCS does not verify with the signing key: %v", err)
	}
	var e struct{ PayloadType, Payload string }
	if err := json.Unmarshal(envelope, &e); err != nil {
		t.Fatal(err)
	}
	inner, err := base64.StdEncoding.DecodeString(e.Payload)
	if err != nil || !bytes.Equal(inner, payload) {
		t.Fatalf("the .payload object is not the statement the envelope signs (decode error %v)", err)
	}
	hex := strings.TrimPrefix(f.digest, "sha256:")
	if e.PayloadType != "application/vnd.in-toto+json" || !strings.Contains(string(payload), hex) {
		t.Errorf("payload type %q, payload naming the image %s: %v", e.PayloadType, hex, strings.Contains(string(payload), hex))
	}
}
