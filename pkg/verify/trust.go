package verify

import (
	"crypto"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/sigstore/cosign/v2/pkg/cosign"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
)

// Logs are the transparency logs whose entries are trusted, by log ID (the
// hex SHA-256 of the log's public key, as Rekor reports it).
type Logs struct {
	byID map[string]logKey
}

type logKey struct {
	verifier   signature.Verifier
	url        string
	start, end time.Time // zero: unbounded
}

// LogsFromPEM trusts the one log whose public key is the PEM file at path
// (--rekor-public-key, cosign's SIGSTORE_REKOR_PUBLIC_KEY).
func LogsFromPEM(path string) (*Logs, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, inconclusive("reading the Rekor public key (--rekor-public-key)", err)
	}
	pub, err := cryptoutils.UnmarshalPEMToPublicKey(b)
	if err != nil {
		return nil, inconclusive("parsing the Rekor public key "+path, err)
	}
	l := &Logs{byID: map[string]logKey{}}
	if err := l.add(pub, crypto.SHA256, "", time.Time{}, time.Time{}); err != nil {
		return nil, inconclusive("the Rekor public key "+path, err)
	}
	return l, nil
}

// LogsFromTrustedRoot trusts the transparency logs of a Sigstore
// trusted_root.json (`cosign trusted-root create`), with their validity
// periods and URLs.
func LogsFromTrustedRoot(path string) (*Logs, error) {
	tr, err := root.NewTrustedRootFromPath(path)
	if err != nil {
		return nil, inconclusive("reading the trusted root (--trusted-root) "+path, err)
	}
	l := &Logs{byID: map[string]logKey{}}
	for _, tl := range tr.RekorLogs() {
		h := tl.SignatureHashFunc
		if h == 0 {
			h = crypto.SHA256
		}
		if err := l.add(tl.PublicKey, h, tl.BaseURL, tl.ValidityPeriodStart, tl.ValidityPeriodEnd); err != nil {
			return nil, inconclusive("a transparency log of "+path, err)
		}
	}
	if len(l.byID) == 0 {
		return nil, inconclusive("the trusted root "+path+" names no transparency log", nil)
	}
	return l, nil
}

func (l *Logs) add(pub crypto.PublicKey, h crypto.Hash, url string, start, end time.Time) error {
	v, err := signature.LoadVerifier(pub, h)
	if err != nil {
		return fmt.Errorf("loading the log's verifier: %w", err)
	}
	id, err := cosign.GetTransparencyLogID(pub)
	if err != nil {
		return fmt.Errorf("computing the log ID: %w", err)
	}
	l.byID[id] = logKey{verifier: v, url: url, start: start, end: end}
	return nil
}

// lookup returns the trusted log with that ID.
func (l *Logs) lookup(logID string) (logKey, bool) {
	if l == nil {
		return logKey{}, false
	}
	k, ok := l.byID[strings.ToLower(logID)]
	return k, ok
}

// url is the first log URL the trust names, for fetching proofs.
func (l *Logs) url() string {
	if l == nil {
		return ""
	}
	ids := make([]string, 0, len(l.byID))
	for id := range l.byID {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		if u := l.byID[id].url; u != "" {
			return u
		}
	}
	return ""
}

func (k logKey) validAt(t time.Time) bool {
	return (k.start.IsZero() || !t.Before(k.start)) && (k.end.IsZero() || !t.After(k.end))
}
