// Command pushimage is the build step of the e2e pipelines: it builds a
// one-layer image whose content is its argument, pushes it with the
// registry credentials of $DOCKER_CONFIG, and writes the Tekton results
// IMAGE_URL and IMAGE_DIGEST, as a real build task (kaniko, buildah, ko)
// does.
package main

import (
	"archive/tar"
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

func main() {
	image := flag.String("image", "", "repository:tag to push")
	content := flag.String("content", "", "what the image's one file holds")
	results := flag.String("results", "/tekton/results", "where to write IMAGE_URL and IMAGE_DIGEST")
	flag.Parse()
	if err := run(*image, *content, *results); err != nil {
		fmt.Fprintln(os.Stderr, "pushimage:", err)
		os.Exit(1)
	}
}

func run(image, content, results string) error {
	ref, err := name.ParseReference(image)
	if err != nil {
		return fmt.Errorf("-image %q: %w", image, err)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if err := tw.WriteHeader(&tar.Header{Name: "app", Mode: 0o644, Size: int64(len(content))}); err != nil {
		return err
	}
	if _, err := tw.Write([]byte(content)); err != nil {
		return err
	}
	if err := tw.Close(); err != nil {
		return err
	}
	// In memory: the image has no /tmp for a buffer file.
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(buf.Bytes())), nil })
	if err != nil {
		return err
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		return err
	}
	if err := remote.Write(ref, img, remote.WithAuthFromKeychain(authn.DefaultKeychain)); err != nil {
		return fmt.Errorf("pushing %s: %w", ref, err)
	}
	digest, err := img.Digest()
	if err != nil {
		return err
	}
	fmt.Printf("pushed %s@%s\n", ref.Context(), digest)
	if err := os.WriteFile(filepath.Join(results, "IMAGE_URL"), []byte(ref.String()), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(results, "IMAGE_DIGEST"), []byte(digest.String()), 0o644)
}
