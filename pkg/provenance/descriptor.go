package provenance

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/chainseal/chainseal/pkg/artifacts"
	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// descriptor is an in-toto v1 ResourceDescriptor as JSON.
type descriptor struct {
	Name        string            `json:"name,omitempty"`
	URI         string            `json:"uri,omitempty"`
	Digest      map[string]string `json:"digest,omitempty"`
	Content     []byte            `json:"content,omitempty"`
	MediaType   string            `json:"mediaType,omitempty"`
	Annotations map[string]any    `json:"annotations,omitempty"`
}

// subjects turns artifacts into statement subjects; image tags become an
// annotation (v1 statements only: v0.1 subjects have no annotations), never
// part of the name.
func subjects(ss []artifacts.Subject, annotate bool) []descriptor {
	out := make([]descriptor, 0, len(ss))
	for _, s := range ss {
		d := descriptor{Name: s.Name, Digest: s.Digest}
		if annotate && len(s.Tags) > 0 {
			d.Annotations = map[string]any{"tags": s.Tags}
		}
		out = append(out, d)
	}
	return out
}

// imageDependency reads a step or sidecar imageID (written by the kubelet,
// so trusted) as Chains does: oci://<repository> with its digest.
func imageDependency(imageID string) (descriptor, error) {
	ref, dig, ok := strings.Cut(strings.TrimPrefix(imageID, "docker-pullable://"), "@")
	alg, hex, ok2 := strings.Cut(dig, ":")
	if !ok || !ok2 || ref == "" || hex == "" {
		return descriptor{}, fmt.Errorf("imageID %q is not <repository>@<algorithm>:<hex>", imageID)
	}
	return descriptor{URI: "oci://" + ref, Digest: map[string]string{alg: hex}}, nil
}

// images are the step and sidecar images, in that order.
func images(steps []v1.StepState, sidecars []v1.SidecarState) ([]descriptor, error) {
	ids := make([]string, 0, len(steps)+len(sidecars))
	for _, s := range steps {
		ids = append(ids, s.ImageID)
	}
	for _, s := range sidecars {
		ids = append(ids, s.ImageID)
	}
	out := make([]descriptor, 0, len(ids))
	for _, id := range ids {
		if id == "" {
			continue // a container that never started has no image
		}
		d, err := imageDependency(id)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

// refSource is where Tekton resolved the pipeline or task from, named
// name; false when Tekton recorded no source.
func refSource(name string, p *v1.Provenance) (descriptor, bool) {
	d := descriptor{Name: name}
	if p == nil || p.RefSource == nil {
		return d, false
	}
	d.URI, d.Digest = p.RefSource.URI, p.RefSource.Digest
	return d, true
}

// artifactDescriptors are type-hinted artifacts (inputs or byproducts) as
// Chains lists them: the artifact's name as the URI, each named name.
func artifactDescriptors(name string, as []artifacts.Subject) []descriptor {
	var out []descriptor
	for _, a := range as {
		out = append(out, descriptor{Name: name, URI: a.Name, Digest: a.Digest})
	}
	return out
}

// dedupe drops a descriptor equal to an earlier one in uri, digest and
// content (names ignored), as Chains does; the pipeline's own config entry
// is always kept.
func dedupe(ds []descriptor) []descriptor {
	seen := map[string]bool{}
	out := ds[:0]
	for _, d := range ds {
		var k strings.Builder
		k.WriteString(d.URI)
		for _, alg := range slices.Sorted(maps.Keys(d.Digest)) {
			k.WriteString("\x00" + alg + ":" + d.Digest[alg])
		}
		k.WriteString("\x00")
		k.Write(d.Content)
		key := k.String()
		if seen[key] && d.Name != depPipeline && d.Name != depTask && !strings.HasPrefix(d.Name, depStepAction) {
			continue
		}
		seen[key] = true
		out = append(out, d)
	}
	return out
}

// marshal writes deterministic JSON: map keys sorted, no HTML escaping.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// timestamp is RFC 3339 in UTC, as protojson writes whole seconds.
func timestamp(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func metaTime(t *metav1.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.Time.UTC()
	return &u
}
