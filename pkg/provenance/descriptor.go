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
		if seen[key] && d.Name != depPipeline && d.Name != depTask {
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
