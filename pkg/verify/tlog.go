package verify

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-openapi/runtime"
	"github.com/sigstore/cosign/v2/pkg/cosign"
	rekorclient "github.com/sigstore/rekor/pkg/client"
	rekorapi "github.com/sigstore/rekor/pkg/generated/client"
	"github.com/sigstore/rekor/pkg/generated/client/entries"
	"github.com/sigstore/rekor/pkg/generated/models"
	"github.com/sigstore/rekor/pkg/types"
	dssev001 "github.com/sigstore/rekor/pkg/types/dsse/v0.0.1"
	rekorverify "github.com/sigstore/rekor/pkg/verify"
	"github.com/transparency-dev/merkle/rfc6962"
)

// checkTransparency checks the Rekor entry of one attestation: the log is
// trusted, the entry records this envelope signed by this key, and the
// signed entry timestamp, inclusion proof and checkpoint verify with the
// log's key. A .att layer keeps only the signed entry timestamp, so online
// the inclusion proof is fetched from the log by the entry's UUID.
func (v *Verifier) checkTransparency(ctx context.Context, ev *evidence, a *Attestation) Check {
	if v.o.ignoreTlog {
		return Check{Name: CheckTransparency, Status: Skipped, Detail: "not checked (--insecure-ignore-tlog)"}
	}
	if ev.entryErr != "" {
		return fail(CheckTransparency, ev.entryErr)
	}
	if ev.entry == nil {
		if v.o.offline {
			return fail(CheckTransparency, "the attestation carries no transparency log entry")
		}
		e, c := v.searchEntry(ctx, ev)
		if e == nil {
			return c
		}
		ev.entry = e
	}
	e := ev.entry
	body, ok := e.Body.(string)
	if !ok || e.LogID == nil || e.LogIndex == nil || e.IntegratedTime == nil {
		return fail(CheckTransparency, "the stored transparency log entry is incomplete (no body, log ID, index or time)")
	}
	rawBody, err := base64.StdEncoding.DecodeString(body)
	if err != nil {
		return fail(CheckTransparency, "the stored transparency log entry's body is not base64")
	}
	uuid := hex.EncodeToString(rfc6962.DefaultHasher.HashLeaf(rawBody))
	a.RekorUUID, a.RekorLogIndex = uuid, e.LogIndex
	what := fmt.Sprintf("Rekor entry %s (log index %d)", uuid, *e.LogIndex)

	log, ok := v.o.logs.lookup(*e.LogID)
	if !ok {
		return fail(CheckTransparency, fmt.Sprintf("%s was logged by log %s, which is not trusted (--rekor-public-key, --trusted-root)", what, *e.LogID))
	}
	if err := v.matchEntry(rawBody, ev); err != nil {
		return fail(CheckTransparency, fmt.Sprintf("%s does not record this attestation: %v", what, err))
	}
	integrated := time.Unix(*e.IntegratedTime, 0).UTC()
	if !log.validAt(integrated) {
		return fail(CheckTransparency, fmt.Sprintf("%s was integrated at %s, outside the validity of the log's key in the trusted root", what, integrated.Format(time.RFC3339)))
	}
	if e.Verification == nil || len(e.Verification.SignedEntryTimestamp) == 0 {
		return fail(CheckTransparency, what+" carries no signed entry timestamp")
	}
	if err := rekorverify.VerifySignedEntryTimestamp(ctx, e, log.verifier); err != nil {
		return fail(CheckTransparency, fmt.Sprintf("%s: the signed entry timestamp does not verify with the log's key: %v", what, err))
	}
	if e.Verification.InclusionProof == nil {
		if v.o.offline {
			return fail(CheckTransparency, what+" carries no inclusion proof, and offline it cannot be fetched")
		}
		if c, ok := v.fetchProof(ctx, uuid, body, e, log.url); !ok {
			return c
		}
	}
	if p := e.Verification.InclusionProof; p.LogIndex == nil || p.TreeSize == nil || p.RootHash == nil || p.Checkpoint == nil {
		return fail(CheckTransparency, what+"'s inclusion proof is incomplete (no log index, tree size, root hash or checkpoint)")
	}
	if err := rekorverify.VerifyInclusion(ctx, e); err != nil {
		return fail(CheckTransparency, fmt.Sprintf("%s: the inclusion proof does not verify: %v", what, err))
	}
	if err := rekorverify.VerifyCheckpointSignature(e, log.verifier); err != nil {
		return fail(CheckTransparency, fmt.Sprintf("%s: the checkpoint does not verify with the log's key: %v", what, err))
	}
	return pass(CheckTransparency, fmt.Sprintf("%s, integrated %s, records this envelope and key; its signed entry timestamp, inclusion proof (tree size %d) and checkpoint verify with the log's key %s",
		what, integrated.Format(time.RFC3339), *e.Verification.InclusionProof.TreeSize, short(*e.LogID)))
}

