package tekton

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// Stdin is the path that means standard input in FromFiles.
const Stdin = "-"

// FromFiles builds a snapshot from files instead of the API (offline use,
// tests). Each file holds one or more JSON or YAML documents, each a
// tekton.dev/v1 PipelineRun, TaskRun, or a List of them; "-" is stdin.
// Exactly one PipelineRun must be found across all files.
func FromFiles(paths []string, opts ...Option) (*Snapshot, error) {
	return fromFiles(paths, os.Stdin, opts...)
}

func fromFiles(paths []string, stdin io.Reader, opts ...Option) (*Snapshot, error) {
	if len(paths) == 0 {
		return nil, errors.New("reading files: no file given")
	}
	var prs []*v1.PipelineRun
	var prFiles []string
	var trs []*v1.TaskRun
	for _, p := range paths {
		gotPRs, gotTRs, err := readFile(p, stdin)
		if err != nil {
			return nil, err
		}
		for range gotPRs {
			prFiles = append(prFiles, p)
		}
		prs = append(prs, gotPRs...)
		trs = append(trs, gotTRs...)
	}
	if len(prs) != 1 {
		return nil, fmt.Errorf("reading %s: expected exactly one PipelineRun, found %d%s", strings.Join(paths, ", "), len(prs), inFiles(prFiles))
	}
	return Cover(prs[0], trs, opts...)
}

func readFile(path string, stdin io.Reader) ([]*v1.PipelineRun, []*v1.TaskRun, error) {
	if path == Stdin {
		return decodeStream("stdin", stdin)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, &FileError{Path: path, Err: err}
	}
	return decodeDocuments(path, data)
}

func inFiles(files []string) string {
	if len(files) == 0 {
		return ""
	}
	return " (in " + strings.Join(files, ", ") + ")"
}

// typeMeta is enough of an object to know what it is.
type typeMeta struct {
	APIVersion string            `json:"apiVersion"`
	Kind       string            `json:"kind"`
	Items      []json.RawMessage `json:"items"`
}

// decodeStream reads r whole, then decodes its documents.
func decodeStream(path string, r io.Reader) ([]*v1.PipelineRun, []*v1.TaskRun, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, nil, &FileError{Path: path, Err: err}
	}
	return decodeDocuments(path, data)
}

// decodeDocuments decodes every document of one file. The file is in memory
// already: a streaming decoder's read buffers (64 KiB and more per file) cost
// more than the objects on a pipeline of a thousand one-object files.
func decodeDocuments(path string, data []byte) ([]*v1.PipelineRun, []*v1.TaskRun, error) {
	next := documents(data)
	var prs []*v1.PipelineRun
	var trs []*v1.TaskRun
	for doc := 1; ; doc++ {
		raw, err := next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, &FileError{Path: path, Doc: doc, Err: fmt.Errorf("not JSON or YAML: %w", err)}
		}
		if len(bytes.TrimSpace(raw)) == 0 || bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
			continue // an empty YAML document
		}
		p, t, err := decodeObject(raw, true)
		if err != nil {
			return nil, nil, &FileError{Path: path, Doc: doc, Err: err}
		}
		prs = append(prs, p...)
		trs = append(trs, t...)
	}
	if len(prs) == 0 && len(trs) == 0 {
		return nil, nil, &FileError{Path: path, Err: fmt.Errorf("no object found: %w", ErrNotTekton)}
	}
	return prs, trs, nil
}

// documents returns a function that yields each document of data as JSON,
// then io.EOF. As Kubernetes' YAMLOrJSONDecoder reads it: data that starts
// with "{" is a stream of JSON values, anything else YAML documents separated
// by "---", each converted to JSON.
func documents(data []byte) func() (json.RawMessage, error) {
	if t := bytes.TrimLeft(data, " \t\r\n"); len(t) > 0 && t[0] == '{' {
		dec := json.NewDecoder(bytes.NewReader(data))
		return func() (json.RawMessage, error) {
			var raw json.RawMessage
			err := dec.Decode(&raw)
			return raw, err
		}
	}
	docs := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	return func() (json.RawMessage, error) {
		doc, err := docs.Read()
		if err != nil {
			return nil, err
		}
		return yaml.YAMLToJSON(doc)
	}
}

// decodeObject decodes one object; a List is allowed at the top level only.
// Field names match case-sensitively, as the API server's clients and
// Tekton's controller match them: a "Status" beside "status" is ignored.
func decodeObject(raw []byte, listOK bool) ([]*v1.PipelineRun, []*v1.TaskRun, error) {
	var tm typeMeta
	if err := kjson.UnmarshalCaseSensitivePreserveInts(raw, &tm); err != nil {
		return nil, nil, fmt.Errorf("expected a Kubernetes object: %w", err)
	}
	switch {
	case tm.Kind == "PipelineRun" && tm.APIVersion == v1.SchemeGroupVersion.String():
		var pr v1.PipelineRun
		if err := kjson.UnmarshalCaseSensitivePreserveInts(raw, &pr); err != nil {
			return nil, nil, fmt.Errorf("decoding PipelineRun: %w", err)
		}
		return []*v1.PipelineRun{&pr}, nil, nil
	case tm.Kind == "TaskRun" && tm.APIVersion == v1.SchemeGroupVersion.String():
		var tr v1.TaskRun
		if err := kjson.UnmarshalCaseSensitivePreserveInts(raw, &tr); err != nil {
			return nil, nil, fmt.Errorf("decoding TaskRun: %w", err)
		}
		return nil, []*v1.TaskRun{&tr}, nil
	case listOK && strings.HasSuffix(tm.Kind, "List"):
		var prs []*v1.PipelineRun
		var trs []*v1.TaskRun
		for i, item := range tm.Items {
			p, t, err := decodeObject(item, false)
			if err != nil {
				return nil, nil, fmt.Errorf("item %d of the %s: %w", i, tm.Kind, err)
			}
			prs = append(prs, p...)
			trs = append(trs, t...)
		}
		return prs, trs, nil
	}
	return nil, nil, fmt.Errorf("found apiVersion %q kind %q: %w", tm.APIVersion, tm.Kind, ErrNotTekton)
}
