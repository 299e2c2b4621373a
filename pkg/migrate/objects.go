package migrate

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/yaml"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/chainseal/chainseal/pkg/config"
	"github.com/chainseal/chainseal/tasks"
)

// Object is a Kubernetes object migrate writes.
type Object interface {
	metav1.Object
	runtime.Object
}

// partOf labels what migrate writes.
var partOf = map[string]string{"app.kubernetes.io/part-of": "chainseal"}

// The RBAC objects of tasks/rbac.yaml and rbac-taskruns.yaml that let
// chainseal annotate runs (chains.tekton.dev/signed; tekton storage).
const (
	annotateRBAC         = "chainseal-annotate"
	annotateTaskRunsRBAC = "chainseal-annotate-taskruns"
)

// Objects are what chainseal needs in the namespace: the ServiceAccount,
// Roles and RoleBindings of tasks/rbac.yaml (and rbac-taskruns.yaml when
// TaskRuns are signed), the chainseal-config ConfigMap, and the chainseal-signing
// Secret when a key file was copied.
func (t *Translation) Objects() ([]Object, error) {
	docs, err := rbacObjects(tasks.RBAC)
	if err != nil {
		return nil, fmt.Errorf("reading tasks/rbac.yaml: %w", err)
	}
	if t.AnnotateTaskRuns {
		more, err := rbacObjects(tasks.RBACTaskRuns)
		if err != nil {
			return nil, fmt.Errorf("reading tasks/rbac-taskruns.yaml: %w", err)
		}
		docs = append(docs, more...)
	}
	var out []Object
	for _, o := range docs {
		if o.GetName() == annotateRBAC && !t.AnnotatePipelineRuns {
			continue
		}
		o.SetNamespace(t.Namespace)
		o.SetLabels(mergeLabels(o.GetLabels()))
		if rb, ok := o.(*rbacv1.RoleBinding); ok {
			for i := range rb.Subjects {
				if rb.Subjects[i].Kind == rbacv1.ServiceAccountKind && rb.Subjects[i].Namespace == "" {
					rb.Subjects[i].Namespace = t.Namespace
				}
			}
		}
		out = append(out, o)
	}
	out = append(out, &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{Name: config.DefaultConfigMapName, Namespace: t.Namespace, Labels: mergeLabels(nil)},
		Data:       t.Config,
	})
	if len(t.Secret) > 0 {
		out = append(out, &corev1.Secret{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
			ObjectMeta: metav1.ObjectMeta{Name: secretName, Namespace: t.Namespace, Labels: mergeLabels(nil)},
			Type:       corev1.SecretTypeOpaque,
			Data:       t.Secret,
		})
	}
	return out, nil
}

func mergeLabels(l map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range l {
		out[k] = v
	}
	for k, v := range partOf {
		out[k] = v
	}
	return out
}

// rbacObjects decodes the ServiceAccounts, Roles and RoleBindings of a
// multi-document YAML file.
func rbacObjects(raw []byte) ([]Object, error) {
	r := yaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(raw)))
	var out []Object
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		var tm metav1.TypeMeta
		if err := sigsyaml.Unmarshal(doc, &tm); err != nil {
			return nil, err
		}
		var o Object
		switch tm.Kind {
		case "":
			continue // comments only
		case "ServiceAccount":
			o = &corev1.ServiceAccount{}
		case "Role":
			o = &rbacv1.Role{}
		case "RoleBinding":
			o = &rbacv1.RoleBinding{}
		default:
			return nil, fmt.Errorf("a %s: only ServiceAccounts, Roles and RoleBindings belong in a namespace's chainseal RBAC", tm.Kind)
		}
		if err := sigsyaml.UnmarshalStrict(doc, o); err != nil {
			return nil, fmt.Errorf("%s: %w", tm.Kind, err)
		}
		out = append(out, o)
	}
}

// Describe names an object for people: "ConfigMap team-a/chainseal-config".
func Describe(o Object) string {
	return o.GetObjectKind().GroupVersionKind().Kind + " " + o.GetNamespace() + "/" + o.GetName()
}
