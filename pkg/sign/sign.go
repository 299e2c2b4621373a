package sign

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/chainseal/chainseal/pkg/artifacts"
	"github.com/chainseal/chainseal/pkg/config"
	"github.com/chainseal/chainseal/pkg/provenance"
	"github.com/chainseal/chainseal/pkg/registryauth"
	"github.com/chainseal/chainseal/pkg/seal"
	"github.com/chainseal/chainseal/pkg/signing"
	"github.com/chainseal/chainseal/pkg/storage"
	"github.com/chainseal/chainseal/pkg/tekton"
	"github.com/chainseal/chainseal/pkg/version"
)

// ErrNothingToSign: the run named no artifacts, or every signer is none.
// Not a failure of chainseal; the caller decides what it means.
var ErrNothingToSign = errors.New("nothing to sign")

// Outcome is what Run did. Input is set once the run was planned (also on
// a dry run); Report once sealing started.
type Outcome struct {
	Config config.Config
	Input  seal.Input
	Report *seal.Report
	// images are the image subjects, for chainseal.check-images-exist.
	images []artifacts.Subject
}

// Run seals one PipelineRun within o.Timeout. On error the Outcome still
// says how far it got (the Report lists what was stored).
func Run(ctx context.Context, o Options) (*Outcome, error) {
	if o.Timeout <= 0 {
		return run(ctx, o)
	}
	deadline := fmt.Errorf("chainseal sign did not finish within %s (--timeout)", o.Timeout)
	ctx, cancel := context.WithTimeoutCause(ctx, o.Timeout, deadline)
	defer cancel()
	out, err := run(ctx, o)
	if err != nil && context.Cause(ctx) == deadline && !strings.Contains(err.Error(), deadline.Error()) {
		err = fmt.Errorf("%w: %w", deadline, err)
	}
	return out, err
}

func run(ctx context.Context, o Options) (*Outcome, error) {
	log := o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	out := &Outcome{}
	if o.StepForm {
		return runStep(ctx, o, out, log)
	}
	if err := checkFromFiles(o); err != nil {
		return out, err
	}

	// Read from the API, the run's namespace is known before the run is:
	// its config comes first, and the signer loads while the run is read
	// (a cosign key's scrypt, a Vault login or a KMS handshake takes
	// longer than the reads).
	var signers *signing.Loader
	fromAPI := len(o.FromFiles) == 0
	if fromAPI {
		if err := configure(ctx, o, out, log); err != nil {
			return out, err
		}
		if !o.DryRun {
			signers = preload(ctx, o, out.Config, log)
		}
	}

	start := time.Now()
	snap, err := snapshot(ctx, o)
	if err != nil {
		return out, err
	}
	// The namespace's config is the run's namespace's, also when the run
	// came from files.
	if o.Namespace == "" {
		o.Namespace = snap.PipelineRun.Namespace
	}
	for _, ex := range snap.Excluded {
		log.Info("left out of the provenance", "taskrun", ex.Name, "pipelineTask", ex.PipelineTask, "reason", string(ex.Reason))
	}
	log.Info("run read", "taskruns", len(snap.TaskRuns), "duration", since(start))

	if !fromAPI {
		if err := configure(ctx, o, out, log); err != nil {
			return out, err
		}
	}
	cfg := out.Config

	start = time.Now()
	if out.Input, out.images, err = build(snap, cfg, log); err != nil {
		return out, err
	}
	log.Info("provenance built", "statements", len(out.Input.Statements), "image signatures", len(out.Input.Images), "duration", since(start))
	if o.DryRun {
		return out, nil
	}
	return sealAll(ctx, o, out, runServiceAccount(snap.PipelineRun.Spec.TaskRunTemplate.ServiceAccountName), signers, log)
}

// configure loads the config into out and logs it.
func configure(ctx context.Context, o Options, out *Outcome, log *slog.Logger) error {
	start := time.Now()
	cfg, err := loadConfig(ctx, o, log)
	if err != nil {
		return err
	}
	out.Config = cfg
	if err := checkFromFilesSigners(o, cfg); err != nil {
		return err
	}
	log.Info("config loaded", "format", cfg.PipelineRun.Format, "signer", cfg.PipelineRun.Signer,
		"storage", cfg.PipelineRun.Storage, "transparency", cfg.Transparency.Enabled, "duration", since(start))
	return nil
}

