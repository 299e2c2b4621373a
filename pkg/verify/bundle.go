package verify

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"os"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"
	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	protodsse "github.com/sigstore/protobuf-specs/gen/pb-go/dsse"
	protorekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	"github.com/sigstore/rekor/pkg/generated/models"
	"github.com/sigstore/rekor/pkg/tle"
	sgbundle "github.com/sigstore/sigstore-go/pkg/bundle"

	"github.com/chainseal/chainseal/pkg/signing"
)

// Offline verification reads Sigstore bundles (v0.3, the format of
// `cosign attest --new-bundle-format` and sigstore-go): a standard file
// that carries the DSSE envelope and the Rekor entry with its inclusion
// proof, so no log needs to be asked.

func readBundleFile(path string) (*evidence, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, inconclusive("reading the bundle (--bundle)", err)
	}
	ev, err := parseBundle(raw, "bundle "+path)
	if err != nil {
		return nil, inconclusive("reading the bundle "+path, err)
	}
	return ev, nil
}

// parseBundle turns a Sigstore bundle with a DSSE envelope into evidence.
func parseBundle(raw []byte, source string) (*evidence, error) {
	var b sgbundle.Bundle
	if err := b.UnmarshalJSON(raw); err != nil {
		return nil, fmt.Errorf("not a Sigstore bundle: %w", err)
	}
	pe := b.GetDsseEnvelope()
	if pe == nil {
		return nil, errors.New("the bundle holds no DSSE envelope (a message signature is not an attestation)")
	}
	env := &dsse.Envelope{PayloadType: pe.GetPayloadType(), Payload: base64.StdEncoding.EncodeToString(pe.GetPayload())}
	for _, s := range pe.GetSignatures() {
		env.Signatures = append(env.Signatures, dsse.Signature{KeyID: s.GetKeyid(), Sig: base64.StdEncoding.EncodeToString(s.GetSig())})
	}
	ev := &evidence{source: source, env: env}
	if c := b.GetVerificationMaterial().GetCertificate(); c != nil {
		m, err := signing.NewCertificateMaterial(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.GetRawBytes()}), nil)
		if err != nil {
			ev.materialErr = "the bundle's certificate: " + err.Error()
		}
		ev.material = m
	} else if chain := b.GetVerificationMaterial().GetX509CertificateChain().GetCertificates(); len(chain) > 0 {
		var leaf, rest []byte
		for i, c := range chain {
			p := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.GetRawBytes()})
			if i == 0 {
				leaf = p
			} else {
				rest = append(rest, p...)
			}
		}
		m, err := signing.NewCertificateMaterial(leaf, rest)
		if err != nil {
			ev.materialErr = "the bundle's certificate chain: " + err.Error()
		}
		ev.material = m
	}
	if tles := b.GetVerificationMaterial().GetTlogEntries(); len(tles) > 0 {
		ev.entry = entryFromTLE(tles[0])
	}
	return ev, nil
}

// entryFromTLE is the inverse of rekor's tle.GenerateTransparencyLogEntry.
func entryFromTLE(t *protorekor.TransparencyLogEntry) *models.LogEntryAnon {
	logID := hex.EncodeToString(t.GetLogId().GetKeyId())
	e := &models.LogEntryAnon{
		Body:           base64.StdEncoding.EncodeToString(t.GetCanonicalizedBody()),
		IntegratedTime: ptr(t.GetIntegratedTime()),
		LogIndex:       ptr(t.GetLogIndex()),
		LogID:          &logID,
		Verification:   &models.LogEntryAnonVerification{SignedEntryTimestamp: t.GetInclusionPromise().GetSignedEntryTimestamp()},
	}
	if p := t.GetInclusionProof(); p != nil {
		hashes := make([]string, 0, len(p.GetHashes()))
		for _, h := range p.GetHashes() {
			hashes = append(hashes, hex.EncodeToString(h))
		}
		e.Verification.InclusionProof = &models.InclusionProof{
			LogIndex:   ptr(p.GetLogIndex()),
			TreeSize:   ptr(p.GetTreeSize()),
			RootHash:   ptr(hex.EncodeToString(p.GetRootHash())),
			Hashes:     hashes,
			Checkpoint: ptr(p.GetCheckpoint().GetEnvelope()),
		}
	}
	return e
}

// SaveBundle writes the first attestation that passed every check as a
// Sigstore bundle, with the inclusion proof fetched while verifying, for a
// later `chainseal verify --offline --bundle`.
func (r *Report) SaveBundle(path string) error {
	for _, a := range r.Passed() {
		if a.ev == nil || a.ev.entry == nil || a.ev.entry.Verification == nil || a.ev.entry.Verification.InclusionProof == nil {
			continue
		}
		key := r.key
		if a.ev.material != nil && a.ev.material.IsCertificate() {
			key = &Key{Material: a.ev.material}
		}
		raw, err := bundleJSON(a.ev, key)
		if err != nil {
			return fmt.Errorf("writing the bundle of %s: %w", a.Source, err)
		}
		if err := os.WriteFile(path, raw, 0o644); err != nil {
			return fmt.Errorf("writing the bundle: %w", err)
		}
		return nil
	}
	return errors.New("writing the bundle: no verified attestation with a transparency log inclusion proof (verify with the transparency log on)")
}

func bundleJSON(ev *evidence, key *Key) ([]byte, error) {
	t, err := tle.GenerateTransparencyLogEntry(*ev.entry)
	if err != nil {
		return nil, err
	}
	payload, err := base64.StdEncoding.DecodeString(ev.env.Payload)
	if err != nil {
		return nil, fmt.Errorf("decoding the payload: %w", err)
	}
	pe := &protodsse.Envelope{Payload: payload, PayloadType: ev.env.PayloadType}
	for _, s := range ev.env.Signatures {
		sig, err := base64.StdEncoding.DecodeString(s.Sig)
		if err != nil {
			return nil, fmt.Errorf("decoding a signature: %w", err)
		}
		pe.Signatures = append(pe.Signatures, &protodsse.Signature{Sig: sig, Keyid: s.KeyID})
	}
	vm := &protobundle.VerificationMaterial{
		Content:     &protobundle.VerificationMaterial_PublicKey{PublicKey: &protocommon.PublicKeyIdentifier{Hint: key.KeyHint()}},
		TlogEntries: []*protorekor.TransparencyLogEntry{t},
	}
	if key.IsCertificate() {
		vm.Content = &protobundle.VerificationMaterial_Certificate{Certificate: &protocommon.X509Certificate{RawBytes: key.Certificate().Raw}}
	}
	pb := &protobundle.Bundle{
		MediaType:            bundleArtifactType,
		VerificationMaterial: vm,
		Content:              &protobundle.Bundle_DsseEnvelope{DsseEnvelope: pe},
	}
	b, err := sgbundle.NewBundle(pb) // validates it as a verifier would
	if err != nil {
		return nil, err
	}
	return b.MarshalJSON()
}

func ptr[T any](v T) *T { return &v }
