package migrate

import (
	"context"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"strings"

	tektonclient "github.com/tektoncd/pipeline/pkg/client/clientset/versioned"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/kubernetes"
)

// Options say what to migrate from and to.
type Options struct {
	// ChainsNamespace holds chains-config and signing-secrets (default
	// tekton-chains); FromFiles reads them from files instead.
	ChainsNamespace string
	FromFiles       []string
	Stdin           io.Reader

	// Namespaces are the tenant namespaces to set up.
	Namespaces []string
	// DryRun reads the cluster (when there is one) but writes nothing.
	DryRun bool
	// Overwrite replaces objects that exist and differ; without it such an
	// object stops the migration before anything is written.
	Overwrite bool
	// PatchPipelines adds the chainseal finally task, from Bundle, to the
	// Pipelines that lack it.
	PatchPipelines bool
	Bundle         string

	// VaultRole is the Vault kubernetes auth role for a hashivault:// key;
	// {namespace} is replaced. "" keeps Chains' Vault auth keys.
	VaultRole string
	// RekorPublicKey is the transparency log's PEM public key.
	RekorPublicKey []byte
	// Backends are the storage backends built into this chainseal.
	Backends []string
	// RunServiceAccounts are ServiceAccounts the namespaces' runs use
	// besides Tekton's default and those of their PipelineRuns: chainseal
	// gets read access to them and their docker config Secrets, by name.
	RunServiceAccounts []string

	// Kube and Tekton are the cluster's clients; nil offline (FromFiles
	// with DryRun only).
	Kube   kubernetes.Interface
	Tekton tektonclient.Interface
}

// Validate checks the options that do not need the cluster. Its errors
// name the flag that fixes them.
func (o Options) Validate() error {
	var errs []error
	if len(o.Namespaces) == 0 {
		errs = append(errs, errors.New("name the namespaces to set up with --namespace (repeatable)"))
	}
	for _, ns := range o.Namespaces {
		if msgs := validation.IsDNS1123Label(ns); len(msgs) > 0 {
			errs = append(errs, fmt.Errorf("--namespace %q: %s", ns, strings.Join(msgs, "; ")))
		}
		if ns == o.chainsNamespace() && len(o.FromFiles) == 0 {
			errs = append(errs, fmt.Errorf("--namespace %s is the Chains namespace: name the tenant namespaces whose pipelines chainseal will seal", ns))
		}
	}
	for _, sa := range o.RunServiceAccounts {
		if msgs := validation.IsDNS1123Subdomain(sa); len(msgs) > 0 {
			errs = append(errs, fmt.Errorf("--run-service-account %q: %s", sa, strings.Join(msgs, "; ")))
		}
	}
	if o.PatchPipelines && o.Bundle == "" {
		errs = append(errs, errors.New("--patch-pipelines needs --bundle, the chainseal Task's bundle (pinned by digest) that the finally task references"))
	}
	if o.Bundle != "" && !o.PatchPipelines {
		errs = append(errs, errors.New("--bundle is used only with --patch-pipelines"))
	}
	if len(o.RekorPublicKey) > 0 {
		if b, _ := pem.Decode(o.RekorPublicKey); b == nil || b.Type != "PUBLIC KEY" {
			errs = append(errs, errors.New("--rekor-public-key: not a PEM public key (BEGIN PUBLIC KEY): get it with curl <transparency.url>/api/v1/log/publicKey and check it"))
		}
	}
	if o.Kube == nil && (!o.DryRun || len(o.FromFiles) == 0) {
		errs = append(errs, errors.New("no cluster to read the Chains installation from or to write to: pass --kubeconfig, or read files with --from-file and --dry-run"))
	}
	return errors.Join(errs...)
}

func (o Options) chainsNamespace() string {
	if o.ChainsNamespace == "" {
		return DefaultChainsNamespace
	}
	return o.ChainsNamespace
}

// Result is what a migration did, or with DryRun would do.
type Result struct {
	Source     Source
	DryRun     bool
	Namespaces []*Namespace
}

// Namespace is one tenant namespace's part of a migration.
type Namespace struct {
	*Translation
	Changes []Change
	// Pipelines is nil when there was no cluster to list them from.
	Pipelines []Pipeline
	// Bundle is the bundle patched Pipelines reference.
	Bundle string
	// Missing says the namespace does not exist (nothing can be written
	// there until it does).
	Missing bool
}

// Run reads the Chains installation, translates it for every namespace,
// compares the result with the cluster, and (unless DryRun) writes it. It
// writes nothing when any namespace fails to translate or holds an object
// that differs and may not be replaced.
func Run(ctx context.Context, o Options) (*Result, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	var src Source
	var err error
	if len(o.FromFiles) > 0 {
		src, err = FromFiles(o.FromFiles, o.Stdin)
	} else {
		src, err = FromCluster(ctx, o.Kube, o.chainsNamespace())
	}
	if err != nil {
		return nil, err
	}
	res := &Result{Source: src, DryRun: o.DryRun}
	var conflicts, missing []string
	for _, ns := range o.Namespaces {
		t, err := Translate(src, ns, TranslateOptions{
			VaultRole: VaultRoleFor(o.VaultRole, ns), RekorPublicKey: o.RekorPublicKey, Backends: o.Backends,
		})
		if err != nil {
			return nil, err
		}
		n := &Namespace{Translation: t, Bundle: o.Bundle}
		if o.Kube != nil {
			_, err := o.Kube.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
			n.Missing = apierrors.IsNotFound(err) // another error (forbidden) shows when writing
			if n.Missing {
				missing = append(missing, ns)
			}
		}
		objs, err := t.Objects()
		if err != nil {
			return nil, err
		}
		switch {
		case o.Kube == nil:
			t.Notes = append(t.Notes, offlineCredentialsNote)
		case !n.Missing:
			creds, err := registryCredentials(ctx, o.Kube, o.Tekton, ns, o.RunServiceAccounts)
			if err != nil {
				return nil, err
			}
			objs = append(objs, creds.objects(ns)...)
			t.Notes = append(t.Notes, creds.Notes...)
		}
		if n.Changes, err = plan(ctx, o.Kube, objs, o.Overwrite); err != nil {
			return nil, err
		}
		for _, c := range n.Changes {
			if c.Action == Conflict {
				conflicts = append(conflicts, Describe(c.Object))
			}
		}
		if o.Tekton != nil {
			bundle := ""
			if o.PatchPipelines {
				bundle = o.Bundle
			}
			if n.Pipelines, err = pipelines(ctx, o.Tekton, ns, bundle); err != nil {
				return nil, err
			}
		}
		res.Namespaces = append(res.Namespaces, n)
	}
	if len(missing) > 0 && !o.DryRun {
		return res, fmt.Errorf("nothing was written: namespace %s does not exist: create it, or leave it out of --namespace", strings.Join(missing, ", "))
	}
	if len(conflicts) > 0 && !o.DryRun {
		return res, fmt.Errorf("nothing was written: %s exist and differ from what migrate would write; see them with --dry-run, and pass --overwrite to replace them",
			strings.Join(conflicts, ", "))
	}
	if o.DryRun {
		return res, nil
	}
	for _, n := range res.Namespaces {
		if err := apply(ctx, o.Kube, n.Changes); err != nil {
			return res, err
		}
		if err := patchPipelines(ctx, o.Tekton, n.Pipelines); err != nil {
			return res, err
		}
	}
	return res, nil
}
