package signing

import (
	"bytes"
	"errors"
	"strings"
)

// Error is a failure to load or use a key. Source names the key (never its
// content); Fix names the config key or secret file that the user changes.
type Error struct {
	Op     string // "loading", "signing with", ...
	Source string // e.g. "cosign key cosign.key from directory /secrets"
	Fix    string // e.g. "check the file cosign.password"
	Err    error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Op)
	b.WriteString(" ")
	b.WriteString(e.Source)
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	if e.Fix != "" {
		b.WriteString(" (")
		b.WriteString(e.Fix)
		b.WriteString(")")
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// ErrUnsupported marks an operation a key source cannot do (a DSSE envelope
// with a PGP key, a signer name nobody registered).
var ErrUnsupported = errors.New("unsupported")

// scrub drops an error's chain when its text contains a secret: a library
// that echoes its input must not carry a password into a log line. The
// secret is replaced and the chain is cut so Unwrap cannot reveal it.
func scrub(err error, secrets ...[]byte) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	leaked := false
	for _, s := range secrets {
		s = bytes.TrimSpace(s)
		if len(s) < 4 { // too short to search for without false hits; never printed anyway
			continue
		}
		if strings.Contains(msg, string(s)) {
			msg = strings.ReplaceAll(msg, string(s), "[redacted]")
			leaked = true
		}
	}
	if !leaked {
		return err
	}
	return errors.New(msg)
}
