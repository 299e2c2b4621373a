package file

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// replaceDir makes dir hold exactly files (empty contents are left out),
// replacing what was there as a whole: the files are written and synced in
// a new directory beside dir, which then takes dir's place in one rename
// (swap). A reader or a crash sees the old directory or the new one, never
// one run's payload beside another run's signature, nor a file the new run
// did not write (a transparency.json or cert.pem of an earlier run).
func replaceDir(dir string, files map[string][]byte) error {
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(parent, ".tmp-"+filepath.Base(dir)+"-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp) // after a swap, the old directory
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	for name, content := range files {
		if len(content) == 0 {
			continue
		}
		if err := writeSynced(filepath.Join(tmp, name), content); err != nil {
			return err
		}
	}
	if err := syncDir(tmp); err != nil {
		return err
	}
	if err := swap(tmp, dir); err != nil {
		return fmt.Errorf("replacing %s: %w", dir, err)
	}
	return syncDir(parent)
}

// swapAside moves dir aside and tmp into its place: two renames, so for a
// moment there is no dir, but never a mix of the two. It is the fallback
// where the filesystem cannot exchange two names atomically.
func swapAside(tmp, dir string) error {
	for {
		err := os.Rename(tmp, dir)
		if err == nil {
			return nil
		}
		if !errors.Is(err, fs.ErrExist) && !isNotEmpty(err) {
			return err
		}
		aside, err := os.MkdirTemp(filepath.Dir(dir), ".old-"+filepath.Base(dir)+"-")
		if err != nil {
			return err
		}
		if err := os.Rename(dir, filepath.Join(aside, "old")); err != nil && !errors.Is(err, fs.ErrNotExist) {
			os.RemoveAll(aside)
			return err
		}
		defer os.RemoveAll(aside)
	}
}

func writeSynced(path string, content []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	_, werr := f.Write(content)
	serr := f.Sync()
	cerr := f.Close()
	return errors.Join(werr, serr, cerr)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	serr := d.Sync()
	cerr := d.Close()
	return errors.Join(serr, cerr)
}
