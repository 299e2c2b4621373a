package config

import (
	"context"
	"fmt"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/chainseal/chainseal/pkg/kubeclient"
)

// DefaultConfigMapName is the per-namespace ConfigMap chainseal reads.
const DefaultConfigMapName = "chainseal-config"

// FromConfigMap reads the chains-config keys from a ConfigMap in the run's
// namespace. A missing ConfigMap is not an error (defaults apply); a
// forbidden one is, since the operator meant chainseal to read it.
func FromConfigMap(ctx context.Context, c kubeclient.Core, namespace, name string) (map[string]string, error) {
	cm, err := c.ConfigMap(ctx, namespace, name)
	if apierrors.IsNotFound(err) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading ConfigMap %s/%s: %w (give the chainseal ServiceAccount get on it, or pass --config-map='' to use flags only)", namespace, name, err)
	}
	return cm.Data, nil
}

// FromFlags parses repeated --config key=value flags.
func FromFlags(pairs []string) (map[string]string, error) {
	out := map[string]string{}
	for _, p := range pairs {
		k, v, ok := strings.Cut(p, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, fmt.Errorf("--config %q: use --config key=value, e.g. --config %s=oci", p, KeyPipelineRunStorage)
		}
		out[strings.TrimSpace(k)] = v
	}
	return out, nil
}

// Merge lays each map over the ones before it: later sources win. The order
// chainseal uses is defaults < ConfigMap < --config flags.
func Merge(layers ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, l := range layers {
		for k, v := range l {
			out[k] = v
		}
	}
	return out
}
