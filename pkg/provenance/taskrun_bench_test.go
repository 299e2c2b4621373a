package provenance_test

import (
	"fmt"
	"testing"

	"github.com/chainseal/chainseal/pkg/config"
	"github.com/chainseal/chainseal/pkg/provenance"
)

// BenchmarkBuildWithTaskRuns measures Build for a PipelineRun of 10
// TaskRuns with TaskRun signing off (the baseline) and on in each format;
// the difference is the extra cost of TaskRun statements.
func BenchmarkBuildWithTaskRuns(b *testing.B) {
	const n = 10
	for _, format := range []string{"off", config.FormatSLSAv2alpha4, config.FormatInToto, config.FormatTekton} {
		b.Run(fmt.Sprintf("taskruns=%d/taskrun-format=%s", n, format), func(b *testing.B) {
			s := snap(b, bigRun(n))
			c := cfg(b)
			if format != "off" {
				c = taskRunCfg(b, format)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := provenance.Build(s, c); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
