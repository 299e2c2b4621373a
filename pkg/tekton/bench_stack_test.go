//go:build stack

package tekton_test

import (
	"context"
	"testing"

	"github.com/chainseal/chainseal/internal/kubetest"
	"github.com/chainseal/chainseal/internal/stacktest"
	"github.com/chainseal/chainseal/pkg/kubeclient"
	"github.com/chainseal/chainseal/pkg/provenance/provenancetest"
	"github.com/chainseal/chainseal/pkg/tekton"
	tektonclient "github.com/tektoncd/pipeline/pkg/client/clientset/versioned"
)

// BenchmarkFromAPIWide reads a PipelineRun of 1,000 TaskRuns from the
// stack's kube-apiserver: with client-go's typed client (get, then a list
// read whole and decoded at once) and with kubeclient's (get and list side
// by side, the list decoded as it arrives), which sign uses.
//
//	test/stack/exec go test -tags stack -run '^$' -bench FromAPIWide -benchtime 20x ./pkg/tekton/
func BenchmarkFromAPIWide(b *testing.B) {
	env := stacktest.Load(b)
	rc := kubetest.AdminConfig(b, env)
	rc.QPS, rc.Burst = 1000, 2000
	admin := kubetest.Admin(b, env)
	ns := kubetest.Namespace(b, admin, "wide")
	r := provenancetest.Big(1000)
	r.PipelineRun.Namespace = ns
	for _, tr := range r.TaskRuns {
		tr.Namespace = ns
	}
	typed := tektonclient.NewForConfigOrDie(rc)
	uid := apply(b, typed, r)
	_, streamed, err := kubeclient.New(rc)
	if err != nil {
		b.Fatal(err)
	}
	for name, c := range map[string]kubeclient.Tekton{"typed": typed, "kubeclient": streamed} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				s, err := tekton.FromAPI(context.Background(), c, ns, r.PipelineRun.Name, tekton.WithUID(string(uid)))
				if err != nil {
					b.Fatal(err)
				}
				if len(s.TaskRuns) != 1000 {
					b.Fatalf("covered %d TaskRuns", len(s.TaskRuns))
				}
			}
		})
	}
}
