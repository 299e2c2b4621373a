package verify

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/secure-systems-lab/go-securesystemslib/dsse"
	"github.com/sigstore/cosign/v2/pkg/oci/static"
	sigdsse "github.com/sigstore/sigstore/pkg/signature/dsse"
)

// These tests read attestations from an in-process registry with the
// transparency log check off; test/e2e/verify_test.go runs the same paths
// against the stack's registry and Rekor.

func verifier(t *testing.T, k testKey, opts ...Option) *Verifier {
	t.Helper()
	v, err := New(k.key, append([]Option{WithoutTransparencyLog()}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestVerifyAttTag(t *testing.T) {
	ctx := context.Background()
	reg := inProcessRegistry(t)
	d := pushRandom(t, reg+"/team/app")
	k := newTestKey(t)
	attach(t, d, k.sign(t, statementFor(t, d)), nil)

	v := verifier(t, k, WithRequirements(Requirements{BuilderID: "https://github.com/chainseal/chainseal", Pipeline: "registry.example/tekton/pipelines:v3@sha256:9789c7984229117d115836bb9583486f56bd3cc2e9dd8e982cc757a25647ca8a"}))
	rep, err := v.Verify(ctx, reg+"/team/app:latest")
	if err != nil {
		t.Fatal(err)
	}
	if rep.Outcome != Verified || !rep.Resolved || rep.Reference != d.String() {
		t.Fatalf("outcome %s resolved %v reference %s, want verified, resolved to %s", rep.Outcome, rep.Resolved, rep.Reference, d)
	}
	a := rep.Attestations[0]
	for name, want := range map[string]Status{CheckSignature: Pass, CheckTransparency: Skipped, CheckSubject: Pass, CheckBuilderID: Pass, CheckPipeline: Pass} {
		if c := checkOf(t, a, name); c.Status != want {
			t.Errorf("%s: %s %q, want %s", name, c.Status, c.Detail, want)
		}
	}
	var text, js bytes.Buffer
	if err := rep.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"resolved to " + d.String(), "PASS  signature", "SKIPPED transparency-log", "VERIFIED: 1 of 1"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text report lacks %q:\n%s", want, text.String())
		}
	}
	if err := rep.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var back struct {
		Outcome      string
		Digest       string
		Attestations []struct{ Checks []Check }
	}
	if err := json.Unmarshal(js.Bytes(), &back); err != nil || back.Outcome != "verified" || back.Digest != d.DigestStr() || len(back.Attestations[0].Checks) != 5 {
		t.Fatalf("json report: %v %+v\n%s", err, back, js.String())
	}
}

func TestVerifyTampered(t *testing.T) {
	ctx := context.Background()
	reg := inProcessRegistry(t)
	k, other := newTestKey(t), newTestKey(t)

	tests := []struct {
		name   string
		attach func(t *testing.T, dg digestT)
		check  string
		detail string
	}{
		{"signed by another key", func(t *testing.T, dg digestT) {
			attach(t, dg.d, other.sign(t, statementFor(t, dg.d)), nil)
		}, CheckSignature, "does not verify with the key " + k.pem},
		{"payload changed after signing", func(t *testing.T, dg digestT) {
			env := k.sign(t, statementFor(t, dg.d))
			attach(t, dg.d, swapPayload(t, env, bytes.Replace(statementFor(t, dg.d), []byte("chainseal/chainseal"), []byte("evil/builder"), 1)), nil)
		}, CheckSignature, "does not verify"},
		{"subject is not the image", func(t *testing.T, dg digestT) {
			attach(t, dg.d, k.sign(t, statementFor(t, dg.other)), nil)
		}, CheckSubject, "is not a subject of the statement"},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			repo := reg + "/tamper/" + string(rune('a'+i))
			dg := digestT{d: pushRandom(t, repo), other: pushRandom(t, repo+"-other")}
			tc.attach(t, dg)
			rep, err := verifier(t, k).Verify(ctx, dg.d.String())
			if err != nil {
				t.Fatal(err)
			}
			if rep.Outcome != Failed {
				t.Fatalf("outcome %s, want failed", rep.Outcome)
			}
			c, _ := rep.FirstProblem()
			if c.Name != tc.check || c.Status != Fail || !strings.Contains(c.Detail, tc.detail) {
				t.Fatalf("first problem %s %s %q, want %s failing with %q", c.Name, c.Status, c.Detail, tc.check, tc.detail)
			}
		})
	}
}

