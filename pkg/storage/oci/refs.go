package oci

import (
	"context"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/chainseal/chainseal/pkg/storage"
)

// imageSubjects returns the subjects that name an image in a registry, as
// digest references. A subject counts as an image when its name starts with
// a registry host (a dot, a port or "localhost"): a bare "app.tar.gz" must
// not become a push to Docker Hub.
func (b *Backend) imageSubjects(subjects []storage.Subject) []name.Digest {
	var out []name.Digest
	for _, s := range subjects {
		hex := s.Digest["sha256"]
		if hex == "" || !hasRegistryHost(s.Name) {
			continue
		}
		ref, err := name.ParseReference(s.Name, b.nameOpts...)
		if err != nil {
			continue
		}
		d, err := name.NewDigest(ref.Context().Name()+"@sha256:"+hex, b.nameOpts...)
		if err != nil {
			continue
		}
		out = append(out, d)
	}
	return out
}

func hasRegistryHost(s string) bool {
	if strings.Contains(s, "://") {
		return false
	}
	host, _, ok := strings.Cut(s, "/")
	return ok && (strings.ContainsAny(host, ".:") || host == "localhost")
}

// withPlatforms returns d and, when d is an image index, each of its
// platform manifests, so that verifying a platform image also finds the
// provenance. When the registry cannot say what d is, d alone is used.
func (b *Backend) withPlatforms(ctx context.Context, d name.Digest) []name.Digest {
	out := []name.Digest{d}
	if !b.o.indexes {
		return out
	}
	desc, err := remote.Head(d, b.remoteOpts(ctx)...)
	if err != nil || !desc.MediaType.IsIndex() {
		if err != nil {
			b.o.log.Warn("oci: could not read the subject's manifest; attaching to it alone", "image", d.String(), "error", err)
		}
		return out
	}
	idx, err := remote.Index(d, b.remoteOpts(ctx)...)
	if err != nil {
		b.o.log.Warn("oci: could not read the image index; attaching to it alone", "image", d.String(), "error", err)
		return out
	}
	im, err := idx.IndexManifest()
	if err != nil {
		b.o.log.Warn("oci: could not read the image index; attaching to it alone", "image", d.String(), "error", err)
		return out
	}
	for _, m := range im.Manifests {
		if m.MediaType.IsImage() {
			out = append(out, d.Context().Digest(m.Digest.String()))
		}
	}
	return out
}
