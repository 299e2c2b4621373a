package seal

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sigstore/sigstore/pkg/cryptoutils"

	"github.com/chainseal/chainseal/pkg/signing"
	"github.com/chainseal/chainseal/pkg/storage"
)

// testSigner is an in-memory ECDSA signer for unit tests of the
// orchestration only; pkg/signing is tested against real keys and KMS.
type testSigner struct{ key *ecdsa.PrivateKey }

func newTestSigner(t *testing.T) *testSigner {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return &testSigner{k}
}

func (s *testSigner) SignBlob(_ context.Context, p []byte) ([]byte, error) {
	h := sha256.Sum256(p)
	return ecdsa.SignASN1(rand.Reader, s.key, h[:])
}

func (s *testSigner) SignEnvelope(ctx context.Context, pt string, p []byte) (*signing.Envelope, error) {
	sig, err := s.SignBlob(ctx, signing.PAE(pt, p))
	if err != nil {
		return nil, err
	}
	env := &signing.Envelope{PayloadType: pt, Payload: base64.StdEncoding.EncodeToString(p)}
	env.Signatures = append(env.Signatures, struct {
		KeyID string `json:"keyid"`
		Sig   string `json:"sig"`
	}{KeyID: "test", Sig: base64.StdEncoding.EncodeToString(sig)})
	return env, nil
}
func (s *testSigner) PublicKeyPEM() []byte {
	b, err := cryptoutils.MarshalPublicKeyToPEM(s.key.Public())
	if err != nil {
		panic(err)
	}
	return b
}
func (s *testSigner) KeyID() string       { return "test" }
func (s *testSigner) Description() string { return "test key" }

// testCertSigner is a testSigner with a certificate (as keyless signing
// has): a self-signed one for its key, and a chain.
type testCertSigner struct {
	*testSigner
	cert, chain []byte
}

func newTestCertSigner(t *testing.T) *testCertSigner {
	s := newTestSigner(t)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "keyless"},
		NotBefore: time.Now(), NotAfter: time.Now().Add(10 * time.Minute)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, s.key.Public(), s.key)
	if err != nil {
		t.Fatal(err)
	}
	cert := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	return &testCertSigner{testSigner: s, cert: cert, chain: cert}
}

func (s *testCertSigner) Certificate() (cert, chain []byte) { return s.cert, s.chain }

type signers map[string]signing.Signer

func (m signers) Signer(_ context.Context, name string) (signing.Signer, error) {
	s, ok := m[name]
	if !ok {
		return nil, errors.New("no signer " + name)
	}
	return s, nil
}

// recordingBackend is a storage double that records what it was given and
// can be told to fail. With refs, its receipt carries References.
type recordingBackend struct {
	name  string
	fail  error
	got   []storage.Batch
	order *[]string
	refs  bool
}

func (b *recordingBackend) Name() string { return b.name }
func (b *recordingBackend) Store(_ context.Context, batch storage.Batch) (storage.Receipt, error) {
	*b.order = append(*b.order, b.name)
	if b.fail != nil {
		return storage.Receipt{}, b.fail
	}
	b.got = append(b.got, batch)
	r := storage.Receipt{Backend: b.name, Locations: []string{b.name + "://x"}}
	if b.refs {
		r.References = r.Locations
	}
	return r, nil
}

// markingBackend is a recordingBackend with the capabilities of the
// annotations backend: it marks objects signed and is written last.
type markingBackend struct {
	recordingBackend
	marked []storage.Object
}

func (m *markingBackend) MarkSigned(_ context.Context, o storage.Object, _ string) error {
	m.marked = append(m.marked, o)
	return nil
}
func (m *markingBackend) WritesLast() {}

// envelopeOnlyBackend is a recordingBackend that, as OCI does, accepts only
// attestations in a DSSE envelope.
type envelopeOnlyBackend struct{ recordingBackend }

func (b *envelopeOnlyBackend) Accepts(a storage.Attestation) bool { return len(a.Envelope) > 0 }

var pr = storage.Object{Kind: "PipelineRun", Namespace: "ns", Name: "p", UID: "u1"}

