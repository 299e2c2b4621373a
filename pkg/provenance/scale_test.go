package provenance_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/chainseal/chainseal/pkg/provenance"
	"github.com/chainseal/chainseal/pkg/provenance/provenancetest"
	"github.com/chainseal/chainseal/pkg/tekton/tektontest"
)

func bigRun(n int) *tektontest.Run { return provenancetest.Big(n) }

func TestThousandTaskRuns(t *testing.T) {
	res, err := provenance.Build(snap(t, bigRun(1000)), cfg(t), provenance.WithVersion("v0.0.0-test"))
	if err != nil {
		t.Fatal(err)
	}
	body := res.Statements[0].Body
	var st struct {
		Subject   []json.RawMessage `json:"subject"`
		Predicate struct {
			BuildDefinition struct {
				ResolvedDependencies []json.RawMessage `json:"resolvedDependencies"`
			} `json:"buildDefinition"`
			RunDetails struct {
				Byproducts []json.RawMessage `json:"byproducts"`
			} `json:"runDetails"`
		} `json:"predicate"`
	}
	if err := json.Unmarshal(body, &st); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(body)
	summary := fmt.Sprintf("subjects %d\nresolvedDependencies %d\nbyproducts %d\nsimplesigning %d\nbytes %d\nsha256 %s\n",
		len(st.Subject), len(st.Predicate.BuildDefinition.ResolvedDependencies), len(st.Predicate.RunDetails.Byproducts),
		len(res.Signatures), len(body), hex.EncodeToString(sum[:]))
	if len(st.Subject) != 1000 || len(res.Signatures) != 1000 {
		t.Errorf("summary:\n%s", summary)
	}
	checkGolden(t, "thousand-taskruns", []byte(summary))
}

// Every statement Build returns passes in-toto's own validators (Build
// checks this too; this test holds it to it from the outside).
func TestStatementsPassInTotoValidators(t *testing.T) {
	for _, run := range []*tektontest.Run{buildPush(), bigRun(3)} {
		res, err := provenance.Build(snap(t, run), cfg(t))
		if err != nil {
			t.Fatal(err)
		}
		_, p := validSLSA1(t, res.Statements[0].Body)
		if p.GetRunDetails().GetMetadata().GetInvocationId() != string(run.PipelineRun.UID) {
			t.Errorf("invocationId = %q", p.GetRunDetails().GetMetadata().GetInvocationId())
		}
		if p.GetBuildDefinition().GetInternalParameters().GetFields()["chainseal"].GetStructValue().GetFields()["pipelineRunCompleted"].GetBoolValue() {
			t.Error("a running PipelineRun is marked completed")
		}
	}
}

func BenchmarkBuild(b *testing.B) {
	for _, n := range []int{1, 10, 100, 1000} {
		b.Run(fmt.Sprintf("taskruns=%d", n), func(b *testing.B) {
			s := snap(b, bigRun(n))
			c := cfg(b)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := provenance.Build(s, c); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n)/1e3, "µs/taskrun")
		})
	}
}
