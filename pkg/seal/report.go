package seal

import (
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
