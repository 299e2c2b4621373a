package verify

import (
	"context"
	"fmt"

	"github.com/chainseal/chainseal/pkg/signing"
)

// checkSignature verifies the DSSE signature with the key (pkg/signing,
// the same code that signs) and returns the verified payload.
func (v *Verifier) checkSignature(ctx context.Context, ev *evidence) ([]byte, Check) {
	payload, err := signing.VerifyEnvelope(ctx, ev.env, signing.PayloadTypeInToto, v.key.Verifier())
	if err != nil {
		return nil, fail(CheckSignature, fmt.Sprintf("the DSSE signature does not verify with the key %s: %v", v.key.Description, err))
	}
	return payload, pass(CheckSignature, "the DSSE signature verifies with the key "+v.key.Description)
}