func input() Input {
	return Input{
		Statements: []Unsigned{
			{Object: pr, Format: "slsa/v2alpha4", PayloadType: "application/vnd.in-toto+json", Payload: []byte(`{"a":1}`),
				Signer: "x509", Storage: []string{"tekton", "oci"}},
			{Object: storage.Object{Kind: "TaskRun", Namespace: "ns", Name: "t", UID: "u2"}, Format: "tekton", Payload: []byte(`{"kind":"TaskRun"}`),
				Signer: "x509", Storage: []string{"file"}},
		},
		Images: []UnsignedImage{{Image: "r/i@sha256:00", Payload: []byte("{}"), Signer: "x509", Storage: []string{"oci"}}},
	}
}

func TestSealSignsStoresEachShareAndMarksLast(t *testing.T) {
	var order []string
	oci := &recordingBackend{name: "oci", order: &order, refs: true}
	m := &markingBackend{recordingBackend: recordingBackend{name: "tekton", order: &order}}
	file := &recordingBackend{name: "file", order: &order}
	s := New(signers{"x509": newTestSigner(t)}, []storage.Backend{m, oci, file})
	rep, err := s.Seal(context.Background(), input())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(order, ",") != "oci,file,tekton" {
		t.Errorf("store order = %v, want tekton last", order)
	}
	if len(oci.got[0].Attestations) != 1 || len(oci.got[0].Images) != 1 || len(file.got[0].Attestations) != 1 || len(file.got[0].Images) != 0 {
		t.Errorf("backends got the wrong share: oci %+v file %+v", oci.got, file.got)
	}
	a := oci.got[0].Attestations[0]
	var env signing.Envelope
	if err := json.Unmarshal(a.Envelope, &env); err != nil || env.PayloadType != "application/vnd.in-toto+json" {
		t.Fatalf("the in-toto statement was not wrapped in a DSSE envelope: %s", a.Envelope)
	}
	if raw := file.got[0].Attestations[0]; len(raw.Envelope) != 0 || len(raw.Signature) == 0 {
		t.Errorf("the tekton format must be signed raw: %+v", raw)
	}
	if len(m.marked) != 1 || m.marked[0] != pr {
		t.Errorf("marked %v, want only the PipelineRun (the one stored with tekton storage)", m.marked)
	}
	if rep.Results()["ATTESTATION_REF"] != "oci://x" {
		t.Errorf("results = %v", rep.Results())
	}
}

// A signer with a certificate (keyless) has its certificate and chain
// handed to every backend with each signature, next to its public key.
func TestSealHandsTheCertificateToEveryStore(t *testing.T) {
	var order []string
	oci := &recordingBackend{name: "oci", order: &order}
	m := &markingBackend{recordingBackend: recordingBackend{name: "tekton", order: &order}}
	file := &recordingBackend{name: "file", order: &order}
	signer := newTestCertSigner(t)
	s := New(signers{"x509": signer}, []storage.Backend{m, oci, file})
	if _, err := s.Seal(context.Background(), input()); err != nil {
		t.Fatal(err)
	}
	check := func(what string, pub, cert, chain []byte) {
		t.Helper()
		if !bytes.Equal(cert, signer.cert) || !bytes.Equal(chain, signer.chain) || !bytes.Equal(pub, signer.PublicKeyPEM()) {
			t.Errorf("%s carries public key %q, certificate %q, chain %q; want the signer's", what, pub, cert, chain)
		}
	}
	for _, b := range []*recordingBackend{oci, &m.recordingBackend, file} {
		for _, a := range b.got[0].Attestations {
			check(b.name+" attestation "+a.Object.Name, a.PublicKey, a.Cert, a.Chain)
		}
		for _, i := range b.got[0].Images {
			check(b.name+" image "+i.Image, i.PublicKey, i.Cert, i.Chain)
		}
	}
	// A key signer's records carry no certificate.
	oci.got, file.got, m.got = nil, nil, nil
	if _, err := New(signers{"x509": newTestSigner(t)}, []storage.Backend{m, oci, file}).Seal(context.Background(), input()); err != nil {
		t.Fatal(err)
	}
	if a := oci.got[0].Attestations[0]; len(a.Cert) != 0 || len(a.Chain) != 0 || len(a.PublicKey) == 0 {
		t.Errorf("a key signer's attestation carries certificate %q chain %q public key %q", a.Cert, a.Chain, a.PublicKey)
	}
}

