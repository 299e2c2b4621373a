// Package file stores signed attestations as plain files under
// storage.file.dir, for air-gapped use and tests. Layout:
//
//	<dir>/<namespace>/<kind>-<name>-<uid>/<format>/{payload.json,envelope.json,signature,cert.pem,chain.pem,public-key.pem,transparency.json}
//	<dir>/images/<repository>/sha256-<hex>/{simplesigning.json,signature,public-key.pem,transparency.json}
package file

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/chainseal/chainseal/pkg/config"
	"github.com/chainseal/chainseal/pkg/storage"
)

func init() {
	storage.Register(config.StorageFile, func(_ context.Context, d storage.Deps) (storage.Backend, error) {
		if d.Config.File.Dir == "" {
			return nil, fmt.Errorf("the file backend needs a directory: set %s", config.KeyFileDir)
		}
		return New(d.Config.File.Dir), nil
	})
}

// Backend writes files. Each attestation's (and image signature's)
// directory is replaced as a whole (replaceDir): a crash, a re-run or two
// runs at once never leave one run's payload beside another run's
// signature, nor a stale transparency.json or cert.pem.
type Backend struct{ dir string }

// New makes a Backend rooted at dir.
func New(dir string) *Backend { return &Backend{dir: dir} }

func (b *Backend) Name() string { return config.StorageFile }

func (b *Backend) Store(_ context.Context, batch storage.Batch) (storage.Receipt, error) {
	r := storage.Receipt{Backend: b.Name()}
	for _, a := range batch.Attestations {
		dir := filepath.Join(b.dir, safe(a.Object.Namespace),
			safe(strings.ToLower(a.Object.Kind)+"-"+a.Object.Name+"-"+a.Object.UID), safe(a.Format))
		files := map[string][]byte{
			"payload.json":   a.Payload,
			"envelope.json":  a.Envelope,
			"signature":      a.Signature,
			"cert.pem":       a.Cert,
			"chain.pem":      a.Chain,
			"public-key.pem": a.PublicKey,
		}
		if err := b.write(dir, files, a.Transparency); err != nil {
			return r, err
		}
		r.Locations = append(r.Locations, dir)
	}
	for _, s := range batch.Images {
		repo, digest, ok := strings.Cut(s.Image, "@")
		if !ok {
			return r, fmt.Errorf("file storage: image %q has no digest", s.Image)
		}
		dir := filepath.Join(b.dir, "images", safePath(repo), safe(strings.ReplaceAll(digest, ":", "-")))
		files := map[string][]byte{
			"simplesigning.json": s.Payload,
			"signature":          s.Signature,
			"cert.pem":           s.Cert,
			"chain.pem":          s.Chain,
			"public-key.pem":     s.PublicKey,
		}
		if err := b.write(dir, files, s.Transparency); err != nil {
			return r, err
		}
		r.Locations = append(r.Locations, dir)
	}
	return r, nil
}

func (b *Backend) write(dir string, files map[string][]byte, t *storage.TransparencyEntry) error {
	if t != nil {
		j, err := json.MarshalIndent(t, "", "  ")
		if err != nil {
			return err
		}
		files["transparency.json"] = j
	}
	if err := replaceDir(dir, files); err != nil {
		return fmt.Errorf("file storage: %w", err)
	}
	return nil
}

// safe makes one path element from untrusted text (names, formats).
func safe(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			return r
		}
		return '_'
	}, s)
	if s == "" || s == "." || s == ".." {
		return "_"
	}
	return s
}

// safePath keeps "/" as directory separators but makes each element safe.
func safePath(s string) string {
	parts := strings.Split(s, "/")
	for i, p := range parts {
		parts[i] = safe(p)
	}
	return filepath.Join(parts...)
}
