package signing

import (
	"context"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/sigstore/sigstore/pkg/signature/kms/gcp"

	"github.com/chainseal/chainseal/pkg/config"
	"github.com/chainseal/chainseal/pkg/signing/internal/awskmsdouble"
	"github.com/chainseal/chainseal/pkg/signing/internal/gcpkmsdouble"
)

func kmsConfig(t testing.TB, kv map[string]string) config.Config {
	t.Helper()
	kv2 := map[string]string{config.KeyPipelineRunSigner: config.SignerKMS}
	for k, v := range kv {
		kv2[k] = v
	}
	return mustParse(t, kv2)
}

// awsEnv points the AWS SDK at the double with dummy credentials and keeps
// the machine's AWS settings (AWS_CA_BUNDLE, profiles, IMDS) out.
func awsEnv(t *testing.T, endpoint string) {
	dir := t.TempDir()
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL_KMS":        endpoint,
		"AWS_ACCESS_KEY_ID":           "AKIDTESTDOUBLE",
		"AWS_SECRET_ACCESS_KEY":       "test-double-secret",
		"AWS_REGION":                  "us-east-1",
		"AWS_CA_BUNDLE":               "",
		"AWS_PROFILE":                 "",
		"AWS_CONFIG_FILE":             tmpFile(t, dir, "config", nil),
		"AWS_SHARED_CREDENTIALS_FILE": tmpFile(t, dir, "credentials", nil),
		"AWS_EC2_METADATA_DISABLED":   "true",
		"AWS_MAX_ATTEMPTS":            "1",
	} {
		t.Setenv(k, v)
	}
}

// verifyWithOpenSSL checks a DSSE envelope against a PEM public key with
// openssl alone: it rebuilds the PAE bytes itself.
func verifyWithOpenSSL(t *testing.T, env *Envelope, pubPEM []byte) {
	t.Helper()
	dir := t.TempDir()
	payload, err := base64.StdEncoding.DecodeString(env.Payload)
	if err != nil {
		t.Fatal(err)
	}
	sig, _ := base64.StdEncoding.DecodeString(env.Signatures[0].Sig)
	pae := "DSSEv1 " + strconv.Itoa(len(env.PayloadType)) + " " + env.PayloadType + " " + strconv.Itoa(len(payload)) + " " + string(payload)
	out := run(t, nil, "openssl", "dgst", "-sha256", "-verify", tmpFile(t, dir, "pub.pem", pubPEM),
		"-signature", tmpFile(t, dir, "sig", sig), tmpFile(t, dir, "pae", []byte(pae)))
	if !strings.Contains(out, "Verified OK") {
		t.Fatalf("openssl: %s", out)
	}
}

// TestAWSKMSWithTestDouble runs sigstore's awskms provider and the real AWS
// SDK against awskmsdouble, a TEST DOUBLE of AWS KMS (no emulator exists here).
func TestAWSKMSWithTestDouble(t *testing.T) {
	d, err := awskmsdouble.New("chainseal")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Server.Close()
	awsEnv(t, d.Server.URL)
	ctx := context.Background()

	s, err := Load(ctx, config.SignerKMS, kmsConfig(t, map[string]string{config.KeyKMSRef: "awskms:///alias/chainseal"}), WithEnv(noEnv))
	if err != nil {
		t.Fatal(err)
	}
	if s.Description() != "kms awskms:///alias/chainseal" {
		t.Errorf("Description() = %q", s.Description())
	}
	env, err := s.SignEnvelope(ctx, PayloadTypeInToto, statement)
	if err != nil {
		t.Fatal(err)
	}
	if d.Signs.Load() != 1 {
		t.Fatalf("the double saw %d Sign calls, want 1", d.Signs.Load())
	}
	doublePub := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: d.PublicKeyDER()})
	verifyWithOpenSSL(t, env, doublePub)
	if string(s.PublicKeyPEM()) != string(doublePub) {
		t.Fatalf("PublicKeyPEM() is not the KMS key:\n%s", s.PublicKeyPEM())
	}

	t.Run("access denied", func(t *testing.T) {
		_, err := Load(ctx, config.SignerKMS, kmsConfig(t, map[string]string{config.KeyKMSRef: "awskms:///alias/someone-elses"}), WithEnv(noEnv))
		assertContains(t, err, "kms awskms:///alias/someone-elses", "AccessDeniedException", config.KeyKMSRef)
		assertNoSecret(t, err, "test-double-secret")
	})
}

