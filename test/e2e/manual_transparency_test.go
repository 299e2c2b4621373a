//go:build stack

package e2e

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/chainseal/chainseal/internal/stacktest"
)

// TestManualTransparencyOnAnnotatedRunsOnly: with transparency.enabled:
// manual, as in Tekton Chains, of two runs only the one annotated
// chains.tekton.dev/transparency-upload: "true" is logged in the real
// Rekor: rekor-cli finds no entry for the other, one for it, and it carries
// Chains' chains.tekton.dev/transparency annotation; cosign verifies both.
func TestManualTransparencyOnAnnotatedRunsOnly(t *testing.T) {
	t.Parallel()
	env := stacktest.Load(t)
	bin := buildChainseal(t)
	for _, annotated := range []bool{false, true} {
		f := newBuildFixture(t, env, "manual")
		secrets := filepath.Join(f.work, "signing")
		writeECKey(t, filepath.Join(secrets, "x509.pem"))
		if annotated { // as the PipelineRun was created
			run(t, env.Environ(), env.Kubectl(), "annotate", "pipelinerun", f.build.Name, "-n", f.ns, "chains.tekton.dev/transparency-upload=true")
		}
		if out, err := runErr(f.userEnv, bin, append(f.signArgs(t), "--config-map", "", "--secret-dir", secrets,
			"--rekor-public-key", env.RekorPublicKeyFile(),
			"--config", "transparency.enabled=manual", "--config", "transparency.url="+env.RekorURL())...); err != nil {
			t.Fatalf("sign (annotated %v): %v\n%s", annotated, err, out)
		}
		out, _ := runErr(f.userEnv, env.RekorCLI(), "search", "--rekor_server", env.RekorURL(), "--sha", strings.TrimPrefix(f.digest, "sha256:"))
		entries := 0
		for _, w := range strings.Fields(out) {
			if len(w) >= 64 {
				entries++
			}
		}
		annotation := func(key string) string {
			return run(t, env.Environ(), env.Kubectl(), "get", "pipelinerun", f.build.Name, "-n", f.ns,
				"-o", "jsonpath={.metadata.annotations."+strings.ReplaceAll(key, ".", `\.`)+"}")
		}
		if signed := annotation("chains.tekton.dev/signed"); signed != "true" {
			t.Errorf("annotated %v: chains.tekton.dev/signed = %q, want true", annotated, signed)
		}
		verify := []string{"verify-attestation", "--type", "slsaprovenance1", "--key", filepath.Join(secrets, "x509.pub")}
		if !annotated {
			if entries != 0 || annotation("chains.tekton.dev/transparency") != "" {
				t.Errorf("a run not annotated for upload: rekor-cli search finds %d entries, chains.tekton.dev/transparency = %q; want none", entries, annotation("chains.tekton.dev/transparency"))
			}
			run(t, f.userEnv, env.Cosign(), append(verify, "--insecure-ignore-tlog", f.image())...)
			continue
		}
		if entries != 1 {
			t.Errorf("rekor-cli search finds %d entries for the annotated run, want 1", entries)
		}
		if got := annotation("chains.tekton.dev/transparency"); !strings.HasPrefix(got, env.RekorURL()+"/api/v1/log/entries?logIndex=") {
			t.Errorf("chains.tekton.dev/transparency = %q, want the entry in %s", got, env.RekorURL())
		}
		run(t, f.userEnv, env.Cosign(), append(verify, "--rekor-url", env.RekorURL(), f.image())...)
	}
}
