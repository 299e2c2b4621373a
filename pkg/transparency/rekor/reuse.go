package rekor

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"

	ssldsse "github.com/secure-systems-lab/go-securesystemslib/dsse"
	"github.com/sigstore/rekor/pkg/generated/client/index"
	"github.com/sigstore/rekor/pkg/generated/models"

	"github.com/chainseal/chainseal/pkg/signing"
	"github.com/chainseal/chainseal/pkg/storage"
)

// maxReuseCandidates bounds how many entries with the same payload hash are
// read when looking for one to reuse.
const maxReuseCandidates = 16

// A re-run signs the same statement again and, ECDSA signatures being
// randomised, gets a new signature: uploading it would put a second entry in
// the log for the same statement and key. Before uploading, the log is
// searched for an entry of the same payload signed by the same key; when
// there is one whose signature verifies with the signer's key, the earlier
// signature is put back, so the upload meets a 409 and the existing entry
// (checked as any other) is used. The search is not trusted: an entry that
// names the key but holds a signature the key did not make is passed over,
// so what is stored is always signed by the signer.

// reuseAttestation puts the earlier signature back into a when the log
// already holds this statement signed by this key.
func (l *Client) reuseAttestation(ctx context.Context, a *storage.Attestation) error {
	m, err := signing.MaterialFrom(a.PublicKey, a.Cert, a.Chain)
	if err != nil {
		return nil // the upload says what is wrong with it
	}
	key := m.PEM()
	if len(a.Envelope) == 0 {
		return l.reuseRaw(ctx, a.Payload, m, &a.Signature)
	}
	var env ssldsse.Envelope
	if err := json.Unmarshal(a.Envelope, &env); err != nil || len(env.Signatures) != 1 {
		return nil // not one of ours: upload as is
	}
	payload, err := base64.StdEncoding.DecodeString(env.Payload)
	if err != nil {
		return nil
	}
	for _, body := range l.candidates(ctx, payload) {
		if body.Kind != "dsse" || len(body.Spec.Signatures) != 1 || !sameKey(body.Spec.Signatures[0].Verifier, key) {
			continue
		}
		old := env
		old.Signatures = []ssldsse.Signature{{KeyID: env.Signatures[0].KeyID, Sig: body.Spec.Signatures[0].Signature}}
		raw, err := json.Marshal(old)
		if err != nil {
			return err
		}
		if sum := sha256.Sum256(raw); hex.EncodeToString(sum[:]) != body.Spec.EnvelopeHash.Value {
			continue // signed with another keyid or encoding: not rebuildable
		}
		if _, err := signing.VerifyEnvelope(ctx, &old, env.PayloadType, m.Verifier()); err != nil {
			l.opts.log.Warn("rekor: a logged entry names the signer's key but its signature does not verify with it; not reused", "object", a.Object.String(), "error", err.Error())
			continue
		}
		a.Envelope = raw
		if a.Signature, err = base64.StdEncoding.DecodeString(old.Signatures[0].Sig); err != nil {
			return err
		}
		l.opts.log.Info("rekor: reusing the signature already logged for this statement", "object", a.Object.String())
		return nil
	}
	return nil
}

// reuseImageSignature does the same for a simplesigning signature.
func (l *Client) reuseImageSignature(ctx context.Context, s *storage.ImageSignature) error {
	m, err := signing.MaterialFrom(s.PublicKey, s.Cert, s.Chain)
	if err != nil {
		return nil // the upload says what is wrong with it
	}
	return l.reuseRaw(ctx, s.Payload, m, &s.Signature)
}

// reuseRaw finds a hashedrekord of payload by m's key whose signature m
// verifies, and sets *sig to that signature.
func (l *Client) reuseRaw(ctx context.Context, payload []byte, m *signing.Material, sig *[]byte) error {
	key := m.PEM()
	for _, body := range l.candidates(ctx, payload) {
		if body.Kind != "hashedrekord" || !sameKey(body.Spec.Signature.PublicKey.Content, key) {
			continue
		}
		old, err := base64.StdEncoding.DecodeString(body.Spec.Signature.Content)
		if err != nil {
			continue
		}
		if err := m.Verifier().VerifySignature(bytes.NewReader(old), bytes.NewReader(payload)); err != nil {
			l.opts.log.Warn("rekor: a logged entry names the signer's key but its signature does not verify with it; not reused", "error", err.Error())
			continue
		}
		*sig = old
		return nil
	}
	return nil
}

// entryBody is the part of a dsse or hashedrekord body that reuse reads.
type entryBody struct {
	Kind string `json:"kind"`
	Spec struct {
		// dsse
		EnvelopeHash struct{ Value string } `json:"envelopeHash"`
		PayloadHash  struct{ Value string } `json:"payloadHash"`
		Signatures   []struct {
			Signature string `json:"signature"`
			Verifier  string `json:"verifier"`
		} `json:"signatures"`
		// hashedrekord
		Data struct {
			Hash struct{ Value string } `json:"hash"`
		} `json:"data"`
		Signature struct {
			Content   string `json:"content"`
			PublicKey struct {
				Content string `json:"content"`
			} `json:"publicKey"`
		} `json:"signature"`
	} `json:"spec"`
}

// candidates are the log's entries indexed under payload's SHA-256. Errors
// are not fatal: the upload that follows is the real test of the log.
func (l *Client) candidates(ctx context.Context, payload []byte) []entryBody {
	sum := sha256.Sum256(payload)
	want := hex.EncodeToString(sum[:])
	ctx, cancel := context.WithTimeout(ctx, l.opts.timeout)
	defer cancel()
	params := index.NewSearchIndexParamsWithContext(ctx)
	params.SetQuery(&models.SearchIndex{Hash: "sha256:" + want})
	resp, err := l.client.Index.SearchIndex(params)
	if err != nil {
		l.opts.log.Debug("rekor: search failed; uploading anew", "error", err.Error())
		return nil
	}
	var out []entryBody
	for i, uuid := range resp.Payload {
		if i == maxReuseCandidates {
			break
		}
		_, e, err := l.fetchWithProof(ctx, uuid)
		if err != nil {
			continue
		}
		s, ok := e.Body.(string)
		if !ok {
			continue
		}
		raw, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			continue
		}
		var b entryBody
		if json.Unmarshal(raw, &b) != nil {
			continue
		}
		if b.Spec.PayloadHash.Value != want && b.Spec.Data.Hash.Value != want {
			continue // indexed under this hash for another reason (a subject)
		}
		out = append(out, b)
	}
	return out
}

// sameKey compares a base64 PEM from an entry with a PEM key.
func sameKey(b64 string, pemKey []byte) bool {
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return false
	}
	return bytes.Equal(bytes.TrimSpace(raw), bytes.TrimSpace(pemKey))
}
