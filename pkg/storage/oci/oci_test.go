package oci_test

import (
	"context"
	"encoding/json"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/chainseal/chainseal/pkg/config"
	"github.com/chainseal/chainseal/pkg/storage"
	"github.com/chainseal/chainseal/pkg/storage/oci"
)

const (
	dsseMediaType    = "application/vnd.dsse.envelope.v1+json"
	bundleAnnotation = "dev.sigstore.cosign/bundle"
	sigAnnotation    = "dev.cosignproject.cosign/signature"
)

func TestStoreAttachesAsCosignDoes(t *testing.T) {
	ctx := context.Background()
	reg := inProcessRegistry(t)
	repo, d := pushRandom(t, reg+"/app")
	k := newTestKey(t)
	a := k.attestation(t, repo, mustHash(t, d), "1")
	a.Transparency = &storage.TransparencyEntry{UUID: "u", LogIndex: 7, IntegratedTime: 1700000000, LogID: "abcd", Body: "Ym9keQ==", SignedEntryTimestamp: []byte("set")}
	s := k.imageSignature(t, d)
	b, err := oci.New()
	if err != nil {
		t.Fatal(err)
	}
	r, err := b.Store(ctx, storage.Batch{Attestations: []storage.Attestation{a}, Images: []storage.ImageSignature{s}})
	if err != nil {
		t.Fatal(err)
	}
	if r.Backend != "oci" || len(r.Locations) != 2 || r.Locations[0] != attTag(repo, d) || r.Locations[1] != sigTag(repo, d) {
		t.Fatalf("receipt = %+v, want the .att and .sig tags", r)
	}

	att := layers(t, attTag(repo, d))
	if len(att) != 1 {
		t.Fatalf(".att has %d layers, want 1", len(att))
	}
	if att[0].MediaType != dsseMediaType {
		t.Errorf(".att layer mediaType = %s", att[0].MediaType)
	}
	if got := att[0].Annotations["predicateType"]; got != "https://slsa.dev/provenance/v1" {
		t.Errorf("predicateType annotation = %q", got)
	}
	var bundle struct {
		SignedEntryTimestamp []byte
		Payload              struct {
			Body           string `json:"body"`
			IntegratedTime int64  `json:"integratedTime"`
			LogIndex       int64  `json:"logIndex"`
			LogID          string `json:"logID"`
		}
	}
	if err := json.Unmarshal([]byte(att[0].Annotations[bundleAnnotation]), &bundle); err != nil {
		t.Fatalf("bundle annotation %q: %v", att[0].Annotations[bundleAnnotation], err)
	}
	if bundle.Payload.LogIndex != 7 || bundle.Payload.Body != "Ym9keQ==" || bundle.Payload.LogID != "abcd" || string(bundle.SignedEntryTimestamp) != "set" {
		t.Errorf("bundle = %+v", bundle)
	}

	sig := layers(t, sigTag(repo, d))
	if len(sig) != 1 || sig[0].MediaType != "application/vnd.dev.cosign.simplesigning.v1+json" || sig[0].Annotations[sigAnnotation] == "" {
		t.Fatalf(".sig layers = %+v", sig)
	}
	if _, ok := sig[0].Annotations[bundleAnnotation]; ok {
		t.Errorf("a signature with no transparency entry got a bundle annotation")
	}
}

func TestStoreTwiceAddsNoDuplicate(t *testing.T) {
	ctx := context.Background()
	reg := inProcessRegistry(t)
	repo, d := pushRandom(t, reg+"/app")
	k := newTestKey(t)
	a := k.attestation(t, repo, mustHash(t, d), "1")
	s := k.imageSignature(t, d)
	b, _ := oci.New()
	batch := storage.Batch{Attestations: []storage.Attestation{a}, Images: []storage.ImageSignature{s}}
	for i := 0; i < 2; i++ {
		if _, err := b.Store(ctx, batch); err != nil {
			t.Fatal(err)
		}
	}
	// A re-run that signed again: same statement, new ECDSA signature.
	again := k.attestation(t, repo, mustHash(t, d), "1")
	if string(again.Envelope) == string(a.Envelope) {
		t.Fatal("expected a different envelope from a second signing")
	}
	resigned := k.imageSignature(t, d)
	if _, err := b.Store(ctx, storage.Batch{Attestations: []storage.Attestation{again}, Images: []storage.ImageSignature{resigned}}); err != nil {
		t.Fatal(err)
	}
	if n := len(layers(t, attTag(repo, d))); n != 1 {
		t.Errorf(".att has %d layers after re-runs, want 1", n)
	}
	if n := len(layers(t, sigTag(repo, d))); n != 1 {
		t.Errorf(".sig has %d layers after re-runs, want 1", n)
	}

	// Another key's signature of the same statement is a new attestation.
	other := newTestKey(t).attestation(t, repo, mustHash(t, d), "1")
	// And another build's provenance is too.
	next := k.attestation(t, repo, mustHash(t, d), "2")
	if _, err := b.Store(ctx, storage.Batch{Attestations: []storage.Attestation{other, next}}); err != nil {
		t.Fatal(err)
	}
	if n := len(layers(t, attTag(repo, d))); n != 3 {
		t.Errorf(".att has %d layers, want 3 (original, other key, next build)", n)
	}
}

