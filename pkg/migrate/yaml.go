package migrate

import (
	"fmt"
	"io"

	"k8s.io/apimachinery/pkg/runtime"
	sigsyaml "sigs.k8s.io/yaml"
)

// redacted stands for a key file's bytes in printed YAML: not base64, so
// applying the YAML as printed fails rather than store a broken key.
const redacted = "<redacted: run chainseal migrate --dry-run --show-secrets to print the key files>"

// WriteYAML prints what migrate writes, or would write, as multi-document
// YAML that kubectl apply takes: every namespace's objects, and the
// Pipelines that get the finally task. Key files are redacted unless
// showSecrets.
func (r *Result) WriteYAML(w io.Writer, showSecrets bool) error {
	for _, n := range r.Namespaces {
		for _, c := range n.Changes {
			if err := writeDoc(w, fmt.Sprintf("%s: %s", Describe(c.Object), c.Action), c.Object, showSecrets); err != nil {
				return err
			}
		}
		for _, p := range n.Pipelines {
			if p.State != Patch {
				continue
			}
			pl := p.Patched.DeepCopy()
			pl.APIVersion, pl.Kind = "tekton.dev/v1", "Pipeline"
			pl.ManagedFields, pl.ResourceVersion, pl.UID, pl.Generation = nil, "", "", 0
			if err := writeDoc(w, "Pipeline "+pl.Namespace+"/"+pl.Name+": the chainseal finally task added", pl, true); err != nil {
				return err
			}
		}
	}
	return nil
}

func writeDoc(w io.Writer, comment string, o runtime.Object, showSecrets bool) error {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(o)
	if err != nil {
		return fmt.Errorf("printing %s: %w", comment, err)
	}
	delete(m, "status")
	if md, ok := m["metadata"].(map[string]any); ok {
		delete(md, "creationTimestamp")
	}
	if m["kind"] == "Secret" && !showSecrets {
		if data, ok := m["data"].(map[string]any); ok {
			for k := range data {
				data[k] = redacted
			}
		}
	}
	b, err := sigsyaml.Marshal(m)
	if err != nil {
		return fmt.Errorf("printing %s: %w", comment, err)
	}
	_, err = fmt.Fprintf(w, "---\n# %s\n%s", comment, b)
	return err
}
