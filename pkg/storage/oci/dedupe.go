package oci

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"

	ssldsse "github.com/secure-systems-lab/go-securesystemslib/dsse"
	"github.com/sigstore/cosign/v2/pkg/oci"
	ctypes "github.com/sigstore/cosign/v2/pkg/types"
	sigdsse "github.com/sigstore/sigstore/pkg/signature/dsse"

	"github.com/chainseal/chainseal/pkg/signing"
	"github.com/chainseal/chainseal/pkg/storage"
)

// findAttestation reports whether an existing layer already attests the same
// statement with the same key: the very same envelope, or (after a re-run
// that signed again, ECDSA signatures differ each time) an envelope with the
// same payload whose signature verifies with a's key. When a was logged, the
// layer must carry a transparency bundle too: a layer stored unlogged (a run
// sealed before it asked for the log) would fail cosign's log check.
func findAttestation(ctx context.Context, existing []oci.Signature, a storage.Attestation, predicateType string) (bool, error) {
	sum := sha256.Sum256(a.Envelope)
	want := "sha256:" + hex.EncodeToString(sum[:])
	_, stmt, err := decodeEnvelope(a.Envelope)
	if err != nil {
		return false, err
	}
	var m *signing.Material // parsed when a layer needs it
	for _, sig := range existing {
		if mt, err := sig.MediaType(); err != nil || mt != ctypes.DssePayloadType || !carriesLog(sig, a.Transparency) {
			continue
		}
		if d, err := sig.Digest(); err == nil && d.String() == want {
			return true, nil
		}
		if ann, err := sig.Annotations(); err != nil || ann["predicateType"] != predicateType {
			continue
		}
		raw, err := sig.Payload()
		if err != nil {
			return false, fmt.Errorf("reading an attestation layer: %w", err)
		}
		env, payload, err := decodeEnvelope(raw)
		if err != nil || !bytes.Equal(payload, stmt) {
			continue // not ours, or not a DSSE envelope: leave it be
		}
		if m == nil {
			if m, err = material(a.PublicKey, a.Cert, a.Chain); err != nil {
				return false, err
			}
		}
		if ok, err := signedBy(ctx, env, m); err != nil || ok {
			return ok, err
		}
	}
	return false, nil
}

// findSignature reports whether an existing .sig layer already holds the
// same payload signed by the same key (with a transparency bundle when s
// was logged, as findAttestation).
func findSignature(existing []oci.Signature, s storage.ImageSignature, b64 string) (bool, error) {
	sum := sha256.Sum256(s.Payload)
	want := "sha256:" + hex.EncodeToString(sum[:])
	var m *signing.Material // parsed when a layer needs it
	for _, sig := range existing {
		if d, err := sig.Digest(); err != nil || d.String() != want || !carriesLog(sig, s.Transparency) {
			continue // a different payload, or not logged as this one is
		}
		got, err := sig.Base64Signature()
		if err != nil || got == "" {
			continue
		}
		if got == b64 {
			return true, nil
		}
		raw, err := base64.StdEncoding.DecodeString(got)
		if err != nil {
			continue
		}
		if m == nil {
			if m, err = material(s.PublicKey, s.Cert, s.Chain); err != nil {
				return false, err
			}
		}
		if m.Verifier().VerifySignature(bytes.NewReader(raw), bytes.NewReader(s.Payload)) == nil {
			return true, nil
		}
	}
	return false, nil
}

// carriesLog reports whether a layer carries what a record logged as t
// needs: a transparency bundle when t is set, anything when it is not.
func carriesLog(sig oci.Signature, t *storage.TransparencyEntry) bool {
	if t == nil {
		return true
	}
	b, err := sig.Bundle()
	return err == nil && b != nil
}

// decodeEnvelope parses a DSSE envelope and decodes its payload.
func decodeEnvelope(raw []byte) (*ssldsse.Envelope, []byte, error) {
	var env ssldsse.Envelope
	if err := json.Unmarshal(raw, &env); err != nil {
		return nil, nil, fmt.Errorf("the attestation is not a DSSE envelope: %w", err)
	}
	payload, err := env.DecodeB64Payload()
	if err != nil {
		return nil, nil, fmt.Errorf("the DSSE envelope's payload is not base64: %w", err)
	}
	return &env, payload, nil
}

// signedBy reports whether the envelope's signature verifies with m.
func signedBy(ctx context.Context, env *ssldsse.Envelope, m *signing.Material) (bool, error) {
	ev, err := ssldsse.NewEnvelopeVerifier(&sigdsse.VerifierAdapter{SignatureVerifier: m.Verifier()})
	if err != nil {
		return false, fmt.Errorf("making a DSSE verifier: %w", err)
	}
	_, err = ev.Verify(ctx, env)
	return err == nil, nil
}

// material is what a record's signature verifies with: its certificate
// (keyless) or its public key.
func material(pub, cert, chain []byte) (*signing.Material, error) {
	m, err := signing.MaterialFrom(pub, cert, chain)
	if err != nil {
		return nil, fmt.Errorf("the signature's verification material: %w", err)
	}
	return m, nil
}
