package rekor

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chainseal/chainseal/pkg/signing"
	"github.com/chainseal/chainseal/pkg/storage"
)

// maxUploads bounds the entries uploaded at once. Each upload waits on the
// log to integrate its entry (most of its time): uploads side by side cost
// one wait, not one each.
const maxUploads = 8

// Log uploads every attestation and image signature of the batch that has
// no transparency entry yet and fills in its Transparency. The uploads run
// side by side; after a failure no new one starts (a log that is down is
// not tried once per image), and Log returns the first failure in batch
// order once the uploads under way have ended. Entries filled stay filled,
// so a re-run (which gets 409 Conflict for them) completes the rest.
func (l *Client) Log(ctx context.Context, b *storage.Batch) error {
	errs := make([]error, len(b.Attestations)+len(b.Images))
	var (
		wg     sync.WaitGroup
		failed atomic.Bool
	)
	slots := make(chan struct{}, maxUploads)
	run := func(i int, f func() error) {
		slots <- struct{}{}
		if failed.Load() {
			<-slots
			return
		}
		wg.Add(1)
		go func() {
			defer func() { <-slots; wg.Done() }()
			if errs[i] = f(); errs[i] != nil {
				failed.Store(true)
			}
		}()
	}
	for i := range b.Attestations {
		a := &b.Attestations[i]
		if a.Transparency != nil {
			continue
		}
		run(i, func() error {
			if err := l.reuseAttestation(ctx, a); err != nil {
				return err
			}
			e, err := l.UploadAttestation(ctx, *a)
			if err != nil {
				return err
			}
			a.Transparency = e
			return nil
		})
	}
	for i := range b.Images {
		s := &b.Images[i]
		if s.Transparency != nil {
			continue
		}
		run(len(b.Attestations)+i, func() error {
			if err := l.reuseImageSignature(ctx, s); err != nil {
				return err
			}
			e, err := l.UploadImageSignature(ctx, *s)
			if err != nil {
				return err
			}
			s.Transparency = e
			return nil
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// UploadAttestation records one attestation: a dsse entry for a DSSE
// envelope, a hashedrekord for a payload signed raw.
func (l *Client) UploadAttestation(ctx context.Context, a storage.Attestation) (*storage.TransparencyEntry, error) {
	what := "attestation of " + a.Object.String()
	m, err := signing.MaterialFrom(a.PublicKey, a.Cert, a.Chain)
	if err != nil {
		return nil, l.errorf(what, "its verification material: %w", err)
	}
	var p proposal
	switch {
	case len(a.Envelope) > 0:
		p, err = dsseProposal(ctx, a.Envelope, m.PEM())
	case len(a.Signature) > 0:
		p, err = hashedrekordProposal(ctx, a.Payload, a.Signature, m.PEM())
	default:
		return nil, l.errorf(what, "it has neither a DSSE envelope nor a signature")
	}
	if err != nil {
		return nil, l.errorf(what, "%w", err)
	}
	return l.upload(ctx, what, p)
}

// UploadImageSignature records one simplesigning signature as a
// hashedrekord, as `cosign sign` does.
func (l *Client) UploadImageSignature(ctx context.Context, s storage.ImageSignature) (*storage.TransparencyEntry, error) {
	what := "signature of " + s.Image
	m, err := signing.MaterialFrom(s.PublicKey, s.Cert, s.Chain)
	if err != nil {
		return nil, l.errorf(what, "its verification material: %w", err)
	}
	p, err := hashedrekordProposal(ctx, s.Payload, s.Signature, m.PEM())
	if err != nil {
		return nil, l.errorf(what, "%w", err)
	}
	return l.upload(ctx, what, p)
}

func (l *Client) upload(ctx context.Context, what string, p proposal) (*storage.TransparencyEntry, error) {
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, l.opts.timeout)
	defer cancel()
	uuid, e, err := l.create(ctx, p.entry)
	if err != nil {
		return nil, l.errorf(what, "%w", err)
	}
	if err := l.verifyEntry(ctx, uuid, e, p); err != nil {
		return nil, l.errorf(what, "entry %s: %w", uuid, err)
	}
	proof, err := json.Marshal(e.Verification.InclusionProof)
	if err != nil {
		return nil, l.errorf(what, "encoding the inclusion proof: %w", err)
	}
	te := &storage.TransparencyEntry{
		URL:                  l.url,
		UUID:                 uuid,
		LogIndex:             *e.LogIndex,
		IntegratedTime:       *e.IntegratedTime,
		LogID:                *e.LogID,
		Body:                 e.Body.(string),
		SignedEntryTimestamp: e.Verification.SignedEntryTimestamp,
		InclusionProof:       proof,
	}
	l.opts.log.Info("rekor: recorded", "what", what, "kind", p.kind, "uuid", uuid, "logIndex", te.LogIndex, "duration", time.Since(start))
	return te, nil
}

func (l *Client) errorf(what, format string, args ...any) error {
	return fmt.Errorf("rekor %s: recording %s: %w", l.url, what, fmt.Errorf(format, args...))
}
