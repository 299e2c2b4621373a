package bundle

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/tektoncd/pipeline/pkg/client/clientset/versioned/scheme"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/yaml"
	sigsyaml "sigs.k8s.io/yaml"
)

// Resource is one Tekton object of a bundle: its identity (what the layer
// annotations say) and its JSON, which is the layer's only file.
type Resource struct {
	APIVersion string // the version alone ("v1"), as tkn writes it
	Kind       string // lowercase and singular ("task"), as Tekton requires
	Name       string
	JSON       []byte
}

// Parse reads every object of a YAML or JSON stream (multi-document YAML
// allowed). Each must be a Tekton object with a name, and no step may still
// name a ko:// image: a bundle is immutable, so its images must be resolved
// to digests first (ko resolve).
func Parse(source string, data []byte) ([]Resource, error) {
	decoder := scheme.Codecs.UniversalDeserializer()
	r := yaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var out []Resource
	for i := 0; ; i++ {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("reading %s document %d: %w", source, i, err)
		}
		js, err := sigsyaml.YAMLToJSON(doc)
		if err != nil {
			return nil, fmt.Errorf("reading %s document %d: %w", source, i, err)
		}
		if js = bytes.TrimSpace(js); len(js) == 0 || string(js) == "null" {
			continue
		}
		obj, gvk, err := decoder.Decode(js, nil, nil)
		if err != nil {
			return nil, fmt.Errorf("%s document %d is not a Tekton object (only Tasks, Pipelines and StepActions go in a bundle; apply RBAC separately): %w", source, i, err)
		}
		meta, ok := obj.(metav1.Object)
		if !ok || meta.GetName() == "" {
			return nil, fmt.Errorf("%s document %d (%s) has no metadata.name", source, i, gvk.Kind)
		}
		if bytes.Contains(js, []byte(`"ko://`)) {
			return nil, fmt.Errorf("%s %s/%s names a ko:// image: resolve it first (ko resolve -f %s)", source, gvk.Kind, meta.GetName(), source)
		}
		out = append(out, Resource{
			APIVersion: gvk.Version,
			Kind:       strings.ToLower(gvk.Kind),
			Name:       meta.GetName(),
			JSON:       js,
		})
	}
}
