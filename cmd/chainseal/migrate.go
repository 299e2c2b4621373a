//go:build !chainseal_task

package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
	tektonclient "github.com/tektoncd/pipeline/pkg/client/clientset/versioned"
	"k8s.io/client-go/kubernetes"

	"github.com/chainseal/chainseal/pkg/migrate"
	"github.com/chainseal/chainseal/pkg/storage"
)

type migrateOptions struct {
	kubeconfig      string
	chainsNamespace string
	fromFiles       []string
	namespaces      []string
	dryRun          bool
	showSecrets     bool
	overwrite       bool
	patchPipelines  bool
	bundle          string
	vaultRole       string
	rekorPublicKey  string
	runSAs          []string
}

func newMigrateCommand() *cobra.Command {
	o := &migrateOptions{}
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Set up namespaces signed by Tekton Chains for chainseal, so that verifiers see no change",
		Long: `Read a Tekton Chains installation (the chains-config ConfigMap and the
signing-secrets Secret) and write, in each namespace named with --namespace,
what chainseal needs there: the chainseal-config ConfigMap (Chains' keys, with
chainseal.compat: chains), the chainseal-signing Secret (the key files its
signers read), the RBAC of tasks/rbac.yaml, and a Role that lets chainseal
read, by name, the runs' ServiceAccounts and their docker config Secrets
(registry credentials, as Chains read them). It reports every key and file
it could not carry over and why, what is left to do before the first run,
and which Pipelines lack the chainseal finally task (--patch-pipelines adds
it). With --dry-run it writes nothing and prints the objects as YAML on
stdout, the report on stderr. See docs/migrate.md.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.run(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.kubeconfig, "kubeconfig", "", "kubeconfig file (default: in-cluster config, then $KUBECONFIG)")
	f.StringVar(&o.chainsNamespace, "chains-namespace", migrate.DefaultChainsNamespace, "namespace of Tekton Chains' chains-config and signing-secrets")
	f.StringArrayVar(&o.fromFiles, "from-file", nil, "read chains-config and signing-secrets from files (YAML or JSON, kubectl get -o yaml; - for stdin) instead of --chains-namespace; repeatable")
	f.StringArrayVarP(&o.namespaces, "namespace", "n", nil, "a namespace whose pipelines chainseal will seal; repeatable")
	f.BoolVar(&o.dryRun, "dry-run", false, "write nothing: print the objects as YAML (stdout) and the report (stderr)")
	f.BoolVar(&o.showSecrets, "show-secrets", false, "with --dry-run, print the signing key files instead of redacting them")
	f.BoolVar(&o.overwrite, "overwrite", false, "replace objects that exist and differ (without it they stop the migration before anything is written)")
	f.BoolVar(&o.patchPipelines, "patch-pipelines", false, "add the chainseal finally task, from --bundle, to the namespaces' Pipelines that lack it")
	f.StringVar(&o.bundle, "bundle", "", "the chainseal Task's Tekton bundle, pinned by digest (with --patch-pipelines)")
	f.StringVar(&o.vaultRole, "vault-role", migrate.DefaultVaultRole, "for a hashivault:// key: the Vault kubernetes auth role chainseal logs in with ({namespace} is replaced); '' keeps Chains' Vault auth keys")
	f.StringVar(&o.rekorPublicKey, "rekor-public-key", "", "PEM file of the transparency log's public key, written as transparency.publickey (needed with transparency.enabled)")
	f.StringArrayVar(&o.runSAs, "run-service-account", nil, "a ServiceAccount the namespaces' runs use, besides default and those their PipelineRuns name: chainseal may read it and its docker config Secrets (registry credentials, as Chains read them); repeatable")
	return cmd
}

func (o *migrateOptions) run(ctx context.Context, stdout, stderr io.Writer) error {
	opts := migrate.Options{
		ChainsNamespace: o.chainsNamespace, FromFiles: o.fromFiles, Stdin: os.Stdin,
		Namespaces: o.namespaces, DryRun: o.dryRun, Overwrite: o.overwrite,
		PatchPipelines: o.patchPipelines, Bundle: o.bundle, VaultRole: o.vaultRole,
		Backends: storage.Names(), RunServiceAccounts: o.runSAs,
	}
	if o.showSecrets && !o.dryRun {
		return usageError{fmt.Errorf("--show-secrets is for --dry-run output only")}
	}
	if o.rekorPublicKey != "" {
		var err error
		if opts.RekorPublicKey, err = os.ReadFile(o.rekorPublicKey); err != nil {
			return usageError{fmt.Errorf("reading the Rekor public key (--rekor-public-key): %w", err)}
		}
	}
	// Offline only when reading files for a dry run without a kubeconfig.
	if len(o.fromFiles) == 0 || !o.dryRun || o.kubeconfig != "" {
		rc, err := restConfig(o.kubeconfig)
		if err != nil {
			return err
		}
		opts.Kube = kubernetes.NewForConfigOrDie(rc)
		opts.Tekton = tektonclient.NewForConfigOrDie(rc)
	}
	if err := opts.Validate(); err != nil {
		return usageError{err}
	}

	res, err := migrate.Run(ctx, opts)
	if res == nil {
		return err
	}
	report := stdout
	if o.dryRun {
		report = stderr
		if werr := res.WriteYAML(stdout, o.showSecrets); werr != nil && err == nil {
			err = werr
		}
	}
	res.WriteReport(report)
	return err
}
