package migrate

import (
	"context"
	"fmt"
	"slices"
	"strings"

	tektonclient "github.com/tektoncd/pipeline/pkg/client/clientset/versioned"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// credentialsRBAC names the Role and RoleBinding that let the chainseal
// ServiceAccount read the registry credentials Chains used: the run's
// ServiceAccounts and their docker config Secrets, each by name.
const credentialsRBAC = "chainseal-registry-credentials"

// chainsealServiceAccount is the ServiceAccount of tasks/rbac.yaml.
const chainsealServiceAccount = "chainseal"

// tektonDefaultServiceAccount is the ServiceAccount Tekton runs a TaskRun
// as when the PipelineRun names none.
const tektonDefaultServiceAccount = "default"

// Credentials is what chainseal needs to read to push with the registry
// credentials Chains used in a namespace (pkg/registryauth's order: the
// run's ServiceAccount, then chainseal's own; their imagePullSecrets and
// the docker config Secrets they mount).
type Credentials struct {
	// ServiceAccounts are the runs' ServiceAccounts that exist, sorted;
	// Secrets the docker config Secrets they and chainseal's name, sorted.
	ServiceAccounts, Secrets []string
	// Notes say what was granted, and what was not and why.
	Notes []Note
}

// runServiceAccounts are the ServiceAccounts the namespace's runs use:
// Tekton's default, those named (--run-service-account), and those the
// PipelineRuns in the namespace ran as (taskRunTemplate.serviceAccountName,
// and the taskRunSpecs of their tasks other than chainseal's).
func runServiceAccounts(ctx context.Context, tk tektonclient.Interface, ns string, named []string) (map[string]string, error) {
	out := map[string]string{tektonDefaultServiceAccount: "Tekton's default"}
	for _, sa := range named {
		out[sa] = "--run-service-account"
	}
	if tk == nil {
		return out, nil
	}
	prs, err := tk.TektonV1().PipelineRuns(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("listing the PipelineRuns of namespace %s (for the ServiceAccounts they run as): %w", ns, err)
	}
	for _, pr := range prs.Items {
		if sa := pr.Spec.TaskRunTemplate.ServiceAccountName; sa != "" {
			if _, ok := out[sa]; !ok {
				out[sa] = "PipelineRun " + pr.Name
			}
		}
		for _, s := range pr.Spec.TaskRunSpecs {
			if s.ServiceAccountName != "" && s.PipelineTaskName != taskName {
				if _, ok := out[s.ServiceAccountName]; !ok {
					out[s.ServiceAccountName] = "PipelineRun " + pr.Name
				}
			}
		}
	}
	delete(out, chainsealServiceAccount) // tasks/rbac.yaml grants it
	return out, nil
}

// registryCredentials reads the runs' ServiceAccounts and chainseal's own,
// and the Secrets they name, and says which chainseal must be allowed to
// read. A Secret that does not exist, or is not a docker config, is not
// granted (the note says so); nothing is granted by kind alone.
func registryCredentials(ctx context.Context, kube kubernetes.Interface, tk tektonclient.Interface, ns string, named []string) (*Credentials, error) {
	sas, err := runServiceAccounts(ctx, tk, ns, named)
	if err != nil {
		return nil, err
	}
	c := &Credentials{}
	names := make([]string, 0, len(sas)+1)
	for sa := range sas {
		names = append(names, sa)
	}
	slices.Sort(names)
	names = append(names, chainsealServiceAccount)
	for _, name := range names {
		sa, err := kube.CoreV1().ServiceAccounts(ns).Get(ctx, name, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			if name != chainsealServiceAccount && name != tektonDefaultServiceAccount {
				c.Notes = append(c.Notes, Note{Status: Needed, Reason: fmt.Sprintf("registry credentials: ServiceAccount %s (%s) does not exist: not granted; run migrate again once it does", name, sas[name])})
			}
			continue
		case err != nil:
			return nil, fmt.Errorf("reading ServiceAccount %s/%s (for its registry credentials): %w", ns, name, err)
		}
		if name != chainsealServiceAccount {
			c.ServiceAccounts = append(c.ServiceAccounts, name)
		}
		var refs []string
		for _, s := range sa.ImagePullSecrets {
			refs = append(refs, s.Name)
		}
		for _, s := range sa.Secrets {
			refs = append(refs, s.Name)
		}
		for _, ref := range refs {
			if slices.Contains(c.Secrets, ref) {
				continue
			}
			s, err := kube.CoreV1().Secrets(ns).Get(ctx, ref, metav1.GetOptions{})
			switch {
			case apierrors.IsNotFound(err):
				c.Notes = append(c.Notes, Note{Status: Needed, Reason: fmt.Sprintf("registry credentials: Secret %s, named by ServiceAccount %s, does not exist: not granted; run migrate again once it does", ref, name)})
				continue
			case err != nil:
				return nil, fmt.Errorf("reading Secret %s/%s (named by ServiceAccount %s): %w", ns, ref, name, err)
			}
			if s.Type != corev1.SecretTypeDockerConfigJson && s.Type != corev1.SecretTypeDockercfg {
				continue // a token or a key: chainseal never reads it for credentials
			}
			c.Secrets = append(c.Secrets, ref)
		}
	}
	slices.Sort(c.Secrets)
	if len(c.ServiceAccounts) > 0 || len(c.Secrets) > 0 {
		var what []string
		if len(c.ServiceAccounts) > 0 {
			what = append(what, "ServiceAccount "+strings.Join(c.ServiceAccounts, ", "))
		}
		if len(c.Secrets) > 0 {
			what = append(what, "Secret "+strings.Join(c.Secrets, ", "))
		}
		c.Notes = append(c.Notes, Note{Status: Added, Reason: fmt.Sprintf(
			"registry credentials: Role %s lets chainseal get %s, by name, to push with the credentials Chains used (the run's ServiceAccount, then chainseal's); run migrate again when they change",
			credentialsRBAC, strings.Join(what, " and "))})
	}
	return c, nil
}

// objects are the Role and RoleBinding granting get on exactly the named
// ServiceAccounts and Secrets; none when there is nothing to read (a rule
// without resourceNames would grant every object of its kind).
func (c *Credentials) objects(ns string) []Object {
	var rules []rbacv1.PolicyRule
	if len(c.ServiceAccounts) > 0 {
		rules = append(rules, rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"serviceaccounts"}, ResourceNames: slices.Clone(c.ServiceAccounts), Verbs: []string{"get"}})
	}
	if len(c.Secrets) > 0 {
		rules = append(rules, rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"secrets"}, ResourceNames: slices.Clone(c.Secrets), Verbs: []string{"get"}})
	}
	if len(rules) == 0 {
		return nil
	}
	meta := metav1.ObjectMeta{Name: credentialsRBAC, Namespace: ns, Labels: mergeLabels(nil)}
	return []Object{
		&rbacv1.Role{TypeMeta: metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "Role"}, ObjectMeta: meta, Rules: rules},
		&rbacv1.RoleBinding{TypeMeta: metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "RoleBinding"}, ObjectMeta: *meta.DeepCopy(),
			RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: credentialsRBAC},
			Subjects: []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: chainsealServiceAccount, Namespace: ns}}},
	}
}

// offlineCredentialsNote is the todo when there is no cluster to read the
// ServiceAccounts from.
var offlineCredentialsNote = Note{Status: Needed, Reason: "registry credentials: not worked out (no cluster to read the runs' ServiceAccounts from)",
	Todo: "let the chainseal ServiceAccount get the runs' ServiceAccount (default, or taskRunTemplate.serviceAccountName) and its imagePullSecrets and docker config Secrets, by name (resourceNames), or run chainseal migrate against the cluster, which writes Role " + credentialsRBAC}
