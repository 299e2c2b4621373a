package signing

import (
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"
	"github.com/sigstore/sigstore-go/pkg/root"
	sgverify "github.com/sigstore/sigstore-go/pkg/verify"
)

// TrustRoot is a Sigstore trusted root (trusted_root.json, as `cosign
// trusted-root create` writes it): the Fulcio certificate authorities a
// keyless certificate must chain to, and the CT logs whose SCT it must
// carry when the root names any.
type TrustRoot struct {
	tr     *root.TrustedRoot
	source string
}

// ParseTrustRoot reads a trusted_root.json; source names it in errors
// (a file, or a config key).
func ParseTrustRoot(b []byte, source string) (*TrustRoot, error) {
	tr, err := root.NewTrustedRootFromJSON(b)
	if err != nil {
		return nil, fmt.Errorf("parsing the trusted root %s: %w", source, err)
	}
	if len(tr.FulcioCertificateAuthorities()) == 0 {
		return nil, fmt.Errorf("the trusted root %s names no Fulcio certificate authority (cosign trusted-root create --fulcio url=...,certificate-chain=...)", source)
	}
	return &TrustRoot{tr: tr, source: source}, nil
}

// LoadTrustRoot reads a trusted_root.json file.
func LoadTrustRoot(path string) (*TrustRoot, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the trusted root: %w", err)
	}
	return ParseTrustRoot(b, path)
}

// Trusted is the sigstore-go view of the root.
func (r *TrustRoot) Trusted() *root.TrustedRoot { return r.tr }

// HasCTLogs reports whether the root names a CT log, so that a
// certificate must carry a verified SCT.
func (r *TrustRoot) HasCTLogs() bool { return len(r.tr.CTLogs()) > 0 }

// String names the root for messages.
func (r *TrustRoot) String() string { return r.source }

// ErrNoSCTCheck is returned (wrapped) when a trusted root names no CT log,
// so a certificate's SCT cannot be checked, and the caller did not allow
// that (cosign's --insecure-ignore-sct).
var ErrNoSCTCheck = errors.New("the trusted root names no CT log, so the certificate's SCT cannot be checked")

// CheckCertificate checks a keyless signing certificate against the trust
// root at time at (the Rekor-integrated time when verifying, now when
// signing): it chains to one of the root's Fulcio certificate authorities
// valid then, is itself valid then, is for code signing, and (when the root
// names CT logs) carries an SCT that verifies with one of them. Without CT
// logs in the root, ignoreSCT must be set, else ErrNoSCTCheck. It returns
// the certificate's identity summary (SAN, OIDC issuer).
func (r *TrustRoot) CheckCertificate(cert *x509.Certificate, at time.Time, ignoreSCT bool) (certificate.Summary, error) {
	if cert == nil {
		return certificate.Summary{}, fmt.Errorf("no certificate: %w", ErrNoMaterial)
	}
	chains, err := sgverify.VerifyLeafCertificate(at, cert, r.tr)
	if err != nil {
		return certificate.Summary{}, fmt.Errorf("the certificate does not chain to a Fulcio certificate authority of the trusted root %s at %s: %w", r.source, at.UTC().Format(time.RFC3339), err)
	}
	switch {
	case r.HasCTLogs():
		if err := sgverify.VerifySignedCertificateTimestamp(chains, 1, r.tr); err != nil {
			return certificate.Summary{}, fmt.Errorf("the certificate's SCT does not verify with a CT log of the trusted root %s: %w", r.source, err)
		}
	case !ignoreSCT:
		return certificate.Summary{}, fmt.Errorf("%s %w: add the CT log's key to the trusted root (cosign trusted-root create --ctfe ...), or accept certificates without a checked SCT (chainseal verify --insecure-ignore-sct)", r.source, ErrNoSCTCheck)
	}
	sum, err := certificate.SummarizeCertificate(cert)
	if err != nil {
		return certificate.Summary{}, fmt.Errorf("reading the certificate's identity: %w", err)
	}
	return sum, nil
}

// Identity is what a keyless certificate must name: its subject
// alternative name (exact, or a regular expression) and the OIDC issuer
// of the token it was issued for (exact, or a regular expression), as
// cosign's --certificate-identity[-regexp] and
// --certificate-oidc-issuer[-regexp].
type Identity struct {
	SAN, SANRegexp       string
	Issuer, IssuerRegexp string
}

// Empty reports whether no identity was asked for.
func (i Identity) Empty() bool { return i == Identity{} }

// Validate checks that the identity names both a SAN and an issuer, and
// that its regular expressions compile.
func (i Identity) Validate() error {
	if (i.SAN == "") == (i.SANRegexp == "") {
		return errors.New("give one of --certificate-identity or --certificate-identity-regexp")
	}
	if (i.Issuer == "") == (i.IssuerRegexp == "") {
		return errors.New("give one of --certificate-oidc-issuer or --certificate-oidc-issuer-regexp")
	}
	_, err := i.matcher()
	return err
}

func (i Identity) matcher() (sgverify.CertificateIdentity, error) {
	return sgverify.NewShortCertificateIdentity(i.Issuer, i.IssuerRegexp, i.SAN, i.SANRegexp)
}

// Match checks a certificate's summary against the identity.
func (i Identity) Match(sum certificate.Summary) error {
	m, err := i.matcher()
	if err != nil {
		return err
	}
	if err := m.Verify(sum); err != nil {
		return fmt.Errorf("it names %s issued by %s: %w", sum.SubjectAlternativeName, sum.Issuer, err)
	}
	return nil
}

// String says what the identity asks for.
func (i Identity) String() string {
	san, iss := i.SAN, i.Issuer
	if san == "" {
		san = "~" + i.SANRegexp
	}
	if iss == "" {
		iss = "~" + i.IssuerRegexp
	}
	return san + " issued by " + iss
}
