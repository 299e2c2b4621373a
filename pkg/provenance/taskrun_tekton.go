package provenance

import (
	"encoding/json"
)

// taskRunTekton is the tekton format: the TaskRun's status as JSON, as
// Tekton Chains' Tekton formatter made it (it returned TaskRun.Status and
// Chains marshalled it with encoding/json). It is signed as it is, with
// no envelope (PayloadTypeNone in formats); its subjects are the
// TaskRun's own, for storage only.
func taskRunTekton(in taskRunInput) ([]byte, error) {
	return json.Marshal(in.tr.Status)
}
