package kubeclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kjson "sigs.k8s.io/json"
)

// TaskRunLister lists TaskRuns decoding each one as it arrives. The typed
// client reads the whole answer (megabytes for a pipeline of a thousand
// tasks) before it decodes any of it, and scans it once more for its kind
// first; decoding item by item overlaps the decoding with the API server
// still writing, and never holds the whole answer in memory.
type TaskRunLister interface {
	ListTaskRuns(ctx context.Context, namespace, labelSelector string) ([]*v1.TaskRun, error)
}

// ListTaskRuns lists the TaskRuns of namespace that labelSelector selects.
// Field names are matched case-sensitively, as client-go's decoder and
// Tekton's controller match them: a "Status" beside "status" is ignored,
// not read in its place.
func (c tektonClient) ListTaskRuns(ctx context.Context, namespace, labelSelector string) ([]*v1.TaskRun, error) {
	body, err := c.c.RESTClient().Get().Namespace(namespace).Resource("taskruns").
		Param("labelSelector", labelSelector).Stream(ctx)
	if err != nil {
		return nil, err
	}
	defer body.Close()
	return decodeTaskRunList(body)
}

// decodeTaskRunList reads a TaskRunList object from r, item by item.
func decodeTaskRunList(r io.Reader) ([]*v1.TaskRun, error) {
	dec := kjson.NewDecoderCaseSensitivePreserveInts(r)
	if err := expectDelim(dec, '{'); err != nil {
		return nil, err
	}
	var (
		items    []*v1.TaskRun
		sawItems bool
		kind     string
	)
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("decoding the TaskRun list: %w", err)
		}
		switch key, _ := t.(string); key {
		case "kind":
			if err := dec.Decode(&kind); err != nil {
				return nil, fmt.Errorf("decoding the TaskRun list's kind: %w", err)
			}
		case "metadata":
			var meta metav1.ListMeta
			if err := dec.Decode(&meta); err != nil {
				return nil, fmt.Errorf("decoding the TaskRun list's metadata: %w", err)
			}
			// Not asked for pages, the server sends none; a partial list
			// must not pass for the whole.
			if meta.Continue != "" {
				return nil, errors.New("the API server answered the TaskRun list with one page of several; chainseal asks for the whole list")
			}
		case "items":
			if sawItems {
				return nil, errors.New("the TaskRun list holds items twice")
			}
			sawItems = true
			if items, err = decodeItems(dec); err != nil {
				return nil, err
			}
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return nil, fmt.Errorf("decoding the TaskRun list: %w", err)
			}
		}
	}
	if err := expectDelim(dec, '}'); err != nil {
		return nil, err
	}
	if kind != "TaskRunList" {
		return nil, fmt.Errorf("the API server answered a TaskRun list with kind %q, not TaskRunList", kind)
	}
	return items, nil
}

func decodeItems(dec kjson.Decoder) ([]*v1.TaskRun, error) {
	t, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("decoding the TaskRun list's items: %w", err)
	}
	if t == nil { // "items": null, an empty list
		return nil, nil
	}
	if d, ok := t.(json.Delim); !ok || d != '[' {
		return nil, fmt.Errorf("decoding the TaskRun list: items is %v, not an array", t)
	}
	var items []*v1.TaskRun
	for dec.More() {
		tr := new(v1.TaskRun)
		if err := dec.Decode(tr); err != nil {
			return nil, fmt.Errorf("decoding item %d of the TaskRun list: %w", len(items), err)
		}
		items = append(items, tr)
	}
	return items, expectDelim(dec, ']')
}

func expectDelim(dec kjson.Decoder, want json.Delim) error {
	t, err := dec.Token()
	if err != nil {
		return fmt.Errorf("decoding the TaskRun list: %w", err)
	}
	if d, ok := t.(json.Delim); !ok || d != want {
		return fmt.Errorf("decoding the TaskRun list: found %v where %q belongs", t, want)
	}
	return nil
}
