package signing

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/chainseal/chainseal/pkg/config"
)

// Keyless signing: an ephemeral key that Fulcio certifies for the identity
// of an OIDC token, here the pod's projected ServiceAccount token (the
// Kubernetes API server is the issuer; the certificate's SAN is
// https://kubernetes.io/namespaces/<ns>/serviceaccounts/<sa>). The key
// lives in memory for one process and is never written anywhere; what
// verifies its signatures is the certificate, carried into every store.

// FulcioAudience is the audience Fulcio accepts tokens for (its ClientID).
const FulcioAudience = "sigstore"

// fulcioTimeout bounds the certificate request.
const fulcioTimeout = 30 * time.Second

// keylessSigner signs with an ephemeral key and carries Fulcio's
// certificate for it.
type keylessSigner struct {
	*keySigner
	cert, chain []byte
}

// Certificate implements CertificateProvider.
func (s *keylessSigner) Certificate() (cert, chain []byte) {
	return bytes.Clone(s.cert), bytes.Clone(s.chain)
}

// certificateRequest is the body of Fulcio's v1 signingCert request (as
// github.com/sigstore/fulcio/pkg/api's CertificateRequest, which would
// pull Fulcio's server dependencies into the module).
type certificateRequest struct {
	PublicKey struct {
		Content   []byte `json:"content"`
		Algorithm string `json:"algorithm,omitempty"`
	} `json:"publicKey"`
	// SignedEmailAddress is the proof of possession: the token's subject
	// signed with the key.
	SignedEmailAddress []byte `json:"signedEmailAddress"`
}

// tokenClaims are the claims of the OIDC token read before it is sent, so
// that a wrong token is refused with a clear message instead of Fulcio's.
type tokenClaims struct {
	Issuer   string   `json:"iss"`
	Subject  string   `json:"sub"`
	Audience audience `json:"aud"`
	Expiry   int64    `json:"exp"`
}

// audience is a JWT aud: one string or a list.
type audience []string

func (a *audience) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*a = audience{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return errors.New("aud is neither a string nor a list of strings")
	}
	*a = many
	return nil
}

// parseTokenClaims reads a JWT's claims without verifying its signature
// (Fulcio does that): only to refuse a token that cannot work.
func parseTokenClaims(token string) (tokenClaims, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return tokenClaims{}, errors.New("not a JWT (want three dot-separated parts)")
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return tokenClaims{}, errors.New("the JWT's claims are not base64url")
	}
	var c tokenClaims
	if err := json.Unmarshal(raw, &c); err != nil {
		return tokenClaims{}, fmt.Errorf("the JWT's claims do not parse: %w", err)
	}
	return c, nil
}