func TestStoreInSeparateRepository(t *testing.T) {
	ctx := context.Background()
	reg := inProcessRegistry(t)
	repo, d := pushRandom(t, reg+"/app")
	k := newTestKey(t)
	b, err := oci.New(oci.WithRepository(reg + "/attestations"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := b.Store(ctx, storage.Batch{
		Attestations: []storage.Attestation{k.attestation(t, repo, mustHash(t, d), "1")},
		Images:       []storage.ImageSignature{k.imageSignature(t, d)},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{attTag(reg+"/attestations", d), sigTag(reg+"/attestations", d)}
	if strings.Join(r.Locations, " ") != strings.Join(want, " ") {
		t.Fatalf("locations = %v, want %v", r.Locations, want)
	}
	if n := len(layers(t, want[0])); n != 1 {
		t.Errorf("%s has %d layers", want[0], n)
	}
	ref, _ := name.ParseReference(attTag(repo, d))
	if _, err := remote.Head(ref); err == nil {
		t.Errorf("the image's own repository got an .att tag too")
	}
}

func TestIndexGetsAttestationsForEachPlatform(t *testing.T) {
	ctx := context.Background()
	reg := inProcessRegistry(t)
	idx, err := random.Index(256, 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	ref, _ := name.ParseReference(reg + "/multi:latest")
	if err := remote.WriteIndex(ref, idx); err != nil {
		t.Fatal(err)
	}
	h, _ := idx.Digest()
	d := ref.Context().Digest(h.String())
	b, _ := oci.New(oci.WithIndexManifests(true))
	k := newTestKey(t)
	r, err := b.Store(ctx, storage.Batch{Attestations: []storage.Attestation{k.attestation(t, reg+"/multi", h, "1")}})
	if err != nil {
		t.Fatal(err)
	}
	im, _ := idx.IndexManifest()
	if len(r.Locations) != 1+len(im.Manifests) {
		t.Fatalf("locations = %v, want the index and %d platform manifests", r.Locations, len(im.Manifests))
	}
	want := map[string]bool{attTag(reg+"/multi", d): true}
	for _, m := range im.Manifests {
		want[attTag(reg+"/multi", ref.Context().Digest(m.Digest.String()))] = true
	}
	for _, l := range r.Locations {
		if !want[l] {
			t.Errorf("unexpected location %s", l)
		}
		if n := len(layers(t, l)); n != 1 {
			t.Errorf("%s has %d layers", l, n)
		}
	}
}

// An attestation the backend cannot attach (no subject is an image in a
// registry) is declined through storage.Selective, never skipped silently:
// Store refuses it rather than report success having stored nothing.
func TestNonImageSubjectsAreDeclinedNotSkipped(t *testing.T) {
	ctx := context.Background()
	k := newTestKey(t)
	h, _ := v1.NewHash("sha256:" + strings.Repeat("a", 64))
	a := k.attestation(t, "app.tar.gz", h, "1")
	a.Subjects = append(a.Subjects,
		storage.Subject{Name: "git+https://github.com/x/y", Digest: map[string]string{"sha1": "abc"}},
		storage.Subject{Name: "ubuntu", Digest: map[string]string{"sha256": strings.Repeat("b", 64)}},
		storage.Subject{Name: "registry.example/app", Digest: map[string]string{"sha512": strings.Repeat("c", 128)}},
	)
	b, _ := oci.New()
	if b.Accepts(a) {
		t.Error("Accepts = true for an attestation with no image subject")
	}
	r, err := b.Store(ctx, storage.Batch{Attestations: []storage.Attestation{a}})
	if err == nil || !strings.Contains(err.Error(), a.Object.String()) || len(r.Locations) != 0 {
		t.Fatalf("Store = %+v, %v; want an error naming %s: it was given an attestation it stores no copy of", r, err, a.Object)
	}

	// One image among other subjects: accepted, attached to the image.
	reg := inProcessRegistry(t)
	repo, d := pushRandom(t, reg+"/app")
	mixed := k.attestation(t, repo, mustHash(t, d), "2")
	mixed.Subjects = append(mixed.Subjects, storage.Subject{Name: "app.tar.gz", Digest: map[string]string{"sha256": strings.Repeat("a", 64)}})
	if !b.Accepts(mixed) {
		t.Fatal("Accepts = false for an attestation naming an image")
	}
	if r, err := b.Store(ctx, storage.Batch{Attestations: []storage.Attestation{mixed}}); err != nil || len(r.Locations) != 1 {
		t.Fatalf("Store = %+v, %v; want the image's .att tag", r, err)
	}
}

// faultyRegistry is the in-process registry behind a switch that answers
// 503 Service Unavailable to the next n requests, or to all of them.
type faultyRegistry struct {
	reg      http.Handler
	failNext atomic.Int32
	failAll  atomic.Bool
	failed   atomic.Int32
}

func (f *faultyRegistry) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if f.failAll.Load() || f.failNext.Add(-1) >= 0 {
		f.failed.Add(1)
		http.Error(w, "overloaded", http.StatusServiceUnavailable)
		return
	}
	f.reg.ServeHTTP(w, r)
}

func TestRegistry5xxIsRetriedThenReported(t *testing.T) {
	ctx := context.Background()
	f := &faultyRegistry{reg: registry.New(registry.Logger(log.New(io.Discard, "", 0)))}
	srv := httptest.NewServer(f)
	defer srv.Close()
	reg := strings.TrimPrefix(srv.URL, "http://")
	repo, d := pushRandom(t, reg+"/app")
	k := newTestKey(t)
	batch := storage.Batch{Attestations: []storage.Attestation{k.attestation(t, repo, mustHash(t, d), "1")}}
	b, _ := oci.New(oci.WithRetryBackoff(remote.Backoff{Duration: 10 * time.Millisecond, Factor: 2, Steps: 4}))

	// Down for good: retried a bounded number of times, then a clear error.
	f.failAll.Store(true)
	start := time.Now()
	_, err := b.Store(ctx, batch)
	if err == nil {
		t.Fatal("Store succeeded against a registry answering 503")
	}
	if !strings.HasPrefix(err.Error(), "oci: ") || !strings.Contains(err.Error(), d.String()) || !strings.Contains(err.Error(), "503") {
		t.Errorf("error %q should name the backend, the image and the cause", err)
	}
	if n := f.failed.Load(); n < 2 || n > 8 {
		t.Errorf("%d requests before giving up, want a few retries", n)
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Errorf("gave up after %s, want bounded retries", el)
	}

	// Two 503s, then the registry answers: stored, once.
	f.failAll.Store(false)
	f.failNext.Store(2)
	if _, err := b.Store(ctx, batch); err != nil {
		t.Fatalf("Store after two 503s: %v", err)
	}
	if _, err := b.Store(ctx, batch); err != nil {
		t.Fatalf("Store again: %v", err)
	}
	if n := len(layers(t, attTag(repo, d))); n != 1 {
		t.Fatalf(".att has %d layers after a failed and two good runs, want 1", n)
	}
}

func TestFactoryReadsConfig(t *testing.T) {
	var c config.Config
	c.OCIStorage.EncodingFormat = "cbor"
	if _, err := storage.Open(context.Background(), []string{"oci"}, storage.Deps{Config: c}); err == nil || !strings.Contains(err.Error(), config.KeyOCIEncodingFormat) {
		t.Errorf("unknown encoding: err = %v, want one naming %s", err, config.KeyOCIEncodingFormat)
	}
	c.OCIStorage.EncodingFormat = config.EncodingDSSE
	c.OCIStorage.Repository = "not a repo!"
	if _, err := storage.Open(context.Background(), []string{"oci"}, storage.Deps{Config: c}); err == nil || !strings.Contains(err.Error(), config.KeyOCIRepository) {
		t.Errorf("bad repository: err = %v, want one naming %s", err, config.KeyOCIRepository)
	}
	c.OCIStorage.Repository = "registry.example/attestations"
	bs, err := storage.Open(context.Background(), []string{"oci"}, storage.Deps{Config: c})
	if err != nil || len(bs) != 1 || bs[0].Name() != "oci" {
		t.Fatalf("Open = %v, %v", bs, err)
	}
}

func TestSigstoreBundleNeedsTransparency(t *testing.T) {
	reg := inProcessRegistry(t)
	repo, d := pushRandom(t, reg+"/app")
	b, err := oci.New(oci.WithEncoding(config.EncodingSigstoreBundle))
	if err != nil {
		t.Fatal(err)
	}
	_, err = b.Store(context.Background(), storage.Batch{Attestations: []storage.Attestation{newTestKey(t).attestation(t, repo, mustHash(t, d), "1")}})
	if err == nil || !strings.Contains(err.Error(), "transparency.enabled") || !strings.Contains(err.Error(), d.String()) {
		t.Fatalf("err = %v, want one naming transparency.enabled and the image", err)
	}
}

// A record first stored unlogged (a run sealed before it asked for the
// transparency log) and then stored logged gets a layer with the bundle:
// keeping only the unlogged layer would fail cosign's log check. Stored
// logged again, nothing more is written.
func TestLoggedRecordIsNotDedupedAgainstAnUnloggedLayer(t *testing.T) {
	ctx := context.Background()
	reg := inProcessRegistry(t)
	repo, d := pushRandom(t, reg+"/app")
	k := newTestKey(t)
	a := k.attestation(t, repo, mustHash(t, d), "1")
	s := k.imageSignature(t, d)
	b, err := oci.New()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Store(ctx, storage.Batch{Attestations: []storage.Attestation{a}, Images: []storage.ImageSignature{s}}); err != nil {
		t.Fatal(err)
	}
	logged := &storage.TransparencyEntry{UUID: "u", LogIndex: 7, IntegratedTime: 1700000000, LogID: "abcd", Body: "Ym9keQ==", SignedEntryTimestamp: []byte("set")}
	a.Transparency, s.Transparency = logged, logged
	for range 2 {
		if _, err := b.Store(ctx, storage.Batch{Attestations: []storage.Attestation{a}, Images: []storage.ImageSignature{s}}); err != nil {
			t.Fatal(err)
		}
	}
	for tag, ls := range map[string][]v1.Descriptor{attTag(repo, d): layers(t, attTag(repo, d)), sigTag(repo, d): layers(t, sigTag(repo, d))} {
		if len(ls) != 2 || ls[0].Annotations[bundleAnnotation] != "" || ls[1].Annotations[bundleAnnotation] == "" {
			t.Errorf("%s: %d layers, bundles %q / %q; want the unlogged layer then one logged layer", tag, len(ls), ls[0].Annotations[bundleAnnotation], ls[len(ls)-1].Annotations[bundleAnnotation])
		}
	}
}

// A new attestation goes up in the fewest requests the distribution spec
// allows: each new blob in one POST and one PUT, no HEAD asking whether it
// exists, no PATCH; appending to a tag sends only the new layer and config,
// not the layers already there.
func TestStoreUploadsNewBlobsWhole(t *testing.T) {
	ctx := context.Background()
	repo, d, k, ct, b := countedStore(t)
	for i, build := range []string{"1", "2"} {
		ct.mu.Lock()
		ct.calls = nil
		ct.mu.Unlock()
		if _, err := b.Store(ctx, storage.Batch{Attestations: []storage.Attestation{k.attestation(t, repo, mustHash(t, d), build)}}); err != nil {
			t.Fatal(err)
		}
		for call, want := range map[string]int{
			"HEAD blob":    0,
			"PATCH upload": 0,
			"POST upload":  2, // the new layer and the new config
			"PUT upload":   2,
			"PUT manifest": 1,
		} {
			if n := ct.count(call); n != want {
				t.Errorf("store %d: %d requests %q, want %d (all: %v)", i+1, n, call, want, ct.calls)
			}
		}
	}
	if n := len(layers(t, attTag(repo, d))); n != 2 {
		t.Errorf(".att has %d layers, want 2", n)
	}
}

// A Store reads the cosign tags through the transport it writes them with:
// the registry is pinged (and, on registries with tokens, a token fetched)
// once per repository, not once to read and once to write.
func TestStorePingsTheRegistryOncePerRepository(t *testing.T) {
	ctx := context.Background()
	repo, d, k, ct, b := countedStore(t)
	if _, err := b.Store(ctx, storage.Batch{
		Attestations: []storage.Attestation{k.attestation(t, repo, mustHash(t, d), "1")},
		Images:       []storage.ImageSignature{k.imageSignature(t, d)},
	}); err != nil {
		t.Fatal(err)
	}
	if n := ct.count("GET ping http"); n != 1 {
		t.Errorf("one Store of an attestation and a signature of one image pinged the registry %d times, want 1 (all: %v)", n, ct.calls)
	}
}

// countedStore is a random image in an in-process registry, a key, and a
// Backend whose requests ct counts.
func countedStore(t *testing.T) (string, name.Digest, testKey, *countingTransport, *oci.Backend) {
	t.Helper()
	repo, d := pushRandom(t, inProcessRegistry(t)+"/app")
	ct := &countingTransport{inner: remote.DefaultTransport.(*http.Transport).Clone()}
	b, err := oci.New(oci.WithTransport(ct))
	if err != nil {
		t.Fatal(err)
	}
	return repo, d, newTestKey(t), ct, b
}
