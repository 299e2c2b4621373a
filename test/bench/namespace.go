package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
)

// namespace creates bench-<id>-<suffix> and waits for its default
// ServiceAccount (Chains' registry keychain reads it).
func (b *Bench) namespace(ctx context.Context, suffix string) (string, error) {
	name := "bench-" + b.ID + "-" + suffix
	if _, err := b.Kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
		Name: name, Labels: benchLabels}}, metav1.CreateOptions{}); err != nil {
		return "", fmt.Errorf("creating namespace %s: %w", name, err)
	}
	b.namespaces = append(b.namespaces, name)
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		_, err := b.Kube.CoreV1().ServiceAccounts(name).Get(ctx, "default", metav1.GetOptions{})
		return err == nil, nil
	})
	if err != nil {
		return "", fmt.Errorf("namespace %s has no default ServiceAccount after a minute (is kube-controller-manager up?): %w", name, err)
	}
	return name, nil
}

// deleteNamespace removes a namespace the benchmark made. Chains puts its
// finalizers on every run it sees; with Chains stopped nobody would remove
// them, so they are removed here first.
func (b *Bench) deleteNamespace(ctx context.Context, ns string) error {
	if b.O.Keep {
		slog.Info("keeping namespace", "namespace", ns)
		return nil
	}
	if err := b.dropFinalizers(ctx, ns); err != nil {
		return err
	}
	err := b.Kube.CoreV1().Namespaces().Delete(ctx, ns, metav1.DeleteOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("deleting namespace %s: %w", ns, err)
	}
	return nil
}

func (b *Bench) dropFinalizers(ctx context.Context, ns string) error {
	patch := []byte(`{"metadata":{"finalizers":null}}`)
	prs, err := b.Tekton.TektonV1().PipelineRuns(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Errorf("listing PipelineRuns in %s: %w", ns, err)
	}
	var names []string
	for _, pr := range prs.Items {
		if len(pr.Finalizers) > 0 {
			names = append(names, "pr/"+pr.Name)
		}
	}
	trs, err := b.Tekton.TektonV1().TaskRuns(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Errorf("listing TaskRuns in %s: %w", ns, err)
	}
	for _, tr := range trs.Items {
		if len(tr.Finalizers) > 0 {
			names = append(names, "tr/"+tr.Name)
		}
	}
	return parallel(ctx, len(names), 32, func(ctx context.Context, i int) error {
		kind, name := names[i][:2], names[i][3:]
		var err error
		if kind == "pr" {
			_, err = b.Tekton.TektonV1().PipelineRuns(ns).Patch(ctx, name, types.MergePatchType, patch, metav1.PatchOptions{})
		} else {
			_, err = b.Tekton.TektonV1().TaskRuns(ns).Patch(ctx, name, types.MergePatchType, patch, metav1.PatchOptions{})
		}
		if err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("removing finalizers of %s in %s: %w", names[i], ns, err)
		}
		return nil
	})
}

// cleanup deletes every namespace left.
func (b *Bench) cleanup(ctx context.Context) {
	for _, ns := range b.namespaces {
		if err := b.deleteNamespace(ctx, ns); err != nil {
			slog.Warn("cleanup", "err", err)
		}
	}
	b.namespaces = nil
	b.deleteClusterRBAC(ctx)
	if b.madeSecretPath {
		_ = os.Remove(chainsSecretPath) // empty: the key was bound there only inside Chains' mount namespace
		b.madeSecretPath = false
	}
}
