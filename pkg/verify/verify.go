package verify

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
)

// Verifier checks the attestations of images against one key and one
// policy.
type Verifier struct {
	key *Key
	o   options
}

// New returns a Verifier for attestations signed with key, or (key nil,
// WithIdentity) signed keylessly by a certificate for an identity.
func New(key *Key, opts ...Option) (*Verifier, error) {
	o := defaultOptions()
	for _, opt := range opts {
		opt(&o)
	}
	switch {
	case key == nil && o.trust == nil:
		return nil, inconclusive("no key to verify with (--key), and no certificate identity (--certificate-identity, --certificate-oidc-issuer)", nil)
	case key != nil && o.trust != nil:
		return nil, errors.New("give --key or the certificate identity (--certificate-identity, --certificate-oidc-issuer), not both")
	case o.trust != nil:
		if err := o.identity.Validate(); err != nil {
			return nil, err
		}
	}
	if !o.ignoreTlog && o.logs == nil {
		return nil, errors.New("no transparency log to trust: pass the log's public key (--rekor-public-key, $SIGSTORE_REKOR_PUBLIC_KEY) or a trusted root (--trusted-root), or skip the check (--insecure-ignore-tlog)")
	}
	if o.offline && len(o.bundles) == 0 {
		return nil, errors.New("offline verification reads Sigstore bundle files: pass --bundle")
	}
	if err := o.requirements.validate(); err != nil {
		return nil, err
	}
	return &Verifier{key: key, o: o}, nil
}

// Verify finds image's attestations and checks each. It always returns a
// Report; the error is non-nil only when verification could not start or
// found nothing to check (it wraps ErrInconclusive, and the Report's
// Outcome is Inconclusive). A failed check is in the Report's Outcome.
func (v *Verifier) Verify(ctx context.Context, image string) (*Report, error) {
	start := time.Now()
	rep := &Report{Image: image, key: v.key}
	err := v.verify(ctx, rep)
	if err != nil {
		rep.Outcome, rep.Error = Inconclusive, err.Error()
		return rep, err
	}
	rep.decide()
	v.o.log.Info("verified", "image", rep.Reference, "attestations", len(rep.Attestations), "outcome", rep.Outcome, "duration", time.Since(start).Round(time.Millisecond))
	return rep, nil
}

func (v *Verifier) verify(ctx context.Context, rep *Report) error {
	if len(v.o.sources) > 0 {
		return v.verifyFromSources(ctx, rep)
	}
	d, resolved, err := v.digestOf(ctx, rep.Image)
	if err != nil {
		return err
	}
	rep.Digest, rep.Reference, rep.Resolved = d.DigestStr(), d.String(), resolved
	evs, notes, err := v.collect(ctx, d)
	rep.Notes = append(rep.Notes, notes...)
	if err != nil {
		return err
	}
	if len(evs) == 0 {
		return inconclusive(fmt.Sprintf("no attestation found for %s (looked in %s)", d, strings.Join(v.places(d), " and ")), nil)
	}
	for _, ev := range evs {
		rep.Attestations = append(rep.Attestations, v.check(ctx, d, ev))
	}
	return nil
}

// digestOf parses image and, online, resolves a tag to its digest.
func (v *Verifier) digestOf(ctx context.Context, image string) (name.Digest, bool, error) {
	ref, err := name.ParseReference(image)
	if err != nil {
		return name.Digest{}, false, inconclusive("parsing the image reference "+image, err)
	}
	if d, ok := ref.(name.Digest); ok {
		return d, false, nil
	}
	if v.o.offline {
		return name.Digest{}, false, inconclusive("offline verification needs the image by digest (IMAGE@sha256:...), not the tag "+image, nil)
	}
	d, err := v.resolve(ctx, ref)
	if err != nil {
		return name.Digest{}, false, err
	}
	return d, true, nil
}

// collect gathers the attestations: bundle files, then (online) the .att
// tag and the referrers.
func (v *Verifier) collect(ctx context.Context, d name.Digest) ([]*evidence, []string, error) {
	var evs []*evidence
	var notes []string
	for _, p := range v.o.bundles {
		ev, err := readBundleFile(p)
		if err != nil {
			return nil, nil, err
		}
		evs = append(evs, ev)
	}
	if v.o.offline {
		return evs, nil, nil
	}
	att, err := v.fromAttTag(ctx, d)
	if err != nil {
		return nil, nil, err
	}
	evs = append(evs, att...)
	if v.o.referrers {
		refs, more := v.fromReferrers(ctx, d)
		evs = append(evs, refs...)
		notes = append(notes, more...)
	}
	return evs, notes, nil
}

func (v *Verifier) places(d name.Digest) []string {
	var out []string
	if len(v.o.bundles) > 0 {
		out = append(out, "the bundle files")
	}
	if !v.o.offline {
		out = append(out, "the .att tag "+attTagName(d))
		if v.o.referrers {
			out = append(out, "the OCI 1.1 referrers of "+d.String())
		}
	}
	return out
}

// check runs every check on one attestation. Checks after a failed
// signature are skipped, the transparency log's too (nothing is asked of
// the network): an unverified payload says nothing.
func (v *Verifier) check(ctx context.Context, d Artifact, ev *evidence) Attestation {
	a := Attestation{Source: ev.source, PredicateType: ev.predicateType, ev: ev}
	names := []string{CheckTransparency}
	if v.key == nil {
		names = append(names, CheckCertificate)
	}
	names = append(append(names, CheckSubject), v.o.requirements.names()...)
	if len(v.o.requirements.TrustedProducers) > 0 {
		names = append(names, CheckProducer)
	}
	if v.o.rego != nil {
		names = append(names, CheckPolicy)
	}
	skip := func(why string) Attestation {
		for _, n := range names {
			a.Checks = append(a.Checks, Check{Name: n, Status: Skipped, Detail: why})
		}
		return a
	}
	if ev.broken != "" {
		a.Checks = append(a.Checks, Check{Name: CheckSignature, Status: ev.brokenStatus, Detail: ev.broken})
		return skip("the stored layer is not an attestation that can be checked")
	}
	payload, sig := v.checkSignature(ctx, ev)
	a.Checks = append(a.Checks, sig)
	if sig.Status != Pass {
		return skip("the signature did not verify, so the statement is not trusted")
	}
	tl := v.checkTransparency(ctx, ev, &a)
	a.Checks = append(a.Checks, tl)
	names = names[1:]
	if v.key == nil {
		a.Checks = append(a.Checks, v.checkCertificate(ev, tl))
		names = names[1:]
	}
	st, err := parseStatement(payload)
	if err != nil {
		for _, n := range names {
			a.Checks = append(a.Checks, fail(n, err.Error()))
		}
		return a
	}
	a.PredicateType = st.PredicateType
	a.Checks = append(a.Checks, checkSubject(st, d))
	a.Checks = append(a.Checks, v.o.requirements.check(st, v.o.now())...)
	if len(v.o.requirements.TrustedProducers) > 0 {
		a.Checks = append(a.Checks, v.o.requirements.checkProducer(st, d))
	}
	if v.o.rego != nil {
		a.Checks = append(a.Checks, v.o.rego.check(ctx, st))
	}
	return a
}
