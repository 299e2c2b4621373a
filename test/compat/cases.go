package compat

import (
	"fmt"
	"strconv"

	"github.com/chainseal/chainseal/pkg/config"
	"github.com/chainseal/chainseal/pkg/provenance"
	"github.com/chainseal/chainseal/pkg/provenance/provenancetest"
	"github.com/chainseal/chainseal/pkg/tekton"
	"github.com/chainseal/chainseal/pkg/tekton/tektontest"
)

// Case is one fixture run through both tools with the same settings.
type Case struct {
	Name    string
	Run     func() *tektontest.Run
	Options Options
	// Extra are chainseal-only chains-config keys (e.g. allowing failed tasks).
	Extra []string
}

// PipelineRunCases are chainseal's golden fixtures that produce a
// statement, in every format (SLSA v1.0 as slsa/v2alpha4 and as
// slsa/v2alpha3, SLSA v0.2) and both build types.
func PipelineRunCases() []Case {
	slsa1 := Options{Format: ChainsSLSA1, DeepInspection: true}
	slsa02 := Options{Format: ChainsSLSA02, DeepInspection: true}
	v2alpha3 := Options{Format: ChainsV2alpha3, DeepInspection: true}
	tektonType := Options{Format: ChainsSLSA1, DeepInspection: true, BuildType: config.BuildTypeSLSATekton}
	shallow := Options{Format: ChainsSLSA1}
	complete := func() *tektontest.Run { return provenancetest.BuildPush().Complete() }
	allowFailed := []string{config.KeyAllowFailedTasks, "true"}
	var out []Case
	for _, o := range []struct {
		suffix string
		opts   Options
	}{{"", slsa1}, {"-slsa02", slsa02}, {"-v2alpha3", v2alpha3}} {
		if o.suffix != "-v2alpha3" {
			// Its only image is a step result, which Chains' v2alpha3 does
			// not read: no subject, so chainseal makes no statement (the
			// TaskRun statement is compared in TaskRunCases).
			out = append(out, Case{Name: "stepaction-results" + o.suffix, Run: provenancetest.StepActionResults, Options: o.opts})
		}
		out = append(out,
			Case{Name: "build-push" + o.suffix, Run: provenancetest.BuildPush, Options: o.opts},
			Case{Name: "build-push-complete" + o.suffix, Run: complete, Options: o.opts},
			Case{Name: "bundle" + o.suffix, Run: provenancetest.Bundle, Options: o.opts},
			Case{Name: "git" + o.suffix, Run: provenancetest.Git, Options: o.opts},
			Case{Name: "matrix" + o.suffix, Run: provenancetest.Matrix, Options: o.opts},
			Case{Name: "retries" + o.suffix, Run: provenancetest.Retries, Options: o.opts},
			Case{Name: "failed-task-allowed" + o.suffix, Run: provenancetest.Failed, Options: o.opts, Extra: allowFailed},
			Case{Name: "skipped-tasks" + o.suffix, Run: provenancetest.Skipped, Options: o.opts, Extra: allowFailed},
			Case{Name: "invalid-reported" + o.suffix, Run: provenancetest.Invalid, Options: o.opts},
			Case{Name: "remote-stepactions" + o.suffix, Run: provenancetest.RemoteStepActions, Options: o.opts},
			Case{Name: "tep0147-artifacts" + o.suffix, Run: provenancetest.TEP0147Artifacts, Options: o.opts},
			Case{Name: "structured-results" + o.suffix, Run: provenancetest.StructuredResults, Options: o.opts},
			Case{Name: "hermetic" + o.suffix, Run: provenancetest.Hermetic, Options: o.opts},
		)
	}
	return append(out,
		Case{Name: "build-push-no-deep-inspection", Run: provenancetest.BuildPush, Options: shallow},
		Case{Name: "build-push-slsa-tekton", Run: provenancetest.BuildPush, Options: tektonType},
		Case{Name: "bundle-slsa-tekton", Run: provenancetest.Bundle, Options: tektonType},
	)
}

// chainsealConfig is the chainseal config matching the Chains options.
func (c Case) chainsealConfig(kind string) (config.Config, error) {
	formatKey := config.KeyPipelineRunFormat
	if kind == "taskrun" {
		formatKey = config.KeyTaskRunFormat
	}
	kv := map[string]string{
		formatKey:                           c.Options.Format,
		config.KeyPipelineRunDeepInspection: strconv.FormatBool(c.Options.DeepInspection),
		config.KeyBuilderID:                 config.DefaultBuilderID,
	}
	if c.Options.BuildType != "" {
		kv[config.KeyBuildType] = c.Options.BuildType
	}
	for i := 0; i+1 < len(c.Extra); i += 2 {
		kv[c.Extra[i]] = c.Extra[i+1]
	}
	if kind == "taskrun" {
		kv[config.KeyTaskRunSigner] = config.SignerX509
	}
	cfg, err := config.Parse(kv)
	if err != nil {
		return config.Config{}, fmt.Errorf("case %s: %w", c.Name, err)
	}
	return cfg, nil
}

// Both builds the case's PipelineRun statement with Chains and with chainseal.
func (c Case) Both() (chains, chainseal []byte, err error) {
	r := c.Run()
	chains, err = ChainsPipelineRun(r.PipelineRun, r.TaskRuns, c.Options)
	if err != nil {
		return nil, nil, err
	}
	cfg, err := c.chainsealConfig("pipelinerun")
	if err != nil {
		return nil, nil, err
	}
	snap, err := tekton.Cover(r.PipelineRun, r.TaskRuns, provenancetest.Own)
	if err != nil {
		return nil, nil, fmt.Errorf("case %s: %w", c.Name, err)
	}
	res, err := provenance.Build(snap, cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("case %s: chainseal: %w", c.Name, err)
	}
	return chains, res.Statements[0].Body, nil
}
