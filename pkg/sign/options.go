package sign

import (
	"log/slog"
	"time"

	"github.com/chainseal/chainseal/pkg/kubeclient"
)

// Options say which run to seal and how. Zero values mean "not given".
type Options struct {
	// Namespace and PipelineRun name the run to read from the API. With
	// FromFiles, Namespace defaults to the PipelineRun's own.
	Namespace   string
	PipelineRun string
	// PipelineRunUID, when set, must be the run's UID.
	PipelineRunUID string
	// OwnTaskRun is chainseal's own TaskRun, left out of the provenance.
	OwnTaskRun string
	// FromFiles reads the PipelineRun and TaskRuns from files instead.
	FromFiles []string
	// StepForm seals the TaskRun OwnTaskRun itself, from its last step (the
	// chainseal-step StepAction), instead of a PipelineRun; TaskRunUID,
	// when set, must be its UID. See tekton.OwnTaskRun.
	StepForm   bool
	TaskRunUID string

	// ConfigMap names the namespace's chains-config ConfigMap ("" for none);
	// Config holds key=value pairs over it.
	ConfigMap string
	Config    map[string]string
	// PlatformConfig names the platform team's ConfigMap, namespace/name
	// ("" for none): the settings tenants may only narrow
	// (config.PlatformKeys), read with the API.
	PlatformConfig string

	// SecretDir is a directory of signing key files (a mounted Secret);
	// otherwise Secret is read through the API.
	SecretDir string
	Secret    string
	// ServiceAccount is chainseal's own: its imagePullSecrets and mounted
	// docker config Secrets hold registry credentials, asked after those of
	// the run's ServiceAccount (pkg/registryauth).
	ServiceAccount string
	// RekorPublicKey pins the transparency log's key (PEM), over
	// transparency.publickey.
	RekorPublicKey []byte

	// DryRun builds and plans but signs and stores nothing.
	DryRun bool
	// Timeout bounds the whole run (--timeout); zero means none. Each
	// network client has its own per-call timeout under it.
	Timeout time.Duration

	// Kube and Tekton are the cluster's clients; nil offline.
	Kube   kubeclient.Core
	Tekton kubeclient.Tekton
	Log    *slog.Logger
}
