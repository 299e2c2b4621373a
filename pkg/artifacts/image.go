package artifacts

import (
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
)

// Image is a container image reference normalised the way Tekton Chains
// names image subjects: the full repository (index.docker.io/library/x for
// x), and the tag, if any, kept aside as an annotation.
type Image struct {
	Repository string
	Tag        string
	Alg, Hex   string
}

// String is repository@alg:hex.
func (i Image) String() string { return i.Repository + "@" + i.Alg + ":" + i.Hex }

// ParseImage normalises a reference and a digest. ref may carry a tag and
// may carry a digest itself (repo:tag@sha256:…); digest may be empty when
// ref has one. When both have one they must agree.
func ParseImage(ref, digest string) (Image, error) {
	ref = strings.TrimSpace(ref)
	digest = strings.TrimSpace(digest)
	if base, d, ok := strings.Cut(ref, "@"); ok {
		if digest != "" && d != digest {
			return Image{}, fmt.Errorf("the reference's digest %q differs from %q", clip(d, 80), clip(digest, 80))
		}
		ref, digest = base, d
	}
	if digest == "" {
		return Image{}, fmt.Errorf("no digest")
	}
	alg, hex, err := ParseDigest(digest, false)
	if err != nil {
		return Image{}, err
	}
	var img Image
	if hasTag(ref) {
		t, err := name.NewTag(ref)
		if err != nil {
			return Image{}, fmt.Errorf("not an image reference: %w", err)
		}
		img = Image{Repository: t.Repository.Name(), Tag: t.TagStr()}
	} else {
		r, err := name.NewRepository(ref)
		if err != nil {
			return Image{}, fmt.Errorf("not an image reference: %w", err)
		}
		img = Image{Repository: r.Name()}
	}
	img.Alg, img.Hex = alg, hex
	return img, nil
}

// hasTag reports whether ref ends in :tag (a colon after the last slash;
// a colon before it is a registry port).
func hasTag(ref string) bool {
	return strings.Contains(ref[strings.LastIndex(ref, "/")+1:], ":")
}

// splitImages splits an IMAGES value: references separated by commas or
// newlines (Chains accepts both), blanks dropped.
func splitImages(v string) []string {
	fields := strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == '\n' })
	out := fields[:0]
	for _, f := range fields {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
