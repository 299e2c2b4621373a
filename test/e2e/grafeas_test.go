//go:build stack

package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gpb "github.com/grafeas/grafeas/proto/v1/grafeas_go_proto"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/chainseal/chainseal/internal/stacktest"
	"github.com/chainseal/chainseal/pkg/storage/grafeas"
)

// TestGrafeasStoresWhereChainsReadersLook signs a PipelineRun of the real
// API server and its image into the stack's Grafeas v1 server next to OCI.
// A first run with the server down fails and marks nothing signed; two
// re-runs leave one BUILD occurrence for the image on Chains' note
// tekton-<ns>-pipelinerun-intoto and one ATTESTATION occurrence on
// tekton-<ns>-simplesigning. Grafeas' own generated client reads them back;
// cosign verifies the BUILD occurrence's envelope against the image's
// manifest with the public key, and openssl the image signature.
func TestGrafeasStoresWhereChainsReadersLook(t *testing.T) {
	t.Parallel()
	env := stacktest.Load(t)
	endpoint := env.Must(t, "GRAFEAS_ENDPOINT")
	bin := buildChainseal(t)
	f := newBuildFixture(t, env, "grafeas")
	secrets := filepath.Join(f.work, "signing")
	writeECKey(t, filepath.Join(secrets, "x509.pem"))
	project := f.ns

	sign := func(endpoint string) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, append(f.signArgs(t), "--config-map", "", "--secret-dir", secrets,
			"--config", "artifacts.pipelinerun.storage=oci,grafeas",
			"--config", "artifacts.oci.storage=oci,grafeas",
			"--config", "storage.grafeas.projectid="+project,
			"--config", "storage.grafeas.endpoint="+endpoint)...)
		cmd.Env = append(os.Environ(), "DOCKER_CONFIG="+f.docker)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	signed := func() bool { return f.markedSigned(t) }

	if out, err := sign("127.0.0.1:1"); err == nil {
		t.Fatalf("sign succeeded with the Grafeas server down:\n%s", out)
	} else if !strings.Contains(out, `"grafeas"`) {
		t.Errorf("the failure does not name the grafeas backend:\n%s", out)
	}
	if signed() {
		t.Fatal("PipelineRun marked signed although the grafeas store failed")
	}
	for i := range 2 {
		out, err := sign(endpoint)
		if err != nil {
			t.Fatalf("sign %d: %v\n%s", i+1, err, out)
		}
		logStored(t, out)
	}
	if !signed() {
		t.Fatal("PipelineRun not marked signed after every store held it")
	}

	ctx := context.Background()
	conn, err := grpc.NewClient(endpoint, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	client := gpb.NewGrafeasClient(conn)
	all, err := client.ListOccurrences(ctx, &gpb.ListOccurrencesRequest{Parent: "projects/" + project, PageSize: 100})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(all.GetOccurrences()); n != 2 {
		t.Fatalf("%d occurrences in projects/%s after two runs, want 2 (one BUILD, one ATTESTATION): %v", n, project, all)
	}
	uri := f.image()
	build, err := client.ListNoteOccurrences(ctx, &gpb.ListNoteOccurrencesRequest{
		Name: "projects/" + project + "/notes/tekton-" + f.ns + "-pipelinerun-intoto", Filter: `resourceUrl="` + uri + `"`})
	if err != nil {
		t.Fatalf("Chains' BUILD note: %v", err)
	}
	if len(build.GetOccurrences()) != 1 || build.GetOccurrences()[0].GetKind() != gpb.NoteKind_BUILD {
		t.Fatalf("BUILD occurrences of %s: %v", uri, build)
	}
	occ := build.GetOccurrences()[0]
	if got := occ.GetBuild().GetInTotoSlsaProvenanceV1().GetPredicate().GetRunDetails().GetMetadata().GetInvocationId(); got != string(f.build.UID) {
		t.Errorf("the details' invocation id is %q, want the PipelineRun's UID %s", got, f.build.UID)
	}
	dsse, err := grafeas.DSSE(occ.GetEnvelope())
	if err != nil {
		t.Fatal(err)
	}
	envFile := filepath.Join(f.work, "occurrence.dsse.json")
	manifest := filepath.Join(f.work, "manifest.json")
	if err := os.WriteFile(envFile, dsse, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(manifest, []byte(run(t, f.userEnv, env.Crane(), "manifest", uri)), 0o600); err != nil {
		t.Fatal(err)
	}
	pub := filepath.Join(secrets, "x509.pub")
	run(t, f.userEnv, env.Cosign(), "verify-blob-attestation", "--key", pub, "--signature", envFile,
		"--type", "slsaprovenance1", "--insecure-ignore-tlog", manifest)

	att, err := client.ListNoteOccurrences(ctx, &gpb.ListNoteOccurrencesRequest{Name: "projects/" + project + "/notes/tekton-" + f.ns + "-simplesigning"})
	if err != nil || len(att.GetOccurrences()) != 1 || att.GetOccurrences()[0].GetResourceUri() != uri {
		t.Fatalf("ATTESTATION occurrences: %v (%v), want one for %s", att, err, uri)
	}
	a := att.GetOccurrences()[0].GetAttestation()
	payload, sig := filepath.Join(f.work, "simplesigning.json"), filepath.Join(f.work, "simplesigning.sig")
	if err := os.WriteFile(payload, a.GetSerializedPayload(), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(sig, a.GetSignatures()[0].GetSignature(), 0o600); err != nil {
		t.Fatal(err)
	}
	run(t, f.userEnv, "openssl", "dgst", "-sha256", "-verify", pub, "-signature", sig, payload)
}
