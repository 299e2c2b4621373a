package signing

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/sigstore/sigstore/pkg/signature/kms/gcp"

	"github.com/chainseal/chainseal/pkg/config"
	"github.com/chainseal/chainseal/pkg/signing/internal/awskmsdouble"
	"github.com/chainseal/chainseal/pkg/signing/internal/gcpkmsdouble"
)

var discard = slog.New(slog.NewTextHandler(io.Discard, nil))

// benchSign measures DSSE envelopes per second with one loaded Signer: the
// steady state of a run (the key is loaded once per process).
func benchSign(b *testing.B, s Signer) {
	b.Helper()
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := s.SignEnvelope(ctx, PayloadTypeInToto, statement); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "sigs/s")
}

func BenchmarkSignX509(b *testing.B) {
	for _, tc := range []struct {
		name string
		gen  []string
	}{
		{"ecdsa-p256", []string{"-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"}},
		{"ecdsa-p384", []string{"-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"}},
		{"ed25519", []string{"-algorithm", "ed25519"}},
		{"rsa-2048", []string{"-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			dir := b.TempDir()
			run(b, nil, "openssl", append([]string{"genpkey"}, append(tc.gen, "-out", dir+"/"+FileX509Key)...)...)
			s, err := loadDir(b, config.SignerX509, dir, mustParse(b, nil))
			if err != nil {
				b.Fatal(err)
			}
			benchSign(b, s)
		})
	}
}

// BenchmarkLoadCosignKey is what Chains pays per object: scrypt decryption.
func BenchmarkSignPGP(b *testing.B) {
	dir := b.TempDir()
	home := b.TempDir()
	env := append(cosignEnv(b), "GNUPGHOME="+home)
	run(b, env, "gpg", "--batch", "--pinentry-mode", "loopback", "--passphrase", "", "--quick-gen-key", "bench <b@example.com>", "ed25519", "sign", "never")
	writeFile(b, dir+"/"+FilePGPPrivateKey, []byte(run(b, env, "gpg", "--batch", "--pinentry-mode", "loopback", "--passphrase", "", "--armor", "--export-secret-keys", "bench")))
	_, _ = runErr(env, "gpgconf", "--kill", "gpg-agent")
	s, err := loadDir(b, config.SignerPGP, dir, mustParse(b, nil))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for b.Loop() {
		if _, err := s.SignBlob(ctx, statement); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "sigs/s")
}

// BenchmarkSignAWSKMSDouble includes the HTTP round trip to awskmsdouble,
// a TEST DOUBLE: it measures chainseal's and the SDK's cost, not AWS's.
func BenchmarkSignAWSKMSDouble(b *testing.B) {
	d, err := awskmsdouble.New("bench")
	if err != nil {
		b.Fatal(err)
	}
	defer d.Server.Close()
	for k, v := range map[string]string{"AWS_ENDPOINT_URL_KMS": d.Server.URL, "AWS_ACCESS_KEY_ID": "AKIDBENCH", "AWS_SECRET_ACCESS_KEY": "bench",
		"AWS_REGION": "us-east-1", "AWS_CA_BUNDLE": "", "AWS_EC2_METADATA_DISABLED": "true"} {
		b.Setenv(k, v)
	}
	s, err := Load(context.Background(), config.SignerKMS, kmsConfig(b, map[string]string{config.KeyKMSRef: "awskms:///alias/bench"}), WithEnv(noEnv), WithLogger(discard))
	if err != nil {
		b.Fatal(err)
	}
	benchSign(b, s)
}

// BenchmarkSignGCPKMSDouble includes the gRPC round trip to gcpkmsdouble,
// a TEST DOUBLE.
func BenchmarkSignGCPKMSDouble(b *testing.B) {
	const key = "projects/p/locations/global/keyRings/r/cryptoKeys/bench"
	d, err := gcpkmsdouble.New(key)
	if err != nil {
		b.Fatal(err)
	}
	defer d.Stop()
	s, err := Load(context.Background(), config.SignerKMS, kmsConfig(b, map[string]string{config.KeyKMSRef: "gcpkms://" + key}), WithEnv(noEnv), WithLogger(discard),
		WithKMSOptions(gcp.WithGoogleAPIClientOption(option.WithEndpoint(d.Addr)), gcp.WithGoogleAPIClientOption(option.WithoutAuthentication()),
			gcp.WithGoogleAPIClientOption(option.WithGRPCDialOption(grpc.WithTransportCredentials(insecure.NewCredentials())))))
	if err != nil {
		b.Fatal(err)
	}
	benchSign(b, s)
}

// BenchmarkSignVault is the real KMS round trip: Vault transit on the
// stack, logged in through the kubernetes auth method.
