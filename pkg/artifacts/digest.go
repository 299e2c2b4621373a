// Package artifacts finds what a PipelineRun built and used: the type-hinted
// results Tekton Chains reads (IMAGE_URL/IMAGE_DIGEST, IMAGES,
// ARTIFACT_URI/ARTIFACT_DIGEST, ARTIFACT_OUTPUTS/ARTIFACT_INPUTS,
// CHAINS-GIT_URL/CHAINS-GIT_COMMIT, in TaskRuns and StepAction steps) and
// Tekton's own artifacts (TEP-0147). Every digest is checked; an invalid one
// becomes a Problem and is never a subject.
package artifacts

import (
	"fmt"
	"strings"
)

// hexLen is the hex length of each accepted digest algorithm.
var hexLen = map[string]int{"sha256": 64, "sha384": 96, "sha512": 128}

// ParseDigest checks "algorithm:hex" and returns both parts. The algorithm
// must be sha256, sha384 or sha512 (or sha1 when git is true, for commits)
// and the hex lowercase and of that algorithm's length.
func ParseDigest(s string, git bool) (alg, hex string, err error) {
	alg, hex, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok {
		return "", "", fmt.Errorf("not of the form algorithm:hex")
	}
	alg = strings.ToLower(alg)
	n, known := hexLen[alg]
	if alg == "sha1" && git {
		n, known = 40, true
	}
	if !known {
		if alg == "sha1" {
			return "", "", fmt.Errorf("sha1 is accepted for git commits only")
		}
		return "", "", fmt.Errorf("unsupported algorithm %q: use sha256, sha384 or sha512", clip(alg, 20))
	}
	if len(hex) != n || !isLowerHex(hex) {
		return "", "", fmt.Errorf("%s digest must be %d lowercase hex characters", alg, n)
	}
	return alg, hex, nil
}

// parseCommit checks a bare git commit id: 40 hex (sha1) or 64 (sha256 repositories).
func parseCommit(s string) (alg, hex string, err error) {
	s = strings.TrimSpace(s)
	switch {
	case len(s) == 40 && isLowerHex(s):
		return "sha1", s, nil
	case len(s) == 64 && isLowerHex(s):
		return "sha256", s, nil
	}
	return "", "", fmt.Errorf("a git commit must be 40 (sha1) or 64 (sha256) lowercase hex characters")
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// clip shortens s for messages, so a megabyte result never floods a log.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return fmt.Sprintf("%s…(%d bytes)", s[:n], len(s))
}
