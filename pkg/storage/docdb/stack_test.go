//go:build stack

package docdb

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sigstore/sigstore/pkg/signature"
	sigdsse "github.com/sigstore/sigstore/pkg/signature/dsse"
	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/chainseal/chainseal/internal/stacktest"
	"github.com/chainseal/chainseal/pkg/config"
	"github.com/chainseal/chainseal/pkg/storage"
)

// On the stack's FerretDB (MongoDB wire protocol) with the server named by
// storage.docdb.mongo-server-url-dir as Chains mounts it: a signed
// statement stored twice is one document, named and shaped as Chains
// writes it; the MongoDB Go driver reads it back and its envelope verifies
// with the signing key.
func TestStoreOneDocumentPerRecordReadByTheMongoDriver(t *testing.T) {
	env := stacktest.Load(t)
	server := env.Must(t, "DOCDB_MONGO_URL")
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, MongoServerURLEnv), []byte(server+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	db := "chainseal" + strings.ToLower(strings.ReplaceAll(t.Name(), "_", ""))[:12]
	var cfg config.Config
	cfg.DocDB.URL = "mongo://" + db + "/attestations?id_field=name"
	cfg.DocDB.MongoServerURLDir = dir
	ctx := context.Background()
	b, err := Open(ctx, cfg, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()

	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sv, err := signature.LoadECDSASignerVerifier(key, crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	payload := []byte(`{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"api","digest":{"sha256":"` + strings.Repeat("ab", 32) + `"}}]}`)
	envelope, err := sigdsse.WrapSigner(sv, "application/vnd.in-toto+json").SignMessage(bytes.NewReader(payload))
	if err != nil {
		t.Fatal(err)
	}
	pr := storage.Object{Kind: "PipelineRun", Namespace: "payments", Name: "release-7q2xk", UID: "0b1c-77"}
	batch := storage.Batch{Attestations: []storage.Attestation{{Object: pr, Format: "slsa/v2alpha4", Payload: payload, Envelope: envelope}}}
	for range 2 {
		if _, err := b.Store(ctx, batch); err != nil {
			t.Fatal(err)
		}
	}

	client, err := mongo.Connect(ctx, options.Client().ApplyURI(server))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Disconnect(ctx)
	coll := client.Database(db).Collection("attestations")
	n, err := coll.CountDocuments(ctx, bson.D{})
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("%d documents after storing one record twice, want 1", n)
	}
	var doc bson.M
	if err := coll.FindOne(ctx, bson.D{{Key: "_id", Value: "pipelinerun-0b1c-77"}}).Decode(&doc); err != nil {
		t.Fatalf("no document with Chains' name pipelinerun-<uid>: %v", err)
	}
	sig, _ := doc["Signature"].(string)
	raw, err := base64.StdEncoding.DecodeString(sig)
	if err != nil {
		t.Fatalf("Signature %q is not base64: %v (document %v)", sig, err, doc)
	}
	if err := sigdsse.WrapVerifier(sv).VerifySignature(bytes.NewReader(raw), nil); err != nil {
		t.Fatalf("the envelope in the document does not verify: %v", err)
	}
	if obj, ok := doc["Object"].(bson.M); !ok || obj["_type"] != "https://in-toto.io/Statement/v1" {
		t.Errorf("Object = %#v, want the statement as a document", doc["Object"])
	}
}

// A statement with map keys holding dots (Kubernetes labels such as
// app.kubernetes.io/name, in internalParameters.labels) is stored in
// FerretDB, which refuses dotted field names: the document's Signed and
// Signature are the signed bytes untouched, and the MongoDB driver finds
// the labels in Object under Chains' field names.
func TestStoreStatementWithDottedKeys(t *testing.T) {
	env := stacktest.Load(t)
	server := env.Must(t, "DOCDB_MONGO_URL")
	db := "chainsealdots"
	var cfg config.Config
	cfg.DocDB.URL = "mongo://" + db + "/attestations?id_field=name"
	cfg.DocDB.MongoServerURL = server
	ctx := context.Background()
	b, err := Open(ctx, cfg, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sv, err := signature.LoadECDSASignerVerifier(key, crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	payload := []byte(`{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"api","digest":{"sha256":"` + strings.Repeat("ab", 32) + `"}}],` +
		`"predicateType":"https://slsa.dev/provenance/v1","predicate":{"buildDefinition":{"internalParameters":{"labels":` +
		`{"app.kubernetes.io/name":"api","tekton.dev/pipeline":"release"}}}}}`)
	envelope, err := sigdsse.WrapSigner(sv, "application/vnd.in-toto+json").SignMessage(bytes.NewReader(payload))
	if err != nil {
		t.Fatal(err)
	}
	pr := storage.Object{Kind: "PipelineRun", Namespace: "payments", Name: "release-dots", UID: "d0751-1"}
	if _, err := b.Store(ctx, storage.Batch{Attestations: []storage.Attestation{{Object: pr, Payload: payload, Envelope: envelope}}}); err != nil {
		t.Fatalf("storing a statement whose labels have dotted keys: %v", err)
	}
	client, err := mongo.Connect(ctx, options.Client().ApplyURI(server))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Disconnect(ctx)
	var doc bson.M
	if err := client.Database(db).Collection("attestations").FindOne(ctx, bson.D{{Key: "_id", Value: "pipelinerun-d0751-1"}}).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	signed, _ := doc["Signed"].(primitive.Binary)
	if !bytes.Equal(signed.Data, payload) {
		t.Fatalf("Signed is not the signed payload byte for byte")
	}
	raw, err := base64.StdEncoding.DecodeString(doc["Signature"].(string))
	if err != nil {
		t.Fatal(err)
	}
	if err := sigdsse.WrapVerifier(sv).VerifySignature(bytes.NewReader(raw), nil); err != nil {
		t.Fatalf("the envelope does not verify: %v", err)
	}
	labels := doc["Object"].(bson.M)["predicate"].(bson.M)["buildDefinition"].(bson.M)["internalParameters"].(bson.M)["labels"].(bson.M)
	if labels[ObjectKey("app.kubernetes.io/name")] != "api" {
		t.Fatalf("Object's labels = %v", labels)
	}
}