// loadKeyless is the x509 signer with signers.x509.fulcio.enabled=true.
func loadKeyless(ctx context.Context, cfg config.Config, o *loadOptions) (Signer, error) {
	f := cfg.Fulcio
	source := "x509 keyless (Fulcio " + f.Address + ")"
	fail := func(err error, fix string) (Signer, error) {
		return nil, &Error{Op: "loading", Source: source, Err: err, Fix: fix}
	}
	switch f.Provider {
	case "", "filesystem":
	default:
		return fail(fmt.Errorf("%w token provider %q", ErrUnsupported, f.Provider),
			fmt.Sprintf("chainseal reads the token from a file: set %s to filesystem (or leave it empty) and %s to the token's path", config.KeyFulcioProvider, config.KeyIdentityTokenFile))
	}
	if f.TUFMirrorURL != "" {
		return fail(fmt.Errorf("%w: Fulcio's roots from a TUF mirror (%s)", ErrUnsupported, config.KeyTUFMirrorURL),
			fmt.Sprintf("remove %s and give the trusted root in %s (cosign trusted-root create writes it)", config.KeyTUFMirrorURL, config.KeyFulcioTrustedRoot))
	}
	u, err := url.Parse(f.Address)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fail(fmt.Errorf("%s %q is not an http(s) URL", config.KeyFulcioAddress, f.Address), "set it to the Fulcio server, e.g. https://fulcio.sigstore.dev")
	}
	if strings.TrimSpace(f.TrustedRoot) == "" {
		return fail(fmt.Errorf("%s is empty: the certificate Fulcio returns could not be checked", config.KeyFulcioTrustedRoot),
			fmt.Sprintf("set %s to the trusted_root.json of your Sigstore deployment (cosign trusted-root create --fulcio url=%s,certificate-chain=fulcio.pem ...)", config.KeyFulcioTrustedRoot, f.Address))
	}
	trust, err := ParseTrustRoot([]byte(f.TrustedRoot), config.KeyFulcioTrustedRoot)
	if err != nil {
		return fail(err, fmt.Sprintf("set %s to a trusted_root.json as cosign trusted-root create writes it", config.KeyFulcioTrustedRoot))
	}

	token, claims, err := readToken(f.IdentityTokenFile, o.now())
	if err != nil {
		return fail(err, fmt.Sprintf("mount a projected ServiceAccount token with audience %q at %s (the chainseal Task does), or set %s to where it is", FulcioAudience, config.DefaultIdentityTokenFile, config.KeyIdentityTokenFile))
	}
	if claims.Issuer != f.Issuer {
		return fail(fmt.Errorf("the token in %s was issued by %q, not by %s %q", f.IdentityTokenFile, claims.Issuer, config.KeyFulcioIssuer, f.Issuer),
			fmt.Sprintf("set %s to the issuer of the cluster's ServiceAccount tokens (the API server's --service-account-issuer)", config.KeyFulcioIssuer))
	}

	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fail(fmt.Errorf("generating the ephemeral key: %w", err), "")
	}
	// Proof of possession: the token's subject signed with the key.
	sum := sha256.Sum256([]byte(claims.Subject))
	proof, err := ecdsa.SignASN1(rand.Reader, priv, sum[:])
	if err != nil {
		return fail(fmt.Errorf("signing the proof of possession: %w", err), "")
	}
	der, err := cryptoutils.MarshalPublicKeyToDER(priv.Public())
	if err != nil {
		return fail(err, "")
	}
	start := o.now()
	var cr certificateRequest
	cr.PublicKey.Content, cr.PublicKey.Algorithm, cr.SignedEmailAddress = der, "ecdsa", proof
	certPEM, chainPEM, err := requestCertificate(ctx, u, cr, token)
	if err != nil {
		return fail(scrub(err, []byte(token)), fmt.Sprintf("check that Fulcio answers at %s (%s) and trusts the issuer %s for the audience %q", f.Address, config.KeyFulcioAddress, claims.Issuer, FulcioAudience))
	}
	m, err := NewCertificateMaterial(certPEM, chainPEM)
	if err != nil {
		return fail(fmt.Errorf("Fulcio's answer: %w", err), "")
	}
	if err := cryptoutils.EqualKeys(m.PublicKey(), priv.Public()); err != nil {
		return fail(errors.New("Fulcio's certificate is not for the key it was asked to certify"), "")
	}
	id, err := trust.CheckCertificate(m.Certificate(), o.now(), false)
	if errors.Is(err, ErrNoSCTCheck) {
		o.logger.Warn("keyless: the trusted root names no CT log, so the certificate's SCT is not checked", "trusted-root", config.KeyFulcioTrustedRoot)
		id, err = trust.CheckCertificate(m.Certificate(), o.now(), true)
	}
	if err != nil {
		return fail(err, fmt.Sprintf("give in %s the trusted root of the Fulcio at %s", config.KeyFulcioTrustedRoot, f.Address))
	}
	if id.Issuer != claims.Issuer {
		return fail(fmt.Errorf("Fulcio's certificate names the OIDC issuer %q, not the token's %q", id.Issuer, claims.Issuer), "")
	}
	sv, err := signature.LoadECDSASignerVerifier(priv, crypto.SHA256)
	if err != nil {
		return fail(err, "")
	}
	desc := fmt.Sprintf("x509 keyless: Fulcio %s certificate for %s (issuer %s)", f.Address, id.SubjectAlternativeName, id.Issuer)
	ks, err := newKeySigner(sv, priv.Public(), desc)
	if err != nil {
		return fail(err, "")
	}
	o.logger.Info("keyless certificate issued", "fulcio", f.Address, "identity", id.SubjectAlternativeName,
		"issuer", id.Issuer, "expires", m.Certificate().NotAfter.UTC().Format(time.RFC3339), "duration", o.now().Sub(start).Round(time.Millisecond))
	return &keylessSigner{keySigner: ks, cert: m.CertificatePEM(), chain: m.ChainPEM()}, nil
}

// readToken reads the OIDC token file and refuses a token Fulcio would
// refuse: not for the sigstore audience, or expired.
func readToken(path string, now time.Time) (string, tokenClaims, error) {
	if path == "" {
		return "", tokenClaims{}, fmt.Errorf("%s is empty", config.KeyIdentityTokenFile)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", tokenClaims{}, fmt.Errorf("reading the identity token: %w", err)
	}
	token := strings.TrimSpace(string(b))
	claims, err := parseTokenClaims(token)
	if err != nil {
		return "", tokenClaims{}, fmt.Errorf("the identity token in %s: %w", path, err)
	}
	if !slices.Contains(claims.Audience, FulcioAudience) {
		return "", tokenClaims{}, fmt.Errorf("the identity token in %s is for the audience %q, not %q", path, []string(claims.Audience), FulcioAudience)
	}
	if claims.Expiry != 0 && !now.Before(time.Unix(claims.Expiry, 0)) {
		return "", tokenClaims{}, fmt.Errorf("the identity token in %s expired at %s", path, time.Unix(claims.Expiry, 0).UTC().Format(time.RFC3339))
	}
	if claims.Subject == "" || claims.Issuer == "" {
		return "", tokenClaims{}, fmt.Errorf("the identity token in %s has no subject or issuer", path)
	}
	return token, claims, nil
}

// requestCertificate asks Fulcio's v1 API for a certificate, as cosign
// does (fulcio pkg/api's LegacyClient, with a context and a bound): the
// answer is the certificate followed by its chain, PEM.
func requestCertificate(ctx context.Context, base *url.URL, cr certificateRequest, token string) (cert, chain []byte, err error) {
	body, err := json.Marshal(cr)
	if err != nil {
		return nil, nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, fulcioTimeout)
	defer cancel()
	endpoint := base.JoinPath("/api/v1/signingCert")
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint.String(), bytes.NewReader(body))
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "chainseal")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("requesting a certificate from %s: %w", endpoint.Redacted(), err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, nil, fmt.Errorf("reading Fulcio's answer from %s: %w", endpoint.Redacted(), err)
	}
	if resp.StatusCode != http.StatusCreated {
		return nil, nil, fmt.Errorf("Fulcio at %s refused the certificate request: %s: %s", endpoint.Redacted(), resp.Status, bytes.TrimSpace(b))
	}
	certBlock, rest := pem.Decode(b)
	if certBlock == nil {
		return nil, nil, fmt.Errorf("Fulcio at %s answered without a PEM certificate", endpoint.Redacted())
	}
	return pem.EncodeToMemory(certBlock), rest, nil
}