func TestSealNeverMarksSignedWhenAStoreFails(t *testing.T) {
	var order []string
	oci := &recordingBackend{name: "oci", order: &order, fail: errors.New("registry said 503")}
	m := &markingBackend{recordingBackend: recordingBackend{name: "tekton", order: &order}}
	tk := &m.recordingBackend
	file := &recordingBackend{name: "file", order: &order}
	s := New(signers{"x509": newTestSigner(t)}, []storage.Backend{m, oci, file})
	rep, err := s.Seal(context.Background(), input())
	if err == nil || !strings.Contains(err.Error(), `"oci"`) || !strings.Contains(err.Error(), "503") {
		t.Fatalf("error = %v, want one naming the oci backend and its cause", err)
	}
	if len(m.marked) != 0 {
		t.Fatalf("marked %v signed although oci failed", m.marked)
	}
	if len(file.got) != 1 || len(tk.got) != 1 {
		t.Errorf("the other backends should still store (so a re-run has less to do): file %d tekton %d", len(file.got), len(tk.got))
	}
	if len(rep.Receipts) != 2 {
		t.Errorf("receipts = %+v", rep.Receipts)
	}
}

func TestSealFailsBeforeStoringWhenSigningFails(t *testing.T) {
	var order []string
	oci := &recordingBackend{name: "oci", order: &order}
	s := New(signers{}, []storage.Backend{oci})
	if _, err := s.Seal(context.Background(), input()); err == nil {
		t.Fatal("sealed without a signer")
	}
	if len(order) != 0 {
		t.Fatalf("stored %v although signing failed", order)
	}
}

