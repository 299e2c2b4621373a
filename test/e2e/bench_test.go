//go:build stack

package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/chainseal/chainseal/internal/kubetest"
	"github.com/chainseal/chainseal/internal/stacktest"
	"github.com/chainseal/chainseal/pkg/tekton/tektontest"
)

// BenchmarkSealTenTaskRuns seals a PipelineRun with 10 TaskRuns, one image
// each, on the real stack, as one chainseal process (start-up, API reads,
// signing, the oci and tekton stores), with per-TaskRun signing off and on
// (artifacts.taskrun.* = slsa/v2alpha4 in tekton annotations): the
// difference is what TaskRun signing costs.
//
//	go test ./test/e2e -run '^$' -bench SealTenTaskRuns -benchtime 10x
func BenchmarkSealTenTaskRuns(b *testing.B) {
	env := stacktest.Load(b)
	bin := buildChainseal(b)
	admin := kubetest.Admin(b, env)
	tk := kubetest.AdminTekton(b, env)
	work := b.TempDir()
	docker := filepath.Join(work, "docker")
	dockerEnv := append(env.Environ(), "DOCKER_CONFIG="+docker)
	run(b, dockerEnv, env.Crane(), "auth", "login", env.Registry(), "-u", env.RegistryUsername(), "-p", env.RegistryPassword())
	secrets := filepath.Join(work, "signing")
	writeECKey(b, filepath.Join(secrets, "x509.pem"))

	for _, mode := range []struct{ name, signer string }{{"taskrun-signing-off", "none"}, {"taskrun-signing-on", "x509"}} {
		b.Run(mode.name, func(b *testing.B) {
			ns := kubetest.Namespace(b, admin, "bench")
			run(b, env.Environ(), env.Kubectl(), "apply", "-n", ns, "-f", "../../tasks/rbac.yaml", "-f", "../../tasks/rbac-taskruns.yaml")
			// Ten images pushed once; every iteration seals a new run naming them.
			layer := filepath.Join(work, ns+".tar")
			writeTar(b, layer, "app", ns)
			var images []string
			for i := range 10 {
				repo := fmt.Sprintf("%s/%s/app%d", env.Registry(), ns, i)
				run(b, dockerEnv, env.Crane(), "append", "-f", layer, "-t", repo+":latest")
				images = append(images, repo, run(b, dockerEnv, env.Crane(), "digest", repo+":latest"))
			}
			kc := filepath.Join(work, ns+".kubeconfig")
			writeTokenKubeconfig(b, env, kc, kubetest.Token(b, admin, ns, "chainseal"))
			b.ResetTimer()
			for n := 0; n < b.N; n++ {
				b.StopTimer()
				r := tektontest.NewRun(ns, fmt.Sprintf("release-%d", n))
				for i := range 10 {
					r.Add(tektontest.Task{Name: fmt.Sprintf("build-%d", i), Steps: []string{"build"},
						Results: []string{"IMAGE_URL", images[2*i], "IMAGE_DIGEST", images[2*i+1]}})
				}
				kubetest.ApplyRun(b, tk, r.PipelineRun, r.TaskRuns)
				b.StartTimer()
				out, err := runErr(append(os.Environ(), "DOCKER_CONFIG="+docker), bin, "sign", "--kubeconfig", kc, "-n", ns,
					"--pipelinerun", r.PipelineRun.Name, "--results-dir", "", "--config-map", "", "--secret-dir", secrets,
					"--config", "artifacts.pipelinerun.storage=oci,tekton", "--config", "artifacts.oci.signer=none",
					"--config", "artifacts.taskrun.signer="+mode.signer, "--config", "artifacts.taskrun.storage=tekton")
				if err != nil {
					b.Fatalf("sign: %v\n%s", err, out)
				}
			}
		})
	}
}