// preload starts loading the PipelineRun attestations' signer and returns
// the loader that will hand it to the seal. A failure is kept for the seal
// to report, and only if it signs with that signer.
func preload(ctx context.Context, o Options, cfg config.Config, log *slog.Logger) *signing.Loader {
	l := signing.NewLoader(cfg, signing.WithSecrets(secrets(o)), signing.WithLogger(log))
	if !cfg.PipelineRun.Enabled() {
		return l
	}
	go func() {
		ctx, cancel := context.WithTimeoutCause(ctx, seal.DefaultCallTimeout, fmt.Errorf("the signing call took longer than %s", seal.DefaultCallTimeout))
		defer cancel()
		_, _ = l.Signer(ctx, cfg.PipelineRun.Signer)
	}()
	return l
}

// sealAll signs and stores out.Input. runSA is the ServiceAccount the run
// ran as, whose registry credentials come first.
func sealAll(ctx context.Context, o Options, out *Outcome, runSA string, signers *signing.Loader, log *slog.Logger) (*Outcome, error) {
	cfg := out.Config
	keychain := registryauth.Keychain(ctx, o.Kube, registryauth.Sources{
		Namespace: o.Namespace, RunServiceAccount: runSA, ServiceAccount: o.ServiceAccount,
	}, log)
	if cfg.CheckImagesExist {
		if err := checkImagesExist(ctx, out.images, keychain); err != nil {
			return out, err
		}
		log.Info("every image subject is in its registry", "images", len(out.images))
	}
	sealer, err := seal.Open(ctx, out.Input, seal.Setup{
		Deps: storage.Deps{
			Config: cfg, Kube: o.Kube, Tekton: o.Tekton, Log: log, Keychain: keychain,
		},
		Secrets:        secrets(o),
		RekorPublicKey: o.RekorPublicKey,
		Signers:        signers,
		// A run read from the API is marked signed, as Chains marks it,
		// whatever the storage; one read from files may not be there.
		MarkRuns: len(o.FromFiles) == 0,
	})
	if err != nil {
		return out, err
	}
	out.Report, err = sealer.Seal(ctx, out.Input)
	return out, err
}

func snapshot(ctx context.Context, o Options) (*tekton.Snapshot, error) {
	var topts []tekton.Option
	if o.PipelineRunUID != "" {
		topts = append(topts, tekton.WithUID(o.PipelineRunUID))
	}
	if o.OwnTaskRun != "" {
		topts = append(topts, tekton.WithOwnTaskRun(o.OwnTaskRun))
	}
	if len(o.FromFiles) > 0 {
		return tekton.FromFiles(o.FromFiles, topts...)
	}
	if o.Tekton == nil {
		return nil, errors.New("no Kubernetes API to read the run from: run in a pod, pass a kubeconfig, or read the run from files")
	}
	if o.Namespace == "" || o.PipelineRun == "" {
		return nil, errors.New("name the run by its namespace and PipelineRun name, or read it from files")
	}
	return tekton.FromAPI(ctx, o.Tekton, o.Namespace, o.PipelineRun, topts...)
}

// loadConfig lays the platform's settings (when there is an API and the
// platform governs the namespace) over the namespace's ConfigMap and the
// given pairs, which may only narrow them.
func loadConfig(ctx context.Context, o Options, log *slog.Logger) (config.Config, error) {
	cm := map[string]string{}
	if o.Kube != nil && o.ConfigMap != "" && o.Namespace != "" {
		var err error
		if cm, err = config.FromConfigMap(ctx, o.Kube, o.Namespace, o.ConfigMap); err != nil {
			return config.Config{}, err
		}
	}
	tenant := config.Merge(cm, o.Config)
	tenantSource := fmt.Sprintf("ConfigMap %s/%s and --config flags", o.Namespace, o.ConfigMap)
	platform, err := loadPlatform(ctx, o, log)
	if err != nil {
		return config.Config{}, err
	}
	if platform != nil && len(o.RekorPublicKey) > 0 {
		// The Task's rekor-public-key param is the tenant's too.
		tenant[config.KeyTransparencyPublicKey] = string(o.RekorPublicKey)
		tenantSource += ", --rekor-public-key"
	}
	merged, err := platform.Apply(tenant, tenantSource)
	if err != nil {
		return config.Config{}, err
	}
	cfg, err := config.Parse(merged)
	if err != nil {
		return config.Config{}, fmt.Errorf("invalid configuration (%s):\n%w", tenantSource, err)
	}
	if platform != nil {
		cfg.Platform = platform.Source
	}
	return cfg, nil
}

