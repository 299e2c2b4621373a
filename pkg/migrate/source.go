package migrate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes"
)

// FromCluster reads chains-config and signing-secrets from the Chains
// namespace. A missing signing-secrets is no error (a KMS or keyless setup
// may have none); a missing chains-config is, since there is nothing to
// migrate from then.
func FromCluster(ctx context.Context, kube kubernetes.Interface, ns string) (Source, error) {
	var src Source
	cm, err := kube.CoreV1().ConfigMaps(ns).Get(ctx, chainsConfigMapName, metav1.GetOptions{})
	if err != nil {
		fix := ""
		if apierrors.IsNotFound(err) {
			fix = " (is Tekton Chains installed in another namespace? name it with --chains-namespace, or read the config from a file with --from-file)"
		}
		return src, fmt.Errorf("reading ConfigMap %s/%s: %w%s", ns, chainsConfigMapName, err, fix)
	}
	src.Config, src.ConfigFrom = cm.Data, "ConfigMap "+ns+"/"+chainsConfigMapName
	if src.Config == nil {
		src.Config = map[string]string{}
	}
	s, err := kube.CoreV1().Secrets(ns).Get(ctx, chainsSecretName, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
	case err != nil:
		return src, fmt.Errorf("reading Secret %s/%s: %w", ns, chainsSecretName, err)
	default:
		src.Secret, src.SecretFrom = s.Data, "Secret "+ns+"/"+chainsSecretName
	}
	return src, nil
}

// FromFiles reads chains-config and signing-secrets from files of JSON or
// YAML documents (kubectl get -o yaml, multi-document files, Lists); "-" is
// stdin. Other objects are listed in Source.Ignored.
func FromFiles(paths []string, stdin io.Reader) (Source, error) {
	var src Source
	for _, p := range paths {
		if err := src.readFile(p, stdin); err != nil {
			return src, err
		}
	}
	if src.ConfigFrom == "" {
		return src, fmt.Errorf("no ConfigMap %s in %v: export it with kubectl get configmap %s -n %s -o yaml", chainsConfigMapName, paths, chainsConfigMapName, DefaultChainsNamespace)
	}
	return src, nil
}

func (src *Source) readFile(path string, stdin io.Reader) error {
	r, name := stdin, "stdin"
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return fmt.Errorf("reading --from-file: %w", err)
		}
		defer f.Close()
		r, name = f, path
	}
	dec := yaml.NewYAMLOrJSONDecoder(r, 64<<10)
	for i := 1; ; i++ {
		var raw json.RawMessage
		err := dec.Decode(&raw)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading %s, document %d: %w", name, i, err)
		}
		if len(raw) == 0 || string(raw) == "null" {
			continue
		}
		if err := src.add(raw, fmt.Sprintf("%s, document %d", name, i)); err != nil {
			return err
		}
	}
}

func (src *Source) add(raw json.RawMessage, where string) error {
	var obj struct {
		metav1.TypeMeta
		Metadata metav1.ObjectMeta `json:"metadata"`
		Items    []json.RawMessage `json:"items"`
	}
	if err := json.Unmarshal(raw, &obj); err != nil {
		return fmt.Errorf("reading %s: %w", where, err)
	}
	name := obj.Metadata.Name
	switch {
	case obj.Kind == "List" || obj.Kind == "ConfigMapList" || obj.Kind == "SecretList":
		for i, item := range obj.Items {
			if err := src.add(item, fmt.Sprintf("%s, item %d", where, i+1)); err != nil {
				return err
			}
		}
	case obj.Kind == "ConfigMap" && name == chainsConfigMapName:
		if src.ConfigFrom != "" {
			return fmt.Errorf("reading %s: a second ConfigMap %s (the first is in %s): give one", where, chainsConfigMapName, src.ConfigFrom)
		}
		var cm corev1.ConfigMap
		if err := json.Unmarshal(raw, &cm); err != nil {
			return fmt.Errorf("reading ConfigMap %s in %s: %w", name, where, err)
		}
		src.Config, src.ConfigFrom = cm.Data, "ConfigMap "+name+" ("+where+")"
		if src.Config == nil {
			src.Config = map[string]string{}
		}
	case obj.Kind == "Secret" && name == chainsSecretName:
		if src.SecretFrom != "" {
			return fmt.Errorf("reading %s: a second Secret %s (the first is in %s): give one", where, chainsSecretName, src.SecretFrom)
		}
		var s corev1.Secret
		if err := json.Unmarshal(raw, &s); err != nil {
			return fmt.Errorf("reading Secret %s in %s: %w", name, where, err)
		}
		src.Secret = s.Data
		for k, v := range s.StringData { // as written by hand, before the API server encodes it
			if src.Secret == nil {
				src.Secret = map[string][]byte{}
			}
			src.Secret[k] = []byte(v)
		}
		src.SecretFrom = "Secret " + name + " (" + where + ")"
	default:
		src.Ignored = append(src.Ignored, fmt.Sprintf("%s %s (%s)", obj.Kind, name, where))
	}
	return nil
}
