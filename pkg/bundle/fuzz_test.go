package bundle

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// FuzzParse: the Tekton objects `make bundle` packs (multi-document YAML
// or JSON). Seeds are the project's own Task and catalog samples. What
// parses names a lowercase kind and a name, carries valid JSON with no
// ko:// image, and that JSON parses back to the same resource.
func FuzzParse(f *testing.F) {
	f.Add([]byte(twoObjects))
	for _, glob := range []string{"../../tasks/*.yaml", "../../catalog/task/chainseal/*/*.yaml", "../../catalog/task/chainseal/*/samples/*.yaml"} {
		files, _ := filepath.Glob(glob)
		for _, p := range files {
			if b, err := os.ReadFile(p); err == nil && len(b) < 64<<10 {
				f.Add(b)
			}
		}
	}
	f.Add([]byte("apiVersion: tekton.dev/v1beta1\nkind: StepAction\nmetadata: {name: \"\\u202es\"}\nspec: {image: \"ko://github.com/x\"}\n"))
	f.Add([]byte("{\"apiVersion\":\"tekton.dev/v1\",\"kind\":\"Task\",\"metadata\":{\"name\":\"t\"},\"spec\":{\"steps\":[{\"image\":\"x\",\"script\":\"ko://\\n\"}]}}\n---\nnull\n---\n"))
	f.Add([]byte("apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: sa}\n"))
	f.Add([]byte("---\n- a\n- b\n...\n--- !!binary AAAA\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rs, err := Parse("fuzz.yaml", data)
		if err != nil {
			return
		}
		for _, r := range rs {
			if r.Name == "" || r.Kind == "" || r.Kind != strings.ToLower(r.Kind) || r.APIVersion == "" || strings.Contains(r.APIVersion, "/") {
				t.Fatalf("resource %+v", r)
			}
			if !json.Valid(r.JSON) || bytes.Contains(r.JSON, []byte(`"ko://`)) {
				t.Fatalf("resource %s/%s carries %s", r.Kind, r.Name, r.JSON)
			}
			back, err := Parse("again.json", r.JSON)
			if err != nil || len(back) != 1 || !reflect.DeepEqual(back[0], r) {
				t.Fatalf("%s/%s does not parse back to itself: %v %+v", r.Kind, r.Name, err, back)
			}
		}
	})
}
