package artifacts

import (
	"strings"

	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
)

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

// IsByproduct reports whether a result belongs in the provenance's
// byproducts, by Tekton Chains' rule: every result except image hints and
// *ARTIFACT_OUTPUTS objects marked isBuildArtifact "true" (or malformed).
func IsByproduct(name string, v v1.ParamValue) bool {
	if IsImageHint(name) {
		return false
	}
	if strings.HasSuffix(name, ArtifactOutputsSuffix) {
		return v.ObjectVal != nil && v.ObjectVal["isBuildArtifact"] != "true"
	}
	return true
}
