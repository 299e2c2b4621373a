package verify

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chainseal/chainseal/internal/sigtest"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	cbundle "github.com/sigstore/cosign/v2/pkg/cosign/bundle"
	"github.com/sigstore/cosign/v2/pkg/oci/mutate"
	ociremote "github.com/sigstore/cosign/v2/pkg/oci/remote"
	"github.com/sigstore/cosign/v2/pkg/oci/static"
	ctypes "github.com/sigstore/cosign/v2/pkg/types"
	"github.com/sigstore/sigstore/pkg/signature"
	sigdsse "github.com/sigstore/sigstore/pkg/signature/dsse"
)

func digestRef(t testing.TB, s string) name.Digest {
	t.Helper()
	d, err := name.NewDigest(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// testKey is a throwaway ECDSA P-256 key, as a key-file signer has.
type testKey struct {
	sv  signature.SignerVerifier
	pem string // path of the PEM public key
	key *Key
}

func newTestKey(t testing.TB) testKey {
	t.Helper()
	sk := sigtest.NewKey(t)
	p := sk.PubFile(t)
	k, err := LoadKey(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	return testKey{sv: sk.SV, pem: p, key: k}
}

// sign wraps the statement in a DSSE envelope signed by k.
func (k testKey) sign(t testing.TB, stmt []byte) []byte {
	t.Helper()
	env, err := sigdsse.WrapSigner(k.sv, "application/vnd.in-toto+json").SignMessage(bytes.NewReader(stmt))
	if err != nil {
		t.Fatal(err)
	}
	return env
}

// goldenStatement is a statement chainseal's provenance package wrote: the
// PipelineRun statement of its golden file name, or with name
// "FILE:TASK" the TaskRun statement of pipeline task TASK in FILE. The
// checks read these very files, so they read the layout chainseal writes
// today.
func goldenStatement(t testing.TB, name string) []byte {
	t.Helper()
	file, task, isTaskRun := strings.Cut(name, ":")
	b, err := os.ReadFile(filepath.Join("..", "provenance", "testdata", file+".golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	var g struct {
		Statements []json.RawMessage `json:"statements"`
		TaskRuns   []struct {
			PipelineTask string          `json:"pipelineTask"`
			Payload      json.RawMessage `json:"payload"`
		} `json:"taskRuns"`
	}
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	if !isTaskRun {
		if len(g.Statements) == 0 {
			t.Fatalf("%s holds no PipelineRun statement", file)
		}
		return g.Statements[0]
	}
	for _, tr := range g.TaskRuns {
		if tr.PipelineTask == task {
			return tr.Payload
		}
	}
	t.Fatalf("%s holds no TaskRun statement of task %s", file, task)
	return nil
}

// statementFor is a chainseal SLSA v1 statement (a provenance golden file)
// whose subject is d.
func statementFor(t testing.TB, d name.Digest) []byte {
	return statementOf(t, "bundle", d)
}

// statementOf is the golden statement name (goldenStatement) with d as
// its only subject.
func statementOf(t testing.TB, name string, d name.Digest) []byte {
	t.Helper()
	var st map[string]any
	if err := json.Unmarshal(goldenStatement(t, name), &st); err != nil {
		t.Fatal(err)
	}
	alg, hex, _ := strings.Cut(d.DigestStr(), ":")
	st["subject"] = []any{map[string]any{"name": d.Context().Name(), "digest": map[string]string{alg: hex}}}
	out, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// inProcessRegistry is go-containerregistry's registry, for tests of this
// package alone; the e2e tests use the stack's registry.
func inProcessRegistry(t testing.TB) string {
	return sigtest.Registry(t)
}

// pushRandom pushes a random image as repo:latest and returns its digest.
func pushRandom(t testing.TB, repo string) name.Digest {
	return sigtest.PushRandom(t, repo)
}

// attach appends a DSSE layer to d's .att tag, as cosign attest (and
// chainseal's oci storage) does; rb is the Rekor bundle annotation.
func attach(t testing.TB, d name.Digest, envelope []byte, rb *cbundle.RekorBundle) {
	t.Helper()
	opts := []static.Option{static.WithAnnotations(map[string]string{"predicateType": "https://slsa.dev/provenance/v1"})}
	if rb != nil {
		opts = append(opts, static.WithBundle(rb))
	}
	attachWith(t, d, envelope, opts...)
}

// attachWith appends layer to d's .att tag as a DSSE layer with opts.
func attachWith(t testing.TB, d name.Digest, layer []byte, opts ...static.Option) {
	t.Helper()
	tag, err := ociremote.AttestationTag(d)
	if err != nil {
		t.Fatal(err)
	}
	base, err := ociremote.Signatures(tag)
	if err != nil {
		t.Fatal(err)
	}
	att, err := static.NewAttestation(layer, append([]static.Option{static.WithLayerMediaType(ctypes.DssePayloadType)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	next, err := mutate.AppendSignatures(base, false, att)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(tag, next); err != nil {
		t.Fatal(err)
	}
}

func checkOf(t testing.TB, a Attestation, name string) Check {
	t.Helper()
	for _, c := range a.Checks {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no %s check in %+v", name, a.Checks)
	return Check{}
}
