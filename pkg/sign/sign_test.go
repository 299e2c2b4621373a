package sign

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	tektonclient "github.com/tektoncd/pipeline/pkg/client/clientset/versioned"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/rest"

	"github.com/chainseal/chainseal/internal/sigtest"
	"github.com/chainseal/chainseal/pkg/config"
	"github.com/chainseal/chainseal/pkg/kubeclient/typed"
	"github.com/chainseal/chainseal/pkg/tekton/tektontest"
)

func buildRun(ns string) *tektontest.Run {
	r := tektontest.NewRun(ns, "release-7q2xk")
	r.Add(tektontest.Task{Name: "build", Steps: []string{"build"}, Results: []string{
		"IMAGE_URL", "registry.example/payments/api:1.2",
		"IMAGE_DIGEST", "sha256:" + tektontest.Digest("api"),
	}})
	return r
}

// With the run read from files and a cluster to read config from, the
// namespace's ConfigMap applies although no namespace was named: the
// namespace is the run's own. (It used to be filled in after the config
// was loaded, so the ConfigMap was silently skipped.)
func TestRunFromFilesReadsTheRunsNamespaceConfig(t *testing.T) {
	kube := fake.NewSimpleClientset(&corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Namespace: "payments", Name: config.DefaultConfigMapName},
		Data:       map[string]string{config.KeyPipelineRunFormat: config.FormatInToto},
	})
	out, err := Run(context.Background(), Options{
		FromFiles: buildRun("payments").WriteFiles(t), ConfigMap: config.DefaultConfigMapName,
		Kube: typed.Core(kube), DryRun: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Input.Statements) == 0 || out.Input.Statements[0].Format != config.FormatInToto {
		t.Fatalf("statements %+v: want the format the namespace's ConfigMap sets (%s)", out.Input.Statements, config.FormatInToto)
	}
	if out.Config.PipelineRun.Format != config.FormatInToto {
		t.Errorf("config format = %q", out.Config.PipelineRun.Format)
	}
}

func TestRunWithoutArtifactsIsNothingToSign(t *testing.T) {
	r := tektontest.NewRun("payments", "lint-only")
	r.Add(tektontest.Task{Name: "lint", Steps: []string{"lint"}})
	_, err := Run(context.Background(), Options{FromFiles: r.WriteFiles(t), DryRun: true})
	if !errors.Is(err, ErrNothingToSign) {
		t.Fatalf("error = %v, want ErrNothingToSign", err)
	}
}

func TestRunNeedsARunToRead(t *testing.T) {
	if _, err := Run(context.Background(), Options{Namespace: "payments", PipelineRun: "x"}); err == nil {
		t.Fatal("ran without an API or files")
	}
}

// Run as a library keeps its deadline too: a hung API server ends the run
// at Options.Timeout with an error naming --timeout.
func TestRunStopsAtItsDeadline(t *testing.T) {
	tk, err := tektonclient.NewForConfig(&rest.Config{Host: sigtest.HungServerDouble(t)})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := Run(context.Background(), Options{Namespace: "payments", PipelineRun: "release-7q2xk", Tekton: tk, Timeout: 300 * time.Millisecond})
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "--timeout") || !strings.Contains(err.Error(), "300ms") {
			t.Errorf("err = %v, want one saying sign did not finish within 300ms (--timeout)", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run still waiting on a hung API server after 10s, with a 300ms timeout")
	}
}

// transparency.enabled: manual logs, as in Chains, only the signatures of
// runs annotated chains.tekton.dev/transparency-upload: "true" and not
// logged before (chains.tekton.dev/transparency); true logs everything.
func TestManualTransparencyFollowsTheRunsAnnotation(t *testing.T) {
	for _, tc := range []struct {
		name       string
		enabled    string
		annotate   map[string]string // on the PipelineRun (and, as Tekton propagates them, its TaskRuns)
		wantLogged bool
	}{
		{"manual, not annotated", "manual", nil, false},
		{"manual, annotated", "manual", map[string]string{"chains.tekton.dev/transparency-upload": "true"}, true},
		{"manual, annotated false", "manual", map[string]string{"chains.tekton.dev/transparency-upload": "false"}, false},
		{"manual, logged before", "manual", map[string]string{"chains.tekton.dev/transparency-upload": "true", "chains.tekton.dev/transparency": "https://rekor.example/api/v1/log/entries?logIndex=1"}, false},
		{"true, not annotated", "true", nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := buildRun("payments")
			r.PipelineRun.Annotations = tc.annotate
			for _, tr := range r.TaskRuns {
				tr.Annotations = tc.annotate
			}
			out, err := Run(context.Background(), Options{FromFiles: r.WriteFiles(t), DryRun: true, Config: map[string]string{
				config.KeyTransparencyEnabled: tc.enabled, config.KeyTaskRunSigner: config.SignerX509,
				config.KeyOCISigner: config.SignerX509, config.KeyOCIStorage: config.StorageOCI,
			}})
			if err != nil {
				t.Fatal(err)
			}
			in := out.Input
			if len(in.Statements) != 2 || len(in.Images) != 1 {
				t.Fatalf("%d statements, %d images; want the PipelineRun's and the TaskRun's, and the image's", len(in.Statements), len(in.Images))
			}
			for _, u := range in.Statements {
				if u.NotLogged == tc.wantLogged {
					t.Errorf("%s: logged %v, want %v", u.Object, !u.NotLogged, tc.wantLogged)
				}
			}
			if in.Images[0].NotLogged == tc.wantLogged || in.Logs() != tc.wantLogged {
				t.Errorf("image logged %v, input logs %v; want %v", !in.Images[0].NotLogged, in.Logs(), tc.wantLogged)
			}
		})
	}
}
