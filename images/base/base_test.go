package base

import (
	"archive/tar"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
)

func caFile(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "ca.crt")
	if err := os.WriteFile(p, []byte("-----BEGIN CERTIFICATE-----\ntest\n-----END CERTIFICATE-----\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestImageIsStaticAndNonRoot(t *testing.T) {
	img, err := Image(caFile(t), v1.Platform{OS: "linux", Architecture: "amd64"})
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cf.Config.User != "65532:65532" || cf.OS != "linux" || cf.Architecture != "amd64" {
		t.Fatalf("config user %q platform %s/%s", cf.Config.User, cf.OS, cf.Architecture)
	}
	files := map[string]string{}
	tr := tar.NewReader(mutate.Extract(img))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(tr)
		files[h.Name] = string(b)
		if h.Typeflag == tar.TypeReg && h.Mode&0o111 != 0 {
			t.Errorf("%s is executable: a static base carries no programs", h.Name)
		}
	}
	if !strings.Contains(files["etc/passwd"], "nonroot:x:65532:65532:") {
		t.Errorf("/etc/passwd has no nonroot user: %q", files["etc/passwd"])
	}
	if !strings.Contains(files["etc/ssl/certs/ca-certificates.crt"], "BEGIN CERTIFICATE") {
		t.Error("the CA bundle was not copied")
	}
	if _, ok := files["bin/sh"]; ok {
		t.Error("the base has a shell")
	}
}

func TestIndexIsReproducible(t *testing.T) {
	ca := caFile(t)
	digest := func() v1.Hash {
		idx, err := Index(ca)
		if err != nil {
			t.Fatal(err)
		}
		d, err := idx.Digest()
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	if a, b := digest(), digest(); a != b {
		t.Fatalf("same CA bundle gave %s and %s", a, b)
	}
	idx, _ := Index(ca)
	m, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Manifests) != len(Platforms) {
		t.Fatalf("index has %d manifests, want %d", len(m.Manifests), len(Platforms))
	}
}

func TestImageNeedsCABundle(t *testing.T) {
	if _, err := Image(filepath.Join(t.TempDir(), "missing.crt"), Platforms[0]); err == nil || !strings.Contains(err.Error(), "CA bundle") {
		t.Fatalf("got %v", err)
	}
}
