package sign

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"k8s.io/apimachinery/pkg/types"

	"github.com/chainseal/chainseal/pkg/config"
	"github.com/chainseal/chainseal/pkg/provenance"
	"github.com/chainseal/chainseal/pkg/seal"
	"github.com/chainseal/chainseal/pkg/storage"
	"github.com/chainseal/chainseal/pkg/tekton"
	"github.com/chainseal/chainseal/pkg/version"
)

// runStep seals the TaskRun chainseal runs in, from its last step: it
// waits for Tekton to record the steps before it, and signs that record.
func runStep(ctx context.Context, o Options, out *Outcome, log *slog.Logger) (*Outcome, error) {
	if o.Tekton == nil {
		return out, errors.New("the step form reads its TaskRun through the Kubernetes API: run it as a step of the TaskRun (or pass a kubeconfig)")
	}
	if o.Namespace == "" || o.OwnTaskRun == "" {
		return out, errors.New("the step form needs the TaskRun's namespace and name ($(context.taskRun.namespace), $(context.taskRun.name))")
	}
	start := time.Now()
	tr, err := tekton.OwnTaskRun(ctx, o.Tekton, o.Namespace, o.OwnTaskRun, types.UID(o.TaskRunUID))
	if err != nil {
		return out, err
	}
	log.Info("TaskRun read: the steps before chainseal are recorded", "taskrun", tr.Name, "steps", len(tr.Status.Steps),
		"results", len(tr.Status.Results), "failed", tr.Failed, "duration", since(start))

	start = time.Now()
	if out.Config, err = loadConfig(ctx, o, log); err != nil {
		return out, err
	}
	cfg := out.Config
	log.Info("config loaded", "format", cfg.TaskRun.Format, "signer", cfg.TaskRun.Signer,
		"storage", cfg.TaskRun.Storage, "transparency", cfg.Transparency.Enabled, "duration", since(start))

	start = time.Now()
	res, err := provenance.BuildTaskRun(tr, cfg, provenance.WithVersion(version.Short()))
	logLeftOut(res, log)
	noArtifacts := errors.Is(err, provenance.ErrNoArtifacts)
	if err != nil && !noArtifacts {
		return out, err
	}
	out.images = imageClaims(res)
	out.Input = seal.Plan(res, storage.Object{Kind: "TaskRun", Namespace: tr.Namespace, Name: tr.Name, UID: string(tr.UID)}, cfg)
	if cfg.Transparency.Manual {
		out.Input.ManualTransparency(func(storage.Object) map[string]string { return tr.Annotations })
	}
	if out.Input.Empty() {
		return out, nothingToSign(out.Input.Run, noArtifacts, config.KeyTaskRunSigner, config.KeyOCISigner)
	}
	log.Info("provenance built", "statements", len(out.Input.Statements), "image signatures", len(out.Input.Images), "duration", since(start))
	if o.DryRun {
		return out, nil
	}
	return sealAll(ctx, o, out, runServiceAccount(tr.Spec.ServiceAccountName), nil, log)
}