// Capabilities, not names, decide the order, the marking and the shares: a
// backend of any name that writes last goes last and marks; one that takes
// only envelopes is not given a raw payload.
func TestSealFindsCapabilitiesNotNames(t *testing.T) {
	var order []string
	m := &markingBackend{recordingBackend: recordingBackend{name: "annotate-anything", order: &order}}
	env := &envelopeOnlyBackend{recordingBackend{name: "envelopes", order: &order}}
	plain := &recordingBackend{name: "tekton", order: &order}
	in := Input{Statements: []Unsigned{
		{Object: pr, Format: "slsa/v2alpha4", PayloadType: "application/vnd.in-toto+json", Payload: []byte(`{"a":1}`),
			Signer: "x509", Storage: []string{"annotate-anything", "envelopes", "tekton"}},
		{Object: storage.Object{Kind: "TaskRun", Namespace: "ns", Name: "t", UID: "u2"}, Format: "tekton", Payload: []byte(`{}`),
			Signer: "x509", Storage: []string{"envelopes", "tekton"}},
	}}
	s := New(signers{"x509": newTestSigner(t)}, []storage.Backend{m, plain, env})
	rep, err := s.Seal(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(order, ","); got != "tekton,envelopes,annotate-anything" {
		t.Errorf("store order = %s, want the LastWriter last and the others in the given order", got)
	}
	if n := len(env.got[0].Attestations); n != 1 {
		t.Errorf("the envelope-only backend got %d attestations, want only the DSSE one", n)
	}
	if n := len(plain.got[0].Attestations); n != 2 {
		t.Errorf("a plain backend named tekton got %d attestations, want both", n)
	}
	if len(m.marked) != 1 || m.marked[0] != pr || len(rep.Marked) != 1 {
		t.Errorf("marked %v, want the PipelineRun only (the one the marker stored)", m.marked)
	}
	if refs := rep.Results()["ATTESTATION_REF"]; refs != "" {
		t.Errorf("ATTESTATION_REF = %q, want empty: no backend returned references", refs)
	}
}

func TestSealRefusesABackendThatWasNotOpened(t *testing.T) {
	var order []string
	file := &recordingBackend{name: "file", order: &order}
	_, err := New(signers{"x509": newTestSigner(t)}, []storage.Backend{file}).Seal(context.Background(), input())
	if err == nil || !strings.Contains(err.Error(), "not opened") {
		t.Fatalf("error = %v, want one naming a backend that was not opened", err)
	}
	if len(order) != 0 {
		t.Errorf("stored in %v although a configured backend was missing", order)
	}
}

// An attestation none of its backends takes would be stored nowhere: the
// run fails before anything is stored, naming the key that fixes it, and
// nothing is marked signed.
func TestSealFailsWhenNoBackendTakesAnAttestation(t *testing.T) {
	var order []string
	env := &envelopeOnlyBackend{recordingBackend{name: "oci", order: &order}}
	m := &markingBackend{recordingBackend: recordingBackend{name: "tekton", order: &order}}
	in := Input{Statements: []Unsigned{
		{Object: pr, Format: "slsa/v2alpha4", PayloadType: "application/vnd.in-toto+json", Payload: []byte(`{"a":1}`),
			Signer: "x509", Storage: []string{"oci", "tekton"}},
		{Object: storage.Object{Kind: "TaskRun", Namespace: "ns", Name: "t", UID: "u2"}, Format: "tekton", Payload: []byte(`{}`),
			Signer: "x509", Storage: []string{"oci"}},
	}}
	_, err := New(signers{"x509": newTestSigner(t)}, []storage.Backend{env, m}).Seal(context.Background(), in)
	if err == nil || !strings.Contains(err.Error(), "TaskRun ns/t") || !strings.Contains(err.Error(), "artifacts.taskrun.storage") {
		t.Fatalf("error = %v, want one naming the TaskRun and artifacts.taskrun.storage", err)
	}
	if len(order) != 0 || len(m.marked) != 0 {
		t.Errorf("stored in %v and marked %v although an attestation had nowhere to go", order, m.marked)
	}
}

// silentBackend reports success without saying where it put anything: it
// stored no copy, whatever it says.
type silentBackend struct{ recordingBackend }

func (b *silentBackend) Store(ctx context.Context, batch storage.Batch) (storage.Receipt, error) {
	b.recordingBackend.Store(ctx, batch)
	return storage.Receipt{Backend: b.name}, nil
}

// A backend that was given records and reports storing none of them fails
// the run; nothing is marked signed.
func TestSealFailsWhenABackendStoresNoCopy(t *testing.T) {
	var order []string
	oci := &silentBackend{recordingBackend{name: "oci", order: &order}}
	m := &markingBackend{recordingBackend: recordingBackend{name: "tekton", order: &order}}
	file := &recordingBackend{name: "file", order: &order}
	_, err := New(signers{"x509": newTestSigner(t)}, []storage.Backend{oci, m, file}).Seal(context.Background(), input())
	if err == nil || !strings.Contains(err.Error(), `"oci"`) || !strings.Contains(err.Error(), "no copy") {
		t.Fatalf("error = %v, want one saying oci stored no copy", err)
	}
	if len(m.marked) != 0 {
		t.Errorf("marked %v signed although oci stored nothing", m.marked)
	}
}

// recordingMarker is a storage.Marker double that records what it marked
// and can be told to fail.
type recordingMarker struct {
	marked []storage.Object
	fail   error
}

func (m *recordingMarker) MarkSigned(_ context.Context, o storage.Object, _ string) error {
	if m.fail != nil {
		return m.fail
	}
	m.marked = append(m.marked, o)
	return nil
}

// With a marker, every sealed object is marked whatever the storage list
// (here no backend can mark), the TaskRuns before the PipelineRun; a
// marking backend does not mark twice.
func TestSealWithMarkerMarksWhateverTheStorage(t *testing.T) {
	var order []string
	tr := storage.Object{Kind: "TaskRun", Namespace: "ns", Name: "t", UID: "u2"}
	for _, tc := range []struct {
		name string
		in   Input
		want []storage.Object
	}{
		{"statements", Input{Run: pr, Statements: []Unsigned{
			{Object: pr, Format: "slsa/v2alpha4", PayloadType: "application/vnd.in-toto+json", Payload: []byte(`{"a":1}`), Signer: "x509", Storage: []string{"oci"}},
			{Object: tr, Format: "in-toto", PayloadType: "application/vnd.in-toto+json", Payload: []byte(`{"b":1}`), Signer: "x509", Storage: []string{"oci", "tekton"}},
		}}, []storage.Object{tr, pr}},
		{"images only", Input{Run: pr, Images: []UnsignedImage{{Image: "r/i@sha256:00", Payload: []byte("{}"), Signer: "x509", Storage: []string{"oci"}}}},
			[]storage.Object{pr}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			oci := &recordingBackend{name: "oci", order: &order}
			tk := &markingBackend{recordingBackend: recordingBackend{name: "tekton", order: &order}}
			m := &recordingMarker{}
			rep, err := New(signers{"x509": newTestSigner(t)}, []storage.Backend{oci, tk}, WithMarker(m)).Seal(context.Background(), tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(m.marked, tc.want) || !slices.Equal(rep.Marked, tc.want) {
				t.Errorf("marked %v (report %v), want %v", m.marked, rep.Marked, tc.want)
			}
			if len(tk.marked) != 0 {
				t.Errorf("the tekton backend marked %v as well", tk.marked)
			}
		})
	}
}

// Fail closed: with a marker, nothing is marked while a store failed; a
// marking that fails fails the run and names the Role that grants it.
func TestSealWithMarkerFailsClosed(t *testing.T) {
	var order []string
	oci := &recordingBackend{name: "oci", order: &order, fail: errors.New("registry said 503")}
	file := &recordingBackend{name: "file", order: &order}
	tk := &markingBackend{recordingBackend: recordingBackend{name: "tekton", order: &order}}
	m := &recordingMarker{}
	in := input()
	in.Run = pr
	if _, err := New(signers{"x509": newTestSigner(t)}, []storage.Backend{oci, file, tk}, WithMarker(m)).Seal(context.Background(), in); err == nil {
		t.Fatal("sealed although oci failed")
	}
	if len(m.marked) != 0 {
		t.Fatalf("marked %v although oci failed", m.marked)
	}
	oci.fail = nil
	m.fail = errors.New(`pipelineruns.tekton.dev "p" is forbidden`)
	_, err := New(signers{"x509": newTestSigner(t)}, []storage.Backend{oci, file, tk}, WithMarker(m)).Seal(context.Background(), in)
	if err == nil || !strings.Contains(err.Error(), "forbidden") || !strings.Contains(err.Error(), "chainseal-annotate-taskruns") {
		t.Fatalf("error = %v, want the API's refusal and the Role that grants the patch", err)
	}
}

// recordingLog is a transparency log double: it records what it was given
// and gives each record an entry with the next index.
type recordingLog struct {
	got  []string
	next int64
}

func (l *recordingLog) URL() string { return "https://rekor.example" }
func (l *recordingLog) Log(_ context.Context, b *storage.Batch) error {
	for i := range b.Attestations {
		l.got = append(l.got, b.Attestations[i].Object.String())
		l.next++
		b.Attestations[i].Transparency = &storage.TransparencyEntry{URL: l.URL(), LogIndex: l.next}
	}
	for i := range b.Images {
		l.got = append(l.got, b.Images[i].Image)
		l.next++
		b.Images[i].Transparency = &storage.TransparencyEntry{URL: l.URL(), LogIndex: l.next}
	}
	return nil
}

// A signature kept out of the log (manual transparency) is not given to it,
// and the entries of the others land on their own records.
func TestSealLogsOnlyWhatIsNotKeptOut(t *testing.T) {
	var order []string
	oci := &recordingBackend{name: "oci", order: &order}
	file := &recordingBackend{name: "file", order: &order}
	tk := &markingBackend{recordingBackend: recordingBackend{name: "tekton", order: &order}}
	tlog := &recordingLog{}
	in := input()
	in.Statements[0].NotLogged = true
	rep, err := New(signers{"x509": newTestSigner(t)}, []storage.Backend{oci, file, tk}, WithTransparency(tlog)).Seal(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(tlog.got, ",") != "TaskRun ns/t,r/i@sha256:00" {
		t.Errorf("logged %v, want the TaskRun's attestation and the image only", tlog.got)
	}
	if rep.Attestations[0].Transparency != nil || rep.Attestations[1].Transparency == nil || rep.Attestations[1].Transparency.LogIndex != 1 ||
		rep.Images[0].Transparency == nil || rep.Images[0].Transparency.LogIndex != 2 {
		t.Errorf("entries on the wrong records: %+v %+v %+v", rep.Attestations[0].Transparency, rep.Attestations[1].Transparency, rep.Images[0].Transparency)
	}
}
