package verify

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// Outcome is the verdict on an image.
type Outcome string

const (
	// Verified: at least one attestation passed every check.
	Verified Outcome = "verified"
	// Failed: every attestation failed at least one check.
	Failed Outcome = "failed"
	// Inconclusive: no attestation passed, and at least one could not be
	// fully checked (a check errored) without failing any.
	Inconclusive Outcome = "could-not-verify"
)

// Attestation is one attestation found for the image and its checks.
type Attestation struct {
	// Source says where it was found: the .att tag and layer, a referrer,
	// or a bundle file.
	Source        string  `json:"source"`
	PredicateType string  `json:"predicateType,omitempty"`
	Checks        []Check `json:"checks"`
	// RekorUUID and RekorLogIndex identify the transparency log entry, when
	// one was found.
	RekorUUID     string  `json:"rekorUUID,omitempty"`
	RekorLogIndex *int64  `json:"rekorLogIndex,omitempty"`
	Outcome       Outcome `json:"outcome"`

	ev *evidence
}

// Report is what Verify found and checked.
type Report struct {
	// Image is the reference as given; Digest the image's digest;
	// Reference the repository at that digest.
	Image     string `json:"image"`
	Digest    string `json:"digest"`
	Reference string `json:"reference"`
	// Resolved is true when Image was a tag, resolved through the registry.
	Resolved     bool          `json:"resolved"`
	Outcome      Outcome       `json:"outcome"`
	Attestations []Attestation `json:"attestations"`
	// Error says why verification could not start or find anything to
	// check (Outcome is could-not-verify).
	Error string `json:"error,omitempty"`
	// Notes are things a person should know that did not decide the
	// outcome (a referrers lookup the registry does not support).
	Notes []string `json:"notes,omitempty"`

	key *Key
}

// outcomeOf decides one attestation: any failure fails it; otherwise any
// error makes it inconclusive.
func outcomeOf(checks []Check) Outcome {
	out := Verified
	for _, c := range checks {
		switch c.Status {
		case Fail:
			return Failed
		case Error:
			out = Inconclusive
		}
	}
	return out
}

// decide sets the report's outcome from its attestations.
func (r *Report) decide() {
	r.Outcome = Failed
	for i := range r.Attestations {
		a := &r.Attestations[i]
		a.Outcome = outcomeOf(a.Checks)
		switch {
		case a.Outcome == Verified:
			r.Outcome = Verified
		case a.Outcome == Inconclusive && r.Outcome != Verified:
			r.Outcome = Inconclusive
		}
	}
}

// Passed returns the attestations that passed every check.
func (r *Report) Passed() []Attestation {
	var out []Attestation
	for _, a := range r.Attestations {
		if a.Outcome == Verified {
			out = append(out, a)
		}
	}
	return out
}

// FirstProblem returns the first failed (or, failing that, errored) check
// over all attestations, for a one-line error message.
func (r *Report) FirstProblem() (Check, bool) {
	for _, want := range []Status{Fail, Error} {
		for _, a := range r.Attestations {
			for _, c := range a.Checks {
				if c.Status == want {
					return c, true
				}
			}
		}
	}
	return Check{}, false
}

// WriteJSON writes the report as one JSON document.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("writing the report: %w", err)
	}
	return nil
}

// WriteText writes the summary a person reads: the image, each
// attestation's checks, and the verdict.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	switch {
	case r.Resolved:
		fmt.Fprintf(&b, "image %s\n  resolved to %s\n", r.Image, r.Reference)
	case r.Reference != "":
		fmt.Fprintf(&b, "image %s\n", r.Reference)
	default:
		fmt.Fprintf(&b, "image %s\n", r.Image)
	}
	for i, a := range r.Attestations {
		fmt.Fprintf(&b, "attestation %d of %d: %s\n", i+1, len(r.Attestations), a.Source)
		if a.PredicateType != "" {
			fmt.Fprintf(&b, "  predicateType %s\n", a.PredicateType)
		}
		for _, c := range a.Checks {
			fmt.Fprintf(&b, "  %-5s %-17s %s\n", strings.ToUpper(string(c.Status)), c.Name, c.Detail)
		}
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "note: %s\n", n)
	}
	switch r.Outcome {
	case Verified:
		fmt.Fprintf(&b, "VERIFIED: %d of %d attestations passed every check\n", len(r.Passed()), len(r.Attestations))
	case Inconclusive:
		if r.Error != "" {
			fmt.Fprintf(&b, "COULD NOT VERIFY: %s\n", strings.TrimPrefix(r.Error, ErrInconclusive.Error()+": "))
		} else {
			b.WriteString("COULD NOT VERIFY: no attestation passed, and some checks could not be evaluated\n")
		}
	default:
		b.WriteString("FAILED: no attestation passed every check\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}
