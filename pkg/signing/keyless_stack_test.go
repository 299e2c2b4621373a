//go:build stack

package signing

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	authv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/chainseal/chainseal/pkg/config"
)

// keylessSetup is a namespace with a ServiceAccount on the stack, and the
// config that signs keylessly with the stack's Fulcio for it.
type keylessSetup struct {
	s         *stack
	ns, sa    string
	issuer    string
	rootFile  string
	values    map[string]string
	tokenFile string
}

func newKeyless(t testing.TB) *keylessSetup {
	t.Helper()
	s := loadStack(t)
	k := &keylessSetup{s: s, sa: "chainseal", issuer: s.env.Must(t, "OIDC_ISSUER"), rootFile: s.env.Must(t, "SIGSTORE_TRUSTED_ROOT_FILE")}
	k.ns = s.namespaceWithSA(t, k.sa)
	root, err := os.ReadFile(k.rootFile)
	if err != nil {
		t.Fatal(err)
	}
	k.tokenFile = filepath.Join(t.TempDir(), "oidc-token")
	k.values = map[string]string{
		config.KeyFulcioEnabled:     "true",
		config.KeyFulcioAddress:     s.env.Must(t, "FULCIO_URL"),
		config.KeyFulcioIssuer:      k.issuer,
		config.KeyFulcioTrustedRoot: string(root),
		config.KeyIdentityTokenFile: k.tokenFile,
	}
	return k
}

// token writes a token of the ServiceAccount for the audiences to the
// token file, as the kubelet projects one.
func (k *keylessSetup) token(t testing.TB, audiences ...string) {
	t.Helper()
	exp := int64(600)
	tr, err := k.s.kube.CoreV1().ServiceAccounts(k.ns).CreateToken(context.Background(), k.sa,
		&authv1.TokenRequest{Spec: authv1.TokenRequestSpec{Audiences: audiences, ExpirationSeconds: &exp}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("TokenRequest for %s/%s: %v", k.ns, k.sa, err)
	}
	writeFile(t, k.tokenFile, []byte(tr.Status.Token))
}

func (k *keylessSetup) load(t testing.TB, over map[string]string, opts ...Option) (Signer, error) {
	t.Helper()
	v := map[string]string{}
	for key, val := range k.values {
		v[key] = val
	}
	for key, val := range over {
		v[key] = val
	}
	return Load(context.Background(), config.SignerX509, mustParse(t, v), opts...)
}

// TestKeylessSignerVerifiedByCosign gets a certificate from the stack's
// Fulcio for a ServiceAccount token (the API server as OIDC issuer), and
// has cosign verify a blob signature and a DSSE attestation by identity
// against the stack's trusted root.
func TestKeylessSignerVerifiedByCosign(t *testing.T) {
	k := newKeyless(t)
	k.token(t, FulcioAudience)
	s, err := k.load(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	identity := "https://kubernetes.io/namespaces/" + k.ns + "/serviceaccounts/" + k.sa
	if !strings.Contains(s.Description(), identity) {
		t.Errorf("Description() = %q, want it to name %s", s.Description(), identity)
	}
	m, err := MaterialOf(s)
	if err != nil {
		t.Fatal(err)
	}
	if !m.IsCertificate() || len(m.Chain()) == 0 {
		t.Fatalf("MaterialOf(keyless signer) = %s with %d chain certificates, want a certificate and its chain", m, len(m.Chain()))
	}
	if got := m.Certificate().URIs; len(got) != 1 || got[0].String() != identity {
		t.Errorf("certificate SAN = %v, want %s", got, identity)
	}

	ctx := context.Background()
	work := t.TempDir()
	cert := tmpFile(t, work, "cert.pem", m.CertificatePEM())
	chain := tmpFile(t, work, "chain.pem", m.ChainPEM())
	blob := tmpFile(t, work, "blob", statement)
	sig, err := s.SignBlob(ctx, statement)
	if err != nil {
		t.Fatal(err)
	}
	sigFile := tmpFile(t, work, "blob.sig", []byte(base64.StdEncoding.EncodeToString(sig)))
	verify := func(id string) (string, error) {
		return runErr(cosignEnv(t), cosignBin(t), "verify-blob", "--certificate", cert, "--certificate-chain", chain,
			"--certificate-identity", id, "--certificate-oidc-issuer", k.issuer,
			"--insecure-ignore-sct", "--insecure-ignore-tlog", "--signature", sigFile, blob)
	}
	if out, err := verify(identity); err != nil {
		t.Fatalf("cosign verify-blob by identity: %v\n%s", err, out)
	}
	other := "https://kubernetes.io/namespaces/" + k.ns + "-other/serviceaccounts/" + k.sa
	if out, err := verify(other); err == nil {
		t.Fatalf("cosign verified the signature for another identity %s:\n%s", other, out)
	}
}

// TestKeylessRefusals: a token cosign's Fulcio would refuse, or a Fulcio
// that cannot be reached or trusted, is a clear error naming what to fix,
// and no signer.
func TestKeylessRefusals(t *testing.T) {
	k := newKeyless(t)
	k.token(t, FulcioAudience)
	otherRoot := otherTrustedRoot(t, k.s.env.Must(t, "FULCIO_URL"))
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T)
		over  map[string]string
		opts  []Option
		want  []string
	}{
		{name: "wrong audience", setup: func(t *testing.T) { k.token(t, "vault") },
			want: []string{`audience ["vault"], not "sigstore"`, config.KeyIdentityTokenFile}},
		{name: "expired token", opts: []Option{WithClock(func() time.Time { return time.Now().Add(2 * time.Hour) })},
			want: []string{"expired at", config.KeyIdentityTokenFile}},
		{name: "no token file", over: map[string]string{config.KeyIdentityTokenFile: filepath.Join(t.TempDir(), "none")},
			want: []string{"reading the identity token", config.KeyIdentityTokenFile}},
		{name: "Fulcio unreachable", over: map[string]string{config.KeyFulcioAddress: "http://127.0.0.1:1"},
			want: []string{"connection refused", config.KeyFulcioAddress}},
		{name: "issuer not the token's", over: map[string]string{config.KeyFulcioIssuer: "https://oauth2.sigstore.dev/auth"},
			want: []string{"was issued by", config.KeyFulcioIssuer}},
		{name: "no trusted root", over: map[string]string{config.KeyFulcioTrustedRoot: ""},
			want: []string{config.KeyFulcioTrustedRoot + " is empty"}},
		{name: "another CA", over: map[string]string{config.KeyFulcioTrustedRoot: otherRoot},
			want: []string{"does not chain to a Fulcio certificate authority", config.KeyFulcioTrustedRoot}},
		{name: "TUF mirror", over: map[string]string{config.KeyTUFMirrorURL: "https://tuf.example"},
			want: []string{config.KeyTUFMirrorURL, config.KeyFulcioTrustedRoot}},
		{name: "token provider", over: map[string]string{config.KeyFulcioProvider: "google"},
			want: []string{`token provider "google"`, config.KeyFulcioProvider}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k.token(t, FulcioAudience)
			if tc.setup != nil {
				tc.setup(t)
			}
			s, err := k.load(t, tc.over, tc.opts...)
			if err == nil {
				t.Fatalf("loaded %s, want an error", s.Description())
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			token, _ := os.ReadFile(k.tokenFile)
			if strings.Contains(err.Error(), strings.TrimSpace(string(token))) {
				t.Errorf("the error holds the token")
			}
		})
	}
}

