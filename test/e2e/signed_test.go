//go:build stack

package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chainseal/chainseal/internal/stacktest"
)

// TestSignedAnnotationWhateverTheStorage: with the attestations stored in
// the registry only (no tekton storage), chainseal still marks the
// PipelineRun and the TaskRun it signed chains.tekton.dev/signed=true, as
// Tekton Chains does, read back by kubectl from the real API server; a seal
// whose store failed marks nothing.
func TestSignedAnnotationWhateverTheStorage(t *testing.T) {
	t.Parallel()
	env := stacktest.Load(t)
	bin := buildChainseal(t)
	f := newBuildFixture(t, env, "signed", "../../tasks/rbac-taskruns.yaml")
	secrets := filepath.Join(f.work, "signing")
	writeECKey(t, filepath.Join(secrets, "x509.pem"))
	sign := func(docker string) (string, error) {
		return runErr(append(os.Environ(), "DOCKER_CONFIG="+docker), bin, append(f.signArgs(t), "--config-map", "", "--secret-dir", secrets,
			"--config", "artifacts.pipelinerun.storage=oci",
			"--config", "artifacts.taskrun.signer=x509", "--config", "artifacts.taskrun.storage=oci")...)
	}
	annotations := func(kind, name string) string {
		return run(t, env.Environ(), env.Kubectl(), "get", kind, name, "-n", f.ns, "-o", "jsonpath={.metadata.annotations}")
	}

	// The registry refuses the push: nothing is marked.
	if out, err := sign(filepath.Join(f.work, "no-credentials")); err == nil {
		t.Fatalf("sign without registry credentials succeeded:\n%s", out)
	}
	for _, o := range [][2]string{{"pipelinerun", f.build.Name}, {"taskrun", f.build.BuildTaskRun}} {
		if a := annotations(o[0], o[1]); strings.Contains(a, "chains.tekton.dev/signed") {
			t.Fatalf("%s %s marked although the oci store failed: %s", o[0], o[1], a)
		}
	}

	out, err := sign(f.docker)
	if err != nil {
		t.Fatalf("sign: %v\n%s", err, out)
	}
	for _, o := range [][2]string{{"pipelinerun", f.build.Name}, {"taskrun", f.build.BuildTaskRun}} {
		signed := run(t, env.Environ(), env.Kubectl(), "get", o[0], o[1], "-n", f.ns, "-o", `jsonpath={.metadata.annotations.chains\.tekton\.dev/signed}`)
		if signed != "true" {
			t.Errorf("kubectl get %s %s: chains.tekton.dev/signed = %q, want true", o[0], o[1], signed)
		}
		if a := annotations(o[0], o[1]); strings.Contains(a, "chains.tekton.dev/payload-") {
			t.Errorf("%s %s holds a payload annotation although tekton storage is not configured: %.300s", o[0], o[1], a)
		}
	}
	run(t, f.userEnv, env.Cosign(), "verify-attestation", "--insecure-ignore-tlog", "--type", "slsaprovenance1",
		"--key", filepath.Join(secrets, "x509.pub"), f.image())
}
