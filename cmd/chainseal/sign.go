package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/chainseal/chainseal/pkg/config"
	"github.com/chainseal/chainseal/pkg/kubeclient"
	"github.com/chainseal/chainseal/pkg/seal"
	"github.com/chainseal/chainseal/pkg/sign"
	"github.com/chainseal/chainseal/pkg/signing"

	// Storage backends register themselves by their chains-config names.
	_ "github.com/chainseal/chainseal/pkg/storage/annotations"
	_ "github.com/chainseal/chainseal/pkg/storage/archivista"
	_ "github.com/chainseal/chainseal/pkg/storage/docdb"
	_ "github.com/chainseal/chainseal/pkg/storage/file"
	_ "github.com/chainseal/chainseal/pkg/storage/gcs"
	_ "github.com/chainseal/chainseal/pkg/storage/grafeas"
	_ "github.com/chainseal/chainseal/pkg/storage/kafka"
	_ "github.com/chainseal/chainseal/pkg/storage/oci"
)

type signOptions struct {
	kubeconfig     string
	namespace      string
	pipelineRun    string
	pipelineRunUID string
	ownTaskRun     string
	stepForm       bool
	taskRunUID     string
	fromFiles      []string
	configPairs    []string
	configMap      string
	platformConfig string
	secretDir      string
	secret         string
	resultsDir     string
	rekorPublicKey string
	rekorKeyPEM    string
	dryRun         bool
	strict         bool
	logFormat      string
	serviceAccount string
	timeout        time.Duration
}

