package signing

import (
	"encoding/base64"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"
)

// PayloadTypeInToto is the DSSE payload type of in-toto Statements.
const PayloadTypeInToto = "application/vnd.in-toto+json"

// Envelope is a DSSE envelope. It is securesystemslib's type, which cosign,
// in-toto and sigstore read, so no conversion is needed at the edges.
type Envelope = dsse.Envelope

// PAE is the DSSE pre-authentication encoding: the bytes a DSSE signature
// covers.
func PAE(payloadType string, payload []byte) []byte { return dsse.PAE(payloadType, payload) }

func newEnvelope(payloadType string, payload, sig []byte, keyID string) *Envelope {
	return &Envelope{
		PayloadType: payloadType,
		Payload:     base64.StdEncoding.EncodeToString(payload),
		Signatures:  []dsse.Signature{{KeyID: keyID, Sig: base64.StdEncoding.EncodeToString(sig)}},
	}
}
