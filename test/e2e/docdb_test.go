//go:build stack

package e2e

import (
	"bytes"
	"context"
	"crypto"
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sigstore/sigstore/pkg/signature"
	sigdsse "github.com/sigstore/sigstore/pkg/signature/dsse"
	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/chainseal/chainseal/internal/kubetest"
	"github.com/chainseal/chainseal/internal/stacktest"
	"github.com/chainseal/chainseal/pkg/storage/docdb"
)

// TestDocDBStoresWhereChainsReadersLook signs a PipelineRun of the real API
// server into the stack's FerretDB (MongoDB wire protocol) next to OCI, the
// server named by a mongo-server-url-path file as a mounted Secret would. A
// first run with the server down fails and marks nothing signed; two
// re-runs leave one document, named as Chains names it, which the MongoDB
// Go driver reads back and whose envelope verifies with the signing key.
func TestDocDBStoresWhereChainsReadersLook(t *testing.T) {
	t.Parallel()
	env := stacktest.Load(t)
	server := env.Must(t, "DOCDB_MONGO_URL")
	bin := buildChainseal(t)
	f := newBuildFixture(t, env, "docdb")
	secrets := filepath.Join(f.work, "signing")
	writeECKey(t, filepath.Join(secrets, "x509.pem"))
	db := strings.ReplaceAll(f.ns, "-", "")
	urlFile := filepath.Join(f.work, "mongo-url")
	// Kubernetes' recommended labels: dotted keys, which FerretDB refuses
	// as field names, in the statement's internalParameters.labels.
	prs := kubetest.AdminTekton(t, env).TektonV1().PipelineRuns(f.ns)
	pr, err := prs.Get(context.Background(), f.build.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if pr.Labels == nil {
		pr.Labels = map[string]string{}
	}
	pr.Labels["app.kubernetes.io/name"] = "payments-api"
	if _, err := prs.Update(context.Background(), pr, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}

	sign := func(server string) (string, error) {
		if err := os.WriteFile(urlFile, []byte(server+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, append(f.signArgs(t), "--config-map", "", "--secret-dir", secrets,
			"--config", "artifacts.pipelinerun.storage=oci,docdb",
			"--config", "storage.docdb.url=mongo://"+db+"/attestations?id_field=name",
			"--config", "storage.docdb.mongo-server-url-path="+urlFile,
			"--config", "builddefinition.buildtype=https://tekton.dev/chains/v2/slsa-tekton")...)
		cmd.Env = append(os.Environ(), "DOCKER_CONFIG="+f.docker)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	signed := func() bool { return f.markedSigned(t) }

	if out, err := sign("mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=2000&connectTimeoutMS=1000"); err == nil {
		t.Fatalf("sign succeeded with the MongoDB server down:\n%s", out)
	} else if !strings.Contains(out, `"docdb"`) {
		t.Errorf("the failure does not name the docdb backend:\n%s", out)
	}
	if signed() {
		t.Fatal("PipelineRun marked signed although the docdb store failed")
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

	ctx := context.Background()
	client, err := mongo.Connect(ctx, options.Client().ApplyURI(server))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Disconnect(ctx)
	coll := client.Database(db).Collection("attestations")
	if n, err := coll.CountDocuments(ctx, bson.D{}); err != nil || n != 1 {
		t.Fatalf("%d documents after two runs (error %v), want 1", n, err)
	}
	var doc bson.M
	name := "pipelinerun-" + string(f.build.UID)
	if err := coll.FindOne(ctx, bson.D{{Key: "_id", Value: name}}).Decode(&doc); err != nil {
		t.Fatalf("no document %s: %v", name, err)
	}
	sig, _ := doc["Signature"].(string)
	envelope, err := base64.StdEncoding.DecodeString(sig)
	if err != nil {
		t.Fatal(err)
	}
	v, err := signature.LoadVerifierFromPEMFile(filepath.Join(secrets, "x509.pub"), crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	if err := sigdsse.WrapVerifier(v).VerifySignature(bytes.NewReader(envelope), nil); err != nil {
		t.Fatalf("the envelope in the document does not verify with the signing key: %v", err)
	}
	if hex := strings.TrimPrefix(f.digest, "sha256:"); !bytes.Contains(signedOf(t, doc), []byte(hex)) {
		t.Errorf("the signed payload does not name the image %s", hex)
	}
	var e struct{ Payload []byte }
	if err := json.Unmarshal(envelope, &e); err != nil || !bytes.Equal(e.Payload, signedOf(t, doc)) {
		t.Fatalf("Signed is not the payload the envelope signs, byte for byte (%v)", err)
	}
	if !bytes.Contains(signedOf(t, doc), []byte(`"app.kubernetes.io/name":"payments-api"`)) {
		t.Errorf("the signed payload does not hold the label as the run has it")
	}
	labels, _ := lookup(doc["Object"], "predicate", "buildDefinition", "internalParameters", "labels").(bson.M)
	if labels[docdb.ObjectKey("app.kubernetes.io/name")] != "payments-api" {
		t.Errorf("Object's labels = %v, want app.kubernetes.io/name under docdb.ObjectKey", labels)
	}
}

// lookup follows keys through nested documents.
func lookup(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(bson.M)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// signedOf is the document's Signed field (bytes, as go-cloud encodes []byte).
func signedOf(t *testing.T, doc bson.M) []byte {
	t.Helper()
	switch s := doc["Signed"].(type) {
	case []byte:
		return s
	case primitive.Binary:
		return s.Data
	}
	t.Fatalf("Signed is a %T", doc["Signed"])
	return nil
}

// logStored logs the run's "stored" lines (backend, count, duration): the
// store latencies on loopback that the docs quote.
func logStored(t *testing.T, out string) {
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, "stored") && strings.Contains(l, "duration") {
			t.Log(l)
		}
	}
}
