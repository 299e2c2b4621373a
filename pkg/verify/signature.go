package verify

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"

	"github.com/chainseal/chainseal/pkg/signing"
)

// checkSignature verifies the DSSE signature with the key (pkg/signing,
// the same code that signs) and returns the verified payload. Verifying
// by identity, the key is the certificate stored with the attestation,
// which checkCertificate then checks.
func (v *Verifier) checkSignature(ctx context.Context, ev *evidence) ([]byte, Check) {
	key, err := v.keyFor(ev)
	if err != nil {
		return nil, fail(CheckSignature, err.Error())
	}
	payload, err := signing.VerifyEnvelope(ctx, ev.env, signing.PayloadTypeInToto, key.Verifier())
	if err != nil {
		return nil, fail(CheckSignature, fmt.Sprintf("the DSSE signature does not verify with the key %s: %v", key.Description, err))
	}
	return payload, pass(CheckSignature, "the DSSE signature verifies with the key "+key.Description)
}

// keyFor is what ev's signature must verify with: the --key, or (by
// identity) the certificate stored with it.
func (v *Verifier) keyFor(ev *evidence) (*Key, error) {
	if v.key != nil {
		return v.key, nil
	}
	if ev.materialErr != "" {
		return nil, errors.New(ev.materialErr)
	}
	if ev.material == nil || !ev.material.IsCertificate() {
		return nil, errors.New("the attestation carries no certificate to verify it by identity with (it was not signed keylessly: verify with --key)")
	}
	desc := "of the stored certificate"
	if sum, err := certificate.SummarizeCertificate(ev.material.Certificate()); err == nil {
		desc = "of the stored certificate for " + sum.SubjectAlternativeName
	}
	return &Key{Material: ev.material, Description: desc}, nil
}

// checkCertificate checks, verifying by identity, the certificate the
// signature verified with: it chains to a Fulcio certificate authority of
// the trusted root at the time the transparency log integrated the entry
// (when the short-lived certificate must have been valid), its SCT, and
// that it names the identity asked for.
func (v *Verifier) checkCertificate(ev *evidence, tlog Check) Check {
	if tlog.Status != Pass || ev.entry == nil || ev.entry.IntegratedTime == nil {
		why := "the transparency log entry did not verify"
		if tlog.Status == Skipped {
			why = "the transparency log was not checked (--insecure-ignore-tlog)"
		}
		return fail(CheckCertificate, "a keyless certificate is checked at the time the transparency log integrated its entry, and "+why)
	}
	at := time.Unix(*ev.entry.IntegratedTime, 0).UTC()
	sum, err := v.o.trust.CheckCertificate(ev.material.Certificate(), at, v.o.ignoreSCT)
	if err != nil {
		return fail(CheckCertificate, err.Error())
	}
	if err := v.o.identity.Match(sum); err != nil {
		return fail(CheckCertificate, fmt.Sprintf("the certificate is not for %s: %v", v.o.identity, err))
	}
	sct := "its SCT verifies with a CT log of the trusted root"
	if !v.o.trust.HasCTLogs() {
		sct = "SCT not checked: the trusted root names no CT log (--insecure-ignore-sct)"
	}
	return pass(CheckCertificate, fmt.Sprintf("the certificate for %s issued by %s chains to a Fulcio CA of %s at %s (integrated time); %s", sum.SubjectAlternativeName, sum.Issuer, v.o.trust, at.Format(time.RFC3339), sct))
}