// otherTrustedRoot is a trusted root (made by cosign trusted-root create)
// whose Fulcio CA is a new one, not the stack Fulcio's.
func otherTrustedRoot(t *testing.T, fulcioURL string) string {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "not-the-stack-fulcio"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, priv.Public(), priv)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ca := tmpFile(t, dir, "ca.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	out := filepath.Join(dir, "trusted_root.json")
	run(t, cosignEnv(t), cosignBin(t), "trusted-root", "create", "--fulcio", "url="+fulcioURL+",certificate-chain="+ca, "--out", out)
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestIssuerDiscoveryIsTheOnlyAnonymousPath: the stack's API server lets
// Fulcio read its OIDC discovery document and keys without credentials,
// and nothing else.
func TestIssuerDiscoveryIsTheOnlyAnonymousPath(t *testing.T) {
	s := loadStack(t)
	ca, err := os.ReadFile(s.env.KubeCAFile())
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca)
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	for path, want := range map[string]int{
		"/.well-known/openid-configuration":  http.StatusOK,
		"/openid/v1/jwks":                    http.StatusOK,
		"/api":                               http.StatusUnauthorized,
		"/version":                           http.StatusUnauthorized,
		"/api/v1/namespaces/default/secrets": http.StatusUnauthorized,
	} {
		resp, err := c.Get(s.env.KubeAPIURL() + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("anonymous GET %s: %s, want %d", path, resp.Status, want)
		}
	}
}
