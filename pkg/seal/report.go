package seal

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"strings"

	"github.com/chainseal/chainseal/pkg/storage"
)

// Report says what a Seal signed, with which keys, and where it is stored.
type Report struct {
	Keys         []string
	Attestations []storage.Attestation
	Images       []storage.ImageSignature
	Receipts     []storage.Receipt
	Marked       []storage.Object
}

// Summary writes what a person wants to read after a run.
func (r *Report) Summary(w io.Writer) {
	for _, a := range r.Attestations {
		fmt.Fprintf(w, "signed %s provenance of %s\n", a.Format, a.Object)
		for _, s := range a.Subjects {
			fmt.Fprintf(w, "  subject %s@sha256:%s\n", s.Name, s.Digest["sha256"])
		}
		if a.Transparency != nil {
			fmt.Fprintf(w, "  transparency log %s index %d uuid %s\n", a.Transparency.URL, a.Transparency.LogIndex, a.Transparency.UUID)
		}
	}
	for _, i := range r.Images {
		fmt.Fprintf(w, "signed image %s\n", i.Image)
	}
	for _, k := range r.Keys {
		fmt.Fprintf(w, "key: %s\n", k)
	}
	for _, rc := range r.Receipts {
		fmt.Fprintf(w, "stored in %s: %s\n", rc.Backend, strings.Join(rc.Locations, ", "))
	}
	for _, o := range r.Marked {
		fmt.Fprintf(w, "marked %s chains.tekton.dev/signed=true\n", o)
	}
}

// Results are the Task results chainseal writes.
func (r *Report) Results() map[string]string {
	out := map[string]string{}
	var subjects []string
	for _, a := range r.Attestations {
		for _, s := range a.Subjects {
			subjects = appendUnique(subjects, s.Name+"@sha256:"+s.Digest["sha256"])
		}
	}
	out["SIGNED_SUBJECTS"] = strings.Join(subjects, "\n")
	if len(r.Attestations) > 0 {
		main := r.Attestations[0]
		body := main.Envelope
		if len(body) == 0 {
			body = main.Payload
		}
		sum := sha256.Sum256(body)
		out["ATTESTATION_DIGEST"] = "sha256:" + hex.EncodeToString(sum[:])
		if t := main.Transparency; t != nil {
			out["REKOR_LOG_INDEX"] = fmt.Sprint(t.LogIndex)
			out["REKOR_UUID"] = t.UUID
		}
	}
	var refs []string
	for _, rc := range r.Receipts {
		refs = append(refs, rc.References...)
	}
	out["ATTESTATION_REF"] = strings.Join(refs, "\n")
	return out
}
