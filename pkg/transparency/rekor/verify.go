package rekor

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"

	"github.com/go-openapi/runtime"
	"github.com/sigstore/rekor/pkg/generated/models"
	"github.com/sigstore/rekor/pkg/types"
	dssev001 "github.com/sigstore/rekor/pkg/types/dsse/v0.0.1"
	hashedrekordv001 "github.com/sigstore/rekor/pkg/types/hashedrekord/v0.0.1"
	rekorverify "github.com/sigstore/rekor/pkg/verify"
	"github.com/transparency-dev/merkle/rfc6962"
)

// verifyEntry checks an entry the log returned before anyone relies on it:
// the UUID is the hash of the body, the body is the entry we proposed, the
// log is the one whose key we trust, and the inclusion proof, the signed
// checkpoint and the signed entry timestamp verify with that key.
func (l *Client) verifyEntry(ctx context.Context, uuid string, e *models.LogEntryAnon, want proposal) error {
	verifier, logID, err := l.key(ctx)
	if err != nil {
		return err
	}
	body, ok := e.Body.(string)
	if !ok {
		return errors.New("entry has no body")
	}
	raw, err := base64.StdEncoding.DecodeString(body)
	if err != nil {
		return fmt.Errorf("decoding the entry body: %w", err)
	}
	leaf := hex.EncodeToString(rfc6962.DefaultHasher.HashLeaf(raw))
	if !strings.HasSuffix(strings.ToLower(uuid), leaf) {
		return fmt.Errorf("entry UUID %s is not the hash of its body (%s)", uuid, leaf)
	}
	if e.LogID == nil || *e.LogID != logID {
		return fmt.Errorf("entry was logged by %s, not by the trusted log %s", deref(e.LogID), logID)
	}
	if f := missing(e); f != "" {
		return fmt.Errorf("entry has no %s", f)
	}
	if err := rekorverify.VerifyLogEntry(ctx, e, verifier); err != nil {
		return fmt.Errorf("verifying the inclusion proof and signed entry timestamp: %w", err)
	}
	return matchBody(body, want)
}

// missing names a field of e that rekor's verify package and upload read
// without checking, and that a hostile or broken log left out; "" when
// there is none.
func missing(e *models.LogEntryAnon) string {
	switch {
	case e.LogIndex == nil:
		return "logIndex"
	case e.IntegratedTime == nil:
		return "integratedTime"
	case e.Verification == nil || e.Verification.InclusionProof == nil:
		return "inclusion proof"
	}
	switch p := e.Verification.InclusionProof; {
	case p.LogIndex == nil:
		return "inclusion proof logIndex"
	case p.TreeSize == nil:
		return "inclusion proof treeSize"
	case p.RootHash == nil:
		return "inclusion proof rootHash"
	case p.Checkpoint == nil:
		return "inclusion proof checkpoint"
	}
	return ""
}

// matchBody checks that the canonical body the log stored is the entry we
// proposed (same kind, digest, key and, for hashedrekord, signature).
func matchBody(body string, want proposal) error {
	pe, err := models.UnmarshalProposedEntry(base64.NewDecoder(base64.StdEncoding, strings.NewReader(body)), runtime.JSONConsumer())
	if err != nil {
		return fmt.Errorf("parsing the entry body: %w", err)
	}
	impl, err := types.UnmarshalEntry(pe)
	if err != nil {
		return fmt.Errorf("parsing the entry body: %w", err)
	}
	var kind, hash, sig string
	var key []byte
	switch ent := impl.(type) {
	case *dssev001.V001Entry:
		o := ent.DSSEObj
		if o.EnvelopeHash == nil || o.EnvelopeHash.Value == nil || len(o.Signatures) != 1 || o.Signatures[0].Verifier == nil {
			return errors.New("dsse entry body is incomplete or has more than one signature")
		}
		kind, hash, key = pe.Kind(), *o.EnvelopeHash.Value, *o.Signatures[0].Verifier
	case *hashedrekordv001.V001Entry:
		o := ent.HashedRekordObj
		if o.Data == nil || o.Data.Hash == nil || o.Data.Hash.Value == nil || o.Signature == nil || o.Signature.PublicKey == nil {
			return errors.New("hashedrekord entry body is incomplete")
		}
		kind, hash, key, sig = pe.Kind(), *o.Data.Hash.Value, o.Signature.PublicKey.Content, o.Signature.Content.String()
	default:
		return fmt.Errorf("entry is a %s, not the %s that was uploaded", pe.Kind(), want.kind)
	}
	switch {
	case kind != want.kind:
		return fmt.Errorf("entry is a %s, not the %s that was uploaded", kind, want.kind)
	case hash != want.hash:
		return fmt.Errorf("entry names digest %s, not the uploaded %s", hash, want.hash)
	case !samePEM(key, want.key):
		return errors.New("entry names a different public key than the one uploaded")
	case want.sig != "" && sig != want.sig:
		return errors.New("entry holds a different signature than the one uploaded")
	}
	return nil
}

// samePEM compares the first PEM blocks, ignoring headers and line breaks
// (Rekor stores keys re-encoded).
func samePEM(a, b []byte) bool {
	pa, _ := pem.Decode(a)
	pb, _ := pem.Decode(b)
	return pa != nil && pb != nil && pa.Type == pb.Type && bytes.Equal(pa.Bytes, pb.Bytes)
}

func deref(s *string) string {
	if s == nil {
		return "<none>"
	}
	return *s
}