// matchEntry checks that the log entry records this envelope: a dsse entry
// with the payload's hash, one of the envelope's signatures made by the
// key, and (when the stored bytes are known) the envelope's hash, which is
// what cosign compares.
func (v *Verifier) matchEntry(rawBody []byte, ev *evidence) error {
	pe, err := models.UnmarshalProposedEntry(strings.NewReader(string(rawBody)), runtime.JSONConsumer())
	if err != nil {
		return fmt.Errorf("parsing the entry body: %w", err)
	}
	impl, err := types.UnmarshalEntry(pe)
	if err != nil {
		return fmt.Errorf("parsing the entry body: %w", err)
	}
	d, ok := impl.(*dssev001.V001Entry)
	if !ok {
		return fmt.Errorf("it is a %s entry, not the dsse entry chainseal records", pe.Kind())
	}
	o := d.DSSEObj
	key, err := v.keyFor(ev)
	if err != nil {
		return err
	}
	payload, err := base64.StdEncoding.DecodeString(ev.env.Payload)
	if err != nil {
		return fmt.Errorf("the envelope's payload is not base64: %w", err)
	}
	if o.PayloadHash == nil || o.PayloadHash.Value == nil || *o.PayloadHash.Value != hex.EncodeToString(sha256Sum(payload)) {
		return errors.New("the entry's payload hash is not the hash of this envelope's payload")
	}
	if ev.raw != nil && (o.EnvelopeHash == nil || o.EnvelopeHash.Value == nil || *o.EnvelopeHash.Value != hex.EncodeToString(sha256Sum(ev.raw))) {
		return errors.New("the entry's envelope hash is not the hash of the stored envelope")
	}
	for _, s := range o.Signatures {
		if s.Signature == nil || s.Verifier == nil {
			continue
		}
		same, err := key.sameKey(*s.Verifier)
		if err != nil || !same {
			continue
		}
		for _, es := range ev.env.Signatures {
			if es.Sig == *s.Signature {
				return nil
			}
		}
	}
	return fmt.Errorf("the entry holds no signature of this envelope made with the key %s", key.Description)
}

// logClient is a Rekor client and the URL it talks to, for messages.
type logClient struct {
	url string
	c   *rekorapi.Rekor
}

func (v *Verifier) rekor(logURL string) (*logClient, error) {
	u := v.o.rekorURL
	if u == "" {
		u = logURL
	}
	if u == "" {
		return nil, errors.New("no Rekor URL to ask (--rekor-url, or a trusted root that names the log's URL)")
	}
	c, err := rekorclient.GetRekorClient(u, rekorclient.WithUserAgent("chainseal"), rekorclient.WithRetryCount(2))
	if err != nil {
		return nil, fmt.Errorf("Rekor client for %s: %w", u, err)
	}
	return &logClient{url: u, c: c}, nil
}

// fetchProof fetches entry uuid from the log and takes its inclusion
// proof, after checking the log returned the same entry. A log that cannot
// be reached is an error (could not verify), not a failure.
func (v *Verifier) fetchProof(ctx context.Context, uuid, body string, e *models.LogEntryAnon, logURL string) (Check, bool) {
	rc, err := v.rekor(logURL)
	if err != nil {
		return errored(CheckTransparency, fmt.Sprintf("fetching the inclusion proof of Rekor entry %s: %v", uuid, err)), false
	}
	var got *models.LogEntryAnon
	err = v.withCallTimeout(ctx, "asking "+rc.url, func(ctx context.Context) (err error) {
		got, err = cosign.GetTlogEntry(ctx, rc.c, uuid)
		return err
	})
	if err != nil {
		var nf *entries.GetLogEntryByUUIDNotFound
		if errors.As(err, &nf) {
			return fail(CheckTransparency, fmt.Sprintf("the log %s holds no entry %s", rc.url, uuid)), false
		}
		return errored(CheckTransparency, fmt.Sprintf("fetching Rekor entry %s from %s: %v", uuid, rc.url, err)), false
	}
	if gb, _ := got.Body.(string); gb != body || got.Verification == nil || got.Verification.InclusionProof == nil {
		return fail(CheckTransparency, fmt.Sprintf("the log %s returned entry %s with another body or no inclusion proof", rc.url, uuid)), false
	}
	e.Verification.InclusionProof = got.Verification.InclusionProof
	return Check{}, true
}

// searchEntry asks the log for the entry of an attestation stored without
// one (no bundle annotation), as cosign does.
func (v *Verifier) searchEntry(ctx context.Context, ev *evidence) (*models.LogEntryAnon, Check) {
	rc, err := v.rekor(v.o.logs.url())
	if err != nil {
		return nil, fail(CheckTransparency, "the attestation carries no transparency log entry, and the log cannot be searched: "+err.Error())
	}
	raw, err := ev.envelopeJSON()
	if err != nil {
		return nil, errored(CheckTransparency, "encoding the envelope: "+err.Error())
	}
	key, err := v.keyFor(ev)
	if err != nil {
		return nil, fail(CheckTransparency, err.Error())
	}
	var found []models.LogEntryAnon
	err = v.withCallTimeout(ctx, "asking "+rc.url, func(ctx context.Context) (err error) {
		found, err = cosign.FindTlogEntry(ctx, rc.c, "", raw, key.PEM())
		return err
	})
	if err != nil {
		if strings.Contains(err.Error(), "not found") {
			return nil, fail(CheckTransparency, fmt.Sprintf("the attestation carries no transparency log entry, and %s holds none for it", rc.url))
		}
		return nil, errored(CheckTransparency, fmt.Sprintf("searching %s for the attestation's entry: %v", rc.url, err))
	}
	if len(found) == 0 {
		return nil, fail(CheckTransparency, fmt.Sprintf("the attestation carries no transparency log entry, and %s holds none for it", rc.url))
	}
	return &found[0], Check{}
}

func sha256Sum(b []byte) []byte {
	s := sha256.Sum256(b)
	return s[:]
}

func short(s string) string {
	if len(s) > 12 {
		return s[:12] + "…"
	}
	return s
}