func TestVerifyPassesWhenOneOfSeveralAttestationsPasses(t *testing.T) {
	reg := inProcessRegistry(t)
	d := pushRandom(t, reg+"/team/app")
	k, other := newTestKey(t), newTestKey(t)
	attach(t, d, other.sign(t, statementFor(t, d)), nil) // an older seal by a rotated key
	attach(t, d, k.sign(t, statementFor(t, d)), nil)
	rep, err := verifier(t, k).Verify(context.Background(), d.String())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Outcome != Verified || len(rep.Attestations) != 2 || len(rep.Passed()) != 1 {
		t.Fatalf("outcome %s with %d attestations, %d passed", rep.Outcome, len(rep.Attestations), len(rep.Passed()))
	}
	if rep.Attestations[0].Outcome != Failed || checkOf(t, rep.Attestations[0], CheckSubject).Status != Skipped {
		t.Fatalf("the other key's attestation: %+v", rep.Attestations[0])
	}
}

func TestVerifyCouldNotVerify(t *testing.T) {
	ctx := context.Background()
	reg := inProcessRegistry(t)
	d := pushRandom(t, reg+"/team/bare")
	k := newTestKey(t)

	_, err := verifier(t, k).Verify(ctx, d.String())
	if !errors.Is(err, ErrInconclusive) || !strings.Contains(err.Error(), "no attestation found for "+d.String()) || !strings.Contains(err.Error(), ".att") {
		t.Fatalf("no attestation: %v", err)
	}

	refusing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, `{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}`, http.StatusForbidden)
	}))
	t.Cleanup(refusing.Close)
	host := strings.TrimPrefix(refusing.URL, "http://")
	for _, ref := range []string{host + "/team/app:latest", host + "/team/app@" + d.DigestStr()} {
		rep, err := verifier(t, k).Verify(ctx, ref)
		if !errors.Is(err, ErrInconclusive) || !strings.Contains(err.Error(), "DENIED") || rep.Outcome != Inconclusive || rep.Error == "" {
			t.Fatalf("%s from a registry that refuses: %v (outcome %s)", ref, err, rep.Outcome)
		}
	}

	if _, err := New(k.key); err == nil || !strings.Contains(err.Error(), "--rekor-public-key") {
		t.Fatalf("no log trust and the log check on: %v", err)
	}
	v := verifier(t, k, WithOffline("bundle.json"))
	if _, err := v.Verify(ctx, "registry.example/app:latest"); !errors.Is(err, ErrInconclusive) || !strings.Contains(err.Error(), "needs the image by digest") {
		t.Fatalf("offline by tag: %v", err)
	}
}

type digestT struct{ d, other name.Digest }

