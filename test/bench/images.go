package main

import (
	"context"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Image is one pushed image, the subject of one PipelineRun's provenance.
type Image struct {
	Repo   string // registry/path
	Digest string // sha256:hex
}

// pushImages pushes n small distinct images to registry/bench-<id>/<repo>,
// each referenced by digest only, so that every run has its own subject.
func (b *Bench) pushImages(ctx context.Context, repo string, n int) ([]Image, error) {
	r, err := name.NewRepository(b.Env.Registry() + "/bench-" + b.ID + "/" + repo)
	if err != nil {
		return nil, err
	}
	out := make([]Image, n)
	err = parallel(ctx, n, 8, func(ctx context.Context, i int) error {
		img, err := random.Image(256, 1)
		if err != nil {
			return err
		}
		d, err := img.Digest()
		if err != nil {
			return err
		}
		if err := remote.Write(r.Digest(d.String()), img, remote.WithAuth(b.Auth), remote.WithContext(ctx)); err != nil {
			return fmt.Errorf("pushing a test image to %s: %w", r, err)
		}
		out[i] = Image{Repo: r.String(), Digest: d.String()}
		return nil
	})
	return out, err
}
