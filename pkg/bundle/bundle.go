// Package bundle builds Tekton bundles: OCI images with one layer per Tekton
// object, each layer annotated with the object's apiVersion, kind and name
// (the format Tekton's bundles resolver reads and `tkn bundle push` writes).
// The same objects and creation time always give the same digest.
package bundle

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
	tkoci "github.com/tektoncd/pipeline/pkg/remote/oci"
)

// Build makes the bundle image. created is the image's creation time and
// every file's modification time; pass SOURCE_DATE_EPOCH for reproducible
// builds. Layers keep the order of resources.
func Build(resources []Resource, created time.Time) (v1.Image, error) {
	if len(resources) == 0 {
		return nil, fmt.Errorf("a bundle needs at least one Tekton object")
	}
	if len(resources) > tkoci.MaximumBundleObjects {
		return nil, fmt.Errorf("%d objects: Tekton resolves bundles of at most %d", len(resources), tkoci.MaximumBundleObjects)
	}
	created = created.UTC()
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	seen := map[string]bool{}
	for _, r := range resources {
		id := r.Kind + "/" + r.Name
		if seen[id] {
			// The resolver returns the first match: a second one could never be fetched.
			return nil, fmt.Errorf("%s appears twice in the bundle", id)
		}
		seen[id] = true
		layer, err := tarLayer(r.Name, r.JSON, created)
		if err != nil {
			return nil, fmt.Errorf("packing %s: %w", id, err)
		}
		img, err = mutate.Append(img, mutate.Addendum{
			Layer:     layer,
			MediaType: types.OCILayer,
			Annotations: map[string]string{
				tkoci.APIVersionAnnotation: r.APIVersion,
				tkoci.KindAnnotation:       r.Kind,
				tkoci.TitleAnnotation:      r.Name,
			},
		})
		if err != nil {
			return nil, fmt.Errorf("adding %s: %w", id, err)
		}
	}
	img, err := mutate.CreatedAt(img, v1.Time{Time: created})
	if err != nil {
		return nil, fmt.Errorf("setting the creation time: %w", err)
	}
	return img, nil
}

// tarLayer is a gzipped tar holding one file, name, with content. Fixed
// mode, owner and time keep the digest a function of the content alone.
func tarLayer(name string, content []byte, mtime time.Time) (v1.Layer, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	hdr := &tar.Header{
		Name:     name,
		Mode:     0o644,
		Size:     int64(len(content)),
		Typeflag: tar.TypeReg,
		ModTime:  mtime,
		Format:   tar.FormatPAX,
	}
	if err := tw.WriteHeader(hdr); err != nil {
		return nil, err
	}
	if _, err := tw.Write(content); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	data := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	}, tarball.WithMediaType(types.OCILayer))
}
