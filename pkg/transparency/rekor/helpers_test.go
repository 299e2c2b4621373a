package rekor_test

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/sigstore/sigstore/pkg/signature"
	sigdsse "github.com/sigstore/sigstore/pkg/signature/dsse"

	"github.com/chainseal/chainseal/internal/sigtest"
	"github.com/chainseal/chainseal/pkg/storage"
)

type testKey struct {
	sv     signature.SignerVerifier
	pubPEM []byte
}

func newTestKey(t testing.TB) testKey {
	k := sigtest.NewKey(t)
	return testKey{sv: k.SV, pubPEM: k.PubPEM}
}

// randomDigest stands for an image nobody else has logged.
func randomDigest(t testing.TB) string {
	t.Helper()
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// attestation is a signed SLSA v1 statement about the image digest.
func (k testKey) attestation(t testing.TB, imageHex string) storage.Attestation {
	t.Helper()
	stmt, err := json.Marshal(map[string]any{
		"_type":         "https://in-toto.io/Statement/v1",
		"predicateType": "https://slsa.dev/provenance/v1",
		"subject":       []any{map[string]any{"name": "registry.example/app", "digest": map[string]string{"sha256": imageHex}}},
		"predicate":     map[string]any{"buildDefinition": map[string]any{"buildType": "https://chainseal.dev/test"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	env, err := sigdsse.WrapSigner(k.sv, "application/vnd.in-toto+json").SignMessage(bytes.NewReader(stmt))
	if err != nil {
		t.Fatal(err)
	}
	return storage.Attestation{
		Object:    storage.Object{Kind: "PipelineRun", Namespace: "ns", Name: "build"},
		Payload:   stmt,
		Envelope:  env,
		Subjects:  []storage.Subject{{Name: "registry.example/app", Digest: map[string]string{"sha256": imageHex}}},
		PublicKey: k.pubPEM,
	}
}

func (k testKey) imageSignature(t testing.TB, imageHex string) storage.ImageSignature {
	t.Helper()
	p := []byte(fmt.Sprintf(`{"critical":{"identity":{"docker-reference":"registry.example/app"},"image":{"docker-manifest-digest":"sha256:%s"},"type":"cosign container image signature"},"optional":null}`, imageHex))
	sig, err := k.sv.SignMessage(bytes.NewReader(p))
	if err != nil {
		t.Fatal(err)
	}
	return storage.ImageSignature{Image: "registry.example/app@sha256:" + imageHex, Payload: p, Signature: sig, PublicKey: k.pubPEM}
}

// rekorCLI runs the stack's rekor-cli against the log.
