package rekor

import (
	"context"
	"errors"
	"fmt"
	"path"
	"time"

	"github.com/sigstore/rekor/pkg/generated/client/entries"
	"github.com/sigstore/rekor/pkg/generated/models"
)

// create uploads an entry. An entry the log already holds (409 Conflict) is
// not an error: the existing entry is fetched and returned, so a re-run
// reports the same entry. The returned entry carries an inclusion proof.
func (l *Client) create(ctx context.Context, pe models.ProposedEntry) (string, *models.LogEntryAnon, error) {
	params := entries.NewCreateLogEntryParamsWithContext(ctx)
	params.SetProposedEntry(pe)
	resp, err := l.client.Entries.CreateLogEntry(params)
	if err != nil {
		var conflict *entries.CreateLogEntryConflict
		if !errors.As(err, &conflict) {
			return "", nil, fmt.Errorf("uploading the entry: %w", err)
		}
		uuid := path.Base(conflict.Location.String())
		l.opts.log.Info("rekor: entry already in the log", "url", l.url, "uuid", uuid)
		return l.fetchWithProof(ctx, uuid)
	}
	for uuid, e := range resp.Payload {
		if e.Verification == nil || e.Verification.InclusionProof == nil {
			return l.fetchWithProof(ctx, uuid)
		}
		return uuid, &e, nil
	}
	return "", nil, errors.New("uploading the entry: the log answered with no entry")
}

// fetchWithProof gets an entry by UUID, waiting (bounded) until the log has
// an inclusion proof for it.
func (l *Client) fetchWithProof(ctx context.Context, uuid string) (string, *models.LogEntryAnon, error) {
	deadline := time.Now().Add(l.opts.proofTimeout)
	wait := 100 * time.Millisecond
	for {
		params := entries.NewGetLogEntryByUUIDParamsWithContext(ctx)
		params.SetEntryUUID(uuid)
		resp, err := l.client.Entries.GetLogEntryByUUID(params)
		if err != nil {
			return "", nil, fmt.Errorf("fetching entry %s: %w", uuid, err)
		}
		for id, e := range resp.Payload {
			if e.Verification != nil && e.Verification.InclusionProof != nil {
				return id, &e, nil
			}
		}
		if time.Now().After(deadline) {
			return "", nil, fmt.Errorf("entry %s: the log gave no inclusion proof within %s", uuid, l.opts.proofTimeout)
		}
		select {
		case <-ctx.Done():
			return "", nil, fmt.Errorf("entry %s: waiting for an inclusion proof: %w", uuid, ctx.Err())
		case <-time.After(wait):
		}
		wait = min(2*wait, 2*time.Second)
	}
}
