package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	tektonclient "github.com/tektoncd/pipeline/pkg/client/clientset/versioned"

	"github.com/chainseal/chainseal/pkg/artifacts"
	"github.com/chainseal/chainseal/pkg/config"
	"github.com/chainseal/chainseal/pkg/provenance"
	"github.com/chainseal/chainseal/pkg/seal"
	"github.com/chainseal/chainseal/pkg/storage"
	"github.com/chainseal/chainseal/pkg/tekton"
	"github.com/chainseal/chainseal/pkg/version"
)

// exitNoArtifacts is the exit code when the run named nothing to sign: not
// a failure of chainseal, but distinct from success so a pipeline can tell.
const exitNoArtifacts = 3

type noArtifactsError struct{ error }

func (noArtifactsError) ExitCode() int   { return exitNoArtifacts }
func (e noArtifactsError) Unwrap() error { return e.error }

// build reads the run and turns it into what seal signs.
func (o *signOptions) build(ctx context.Context, tk tektonclient.Interface, cfg config.Config, log *slog.Logger) (seal.Input, error) {
	var topts []tekton.Option
	if o.pipelineRunUID != "" {
		topts = append(topts, tekton.WithUID(o.pipelineRunUID))
	}
	if o.ownTaskRun != "" {
		topts = append(topts, tekton.WithOwnTaskRun(o.ownTaskRun))
	}
	var snap *tekton.Snapshot
	var err error
	if len(o.fromFiles) > 0 {
		snap, err = tekton.FromFiles(o.fromFiles, topts...)
	} else {
		snap, err = tekton.FromAPI(ctx, tk, o.namespace, o.pipelineRun, topts...)
	}
	if err != nil {
		return seal.Input{}, err
	}
	if o.namespace == "" {
		o.namespace = snap.PipelineRun.Namespace
	}
	for _, ex := range snap.Excluded {
		log.Info("left out of the provenance", "taskrun", ex.Name, "pipelineTask", ex.PipelineTask, "reason", string(ex.Reason))
	}

	res, err := provenance.Build(snap, cfg, provenance.WithVersion(version.Short()))
	if res != nil {
		for _, p := range res.Problems {
			log.Warn("not signed", "problem", p.String())
		}
		for _, sk := range res.SkippedTaskRuns {
			log.Info("no TaskRun statement", "taskrun", sk.Name, "reason", sk.Reason)
		}
	}
	// No artifacts at the pipeline level is not an error while TaskRun
	// statements remain to be sealed.
	noArtifacts := errors.Is(err, provenance.ErrNoArtifacts)
	if err != nil && !noArtifacts {
		return seal.Input{}, err
	}
	var in seal.Input
	pr := storage.Object{Kind: "PipelineRun", Namespace: snap.PipelineRun.Namespace, Name: snap.PipelineRun.Name, UID: string(snap.PipelineRun.UID)}
	if cfg.PipelineRun.Enabled() {
		for _, st := range res.Statements {
			in.Statements = append(in.Statements, seal.Unsigned{
				Object: pr, Format: st.Format, PayloadType: st.PayloadType, Payload: st.Body,
				Subjects: subjects(st.Subjects), Signer: cfg.PipelineRun.Signer, Storage: cfg.PipelineRun.Storage,
			})
		}
	}
	for _, st := range res.TaskRunStatements {
		storages := cfg.TaskRun.Storage
		if !st.Wrapped() {
			// A raw tekton payload has no subjects: there is no image to
			// attach it to.
			storages = without(storages, config.StorageOCI)
		}
		in.Statements = append(in.Statements, seal.Unsigned{
			Object: storage.Object{Kind: "TaskRun", Namespace: st.Namespace, Name: st.Name, UID: st.UID},
			Format: st.Format, PayloadType: st.PayloadType, Payload: st.Body,
			Subjects: subjects(st.Subjects), Signer: cfg.TaskRun.Signer, Storage: storages,
		})
	}
	if cfg.OCI.Enabled() {
		for _, sig := range res.Signatures {
			for _, s := range sig.Subjects {
				in.Images = append(in.Images, seal.UnsignedImage{
					Image: s.Name + "@" + s.DigestString(), Payload: sig.Body, Signer: cfg.OCI.Signer, Storage: cfg.OCI.Storage,
				})
			}
		}
	}
	if len(in.Statements) == 0 {
		if noArtifacts {
			return seal.Input{}, noArtifactsError{fmt.Errorf("PipelineRun %s/%s names no artifacts with a valid digest (IMAGE_URL/IMAGE_DIGEST, IMAGES, *_ARTIFACT_OUTPUTS, ...): nothing was signed", snap.PipelineRun.Namespace, snap.PipelineRun.Name)}
		}
		return seal.Input{}, noArtifactsError{fmt.Errorf("nothing to sign for PipelineRun %s/%s: %s and %s are both none", snap.PipelineRun.Namespace, snap.PipelineRun.Name, config.KeyPipelineRunSigner, config.KeyTaskRunSigner)}
	}
	return in, nil
}

func subjects(in []artifacts.Subject) []storage.Subject {
	out := make([]storage.Subject, 0, len(in))
	for _, s := range in {
		out = append(out, storage.Subject{Name: s.Name, Digest: s.Digest})
	}
	return out
}

func without(list []string, name string) []string {
	var out []string
	for _, s := range list {
		if s != name {
			out = append(out, s)
		}
	}
	return out
}
