package verify

import (
	"encoding/json"
	"fmt"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"

	"github.com/chainseal/chainseal/pkg/signing"
	"github.com/sigstore/rekor/pkg/generated/models"
)

// evidence is one attestation as found, before any check: the DSSE
// envelope and the transparency log entry stored with it.
type evidence struct {
	source string
	// raw is the envelope exactly as stored (a .att layer), which is what
	// the Rekor dsse entry hashes; nil when rebuilt from a Sigstore bundle.
	raw []byte
	env *dsse.Envelope
	// entry is the log entry stored with the attestation: from a .att
	// layer's bundle annotation (signed entry timestamp, no inclusion
	// proof) or from a Sigstore bundle (both); nil when none was stored.
	entry *models.LogEntryAnon
	// predicateType as the storage labelled it (a layer annotation).
	predicateType string
	// broken says why a stored layer is not an attestation that can be
	// checked (not a DSSE envelope, or unreadable); its status is Fail, or
	// Error when the registry did not serve it. env is nil then.
	broken       string
	brokenStatus Status
	// entryErr says why the stored log entry (a .att layer's bundle
	// annotation) does not parse; the transparency-log check fails.
	entryErr string
	// material is the certificate (and chain) stored with the
	// attestation, keyless; nil when none was. materialErr says why a
	// stored one does not parse.
	material    *signing.Material
	materialErr string
}

func parseEnvelope(raw []byte, source string) (*evidence, error) {
	var env dsse.Envelope
	if err := json.Unmarshal(raw, &env); err != nil {
		return nil, fmt.Errorf("%s: not a DSSE envelope: %w", source, err)
	}
	return &evidence{source: source, raw: raw, env: &env}, nil
}

// envelopeJSON is the envelope as bytes: the stored ones when known.
func (e *evidence) envelopeJSON() ([]byte, error) {
	if e.raw != nil {
		return e.raw, nil
	}
	return json.Marshal(e.env)
}
