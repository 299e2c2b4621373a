//go:build stack

package e2e

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"

	"github.com/chainseal/chainseal/internal/kubetest"
	"github.com/chainseal/chainseal/internal/stacktest"
	"github.com/chainseal/chainseal/pkg/tekton/tektontest"
)

// Attack (issue #14) on the real Tekton path: the build task, resolved by
// Tekton's bundles resolver from a bundle `tkn bundle push` put in the
// registry, names the new image; a lint task (inline, as a third-party
// task copied into the pipeline) writes IMAGES= naming an old digest of the
// same repository. chainseal, reading the run Tekton's controller ran,
// records each subject's producer with the refSource Tekton resolved (the
// lint task has none), and with the platform's chainseal.subject-producers
// naming the bundle's repository the lint task's claim is not signed.
// Before, both digests were subjects and nothing said who named them.
func TestLintTaskClaimOnRealTekton(t *testing.T) {
	t.Parallel()
	env := stacktest.Load(t)
	shell, reg := env.Must(t, "TEKTON_SHELL_IMAGE"), env.Must(t, "REGISTRY")
	ns := kubetest.Namespace(t, kubetest.Admin(t, env), "producer")
	env.TektonController(t, ns)
	dir := t.TempDir()
	bin := filepath.Join(dir, "chainseal")
	if out, err := exec.Command("go", "build", "-o", bin, "../../cmd/chainseal").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	repo := reg + "/" + ns + "/app"
	newDigest, oldDigest := "sha256:"+tektontest.Digest(ns+"new"), "sha256:"+tektontest.Digest(ns+"old")
	task := writeFile(t, dir, "task.yaml", fmt.Sprintf(`apiVersion: tekton.dev/v1
kind: Task
metadata: {name: build}
spec:
  results: [{name: IMAGE_URL}, {name: IMAGE_DIGEST}]
  steps:
  - name: build
    image: %s
    script: |
      #!/bin/sh
      printf '%%s' '%s' >"$(results.IMAGE_URL.path)"
      printf '%%s' '%s' >"$(results.IMAGE_DIGEST.path)"
`, shell, repo, newDigest))
	bundle := reg + "/" + ns + "/build-task"
	userEnv := append(cleanEnv(env), "DOCKER_CONFIG="+dockerConfig(t, env))
	run(t, userEnv, env.Must(t, "TKN"), "bundle", "push", bundle+":v1", "-f", task)

	pr := &pipelinev1.PipelineRun{}
	mustYAML(t, fmt.Sprintf(`
metadata: {name: %[1]s, namespace: %[2]s}
spec:
  pipelineSpec:
    tasks:
    - name: build
      taskRef:
        resolver: bundles
        params:
        - {name: bundle, value: "%[3]s:v1"}
        - {name: name, value: build}
        - {name: kind, value: task}
    - name: lint
      runAfter: [build]
      taskSpec:
        results: [{name: IMAGES}]
        steps:
        - name: lint
          image: %[4]s
          script: |
            #!/bin/sh
            printf '%%s' '%[5]s@%[6]s' >"$(results.IMAGES.path)"
`, kubetest.Name("release"), ns, bundle, shell, repo, oldDigest), pr)
	done := runPipeline(t, env, pr)

	type producer struct {
		PipelineTask string
		TaskRun      string
		Ref          *struct{ URI string }
	}
	statement := func(extra ...string) (subjects []string, producers map[string][]producer) {
		args := append([]string{"sign", "--dry-run", "--kubeconfig", env.Kubeconfig(), "-n", ns, "--pipelinerun", done.Name,
			"--results-dir", "", "--config-map", "", "--config", "artifacts.oci.signer=none"}, extra...)
		out := run(t, env.Environ(), bin, args...)
		var st struct {
			Subject []struct {
				Name   string
				Digest map[string]string
			}
			Predicate struct {
				BuildDefinition struct {
					InternalParameters struct {
						Chainseal struct {
							Subjects []struct {
								Digest    map[string]string
								Producers []producer
							}
						}
					}
				}
			}
		}
		if err := json.Unmarshal([]byte(strings.Split(strings.TrimSpace(out), "\n")[0]), &st); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		producers = map[string][]producer{}
		for _, s := range st.Subject {
			subjects = append(subjects, s.Name+"@sha256:"+s.Digest["sha256"])
		}
		for _, s := range st.Predicate.BuildDefinition.InternalParameters.Chainseal.Subjects {
			producers["sha256:"+s.Digest["sha256"]] = s.Producers
		}
		return subjects, producers
	}

	subjects, producers := statement()
	if len(subjects) != 2 {
		t.Fatalf("subjects %v: want the build's and the lint task's claim (deep inspection, no restriction)", subjects)
	}
	b, l := producers[newDigest], producers[oldDigest]
	if len(b) != 1 || b[0].PipelineTask != "build" || b[0].Ref == nil || b[0].Ref.URI != bundle {
		t.Errorf("the build's image: producers %+v, want pipeline task build resolved from %s (Tekton's refSource)", b, bundle)
	}
	if len(l) != 1 || l[0].PipelineTask != "lint" || l[0].Ref != nil {
		t.Errorf("the lint task's claim: producers %+v, want pipeline task lint with no resolved reference", l)
	}

	subjects, _ = statement("--config", "chainseal.subject-producers="+bundle)
	if len(subjects) != 1 || subjects[0] != repo+"@"+newDigest {
		t.Fatalf("with chainseal.subject-producers=%s: subjects %v, want the build's image only", bundle, subjects)
	}
}