// loadPlatform reads the platform's settings for the run's namespace; nil
// when there are none for it.
func loadPlatform(ctx context.Context, o Options, log *slog.Logger) (*config.Platform, error) {
	if o.Kube == nil || o.PlatformConfig == "" {
		return nil, nil
	}
	data, absent, err := config.FromPlatformConfigMap(ctx, o.Kube, o.PlatformConfig)
	if err != nil {
		return nil, err
	}
	if data == nil {
		log.Info("no platform settings: the namespace's own config decides builder.id, the signer and the trusted log", "why", absent)
		return nil, nil
	}
	p, err := config.PlatformFor("ConfigMap "+o.PlatformConfig, data, o.Namespace)
	if err != nil {
		return nil, fmt.Errorf("the platform's settings: %w", err)
	}
	if p == nil {
		log.Info("no platform settings for this namespace", "configmap", o.PlatformConfig)
		return nil, nil
	}
	log.Info("platform settings", "configmap", o.PlatformConfig, "keys", len(p.Values))
	return p, nil
}

// logLeftOut logs what the provenance leaves unsigned, and why.
func logLeftOut(res *provenance.Result, log *slog.Logger) {
	if res == nil {
		return
	}
	for _, p := range res.Problems {
		log.Warn("not signed", "problem", p.String())
	}
	for _, sk := range res.SkippedTaskRuns {
		log.Info("no TaskRun statement", "taskrun", sk.Name, "reason", sk.Reason)
	}
}

// build turns the snapshot into what seal signs.
func build(snap *tekton.Snapshot, cfg config.Config, log *slog.Logger) (seal.Input, []artifacts.Subject, error) {
	res, err := provenance.Build(snap, cfg, provenance.WithVersion(version.Short()))
	logLeftOut(res, log)
	// No artifacts at the pipeline level is not an error while TaskRun
	// statements remain to be sealed.
	noArtifacts := errors.Is(err, provenance.ErrNoArtifacts)
	if err != nil && !noArtifacts {
		return seal.Input{}, nil, err
	}
	pr := snap.PipelineRun
	in := seal.Plan(res, storage.Object{Kind: "PipelineRun", Namespace: pr.Namespace, Name: pr.Name, UID: string(pr.UID)}, cfg)
	if cfg.Transparency.Manual {
		in.ManualTransparency(func(o storage.Object) map[string]string { return annotationsOf(snap, o) })
	}
	if in.Empty() {
		return in, nil, nothingToSign(in.Run, noArtifacts, config.KeyPipelineRunSigner, config.KeyTaskRunSigner)
	}
	return in, imageClaims(res), nil
}

// nothingToSign says why run o seals nothing: it names no artifacts, or
// both signers that would sign something are none.
func nothingToSign(o storage.Object, noArtifacts bool, signers ...string) error {
	if noArtifacts {
		return fmt.Errorf("%w: %s %s/%s names no artifacts with a valid digest (IMAGE_URL/IMAGE_DIGEST, IMAGES, *_ARTIFACT_OUTPUTS, ...): nothing was signed", ErrNothingToSign, o.Kind, o.Namespace, o.Name)
	}
	return fmt.Errorf("%w for %s %s/%s: %s are both none", ErrNothingToSign, o.Kind, o.Namespace, o.Name, strings.Join(signers, " and "))
}

// runServiceAccount is the ServiceAccount a run ran as, whose registry
// credentials Chains used (a PipelineRun's taskRunTemplate.serviceAccountName,
// a TaskRun's serviceAccountName), else Tekton's default, "default".
func runServiceAccount(sa string) string {
	if sa != "" {
		return sa
	}
	return "default"
}

// annotationsOf are the annotations of the run or TaskRun o, as read.
func annotationsOf(snap *tekton.Snapshot, o storage.Object) map[string]string {
	if string(snap.PipelineRun.UID) == o.UID {
		return snap.PipelineRun.Annotations
	}
	for _, tr := range snap.TaskRuns {
		if string(tr.TaskRun.UID) == o.UID {
			return tr.TaskRun.Annotations
		}
	}
	return nil
}

func secrets(o Options) signing.Secrets {
	switch {
	case o.SecretDir != "":
		return signing.DirSecrets(o.SecretDir)
	case o.Kube != nil:
		return signing.KubeSecret(o.Kube, o.Namespace, o.Secret)
	}
	return nil
}

func since(t time.Time) string { return time.Since(t).Round(time.Millisecond).String() }
