// Package gcs stores signed attestations in a Google Cloud Storage bucket
// (storage.gcs.bucket), laid out as Tekton Chains lays them out, so readers
// of a Chains bucket find chainseal's objects where they look:
//
//	<kind>-<namespace>-<name>/<kind>-<uid>.payload    the signed statement
//	<kind>-<namespace>-<name>/<kind>-<uid>.signature  the DSSE envelope (JSON), or the raw signature of a payload signed raw
//	<kind>-<namespace>-<name>/<kind>-<uid>.cert       keyless only: the signing certificate (PEM)
//	<kind>-<namespace>-<name>/<kind>-<uid>.chain      keyless only: its chain (PEM)
//
// with <kind> taskrun or pipelinerun. Image signatures (artifacts.oci.storage)
// are not tied to one TaskRun in chainseal, so they go under the image's
// digest instead of under the TaskRun that built it, as Chains has them:
//
//	image-sha256-<hex>/<first 12 hex>.{payload,signature,cert,chain}
//
// The client is Google's generated GCS JSON API client,
// google.golang.org/api/storage/v1, with Application Default Credentials
// (Workload Identity in a cluster); STORAGE_EMULATOR_HOST points it at
// another server speaking the GCS JSON API, as it does Google's
// cloud.google.com/go/storage. Why not that higher-level client: it links
// gRPC's xDS and OpenTelemetry (about 160 packages, 9 MB of binary, and their
// package initialisation on every run of the Task image, gcs or not), for
// nothing a few small writes and deletes need.
package gcs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"

	"google.golang.org/api/googleapi"
	"google.golang.org/api/option"
	gcs "google.golang.org/api/storage/v1"

	"github.com/chainseal/chainseal/pkg/config"
	"github.com/chainseal/chainseal/pkg/storage"
)

func init() {
	storage.Register(config.StorageGCS, func(ctx context.Context, d storage.Deps) (storage.Backend, error) {
		if d.Config.GCS.Bucket == "" {
			return nil, fmt.Errorf("the gcs backend needs a bucket: set %s", config.KeyGCSBucket)
		}
		c, err := NewService(ctx)
		if err != nil {
			return nil, fmt.Errorf("making a GCS client (credentials from the environment, or STORAGE_EMULATOR_HOST): %w", err)
		}
		return New(c, d.Config.GCS.Bucket), nil
	})
}

// NewService makes a GCS JSON API client: Application Default Credentials,
// or, when STORAGE_EMULATOR_HOST is set (host:port or a URL), that server
// without authentication, as cloud.google.com/go/storage does.
func NewService(ctx context.Context, opts ...option.ClientOption) (*gcs.Service, error) {
	host := os.Getenv("STORAGE_EMULATOR_HOST")
	if host == "" {
		return gcs.NewService(ctx, append([]option.ClientOption{option.WithScopes(gcs.DevstorageReadWriteScope), option.WithUserAgent("chainseal")}, opts...)...)
	}
	u := &url.URL{Scheme: "http", Host: host}
	if strings.Contains(host, "://") {
		var err error
		if u, err = url.Parse(host); err != nil {
			return nil, fmt.Errorf("STORAGE_EMULATOR_HOST %q: %w", host, err)
		}
	}
	u.Path = "/storage/v1/"
	return gcs.NewService(ctx, append([]option.ClientOption{option.WithEndpoint(u.String()), option.WithoutAuthentication()}, opts...)...)
}

// Backend writes objects to one bucket.
type Backend struct {
	objects *gcs.ObjectsService
	bucket  string
}

// New makes a Backend writing to bucket with svc.
func New(svc *gcs.Service, bucket string) *Backend {
	return &Backend{objects: gcs.NewObjectsService(svc), bucket: bucket}
}

func (b *Backend) Name() string { return config.StorageGCS }

// Object is one signed record as it goes to the bucket.
type Object struct {
	// Prefix is the objects' common name, without the extension.
	Prefix                          string
	Payload, Signature, Cert, Chain []byte
}

// ObjectsOf lays out a batch as Chains does (see the package doc).
func ObjectsOf(batch storage.Batch) ([]Object, error) {
	var out []Object
	for _, a := range batch.Attestations {
		kind := strings.ToLower(a.Object.Kind)
		if a.Object.Namespace == "" || a.Object.Name == "" || a.Object.UID == "" {
			return nil, fmt.Errorf("gcs storage: %s has no namespace, name or UID to name its objects by", a.Object)
		}
		out = append(out, Object{
			Prefix:  fmt.Sprintf("%s-%s-%s/%s-%s", kind, a.Object.Namespace, a.Object.Name, kind, a.Object.UID),
			Payload: a.Payload, Signature: a.StoredSignature(), Cert: a.Cert, Chain: a.Chain,
		})
	}
	for _, s := range batch.Images {
		hex, ok := s.DigestHex()
		if !ok {
			return nil, fmt.Errorf("gcs storage: image %q has no sha256 digest", s.Image)
		}
		out = append(out, Object{
			Prefix:  fmt.Sprintf("image-sha256-%s/%s", hex, hex[:12]),
			Payload: s.Payload, Signature: s.Signature, Cert: s.Cert, Chain: s.Chain,
		})
	}
	return out, nil
}

// Store writes every record. Writing is idempotent: a name holds one
// object, so a re-run overwrites instead of adding copies. Within a record
// the signature is written last (a reader that finds it finds the payload it
// signs), and a .cert/.chain left by an earlier keyless run is removed when
// this one has none.
func (b *Backend) Store(ctx context.Context, batch storage.Batch) (storage.Receipt, error) {
	r := storage.Receipt{Backend: b.Name()}
	objs, err := ObjectsOf(batch)
	if err != nil {
		return r, err
	}
	for _, o := range objs {
		if err := b.write(ctx, o.Prefix+".payload", o.Payload); err != nil {
			return r, err
		}
		for _, ext := range []struct {
			name string
			data []byte
		}{{".cert", o.Cert}, {".chain", o.Chain}} {
			if len(o.Cert) > 0 {
				if err := b.write(ctx, o.Prefix+ext.name, ext.data); err != nil {
					return r, err
				}
			} else if err := b.delete(ctx, o.Prefix+ext.name); err != nil {
				return r, err
			}
		}
		if err := b.write(ctx, o.Prefix+".signature", o.Signature); err != nil {
			return r, err
		}
		r.Locations = append(r.Locations, fmt.Sprintf("gs://%s/%s.signature", b.bucket, o.Prefix))
	}
	return r, nil
}

func (b *Backend) write(ctx context.Context, name string, data []byte) error {
	const contentType = "application/octet-stream"
	_, err := b.objects.Insert(b.bucket, &gcs.Object{Name: name, ContentType: contentType}).
		Media(bytes.NewReader(data), googleapi.ContentType(contentType)).Context(ctx).Do()
	if err != nil {
		return fmt.Errorf("gcs storage: writing gs://%s/%s: %w", b.bucket, name, err)
	}
	return nil
}

func (b *Backend) delete(ctx context.Context, name string) error {
	err := b.objects.Delete(b.bucket, name).Context(ctx).Do()
	var gerr *googleapi.Error
	if errors.As(err, &gerr) && gerr.Code == http.StatusNotFound {
		return nil
	}
	if err != nil {
		return fmt.Errorf("gcs storage: removing the stale gs://%s/%s: %w", b.bucket, name, err)
	}
	return nil
}