// swapPayload replaces an envelope's payload and keeps its signature.
func swapPayload(t testing.TB, envelope, payload []byte) []byte {
	t.Helper()
	var env dsse.Envelope
	if err := json.Unmarshal(envelope, &env); err != nil {
		t.Fatal(err)
	}
	env.Payload = base64.StdEncoding.EncodeToString(payload)
	b, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Attack (issue #13): the .att tag holds the PipelineRun's statement, which
// records a failed task, and the build TaskRun's own statement about the
// same image. The TaskRun statement must not make the image pass a policy
// about the pipeline.
func TestVerifyATaskRunStatementDoesNotVouchForThePipeline(t *testing.T) {
	reg := inProcessRegistry(t)
	d := pushRandom(t, reg+"/team/app")
	k := newTestKey(t)
	attach(t, d, k.sign(t, statementOf(t, "failed-task-allowed", d)), nil)
	attach(t, d, k.sign(t, statementOf(t, "taskrun-hermetic:build", d)), nil)
	for _, req := range []Requirements{{AllTasksSucceeded: true}, {Hermetic: []string{"all"}}} {
		rep, err := verifier(t, k, WithRequirements(req)).Verify(context.Background(), d.String())
		if err != nil {
			t.Fatal(err)
		}
		if rep.Outcome != Failed || len(rep.Passed()) != 0 {
			var text bytes.Buffer
			rep.WriteText(&text)
			t.Errorf("%+v: outcome %s, want failed:\n%s", req, rep.Outcome, text.String())
		}
	}
}

// Attack (issue #13): anyone who can push to the repository can add a
// layer to the .att tag. One layer that is not a DSSE envelope, or whose
// Rekor bundle annotation does not parse, made the whole image "could not
// verify", hiding the attestation that verifies. It is now one failed
// attestation among the others.
func TestVerifyAMalformedLayerDoesNotHideAGoodOne(t *testing.T) {
	reg := inProcessRegistry(t)
	d := pushRandom(t, reg+"/team/app")
	k := newTestKey(t)
	attachWith(t, d, []byte("not a DSSE envelope"))
	attachWith(t, d, k.sign(t, statementFor(t, d)), static.WithAnnotations(map[string]string{"dev.sigstore.cosign/bundle": "{not json"}))
	attach(t, d, k.sign(t, statementFor(t, d)), nil)
	rep, err := verifier(t, k).Verify(context.Background(), d.String())
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	// With the log check off, the bundle annotation is not read.
	if rep.Outcome != Verified || len(rep.Attestations) != 3 || len(rep.Passed()) != 2 {
		t.Fatalf("outcome %s with %d attestations, %d passed; want verified by the last two", rep.Outcome, len(rep.Attestations), len(rep.Passed()))
	}
	if c := checkOf(t, rep.Attestations[0], CheckSignature); c.Status != Fail || !strings.Contains(c.Detail, "not a DSSE envelope") {
		t.Errorf("the malformed layer: %+v", c)
	}
	if checkOf(t, rep.Attestations[0], CheckSubject).Status != Skipped {
		t.Errorf("the malformed layer's later checks are not skipped: %+v", rep.Attestations[0].Checks)
	}

	// With the log check on, the layer whose bundle annotation does not
	// parse fails that check, and only that layer.
	logs, err := LogsFromPEM(newTestKey(t).pem)
	if err != nil {
		t.Fatal(err)
	}
	v, err := New(k.key, WithTransparencyLogs(logs), WithRekorURL("http://127.0.0.1:1"))
	if err != nil {
		t.Fatal(err)
	}
	rep, err = v.Verify(context.Background(), d.String())
	if err != nil {
		t.Fatalf("Verify with the log: %v", err)
	}
	if c := checkOf(t, rep.Attestations[1], CheckTransparency); c.Status != Fail || !strings.Contains(c.Detail, "Rekor bundle annotation does not parse") {
		t.Errorf("the layer with a broken bundle annotation: %+v", c)
	}
}

// A signature that does not verify says nothing: the transparency log is
// not asked about it (no request leaves the verifier).
func TestVerifySkipsTheLogWhenTheSignatureFails(t *testing.T) {
	reg := inProcessRegistry(t)
	d := pushRandom(t, reg+"/team/app")
	k := newTestKey(t)
	// Signed by the key, but as another payload type: the signature check
	// fails (chainseal verifies in-toto envelopes only), while the
	// envelope as such verifies, so a log search would go out. No Rekor
	// bundle is stored with it: the log would be searched.
	env, err := sigdsse.WrapSigner(k.sv, "text/plain").SignMessage(bytes.NewReader(statementFor(t, d)))
	if err != nil {
		t.Fatal(err)
	}
	attach(t, d, env, nil)
	var asked atomic.Int32
	rekor := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		asked.Add(1)
		http.Error(w, "no", http.StatusInternalServerError)
	}))
	t.Cleanup(rekor.Close)
	logs, err := LogsFromPEM(newTestKey(t).pem)
	if err != nil {
		t.Fatal(err)
	}
	v, err := New(k.key, WithTransparencyLogs(logs), WithRekorURL(rekor.URL))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := v.Verify(context.Background(), d.String())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Outcome != Failed || asked.Load() != 0 {
		t.Fatalf("outcome %s, %d requests to the log; want failed with none", rep.Outcome, asked.Load())
	}
	if c := checkOf(t, rep.Attestations[0], CheckTransparency); c.Status != Skipped {
		t.Fatalf("transparency-log: %+v, want skipped", c)
	}
}

