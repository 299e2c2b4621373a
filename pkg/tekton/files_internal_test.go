package tekton

import (
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chainseal/chainseal/pkg/tekton/tektontest"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func fixture() *tektontest.Run {
	r := tektontest.NewRun("ci", "p")
	r.Add(tektontest.Task{Name: "a"})
	r.Add(tektontest.Task{Name: "b"})
	return r
}

func TestFromFilesForms(t *testing.T) {
	r := fixture()
	prJSON := mustJSON(t, r.PipelineRun)
	trYAML, err := yaml.Marshal(r.TaskRuns[0])
	if err != nil {
		t.Fatal(err)
	}
	tr2YAML, err := yaml.Marshal(r.TaskRuns[1])
	if err != nil {
		t.Fatal(err)
	}
	list := map[string]any{"apiVersion": "v1", "kind": "List", "items": []any{r.PipelineRun, r.TaskRuns[0], r.TaskRuns[1]}}
	listYAML, err := yaml.Marshal(list)
	if err != nil {
		t.Fatal(err)
	}

	cases := map[string]struct {
		paths []string
		stdin string
	}{
		"separate JSON and YAML files": {paths: []string{
			writeFile(t, "pr.json", prJSON),
			writeFile(t, "a.yaml", trYAML),
			writeFile(t, "b.yaml", tr2YAML),
		}},
		"one multi-document YAML file": {paths: []string{
			writeFile(t, "all.yaml", []byte("---\n"+string(trYAML)+"---\n"+string(tr2YAML)+"---\n# a comment only\n---\n"+string(mustYAML(t, r.PipelineRun)))),
		}},
		"a kubectl List on stdin": {paths: []string{Stdin}, stdin: string(listYAML)},
		"a JSON List":             {paths: []string{writeFile(t, "list.json", mustJSON(t, list))}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			s, err := fromFiles(c.paths, strings.NewReader(c.stdin))
			if err != nil {
				t.Fatal(err)
			}
			if s.PipelineRun.Name != "p" || len(s.TaskRuns) != 2 {
				t.Fatalf("got PipelineRun %q with %d TaskRuns", s.PipelineRun.Name, len(s.TaskRuns))
			}
			if s.TaskRuns[0].Status.Steps[0].ImageID == "" {
				t.Error("status lost in decoding")
			}
		})
	}
}

func mustYAML(t *testing.T, v any) []byte {
	b, err := yaml.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestFromFilesErrorsNameTheFile(t *testing.T) {
	r := fixture()
	pr := mustJSON(t, r.PipelineRun)
	cm := writeFile(t, "cm.yaml", []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"))
	beta := writeFile(t, "beta.yaml", []byte("apiVersion: tekton.dev/v1beta1\nkind: PipelineRun\nmetadata: {name: x}\n"))
	junk := writeFile(t, "junk.txt", []byte("{not json"))
	empty := writeFile(t, "empty.yaml", []byte("\n---\n"))
	two := writeFile(t, "two.json", append(append([]byte{}, pr...), pr...))
	cases := []struct {
		paths []string
		want  []string
		is    error
	}{
		{[]string{cm}, []string{cm, "document 1", `kind "ConfigMap"`}, ErrNotTekton},
		{[]string{beta}, []string{beta, `"tekton.dev/v1beta1"`}, ErrNotTekton},
		{[]string{junk}, []string{junk, "not JSON or YAML"}, nil},
		{[]string{empty}, []string{empty, "no object found"}, ErrNotTekton},
		{[]string{two}, []string{"expected exactly one PipelineRun, found 2", two}, nil},
		{[]string{writeFile(t, "tr.json", mustJSON(t, r.TaskRuns[0]))}, []string{"found 0"}, nil},
		{[]string{filepath.Join(t.TempDir(), "nope.yaml")}, []string{"nope.yaml", "no such file"}, os.ErrNotExist},
		{nil, []string{"no file given"}, nil},
	}
	for _, c := range cases {
		_, err := fromFiles(c.paths, strings.NewReader(""))
		if err == nil {
			t.Errorf("%v: no error", c.paths)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%v: error %q does not contain %q", c.paths, err, w)
			}
		}
		if c.is != nil && !errors.Is(err, c.is) {
			t.Errorf("%v: error %q is not %v", c.paths, err, c.is)
		}
	}
}

// documents splits and converts a file as Kubernetes' YAMLOrJSONDecoder
// (which FromFiles used before it read files whole) does. An empty document
// comes out as "null" here and "" there; decodeDocuments skips both.
func TestDocumentsAsKubernetesDecoderReadsThem(t *testing.T) {
	for name, in := range map[string]string{
		"json stream":       `{"kind":"TaskRun","n":1} {"kind":"TaskRun","n":2}` + "\n" + `{"a":[1,2,{"b":null}]}`,
		"json after spaces": "\n\t  {\"kind\":\"PipelineRun\",\"spec\":{}}\n",
		"yaml documents":    "kind: TaskRun\nmetadata:\n  name: a # comment\n---\n---\nkind: TaskRun\nspec:\n  params:\n  - name: x\n    value: \"1\"\n  - {name: y, value: [a, b]}\n...\n",
		"yaml first doc":    "---\napiVersion: v1\nkind: List\nitems: []\n",
		"yaml block scalar": "kind: TaskRun\nscript: |\n  echo a\n  ---\n  echo b\nnum: 010\nflag: yes\n",
		"empty":             "",
		"only separators":   "---\n---\n",
	} {
		t.Run(name, func(t *testing.T) {
			var want []string
			dec := utilyaml.NewYAMLOrJSONDecoder(strings.NewReader(in), 64<<10)
			for {
				var raw json.RawMessage
				if err := dec.Decode(&raw); err != nil {
					if !errors.Is(err, io.EOF) {
						t.Fatalf("Kubernetes' decoder: %v", err)
					}
					break
				}
				if len(raw) > 0 {
					want = append(want, string(raw))
				}
			}
			var got []string
			next := documents([]byte(in))
			for {
				raw, err := next()
				if err != nil {
					if !errors.Is(err, io.EOF) {
						t.Fatalf("documents: %v", err)
					}
					break
				}
				if string(raw) != "null" {
					got = append(got, string(raw))
				}
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("documents:\n%q\nKubernetes' decoder:\n%q", got, want)
			}
		})
	}
}

// A file's "Status" beside "status" is what kubectl and Tekton's
// controller ignore (they match field names case-sensitively); reading it
// in place of "status" would seal a result Tekton never recorded. (In
// YAML the keys come out sorted, capitals first, so the test is in JSON,
// where the forged key can come last and encoding/json would keep it.)
func TestFromFilesIgnoresMiscasedFields(t *testing.T) {
	r := fixture()
	real := mustJSON(t, r.TaskRuns[0])
	forged := append(real[:len(real)-1:len(real)-1], `,"Status":{"podName":"forged-pod"},"Metadata":{"name":"forged"}}`...)
	s, err := FromFiles([]string{writeFile(t, "pr.json", mustJSON(t, r.PipelineRun)), writeFile(t, "tr.json", forged)})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.TaskRuns) != 1 {
		t.Fatalf("covered %d TaskRuns, want the one; excluded %+v", len(s.TaskRuns), s.Excluded)
	}
	if got := s.TaskRuns[0]; got.Name != r.TaskRuns[0].Name || got.Status.PodName != r.TaskRuns[0].Status.PodName {
		t.Errorf("read %s with pod %q, want Tekton's %s with %q", got.Name, got.Status.PodName, r.TaskRuns[0].Name, r.TaskRuns[0].Status.PodName)
	}
}
