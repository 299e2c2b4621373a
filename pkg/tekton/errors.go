package tekton

import (
	"errors"
	"fmt"
)

// ReadError is a failure to read an object from the API. It wraps the API
// error, so apierrors.IsNotFound and IsForbidden work on it.
type ReadError struct {
	What      string // "PipelineRun", "TaskRuns of PipelineRun"
	Namespace string
	Name      string
	Err       error
}

func (e *ReadError) Error() string {
	return fmt.Sprintf("reading %s %s/%s: %v", e.What, e.Namespace, e.Name, e.Err)
}

func (e *ReadError) Unwrap() error { return e.Err }

// ErrUIDMismatch is wrapped by UIDMismatchError.
var ErrUIDMismatch = errors.New("PipelineRun UID mismatch")

// UIDMismatchError says the PipelineRun found is not the one asked for:
// it was deleted and recreated under the same name.
type UIDMismatchError struct {
	Namespace, Name string
	Want, Got       string
}

func (e *UIDMismatchError) Error() string {
	return fmt.Sprintf("reading PipelineRun %s/%s: its UID is %s, not %s: the run was deleted and recreated; nothing is signed", e.Namespace, e.Name, e.Got, e.Want)
}

func (e *UIDMismatchError) Unwrap() error { return ErrUIDMismatch }

// ErrNotTekton is wrapped by FileError when a document is not a Tekton v1
// PipelineRun, TaskRun, or a List of them.
var ErrNotTekton = errors.New("not a tekton.dev/v1 PipelineRun, TaskRun, or a List of them")

// FileError is a failure to read one --from-file input.
type FileError struct {
	Path string
	Doc  int // 1-based document number in a multi-document file; 0 when not known
	Err  error
}

func (e *FileError) Error() string {
	if e.Doc > 0 {
		return fmt.Sprintf("reading %s (document %d): %v", e.Path, e.Doc, e.Err)
	}
	return fmt.Sprintf("reading %s: %v", e.Path, e.Err)
}

func (e *FileError) Unwrap() error { return e.Err }
