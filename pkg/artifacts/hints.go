package artifacts

import "strings"

// Type-hint result names, as Tekton Chains defines them.
const (
	ImageURLSuffix        = "IMAGE_URL"
	ImageDigestSuffix     = "IMAGE_DIGEST"
	ImagesName            = "IMAGES"
	ArtifactURISuffix     = "ARTIFACT_URI"
	ArtifactDigestSuffix  = "ARTIFACT_DIGEST"
	ArtifactOutputsSuffix = "ARTIFACT_OUTPUTS"
	ArtifactInputsSuffix  = "ARTIFACT_INPUTS"
	GitURLName            = "CHAINS-GIT_URL"
	GitCommitName         = "CHAINS-GIT_COMMIT"
)

// IsImageHint reports whether a result is one Chains keeps out of the
// byproducts because it names an image (*IMAGE_URL, *IMAGE_DIGEST, IMAGES).
func IsImageHint(name string) bool {
	return name == ImagesName || strings.HasSuffix(name, ImageURLSuffix) || strings.HasSuffix(name, ImageDigestSuffix)
}

// IsBuildArtifact reports whether a result is a *ARTIFACT_OUTPUTS object
// marked isBuildArtifact "true" with a valid uri and digest: a subject,
// and so not a byproduct.
func IsBuildArtifact(r Result) bool {
	if !strings.HasSuffix(r.Name, ArtifactOutputsSuffix) || r.Value.ObjectVal == nil {
		return false
	}
	o := r.Value.ObjectVal
	if o["isBuildArtifact"] != "true" || strings.TrimSpace(o["uri"]) == "" {
		return false
	}
	_, _, err := ParseDigest(o["digest"], false)
	return err == nil
}