// TestGCPKMSWithTestDouble runs sigstore's gcpkms provider and the real
// Google client against gcpkmsdouble, a TEST DOUBLE of Cloud KMS over gRPC.
func TestGCPKMSWithTestDouble(t *testing.T) {
	const key = "projects/p/locations/global/keyRings/chainseal/cryptoKeys/release"
	d, err := gcpkmsdouble.New(key)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Stop()
	ctx := context.Background()
	endpoint := WithKMSOptions(
		gcp.WithGoogleAPIClientOption(option.WithEndpoint(d.Addr)),
		gcp.WithGoogleAPIClientOption(option.WithoutAuthentication()),
		gcp.WithGoogleAPIClientOption(option.WithGRPCDialOption(grpc.WithTransportCredentials(insecure.NewCredentials()))),
	)
	s, err := Load(ctx, config.SignerKMS, kmsConfig(t, map[string]string{config.KeyKMSRef: "gcpkms://" + key}), WithEnv(noEnv), endpoint)
	if err != nil {
		t.Fatal(err)
	}
	env, err := s.SignEnvelope(ctx, PayloadTypeInToto, statement)
	if err != nil {
		t.Fatal(err)
	}
	if d.Signs.Load() != 1 {
		t.Fatalf("the double saw %d AsymmetricSign calls, want 1", d.Signs.Load())
	}
	verifyWithOpenSSL(t, env, d.PublicKeyPEM())

	t.Run("permission denied", func(t *testing.T) {
		other := "projects/p/locations/global/keyRings/chainseal/cryptoKeys/not-ours"
		_, err := Load(ctx, config.SignerKMS, kmsConfig(t, map[string]string{config.KeyKMSRef: "gcpkms://" + other}), WithEnv(noEnv), endpoint)
		assertContains(t, err, "kms gcpkms://"+other, "PermissionDenied")
	})
}

// TestKMSBadInput covers what fails before or at the first KMS call.
func TestKMSBadInput(t *testing.T) {
	ctx := context.Background()
	// A port nothing listens on: an unreachable Vault.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String()
	l.Close()
	dir := t.TempDir()
	tokenFile := tmpFile(t, dir, "vault-token", []byte("hvs.a-long-lived-vault-token\n"))

	for _, tc := range []struct {
		name    string
		kv      map[string]string
		env     map[string]string
		want    []string
		secrets []string
	}{
		{"no kmsref", map[string]string{config.KeyPipelineRunSigner: config.SignerX509}, nil, []string{config.KeyKMSRef}, nil},
		{"unknown provider", map[string]string{config.KeyKMSRef: "nosuchkms://k"}, nil, []string{"nosuchkms://k", config.KeyKMSRef, "hashivault://"}, nil},
		{"no vault address", map[string]string{config.KeyKMSRef: "hashivault://release"}, nil, []string{"kms hashivault://release", config.KeyKMSAuthAddress}, nil},
		{"no vault credentials", map[string]string{config.KeyKMSRef: "hashivault://release", config.KeyKMSAuthAddress: closed}, nil,
			[]string{"kms hashivault://release", config.KeyKMSAuthKubernetesRole, config.KeyKMSAuthTokenPath}, nil},
		{"unreachable vault", map[string]string{config.KeyKMSRef: "hashivault://release", config.KeyKMSAuthAddress: closed, config.KeyKMSAuthTokenPath: tokenFile}, nil,
			[]string{"kms hashivault://release", "token file " + tokenFile, "cannot reach Vault at " + closed, config.KeyKMSAuthAddress}, []string{"hvs.a-long-lived-vault-token"}},
		{"unreachable vault, kubernetes login", map[string]string{config.KeyKMSRef: "hashivault://release", config.KeyKMSAuthAddress: closed,
			config.KeyKMSAuthKubernetesRole: "chainseal", config.KeyKMSAuthKubernetesTokenPath: tokenFile}, nil,
			[]string{"kms hashivault://release", "cannot reach Vault at " + closed, "auth/kubernetes/login", config.KeyKMSAuthAddress}, []string{"hvs.a-long-lived-vault-token"}},
		{"missing token file", map[string]string{config.KeyKMSRef: "hashivault://release", config.KeyKMSAuthAddress: closed, config.KeyKMSAuthTokenPath: filepath.Join(dir, "nope")}, nil,
			[]string{config.KeyKMSAuthTokenPath, "nope"}, nil},
		{"missing serviceaccount token", map[string]string{config.KeyKMSRef: "hashivault://release", config.KeyKMSAuthAddress: closed,
			config.KeyKMSAuthKubernetesRole: "chainseal", config.KeyKMSAuthKubernetesTokenPath: filepath.Join(dir, "sa-token")}, nil,
			[]string{config.KeyKMSAuthKubernetesTokenPath, "sa-token"}, nil},
		{"spire", map[string]string{config.KeyKMSRef: "hashivault://release", config.KeyKMSAuthAddress: closed, config.KeyKMSSpireSock: "unix:///spire.sock"}, nil,
			[]string{config.KeyKMSSpireSock, config.KeyKMSAuthKubernetesRole}, nil},
		{"token from env only, unreachable", map[string]string{config.KeyKMSRef: "hashivault://release"},
			map[string]string{"VAULT_ADDR": closed, "VAULT_TOKEN": "hvs.env-token-value"},
			[]string{"cannot reach Vault at " + closed, "VAULT_TOKEN"}, []string{"hvs.env-token-value"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			_, err := Load(ctx, config.SignerKMS, kmsConfig(t, tc.kv), WithEnv(func(k string) string { return tc.env[k] }))
			assertContains(t, err, tc.want...)
			assertNoSecret(t, err, tc.secrets...)
			var se *Error
			if !errors.As(err, &se) {
				t.Fatalf("error is not a *signing.Error: %T %v", err, err)
			}
			if d := time.Since(start); d > 30*time.Second {
				t.Errorf("failing took %s", d)
			}
		})
	}
}
