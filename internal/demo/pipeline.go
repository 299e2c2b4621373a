package demo

import (
	"context"
	"fmt"
	"time"

	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	tektonclient "github.com/tektoncd/pipeline/pkg/client/clientset/versioned"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"knative.dev/pkg/apis"
	"sigs.k8s.io/yaml"
)

// Release is a Pipeline as a chainseal user writes one: a build task that
// pushes an image and reports IMAGE_URL/IMAGE_DIGEST, a test task, and
// chainseal as the finally task, resolved by Tekton from the bundle.
type Release struct {
	Namespace, Name string
	Builder         string // the build step's image (testdata/pushimage)
	Shell           string // an image with a shell, for the test step
	Bundle          string // the chainseal bundle, by digest
	Repository      string // where the build pushes
	// RegistrySecret is a docker config Secret the build mounts.
	RegistrySecret string
}

// PipelineRun is the run of r, with chainseal's results as the pipeline's.
func (r Release) PipelineRun() (*pipelinev1.PipelineRun, error) {
	pr := &pipelinev1.PipelineRun{}
	doc := fmt.Sprintf(`
metadata: {name: %[1]s, namespace: %[2]s}
spec:
  taskRunSpecs:
  - {pipelineTaskName: chainseal, serviceAccountName: chainseal}
  workspaces:
  - name: registry
    secret: {secretName: %[7]s}
  pipelineSpec:
    workspaces: [{name: registry}]
    results:
    - {name: IMAGE_DIGEST, value: $(tasks.build.results.IMAGE_DIGEST)}
    - {name: ATTESTATION_DIGEST, value: $(finally.chainseal.results.ATTESTATION_DIGEST)}
    - {name: REKOR_LOG_INDEX, value: $(finally.chainseal.results.REKOR_LOG_INDEX)}
    - {name: REKOR_UUID, value: $(finally.chainseal.results.REKOR_UUID)}
    - {name: SIGNED_SUBJECTS, value: $(finally.chainseal.results.SIGNED_SUBJECTS)}
    tasks:
    - name: build
      workspaces: [{name: registry, workspace: registry}]
      taskSpec:
        workspaces: [{name: registry, mountPath: /docker, readOnly: true}]
        results: [{name: IMAGE_URL}, {name: IMAGE_DIGEST}]
        steps:
        - name: build-and-push
          image: %[3]s
          env: [{name: DOCKER_CONFIG, value: /docker}]
          args: [-image=%[4]s:$(context.pipelineRun.name), -content=$(context.pipelineRun.uid), -results=/tekton/results]
    - name: test
      runAfter: [build]
      params: [{name: digest, value: $(tasks.build.results.IMAGE_DIGEST)}]
      taskSpec:
        params: [{name: digest}]
        steps:
        - name: check
          image: %[5]s
          args: [$(params.digest)]
          script: |
            #!/bin/sh
            case "$1" in sha256:*) ;; *) echo "not a digest: $1"; exit 1 ;; esac
    finally:
    - name: chainseal
      taskRef:
        resolver: bundles
        params:
        - {name: bundle, value: %[6]s}
        - {name: name, value: chainseal}
        - {name: kind, value: task}
      params:
      - {name: pipelinerun-name, value: $(context.pipelineRun.name)}
      - {name: pipelinerun-namespace, value: $(context.pipelineRun.namespace)}
      - {name: pipelinerun-uid, value: $(context.pipelineRun.uid)}
`, r.Name, r.Namespace, r.Builder, r.Repository, r.Shell, r.Bundle, r.RegistrySecret)
	if err := yaml.UnmarshalStrict([]byte(doc), pr); err != nil {
		return nil, fmt.Errorf("the release PipelineRun: %w", err)
	}
	return pr, nil
}

// Finished is a PipelineRun as Tekton's controller left it, with its
// TaskRuns by pipeline task.
type Finished struct {
	*pipelinev1.PipelineRun
	TaskRuns map[string]*pipelinev1.TaskRun
}

// Succeeded reports whether Tekton marked the run succeeded.
func (f *Finished) Succeeded() bool {
	c := f.Status.GetCondition(apis.ConditionSucceeded)
	return c != nil && c.Status == corev1.ConditionTrue
}

// Result is one of the pipeline's results.
func (f *Finished) Result(name string) string {
	for _, r := range f.Status.Results {
		if r.Name == name {
			return r.Value.StringVal
		}
	}
	return ""
}

// RunPipeline creates pr and waits until Tekton's controller finishes it
// (succeeded or not) or ctx ends.
func RunPipeline(ctx context.Context, tk tektonclient.Interface, pr *pipelinev1.PipelineRun) (*Finished, error) {
	if _, err := tk.TektonV1().PipelineRuns(pr.Namespace).Create(ctx, pr, metav1.CreateOptions{}); err != nil {
		return nil, fmt.Errorf("creating PipelineRun %s/%s: %w", pr.Namespace, pr.Name, err)
	}
	return WaitPipeline(ctx, tk, pr.Namespace, pr.Name)
}

// WaitPipeline waits until the PipelineRun has finished.
func WaitPipeline(ctx context.Context, tk tektonclient.Interface, ns, name string) (*Finished, error) {
	for {
		got, err := tk.TektonV1().PipelineRuns(ns).Get(ctx, name, metav1.GetOptions{})
		if err == nil {
			if c := got.Status.GetCondition(apis.ConditionSucceeded); c != nil && c.Status != corev1.ConditionUnknown {
				list, err := tk.TektonV1().TaskRuns(ns).List(ctx, metav1.ListOptions{LabelSelector: "tekton.dev/pipelineRun=" + name})
				if err != nil {
					return nil, fmt.Errorf("listing the TaskRuns of %s/%s: %w", ns, name, err)
				}
				f := &Finished{PipelineRun: got, TaskRuns: map[string]*pipelinev1.TaskRun{}}
				for i := range list.Items {
					f.TaskRuns[list.Items[i].Labels["tekton.dev/pipelineTask"]] = &list.Items[i]
				}
				return f, nil
			}
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("PipelineRun %s/%s did not finish: %w (last read error: %v)", ns, name, ctx.Err(), err)
		case <-time.After(250 * time.Millisecond):
		}
	}
}