// silentServer accepts connections and never answers: not a byte, not
// even a TLS handshake. It returns its host:port.
func silentServer(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return l.Addr().String()
}

// within fails the test when f does not return in time.
func within(t *testing.T, d time.Duration, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); f() }()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("still waiting after %s: a deploy gate would hang", d)
	}
}

// A deploy gate must not hang (issue #13): a registry that accepts the
// connection and never answers is given up on after the per-call timeout,
// and the image could not be verified.
func TestVerifyGivesUpOnARegistryThatNeverAnswers(t *testing.T) {
	host := silentServer(t)
	k := newTestKey(t)
	for _, ref := range []string{host + "/team/app:latest", host + "/team/app@sha256:" + strings.Repeat("a", 64)} {
		var rep *Report
		var err error
		start := time.Now()
		within(t, 20*time.Second, func() {
			rep, err = verifier(t, k, WithCallTimeout(200*time.Millisecond)).Verify(context.Background(), ref)
		})
		if !errors.Is(err, ErrInconclusive) || rep.Outcome != Inconclusive || !strings.Contains(err.Error(), "no answer within 200ms") {
			t.Fatalf("%s: %v (outcome %s), want could not verify, saying the registry did not answer", ref, err, rep.Outcome)
		}
		t.Logf("%s: gave up after %s: %v", ref, time.Since(start).Round(time.Millisecond), err)
	}
}

// The same for a transparency log that never answers: the check errs, the
// image could not be verified.
func TestVerifyGivesUpOnALogThatNeverAnswers(t *testing.T) {
	reg := inProcessRegistry(t)
	d := pushRandom(t, reg+"/team/app")
	k := newTestKey(t)
	attach(t, d, k.sign(t, statementFor(t, d)), nil) // no Rekor bundle: the log is searched
	logs, err := LogsFromPEM(newTestKey(t).pem)
	if err != nil {
		t.Fatal(err)
	}
	v, err := New(k.key, WithTransparencyLogs(logs), WithRekorURL("http://"+silentServer(t)), WithCallTimeout(200*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	var rep *Report
	within(t, 20*time.Second, func() { rep, err = v.Verify(context.Background(), d.String()) })
	if err != nil {
		t.Fatal(err)
	}
	c := checkOf(t, rep.Attestations[0], CheckTransparency)
	if rep.Outcome != Inconclusive || c.Status != Error || !strings.Contains(c.Detail, "no answer within 200ms") {
		t.Fatalf("outcome %s, transparency-log %+v; want could not verify, the log not answering", rep.Outcome, c)
	}
}

func TestParseArtifact(t *testing.T) {
	hex := strings.Repeat("ab", 32)
	a, err := ParseArtifact("pkg:generic/app.tar@sha256:" + strings.ToUpper(hex))
	if err != nil || a.DigestStr() != "sha256:"+hex || a.String() != "pkg:generic/app.tar@sha256:"+hex {
		t.Fatalf("ParseArtifact = %v, %v", a, err)
	}
	for _, bad := range []string{"app.tar", "@sha256:" + hex, "app@sha256:abc", "app@" + hex, "app@sha256:" + strings.Repeat("zz", 32)} {
		if _, err := ParseArtifact(bad); err == nil {
			t.Errorf("ParseArtifact(%q) accepted", bad)
		}
	}
}
