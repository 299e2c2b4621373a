// Package sigtest has the throwaway keys, in-process registry and faulty
// proxy that several packages' tests share.
package sigtest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
)

// Key is a throwaway ECDSA P-256 key, as a key-file signer has.
type Key struct {
	SV     signature.SignerVerifier
	PubPEM []byte
}

// NewKey makes a Key.
func NewKey(t testing.TB) Key {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sv, err := signature.LoadECDSASignerVerifier(priv, crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := cryptoutils.MarshalPublicKeyToPEM(priv.Public())
	if err != nil {
		t.Fatal(err)
	}
	return Key{SV: sv, PubPEM: pub}
}

// PubFile writes the public key as a PEM file (cosign.pub) and returns its path.
func (k Key) PubFile(t testing.TB) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "cosign.pub")
	if err := os.WriteFile(p, k.PubPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// Registry starts go-containerregistry's in-process registry and returns
// its host:port.
func Registry(t testing.TB) string {
	t.Helper()
	s := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(s.Close)
	return strings.TrimPrefix(s.URL, "http://")
}

// FaultyProxy is a reverse proxy in front of a real server that answers 503
// to the next FailNext requests (or all, with FailAll), and counts the
// bytes it is sent.
type FaultyProxy struct {
	*httptest.Server
	FailNext atomic.Int32
	FailAll  atomic.Bool
	Failed   atomic.Int32
	ReqBytes atomic.Int64
}

// NewFaultyProxy starts a FaultyProxy in front of target (a URL).
func NewFaultyProxy(t testing.TB, target string) *FaultyProxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &FaultyProxy{}
	rp := httputil.NewSingleHostReverseProxy(u)
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if dump, err := httputil.DumpRequest(r, true); err == nil {
			p.ReqBytes.Add(int64(len(dump)))
		}
		if p.FailAll.Load() || p.FailNext.Add(-1) >= 0 {
			p.Failed.Add(1)
			http.Error(w, "unavailable", http.StatusServiceUnavailable)
			return
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(p.Close)
	return p
}

// PushRandom pushes a small random image as repo:latest and returns it by digest.
func PushRandom(t testing.TB, repo string, opts ...remote.Option) name.Digest {
	t.Helper()
	img, err := random.Image(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	tag, err := name.NewTag(repo + ":latest")
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(tag, img, opts...); err != nil {
		t.Fatal(err)
	}
	h, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return tag.Context().Digest(h.String())
}

// WriteKeyFile writes a throwaway unencrypted PKCS#8 ECDSA P-256 key at
// path, as x509.pem in a signing Secret, and its public key beside it
// (path without .pem, plus .pub).
func WriteKeyFile(t testing.TB, path string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := cryptoutils.MarshalPublicKeyToPEM(k.Public())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(strings.TrimSuffix(path, ".pem")+".pub", pub, 0o644); err != nil {
		t.Fatal(err)
	}
}

// HungServerDouble is a test double of a remote server that accepts every
// request and never answers it (until the request's context ends or the
// test does): what a client's per-call timeout and deadline are for. It
// returns the server's URL.
func HungServerDouble(t testing.TB) string {
	t.Helper()
	hang := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-hang:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(hang) })
	return srv.URL
}
