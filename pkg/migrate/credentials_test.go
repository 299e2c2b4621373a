package migrate

import (
	"bytes"
	"context"
	"reflect"
	"strings"
	"testing"

	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	tektonfake "github.com/tektoncd/pipeline/pkg/client/clientset/versioned/fake"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kubefake "k8s.io/client-go/kubernetes/fake"
)

func dockerSecret(ns, name string) *corev1.Secret {
	return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Type: corev1.SecretTypeDockerConfigJson,
		Data: map[string][]byte{corev1.DockerConfigJsonKey: []byte(`{"auths":{}}`)}}
}

// migrate lets chainseal read the registry credentials of the runs'
// ServiceAccounts (default, the PipelineRuns', --run-service-account) and
// its own, each by name: only docker config Secrets that exist, never a
// token Secret, and no rule at all when there is nothing to read.
func TestRunGrantsTheRunsRegistryCredentialsByName(t *testing.T) {
	ctx := context.Background()
	objs := append(chainsInstall(),
		&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "default"},
			ImagePullSecrets: []corev1.LocalObjectReference{{Name: "regcred"}, {Name: "gone"}}},
		&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "builder"},
			Secrets: []corev1.ObjectReference{{Name: "builder-cred"}, {Name: "builder-token"}}},
		&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "deployer"},
			ImagePullSecrets: []corev1.LocalObjectReference{{Name: "deploy-cred"}}},
		&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "unused"},
			ImagePullSecrets: []corev1.LocalObjectReference{{Name: "unused-cred"}}},
		dockerSecret("team-a", "regcred"), dockerSecret("team-a", "builder-cred"), dockerSecret("team-a", "deploy-cred"), dockerSecret("team-a", "unused-cred"),
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "builder-token"}, Type: corev1.SecretTypeServiceAccountToken},
	)
	kube := kubefake.NewSimpleClientset(objs...)
	tk := tektonfake.NewSimpleClientset(&v1.PipelineRun{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "release-1"},
		Spec: v1.PipelineRunSpec{TaskRunTemplate: v1.PipelineTaskRunTemplate{ServiceAccountName: "builder"},
			TaskRunSpecs: []v1.PipelineTaskRunSpec{{PipelineTaskName: "chainseal", ServiceAccountName: "chainseal"}}}})
	o := Options{Namespaces: []string{"team-a", "team-b"}, Backends: builtIn, VaultRole: DefaultVaultRole, Kube: kube, Tekton: tk,
		RunServiceAccounts: []string{"deployer", "missing"}}
	res, err := Run(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	role, err := kube.RbacV1().Roles("team-a").Get(ctx, credentialsRBAC, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := []rbacv1.PolicyRule{
		{APIGroups: []string{""}, Resources: []string{"serviceaccounts"}, ResourceNames: []string{"builder", "default", "deployer"}, Verbs: []string{"get"}},
		{APIGroups: []string{""}, Resources: []string{"secrets"}, ResourceNames: []string{"builder-cred", "deploy-cred", "regcred"}, Verbs: []string{"get"}},
	}
	if !reflect.DeepEqual(role.Rules, want) {
		t.Errorf("Role %s rules = %+v\nwant %+v", credentialsRBAC, role.Rules, want)
	}
	rb, err := kube.RbacV1().RoleBindings("team-a").Get(ctx, credentialsRBAC, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rb.RoleRef.Name != credentialsRBAC || len(rb.Subjects) != 1 || rb.Subjects[0].Name != "chainseal" || rb.Subjects[0].Namespace != "team-a" {
		t.Errorf("RoleBinding %s = %+v %+v", credentialsRBAC, rb.RoleRef, rb.Subjects)
	}
	// team-b has no ServiceAccount with credentials: no Role (a rule
	// without resourceNames would grant every Secret).
	if _, err := kube.RbacV1().Roles("team-b").Get(ctx, credentialsRBAC, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("team-b Role %s: %v, want not found", credentialsRBAC, err)
	}
	var report bytes.Buffer
	res.WriteReport(&report)
	for _, s := range []string{
		"Role chainseal-registry-credentials lets chainseal get ServiceAccount builder, default, deployer and Secret builder-cred, deploy-cred, regcred",
		"Secret gone, named by ServiceAccount default, does not exist",
		"ServiceAccount missing (--run-service-account) does not exist",
	} {
		if !strings.Contains(report.String(), s) {
			t.Errorf("report lacks %q:\n%s", s, report.String())
		}
	}
	if strings.Contains(report.String(), "unused-cred") || strings.Contains(report.String(), "builder-token") {
		t.Errorf("report names a Secret no run uses, or a token:\n%s", report.String())
	}

	// Offline, the report says what to grant by hand.
	off, err := Run(ctx, Options{Namespaces: []string{"team-a"}, Backends: builtIn, DryRun: true, FromFiles: []string{"-"},
		Stdin: strings.NewReader("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: chains-config}\n")})
	if err != nil {
		t.Fatal(err)
	}
	report.Reset()
	off.WriteReport(&report)
	if !strings.Contains(report.String(), "registry credentials: not worked out") {
		t.Errorf("offline report lacks the registry credentials todo:\n%s", report.String())
	}
}
