package provenance

import (
	"slices"
	"testing"

	"github.com/chainseal/chainseal/pkg/config"
)

// config validates the format keys with its own list of names (it cannot
// import this package): every name it accepts must have a builder here, and
// every format here must be accepted there.
func TestFormatsAreConfigs(t *testing.T) {
	var have []string
	for _, f := range formats {
		if f.pipelineRun == nil && f.taskRun == nil {
			t.Errorf("format %q builds nothing", f.name)
		}
		have = append(have, f.name)
	}
	slices.Sort(have)
	want := config.ProvenanceFormats()
	slices.Sort(want)
	if !slices.Equal(have, want) {
		t.Errorf("formats table has %q, config.ProvenanceFormats has %q", have, want)
	}
	if d := config.Defaults()[config.KeyPipelineRunFormat]; d != defaultFormat {
		t.Errorf("config's default format is %q, this package's %q", d, defaultFormat)
	}
}
