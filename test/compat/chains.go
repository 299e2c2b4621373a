package compat

import (
	"context"
	"fmt"

	intoto "github.com/in-toto/attestation/go/v1"
	"github.com/tektoncd/chains/pkg/chains/formats"
	slsav1 "github.com/tektoncd/chains/pkg/chains/formats/slsa/v1"
	"github.com/tektoncd/chains/pkg/chains/formats/slsa/v2alpha3"
	"github.com/tektoncd/chains/pkg/chains/formats/slsa/v2alpha4"
	"github.com/tektoncd/chains/pkg/chains/objects"
	chainsconfig "github.com/tektoncd/chains/pkg/config"
	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	"go.uber.org/zap"
	"google.golang.org/protobuf/encoding/protojson"
	"knative.dev/pkg/logging"

	"github.com/chainseal/chainseal/pkg/config"
)

// Chains' format names, as chains-config spells them.
const (
	ChainsSLSA1    = string(formats.PayloadTypeSlsav2alpha4) // SLSA v1.0
	ChainsV2alpha3 = string(formats.PayloadTypeSlsav2alpha3) // SLSA v1.0, Chains' older formatter
	ChainsSLSA02   = string(formats.PayloadTypeSlsav1)       // SLSA v0.2
)

// Options are the chains-config settings both tools are given.
type Options struct {
	Format         string // ChainsSLSA1, ChainsV2alpha3 or ChainsSLSA02
	BuildType      string // "" is Chains' default, …/chains/v2/slsa
	DeepInspection bool
	// BuilderID is builder.id; "" is chainseal's default, which the
	// fixtures' cases give both tools (Chains' own default is
	// https://tekton.dev/chains/v2, what a migrated namespace uses).
	BuilderID string
}

func (o Options) chainsConfig() chainsconfig.Config {
	var c chainsconfig.Config
	c.Builder.ID = config.DefaultBuilderID
	if o.BuilderID != "" {
		c.Builder.ID = o.BuilderID
	}
	c.Artifacts.PipelineRuns.DeepInspectionEnabled = o.DeepInspection
	c.BuildDefinition.BuildType = o.BuildType
	return c
}

func (o Options) payloader() (formats.Payloader, error) {
	switch o.Format {
	case ChainsSLSA1:
		return v2alpha4.NewFormatter(o.chainsConfig())
	case ChainsV2alpha3:
		return v2alpha3.NewFormatter(o.chainsConfig())
	case ChainsSLSA02:
		return slsav1.NewFormatter(o.chainsConfig())
	}
	return nil, fmt.Errorf("no Chains formatter for format %q", o.Format)
}

// quiet is a context whose logger discards Chains' informational lines.
func quiet() context.Context {
	return logging.WithLogger(context.Background(), zap.NewNop().Sugar())
}

// ChainsPipelineRun is Chains' statement for a PipelineRun and the TaskRuns
// its controller would have found (every TaskRun of the run; Chains itself
// skips those without a completionTime), as JSON.
func ChainsPipelineRun(pr *v1.PipelineRun, trs []*v1.TaskRun, o Options) ([]byte, error) {
	p, err := o.payloader()
	if err != nil {
		return nil, err
	}
	pro := objects.NewPipelineRunObjectV1(pr.DeepCopy())
	for _, tr := range trs {
		pro.AppendTaskRun(tr.DeepCopy())
	}
	st, err := p.CreatePayload(quiet(), pro)
	if err != nil {
		return nil, fmt.Errorf("Chains %s on PipelineRun %s/%s: %w", o.Format, pr.Namespace, pr.Name, err)
	}
	return statementJSON(st)
}

// ChainsTaskRun is Chains' statement for one TaskRun, as JSON.
func ChainsTaskRun(tr *v1.TaskRun, o Options) ([]byte, error) {
	p, err := o.payloader()
	if err != nil {
		return nil, err
	}
	st, err := p.CreatePayload(quiet(), objects.NewTaskRunObjectV1(tr.DeepCopy()))
	if err != nil {
		return nil, fmt.Errorf("Chains %s on TaskRun %s/%s: %w", o.Format, tr.Namespace, tr.Name, err)
	}
	return statementJSON(st)
}

// statementJSON writes Chains' statement as Chains' signer does
// (getRawPayload in pkg/chains/signing.go): protojson for an in-toto
// Statement, value or pointer.
func statementJSON(st any) ([]byte, error) {
	switch v := st.(type) {
	case intoto.Statement:
		return protojson.Marshal(&v)
	case *intoto.Statement:
		if v != nil {
			return protojson.Marshal(v)
		}
	}
	return nil, fmt.Errorf("Chains returned a %T, not an in-toto Statement", st)
}
