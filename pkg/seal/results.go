package seal

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// The Task results chainseal writes.
const (
	ResultAttestationDigest = "ATTESTATION_DIGEST"
	ResultAttestationRef    = "ATTESTATION_REF"
	ResultRekorLogIndex     = "REKOR_LOG_INDEX"
	ResultRekorUUID         = "REKOR_UUID"
	ResultSignedSubjects    = "SIGNED_SUBJECTS"
)

// Tekton reads a step's results from its termination message, which the
// kubelet caps at 4096 bytes for all of a pod's steps together; a Task
// whose results do not fit fails. chainseal's results stay within
// resultsBudget (JSON-encoded as Tekton writes them), which leaves room for
// Tekton's own entries. A list result longer than listBudget is written as
// its count and the digest of the full list, which Lists returns for the
// step log.
const (
	resultsBudget = 3072
	listBudget    = 1024
	// scalarBudget bounds a single-valued result (a digest, a log index, a
	// UUID are far shorter).
	scalarBudget = 160
)

// Results are the Task results chainseal writes, each one line per item
// and all of them within Tekton's result size limit. Every result the Task
// declares is there, empty when it does not apply (no transparency log,
// nothing signed), so a pipeline that reads one never finds it missing.
func (r *Report) Results() map[string]string {
	out := map[string]string{ResultAttestationDigest: "", ResultRekorLogIndex: "", ResultRekorUUID: ""}
	for k, list := range r.Lists() {
		out[k] = listResult(list)
	}
	if len(r.Attestations) > 0 {
		main := r.Attestations[0]
		body := main.Envelope
		if len(body) == 0 {
			body = main.Payload
		}
		sum := sha256.Sum256(body)
		out[ResultAttestationDigest] = "sha256:" + hex.EncodeToString(sum[:])
		if t := main.Transparency; t != nil {
			out[ResultRekorLogIndex] = fmt.Sprint(t.LogIndex)
			out[ResultRekorUUID] = scalar(t.UUID)
		}
	}
	return out
}

// Lists are the full lists behind the list results (SIGNED_SUBJECTS,
// ATTESTATION_REF), one line per item: what a capped result's count and
// digest are of, for the log.
func (r *Report) Lists() map[string][]string {
	var subjects []string
	for _, a := range r.Attestations {
		for _, s := range a.Subjects {
			subjects = appendUnique(subjects, oneLine(s.Name+"@sha256:"+s.Digest["sha256"]))
		}
	}
	var refs []string
	for _, rc := range r.Receipts {
		for _, ref := range rc.References {
			refs = appendUnique(refs, oneLine(ref))
		}
	}
	return map[string][]string{ResultSignedSubjects: subjects, ResultAttestationRef: refs}
}

// listResult is the list, one item a line, or when that takes more than
// listBudget in the termination message its count and the sha256 of the
// full list (the items joined by newlines, as the log prints them).
func listResult(list []string) string {
	joined := strings.Join(list, "\n")
	if encodedLen(joined) <= listBudget {
		return joined
	}
	sum := sha256.Sum256([]byte(joined))
	return fmt.Sprintf("%d entries (too many for a Task result; listed in the step log), list sha256:%s", len(list), hex.EncodeToString(sum[:]))
}

// oneLine keeps an item on one line: text with a control character (a
// newline from a tenant's result) is quoted, so it cannot add an item.
func oneLine(s string) string {
	if strings.ContainsFunc(s, unicode.IsControl) {
		return strconv.QuoteToASCII(s)
	}
	return s
}

// scalar is a single-valued result: one line, and bounded.
func scalar(s string) string {
	s = oneLine(s)
	if encodedLen(s) > scalarBudget {
		sum := sha256.Sum256([]byte(s))
		return fmt.Sprintf("(too long for a Task result) sha256:%s", hex.EncodeToString(sum[:]))
	}
	return s
}

// encodedLen is what s takes in the termination message, JSON-encoded.
func encodedLen(s string) int {
	b, _ := json.Marshal(s)
	return len(b)
}
