package provenance

import (
	"fmt"
	"strings"

	"github.com/chainseal/chainseal/pkg/config"
)

// format is one provenance format: what it builds for a PipelineRun and for
// one TaskRun (nil: the format has no such statement), and how it is signed.
type format struct {
	name string
	// payloadType is PayloadTypeInToto for an in-toto statement (DSSE, and
	// it needs a subject), or PayloadTypeNone for a payload signed as it is.
	payloadType string
	pipelineRun func(pipelineRunInput) ([]byte, error)
	taskRun     func(taskRunInput) ([]byte, error)
	// noStepResults: subjects and inputs are read without step
	// (StepAction) results, as Chains' slsa/v2alpha3 reads them.
	noStepResults bool
}

// formats is the one table of provenance formats, in the order error
// messages list them (chainseal's default first). Adding a format is one
// entry here and its name in config.ProvenanceFormats, which validates the
// config keys; TestFormatsAreConfigs keeps the two equal.
var formats = []format{
	{name: config.FormatSLSAv2alpha4, payloadType: PayloadTypeInToto, pipelineRun: pipelineRunSLSA1, taskRun: taskRunSLSA1},
	{name: config.FormatSLSAv2alpha3, payloadType: PayloadTypeInToto, pipelineRun: pipelineRunV2alpha3, taskRun: taskRunV2alpha3, noStepResults: true},
	{name: config.FormatInToto, payloadType: PayloadTypeInToto, pipelineRun: pipelineRunSLSA02, taskRun: taskRunSLSA02},
	{name: config.FormatSLSAv02, payloadType: PayloadTypeInToto, pipelineRun: pipelineRunSLSA02, taskRun: taskRunSLSA02},
	{name: config.FormatTekton, payloadType: PayloadTypeNone, taskRun: taskRunTekton},
}

// defaultFormat is used when a Config leaves a format empty (one not made
// by config.Parse, which fills the same default).
const defaultFormat = config.FormatSLSAv2alpha4

// readsNoStepResults reports whether the named format reads no step
// results (false for a name that is no format: building it fails later).
func readsNoStepResults(name string) bool {
	f, ok := lookup(name)
	return ok && f.noStepResults
}

// statement reports whether the format makes in-toto statements, which
// need at least one subject.
func (f format) statement() bool { return f.payloadType == PayloadTypeInToto }

// pipelineRunFormat is the format of artifacts.pipelinerun.format.
func pipelineRunFormat(name string) (format, error) {
	if f, ok := lookup(name); ok && f.pipelineRun != nil {
		return f, nil
	}
	return format{}, fmt.Errorf("building provenance: format %q (%s) is not a provenance format: use %s",
		name, config.KeyPipelineRunFormat, names(func(f format) bool { return f.pipelineRun != nil }))
}

// taskRunFormat is the format of artifacts.taskrun.format.
func taskRunFormat(name string) (format, error) {
	if f, ok := lookup(name); ok && f.taskRun != nil {
		return f, nil
	}
	return format{}, fmt.Errorf("building TaskRun provenance: format %q (%s) is not a TaskRun format: use %s",
		name, config.KeyTaskRunFormat, names(func(f format) bool { return f.taskRun != nil }))
}

// lookup finds the named format; "" is the default.
func lookup(name string) (format, bool) {
	if name == "" {
		name = defaultFormat
	}
	for _, f := range formats {
		if f.name == name {
			return f, true
		}
	}
	return format{}, false
}

// names lists the formats that have what has asks, as "a, b or c".
func names(has func(format) bool) string {
	var out []string
	for _, f := range formats {
		if has(f) {
			out = append(out, f.name)
		}
	}
	if len(out) < 2 {
		return strings.Join(out, "")
	}
	return strings.Join(out[:len(out)-1], ", ") + " or " + out[len(out)-1]
}
