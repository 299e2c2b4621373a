package verify

import (
	"errors"
	"fmt"
)

// ErrInconclusive marks errors that stopped verification before a verdict:
// no attestation found, a registry or KMS that refused or could not be
// reached, a key, trusted root, bundle or policy file that does not parse.
// A deploy gate treats it differently from a failed check (retry, page).
var ErrInconclusive = errors.New("could not verify")

// inconclusive wraps err as ErrInconclusive, saying what was being done.
func inconclusive(what string, err error) error {
	if err == nil {
		return fmt.Errorf("%w: %s", ErrInconclusive, what)
	}
	return fmt.Errorf("%w: %s: %w", ErrInconclusive, what, err)
}
