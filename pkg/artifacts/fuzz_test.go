package artifacts

import (
	"strings"
	"testing"

	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
)

// FuzzFromResults feeds arbitrary names and values to the result parsers:
// they must not panic, and every subject they return must carry a digest
// that ParseDigest accepts.
func FuzzFromResults(f *testing.F) {
	f.Add("IMAGE_URL", "gcr.io/a/b:v1", "IMAGE_DIGEST", "sha256:"+d256)
	f.Add("IMAGES", "a@sha256:"+d256+",b@sha512:"+d512, "CHAINS-GIT_COMMIT", sha1c)
	f.Add("X_ARTIFACT_URI", "pkg:x", "X_ARTIFACT_DIGEST", "sha384:"+d384)
	f.Add("CHAINS-GIT_URL", "https://x", "CHAINS-GIT_COMMIT", "\x00")
	f.Fuzz(func(t *testing.T, n1, v1s, n2, v2s string) {
		rs := []Result{
			{Name: n1, Value: *v1.NewStructuredValues(v1s)},
			{Name: n2, Value: *v1.NewStructuredValues(v2s)},
			{Name: n1 + ArtifactOutputsSuffix, Value: *v1.NewObject(map[string]string{"uri": v1s, "digest": v2s, "isBuildArtifact": "true"})},
		}
		s := FromResults("TaskRun fuzz", rs)
		for _, sub := range append(s.Subjects, s.Materials...) {
			if sub.Name == "" || len(sub.Digest) == 0 {
				t.Fatalf("subject without name or digest: %+v", sub)
			}
			for alg, hex := range sub.Digest {
				if _, _, err := ParseDigest(alg+":"+hex, true); err != nil {
					t.Fatalf("subject %q has invalid digest %s:%s: %v", sub.Name, alg, hex, err)
				}
			}
			if strings.TrimSpace(sub.Name) != sub.Name {
				t.Fatalf("untrimmed name %q", sub.Name)
			}
		}
		_, _, _ = ParseDigest(v1s, true)
		_, _ = ParseImage(v1s, v2s)
	})
}
