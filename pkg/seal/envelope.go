package seal

import (
	"encoding/json"
	"fmt"

	"github.com/chainseal/chainseal/pkg/signing"
)

func envelopeJSON(env *signing.Envelope) ([]byte, error) {
	b, err := json.Marshal(env)
	if err != nil {
		return nil, fmt.Errorf("encoding DSSE envelope: %w", err)
	}
	return b, nil
}
