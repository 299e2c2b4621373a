package migrate

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"reflect"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// Action is what happens, or would happen, to one object.
type Action string

const (
	Create    Action = "create"
	Update    Action = "update"    // it exists and differs; --overwrite replaces it
	Unchanged Action = "unchanged" // it exists as migrate would write it
	Kept      Action = "kept"      // a ServiceAccount that exists is left as it is
	Conflict  Action = "conflict"  // it exists and differs, and may not be replaced
	Print     Action = "print"     // no cluster to compare with
)

// Change is one object and what happens to it.
type Change struct {
	Object Object
	Action Action
	// existing is the object in the cluster, for Update.
	existing Object
}

func (c Change) String() string { return Describe(c.Object) + ": " + string(c.Action) }

// plan compares each object with the cluster's. overwrite turns a
// Conflict into an Update.
func plan(ctx context.Context, kube kubernetes.Interface, objs []Object, overwrite bool) ([]Change, error) {
	out := make([]Change, 0, len(objs))
	for _, o := range objs {
		if kube == nil {
			out = append(out, Change{Object: o, Action: Print})
			continue
		}
		have, err := get(ctx, kube, o)
		switch {
		case apierrors.IsNotFound(err):
			out = append(out, Change{Object: o, Action: Create})
			continue
		case err != nil:
			return nil, fmt.Errorf("reading %s: %w", Describe(o), err)
		}
		c := Change{Object: o, existing: have}
		switch {
		case isServiceAccount(o):
			c.Action = Kept
		case same(have, o):
			c.Action = Unchanged
		case overwrite:
			c.Action = Update
		default:
			c.Action = Conflict
		}
		out = append(out, c)
	}
	return out, nil
}

func isServiceAccount(o Object) bool { _, ok := o.(*corev1.ServiceAccount); return ok }

// apply carries out the planned changes.
func apply(ctx context.Context, kube kubernetes.Interface, changes []Change) error {
	for _, c := range changes {
		var err error
		switch c.Action {
		case Create:
			err = create(ctx, kube, c.Object)
		case Update:
			err = update(ctx, kube, c.existing, c.Object)
		default:
			continue
		}
		if err != nil {
			return fmt.Errorf("writing %s (%s): %w", Describe(c.Object), c.Action, err)
		}
	}
	return nil
}

func get(ctx context.Context, kube kubernetes.Interface, o Object) (Object, error) {
	ns, name, g := o.GetNamespace(), o.GetName(), metav1.GetOptions{}
	switch o.(type) {
	case *corev1.ConfigMap:
		return kube.CoreV1().ConfigMaps(ns).Get(ctx, name, g)
	case *corev1.Secret:
		return kube.CoreV1().Secrets(ns).Get(ctx, name, g)
	case *corev1.ServiceAccount:
		return kube.CoreV1().ServiceAccounts(ns).Get(ctx, name, g)
	case *rbacv1.Role:
		return kube.RbacV1().Roles(ns).Get(ctx, name, g)
	case *rbacv1.RoleBinding:
		return kube.RbacV1().RoleBindings(ns).Get(ctx, name, g)
	}
	return nil, fmt.Errorf("migrate does not write a %T", o)
}

func create(ctx context.Context, kube kubernetes.Interface, o Object) error {
	ns, c := o.GetNamespace(), metav1.CreateOptions{}
	var err error
	switch v := o.(type) {
	case *corev1.ConfigMap:
		_, err = kube.CoreV1().ConfigMaps(ns).Create(ctx, v, c)
	case *corev1.Secret:
		_, err = kube.CoreV1().Secrets(ns).Create(ctx, v, c)
	case *corev1.ServiceAccount:
		_, err = kube.CoreV1().ServiceAccounts(ns).Create(ctx, v, c)
	case *rbacv1.Role:
		_, err = kube.RbacV1().Roles(ns).Create(ctx, v, c)
	case *rbacv1.RoleBinding:
		_, err = kube.RbacV1().RoleBindings(ns).Create(ctx, v, c)
	default:
		err = fmt.Errorf("migrate does not write a %T", o)
	}
	return err
}

// update lays want's content over have (keeping have's other labels and
// its resourceVersion, so a concurrent change is a conflict, not lost). A
// RoleBinding's roleRef cannot change: it is deleted and created again.
func update(ctx context.Context, kube kubernetes.Interface, have, want Object) error {
	ns, u := want.GetNamespace(), metav1.UpdateOptions{}
	labels := have.GetLabels()
	if labels == nil {
		labels = map[string]string{}
	}
	maps.Copy(labels, want.GetLabels())
	have.SetLabels(labels)
	var err error
	switch h := have.(type) {
	case *corev1.ConfigMap:
		h.Data, h.BinaryData = want.(*corev1.ConfigMap).Data, nil
		_, err = kube.CoreV1().ConfigMaps(ns).Update(ctx, h, u)
	case *corev1.Secret:
		w := want.(*corev1.Secret)
		if h.Type != w.Type {
			if err = kube.CoreV1().Secrets(ns).Delete(ctx, h.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{ResourceVersion: &h.ResourceVersion}}); err == nil {
				err = create(ctx, kube, want)
			}
			break
		}
		h.Data, h.StringData = w.Data, nil
		_, err = kube.CoreV1().Secrets(ns).Update(ctx, h, u)
	case *rbacv1.Role:
		h.Rules = want.(*rbacv1.Role).Rules
		_, err = kube.RbacV1().Roles(ns).Update(ctx, h, u)
	case *rbacv1.RoleBinding:
		w := want.(*rbacv1.RoleBinding)
		if !reflect.DeepEqual(h.RoleRef, w.RoleRef) {
			if err = kube.RbacV1().RoleBindings(ns).Delete(ctx, h.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{ResourceVersion: &h.ResourceVersion}}); err == nil {
				err = create(ctx, kube, want)
			}
			break
		}
		h.Subjects = w.Subjects
		_, err = kube.RbacV1().RoleBindings(ns).Update(ctx, h, u)
	default:
		err = fmt.Errorf("migrate does not update a %T", have)
	}
	return err
}

// same reports whether the cluster's object already says what want says
// (labels and metadata aside).
func same(have, want Object) bool {
	switch h := have.(type) {
	case *corev1.ConfigMap:
		w := want.(*corev1.ConfigMap)
		return len(h.BinaryData) == 0 && maps.Equal(h.Data, w.Data)
	case *corev1.Secret:
		w := want.(*corev1.Secret)
		return h.Type == w.Type && maps.EqualFunc(h.Data, w.Data, bytes.Equal)
	case *rbacv1.Role:
		return reflect.DeepEqual(normalRules(h.Rules), normalRules(want.(*rbacv1.Role).Rules))
	case *rbacv1.RoleBinding:
		w := want.(*rbacv1.RoleBinding)
		return reflect.DeepEqual(h.RoleRef, w.RoleRef) && reflect.DeepEqual(h.Subjects, w.Subjects)
	}
	return false
}

// normalRules treats a nil list and an empty one alike, as the API does.
func normalRules(rs []rbacv1.PolicyRule) []rbacv1.PolicyRule {
	out := make([]rbacv1.PolicyRule, len(rs))
	for i, r := range rs {
		out[i] = rbacv1.PolicyRule{Verbs: nonNil(r.Verbs), APIGroups: nonNil(r.APIGroups), Resources: nonNil(r.Resources),
			ResourceNames: nonNil(r.ResourceNames), NonResourceURLs: nonNil(r.NonResourceURLs)}
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