func newSignCommand() *cobra.Command {
	o := &signOptions{}
	cmd := &cobra.Command{
		Use:   "sign",
		Short: "Build, sign and store the provenance of a PipelineRun",
		Long: `Build SLSA provenance for a PipelineRun and the TaskRuns that finished,
sign it with the namespace's key and store it in the configured backends.

Run as a finally task (see tasks/chainseal.yaml), or from a workstation with
--kubeconfig, or offline with --from-file. With --step-form, as the last
step of a Task (tasks/chainseal-step.yaml), it seals that TaskRun instead.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.run(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.kubeconfig, "kubeconfig", "", "kubeconfig file (default: in-cluster config, then $KUBECONFIG)")
	f.StringVarP(&o.namespace, "namespace", "n", "", "namespace of the PipelineRun ($(context.pipelineRun.namespace))")
	f.StringVar(&o.pipelineRun, "pipelinerun", "", "name of the PipelineRun ($(context.pipelineRun.name))")
	f.StringVar(&o.pipelineRunUID, "pipelinerun-uid", "", "UID the PipelineRun must have ($(context.pipelineRun.uid))")
	f.StringVar(&o.ownTaskRun, "taskrun", "", "chainseal's own TaskRun, left out of the provenance ($(context.taskRun.name))")
	f.BoolVar(&o.stepForm, "step-form", false, "seal the TaskRun --taskrun itself, from its last step (the chainseal-step StepAction), instead of a PipelineRun")
	f.StringVar(&o.taskRunUID, "taskrun-uid", "", "with --step-form: UID the TaskRun must have ($(context.taskRun.uid))")
	f.StringArrayVar(&o.fromFiles, "from-file", nil, "read the PipelineRun and TaskRuns from files (JSON or YAML, - for stdin) instead of the API; repeatable")
	f.StringArrayVar(&o.configPairs, "config", nil, "a chains-config key=value, over the ConfigMap; repeatable")
	f.StringVar(&o.configMap, "config-map", config.DefaultConfigMapName, "ConfigMap with chains-config keys in the run's namespace ('' for none)")
	f.StringVar(&o.platformConfig, "platform-config", config.DefaultPlatformConfig, "the platform team's ConfigMap (namespace/name; '' for none): builder.id, the signer, the trusted log and what may be a subject, which the run's ConfigMap and --config may only narrow (docs/config.md)")
	f.StringVar(&o.secretDir, "secret-dir", "", "directory with the signing key files (a mounted Secret); default: read --secret through the API")
	f.StringVar(&o.secret, "secret", signing.DefaultSecretName, "Secret with the signing key files in the run's namespace")
	f.StringVar(&o.resultsDir, "results-dir", defaultResultsDir(), "where to write the Task results ('' for none; default: "+tektonResultsDir+" in a Tekton step, else none)")
	f.StringVar(&o.rekorPublicKey, "rekor-public-key", os.Getenv("SIGSTORE_REKOR_PUBLIC_KEY"), "PEM file of the Rekor log's public key, to check its proofs, over transparency.publickey (default: $SIGSTORE_REKOR_PUBLIC_KEY); the key is never fetched from the log")
	f.StringVar(&o.rekorKeyPEM, "rekor-public-key-pem", "", "the Rekor log's public key as PEM text (the Task's rekor-public-key param), over transparency.publickey")
	f.BoolVar(&o.dryRun, "dry-run", false, "print the unsigned statements, one JSON document per line, and sign and store nothing")
	f.BoolVar(&o.strict, "strict", false, "fail on an invalid digest in a type-hinted result (chainseal.strict-digests)")
	f.StringVar(&o.logFormat, "log-format", "text", "log format: text or json")
	f.DurationVar(&o.timeout, "timeout", defaultTimeout, "deadline for the whole run (reading, signing, logging, storing); 0 for none. Each Kubernetes, KMS, registry and Rekor call also has its own timeout")
	f.StringVar(&o.serviceAccount, "service-account", "chainseal", "chainseal's ServiceAccount, whose imagePullSecrets and mounted docker config Secrets hold registry credentials (tried after the run's ServiceAccount, before $DOCKER_CONFIG; '' to skip)")
	return cmd
}

func (o *signOptions) run(ctx context.Context, stdout, stderr io.Writer) error {
	log, err := newLogger(stderr, o.logFormat)
	if err != nil {
		return err
	}
	if o.stepForm && (o.namespace == "" || o.ownTaskRun == "" || o.pipelineRun != "" || len(o.fromFiles) > 0) {
		return usageError{errors.New("--step-form seals the TaskRun it runs in: name it with --namespace and --taskrun, without --pipelinerun or --from-file")}
	}
	if !o.stepForm && len(o.fromFiles) == 0 && (o.namespace == "" || o.pipelineRun == "") {
		return usageError{errors.New("name the run with --namespace and --pipelinerun, or read it from files with --from-file")}
	}
	pairs, err := config.FromFlags(o.configPairs)
	if err != nil {
		return usageError{err}
	}
	if o.strict {
		pairs[config.KeyStrictDigests] = "true"
	}
	opts := sign.Options{
		Namespace: o.namespace, PipelineRun: o.pipelineRun, PipelineRunUID: o.pipelineRunUID,
		OwnTaskRun: o.ownTaskRun, FromFiles: o.fromFiles, StepForm: o.stepForm, TaskRunUID: o.taskRunUID,
		ConfigMap: o.configMap, Config: pairs, PlatformConfig: o.platformConfig,
		SecretDir: o.secretDir, Secret: o.secret, ServiceAccount: o.serviceAccount,
		DryRun: o.dryRun, Log: log, Timeout: o.timeout,
	}
	if o.rekorPublicKey != "" && o.rekorKeyPEM != "" {
		return usageError{errors.New("give the Rekor public key once: --rekor-public-key (a file) or --rekor-public-key-pem (PEM text)")}
	}
	if o.rekorKeyPEM != "" {
		opts.RekorPublicKey = []byte(o.rekorKeyPEM)
	}
	if o.rekorPublicKey != "" && !o.dryRun {
		if opts.RekorPublicKey, err = os.ReadFile(o.rekorPublicKey); err != nil {
			return fmt.Errorf("reading the Rekor public key (--rekor-public-key): %w", err)
		}
	}
	if len(o.fromFiles) == 0 || o.kubeconfig != "" {
		rc, err := restConfig(o.kubeconfig)
		if err != nil {
			return err
		}
		if opts.Kube, opts.Tekton, err = kubeclient.New(rc); err != nil {
			return err
		}
	}

	out, err := sign.Run(ctx, opts)
	if errors.Is(err, sign.ErrNothingToSign) {
		return o.nothingToSign(stdout, log, out.Config, err)
	}
	if o.dryRun && err == nil {
		for _, s := range out.Input.Statements {
			fmt.Fprintf(stdout, "%s\n", s.Payload)
		}
		for _, s := range out.Input.Images {
			fmt.Fprintf(stdout, "%s\n", s.Payload)
		}
		return nil
	}
	if out.Report != nil {
		out.Report.Summary(stdout)
	}
	if err != nil {
		return err
	}
	printCappedLists(stdout, out.Report)
	if o.resultsDir != "" {
		// Sealed: every store holds the attestations and they are marked
		// signed. Failing now would fail the finally task, and with it the
		// PipelineRun, over a result: warn instead.
		if err := writeResults(o.resultsDir, out.Report.Results()); err != nil {
			log.Warn("sealed, but the Task results were not written", "error", err.Error())
		}
	}
	return nil
}

// nothingToSign is the end of a run that names no artifacts: exit 3 with
// chainseal.no-artifacts: fail, else success with every result written
// empty. A pipeline that builds nothing does not fail because of its signer.
func (o *signOptions) nothingToSign(stdout io.Writer, log *slog.Logger, cfg config.Config, err error) error {
	if cfg.NoArtifacts == config.NoArtifactsFail {
		return noArtifactsError{fmt.Errorf("%w (%s: %s)", err, config.KeyNoArtifacts, config.NoArtifactsFail)}
	}
	fmt.Fprintf(stdout, "nothing was signed: %v\n(%s: %s; set it to %s to fail the run instead)\n", err, config.KeyNoArtifacts, config.NoArtifactsSucceed, config.NoArtifactsFail)
	if o.resultsDir != "" && !o.dryRun {
		if err := writeResults(o.resultsDir, (&seal.Report{}).Results()); err != nil {
			log.Warn("the Task results were not written", "error", err.Error())
		}
	}
	return nil
}

// printCappedLists prints, for a list result too long for Tekton (written
// as a count and a digest), the full list whose digest the result holds.
func printCappedLists(w io.Writer, r *seal.Report) {
	res := r.Results()
	for _, k := range slices.Sorted(maps.Keys(r.Lists())) {
		list := r.Lists()[k]
		if res[k] == strings.Join(list, "\n") {
			continue
		}
		fmt.Fprintf(w, "%s (%d entries; the result holds the sha256 of these lines joined by newlines):\n", k, len(list))
		for _, item := range list {
			fmt.Fprintln(w, item)
		}
	}
}

// tektonResultsDir is where a Tekton step's results go.
var tektonResultsDir = "/tekton/results"

// defaultResultsDir is tektonResultsDir in a Tekton step (where it exists)
// and none elsewhere: a workstation run has no Task results to write.
func defaultResultsDir() string {
	if fi, err := os.Stat(tektonResultsDir); err == nil && fi.IsDir() {
		return tektonResultsDir
	}
	return ""
}

// defaultTimeout is sign's deadline unless --timeout says otherwise: well
// under a PipelineRun's default hour, well over a burst's worst seal.
const defaultTimeout = 10 * time.Minute

// kubeCallTimeout bounds each Kubernetes API request (client-go has none by
// default: a hung API server would hold the finally task).
var kubeCallTimeout = 30 * time.Second

func restConfig(kubeconfig string) (*rest.Config, error) {
	rc, err := loadRESTConfig(kubeconfig)
	if err != nil {
		return nil, err
	}
	rc.UserAgent = "chainseal"
	rc.Timeout = kubeCallTimeout
	// One short-lived process making a burst of calls: client-go's default
	// limit (5/s) would add 200 ms a call past the first ten.
	rc.QPS, rc.Burst = 50, 100
	return rc, nil
}

// loadRESTConfig prefers the pod's in-cluster config unless a kubeconfig is
// named, then falls back to the usual kubeconfig rules.
func loadRESTConfig(kubeconfig string) (*rest.Config, error) {
	if kubeconfig == "" {
		if rc, err := rest.InClusterConfig(); err == nil {
			return rc, nil
		}
	}
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = kubeconfig
	rc, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, nil).ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("no Kubernetes API to read the run from: not in a pod, and no kubeconfig (--kubeconfig or $KUBECONFIG): %w", err)
	}
	return rc, nil
}

func writeResults(dir string, results map[string]string) error {
	for k, v := range results {
		if err := os.WriteFile(filepath.Join(dir, k), []byte(v), 0o644); err != nil {
			return fmt.Errorf("writing Task result %s (--results-dir): %w", k, err)
		}
	}
	return nil
}

func newLogger(w io.Writer, format string) (*slog.Logger, error) {
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, nil)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, nil)), nil
	}
	return nil, usageError{fmt.Errorf("--log-format %q: use text or json", format)}
}

// usageError exits with 2, as a bad flag does.
type usageError struct{ error }

func (usageError) ExitCode() int   { return 2 }
func (e usageError) Unwrap() error { return e.error }
