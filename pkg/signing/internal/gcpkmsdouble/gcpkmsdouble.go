// Package gcpkmsdouble is a TEST DOUBLE of Google Cloud KMS, not Cloud KMS:
// an in-process gRPC server implementing the real KeyManagementService API
// (GetCryptoKey, ListCryptoKeyVersions, GetCryptoKeyVersion, GetPublicKey,
// AsymmetricSign, with CRC32C integrity fields) for one EC P-256 key. No
// Cloud KMS emulator exists; this lets the unmodified Google client and
// sigstore's gcpkms provider run end to end. It does no authentication.
package gcpkmsdouble

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"hash/crc32"
	"net"
	"strings"
	"sync/atomic"

	"cloud.google.com/go/kms/apiv1/kmspb"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// Double is a running fake Cloud KMS with one asymmetric signing key.
type Double struct {
	kmspb.UnimplementedKeyManagementServiceServer
	Addr    string // host:port of the gRPC server
	Key     *ecdsa.PrivateKey
	KeyName string // projects/p/locations/l/keyRings/r/cryptoKeys/k
	Signs   atomic.Int64

	srv *grpc.Server
}

// New starts a double for keyName; Stop it when done.
func New(keyName string) (*Double, error) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	d := &Double{Addr: l.Addr().String(), Key: k, KeyName: keyName, srv: grpc.NewServer()}
	kmspb.RegisterKeyManagementServiceServer(d.srv, d)
	go func() { _ = d.srv.Serve(l) }()
	return d, nil
}

// Stop ends the server.
func (d *Double) Stop() { d.srv.Stop() }

// PublicKeyPEM is the key's public half.
func (d *Double) PublicKeyPEM() []byte {
	der, _ := x509.MarshalPKIXPublicKey(&d.Key.PublicKey)
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

func (d *Double) version() *kmspb.CryptoKeyVersion {
	return &kmspb.CryptoKeyVersion{
		Name:      d.KeyName + "/cryptoKeyVersions/1",
		State:     kmspb.CryptoKeyVersion_ENABLED,
		Algorithm: kmspb.CryptoKeyVersion_EC_SIGN_P256_SHA256,
	}
}

func (d *Double) check(name string) error {
	if name != d.KeyName && !strings.HasPrefix(name, d.KeyName+"/cryptoKeyVersions/") {
		return status.Errorf(codes.PermissionDenied, "Permission 'cloudkms.cryptoKeyVersions.useToSign' denied on resource '%s' (or it may not exist).", name)
	}
	return nil
}

func (d *Double) GetCryptoKey(_ context.Context, r *kmspb.GetCryptoKeyRequest) (*kmspb.CryptoKey, error) {
	if err := d.check(r.Name); err != nil {
		return nil, err
	}
	return &kmspb.CryptoKey{Name: d.KeyName, Purpose: kmspb.CryptoKey_ASYMMETRIC_SIGN, Primary: nil}, nil
}

func (d *Double) ListCryptoKeyVersions(_ context.Context, r *kmspb.ListCryptoKeyVersionsRequest) (*kmspb.ListCryptoKeyVersionsResponse, error) {
	if err := d.check(r.Parent); err != nil {
		return nil, err
	}
	return &kmspb.ListCryptoKeyVersionsResponse{CryptoKeyVersions: []*kmspb.CryptoKeyVersion{d.version()}, TotalSize: 1}, nil
}

func (d *Double) GetCryptoKeyVersion(_ context.Context, r *kmspb.GetCryptoKeyVersionRequest) (*kmspb.CryptoKeyVersion, error) {
	if r.Name != d.version().Name {
		return nil, status.Errorf(codes.NotFound, "%s not found", r.Name)
	}
	return d.version(), nil
}

func (d *Double) GetPublicKey(_ context.Context, r *kmspb.GetPublicKeyRequest) (*kmspb.PublicKey, error) {
	if r.Name != d.version().Name {
		return nil, status.Errorf(codes.NotFound, "%s not found", r.Name)
	}
	return &kmspb.PublicKey{Name: r.Name, Pem: string(d.PublicKeyPEM()), Algorithm: kmspb.CryptoKeyVersion_EC_SIGN_P256_SHA256}, nil
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func (d *Double) AsymmetricSign(_ context.Context, r *kmspb.AsymmetricSignRequest) (*kmspb.AsymmetricSignResponse, error) {
	if err := d.check(r.Name); err != nil {
		return nil, err
	}
	digest := r.GetDigest().GetSha256()
	if len(digest) != 32 {
		return nil, status.Error(codes.InvalidArgument, "EC_SIGN_P256_SHA256 needs a SHA-256 digest")
	}
	if c := r.GetDigestCrc32C(); c != nil && int64(crc32.Checksum(digest, castagnoli)) != c.Value {
		return nil, status.Error(codes.InvalidArgument, "digest_crc32c does not match")
	}
	sig, err := ecdsa.SignASN1(rand.Reader, d.Key, digest)
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	d.Signs.Add(1)
	return &kmspb.AsymmetricSignResponse{
		Name: r.Name, Signature: sig,
		SignatureCrc32C:      wrapperspb.Int64(int64(crc32.Checksum(sig, castagnoli))),
		VerifiedDigestCrc32C: r.GetDigestCrc32C() != nil,
	}, nil
}
