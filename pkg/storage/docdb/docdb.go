// Package docdb stores signed attestations in a document store through
// go-cloud's docstore (storage.docdb.url), one document per record shaped
// as Tekton Chains writes it, so readers of a Chains collection find them:
//
//	{Name: "<kind>-<uid>" (pipelinerun-…, taskrun-…) or the image digest's first 12 hex,
//	 Signed: the signed payload (bytes), Signature: base64 of the DSSE envelope JSON
//	 (or of the raw signature of a payload signed raw), Object: the payload as a
//	 document (map keys with a dot or a leading $ substituted: see ObjectKey),
//	 Cert, Chain: keyless only (PEM)}
//
// URLs: mongo://<database>/<collection>?id_field=name (MongoDB, or a server
// of its wire protocol; the server's address from storage.docdb.mongo-server-url-path,
// -dir, -url or the MONGO_SERVER_URL environment variable, in that order, as
// Chains), firestore://projects/<p>/databases/(default)/documents/<collection>?name_field=name,
// and mem:// (go-cloud's in-memory store: gone when chainseal exits; for tests).
package docdb

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"gocloud.dev/docstore"
	_ "gocloud.dev/docstore/gcpfirestore" // firestore://
	_ "gocloud.dev/docstore/memdocstore"  // mem://
	"gocloud.dev/docstore/mongodocstore"

	"github.com/chainseal/chainseal/pkg/config"
	"github.com/chainseal/chainseal/pkg/storage"
)

// MongoServerURLEnv is the environment variable (and, in
// storage.docdb.mongo-server-url-dir, the file name) holding the MongoDB
// server's address, as Chains and go-cloud name it.
const MongoServerURLEnv = "MONGO_SERVER_URL"

func init() {
	storage.Register(config.StorageDocDB, func(ctx context.Context, d storage.Deps) (storage.Backend, error) {
		return Open(ctx, d.Config, os.Getenv)
	})
}

// SignedDocument is the document Chains writes (pkg/chains/storage/docdb):
// the same fields, so the same go-cloud encoding.
type SignedDocument struct {
	Signed    []byte
	Signature string
	Cert      string
	Chain     string
	Object    any
	Name      string
}

// Backend puts documents in one collection.
type Backend struct {
	coll *docstore.Collection
	url  string
}

// Open opens the collection of cfg's storage.docdb.url. getenv reads
// MONGO_SERVER_URL when no key names the server.
func Open(ctx context.Context, cfg config.Config, getenv func(string) string) (*Backend, error) {
	raw := cfg.DocDB.URL
	if raw == "" {
		return nil, fmt.Errorf("the docdb backend needs a collection: set %s, e.g. mongo://chainsdb/attestations?id_field=name", config.KeyDocDBURL)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%s %q is not a URL: %w", config.KeyDocDBURL, raw, err)
	}
	var coll *docstore.Collection
	if u.Scheme == mongodocstore.Scheme {
		server, from, err := mongoServerURL(cfg, getenv)
		if err != nil {
			return nil, err
		}
		client, err := mongodocstore.Dial(ctx, server)
		if err != nil {
			return nil, fmt.Errorf("connecting to the MongoDB server of %s: %w", from, scrub(err, server))
		}
		coll, err = (&mongodocstore.URLOpener{Client: client}).OpenCollectionURL(ctx, u)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", config.KeyDocDBURL, scrub(err, server))
		}
	} else if coll, err = docstore.OpenCollection(ctx, raw); err != nil {
		return nil, fmt.Errorf("%s: %w (accepted: mongo://, firestore://, mem://)", config.KeyDocDBURL, err)
	}
	return &Backend{coll: coll, url: u.Redacted()}, nil
}

// mongoServerURL finds the server's address as Chains does: the file of
// mongo-server-url-path, the MONGO_SERVER_URL file in mongo-server-url-dir,
// mongo-server-url, then the environment. from names where it came from
// (never the address: it may hold a password).
func mongoServerURL(cfg config.Config, getenv func(string) string) (server, from string, err error) {
	read := func(path, key string) (string, string, error) {
		b, err := os.ReadFile(path)
		if err != nil {
			return "", "", fmt.Errorf("reading the MongoDB server URL (%s): %w", key, err)
		}
		s := strings.TrimSpace(string(b))
		if s == "" {
			return "", "", fmt.Errorf("the MongoDB server URL file %s (%s) is empty", path, key)
		}
		return s, key + " " + path, nil
	}
	switch {
	case cfg.DocDB.MongoServerURLPath != "":
		return read(cfg.DocDB.MongoServerURLPath, config.KeyDocDBMongoServerURLPath)
	case cfg.DocDB.MongoServerURLDir != "":
		return read(filepath.Join(cfg.DocDB.MongoServerURLDir, MongoServerURLEnv), config.KeyDocDBMongoServerURLDir)
	case cfg.DocDB.MongoServerURL != "":
		return cfg.DocDB.MongoServerURL, config.KeyDocDBMongoServerURL, nil
	case getenv(MongoServerURLEnv) != "":
		return getenv(MongoServerURLEnv), MongoServerURLEnv, nil
	}
	return "", "", fmt.Errorf("%s is a mongo:// URL but no MongoDB server is named: set %s, %s or %s, or %s in the environment",
		config.KeyDocDBURL, config.KeyDocDBMongoServerURLPath, config.KeyDocDBMongoServerURLDir, config.KeyDocDBMongoServerURL, MongoServerURLEnv)
}

// scrub keeps a server URL (and its password) out of an error.
func scrub(err error, server string) error {
	msg := err.Error()
	if u, perr := url.Parse(server); perr == nil && u.User != nil {
		if p, ok := u.User.Password(); ok && p != "" {
			msg = strings.ReplaceAll(msg, p, "xxxxx")
		}
		msg = strings.ReplaceAll(msg, server, u.Redacted())
	}
	return errors.New(msg)
}

func (b *Backend) Name() string { return config.StorageDocDB }

// Close releases the collection.
func (b *Backend) Close() error { return b.coll.Close() }

// DocumentsOf shapes a batch as Chains' documents.
func DocumentsOf(batch storage.Batch) ([]SignedDocument, error) {
	var out []SignedDocument
	add := func(name string, payload, sig, cert, chain []byte) error {
		var obj any
		if err := json.Unmarshal(payload, &obj); err != nil {
			return fmt.Errorf("docdb storage: the payload of %s is not JSON: %w", name, err)
		}
		out = append(out, SignedDocument{
			Signed: payload, Signature: base64.StdEncoding.EncodeToString(sig),
			Cert: string(cert), Chain: string(chain), Object: objectOf(obj), Name: name,
		})
		return nil
	}
	for _, a := range batch.Attestations {
		if a.Object.UID == "" {
			return nil, fmt.Errorf("docdb storage: %s has no UID to name its document by", a.Object)
		}
		if err := add(strings.ToLower(a.Object.Kind)+"-"+a.Object.UID, a.Payload, a.StoredSignature(), a.Cert, a.Chain); err != nil {
			return nil, err
		}
	}
	for _, s := range batch.Images {
		hex, ok := s.DigestHex()
		if !ok {
			return nil, fmt.Errorf("docdb storage: image %q has no sha256 digest", s.Image)
		}
		if err := add(hex[:12], s.Payload, s.Signature, s.Cert, s.Chain); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Store puts every document, replacing one of the same name: a re-run
// leaves one document per record.
func (b *Backend) Store(ctx context.Context, batch storage.Batch) (storage.Receipt, error) {
	r := storage.Receipt{Backend: b.Name()}
	docs, err := DocumentsOf(batch)
	if err != nil {
		return r, err
	}
	for i := range docs {
		if err := b.coll.Put(ctx, &docs[i]); err != nil {
			return r, fmt.Errorf("docdb storage: putting %s in %s: %w", docs[i].Name, b.url, err)
		}
		r.Locations = append(r.Locations, b.url+" "+docs[i].Name)
	}
	return r, nil
}

// ObjectKey is a key of the payload as Object holds it. MongoDB's wire
// protocol servers refuse a field name with a dot or a leading $ (FerretDB
// always; MongoDB before 5.0, and its drivers in updates), and a payload's
// maps have such keys: Kubernetes labels and annotations
// (app.kubernetes.io/name, tekton.dev/pipeline) in a statement's
// internalParameters or invocation.environment. Object takes MongoDB's
// documented substitutes, the full-width U+FF0E for each dot and U+FF04 for
// a leading $; Signed keeps the payload byte for byte.
func ObjectKey(k string) string {
	if strings.HasPrefix(k, "$") {
		k = "\uff04" + k[1:]
	}
	return strings.ReplaceAll(k, ".", "\uff0e")
}

// objectOf is v with every map key replaced by its ObjectKey.
func objectOf(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[ObjectKey(k)] = objectOf(e)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = objectOf(e)
		}
		return out
	}
	return v
}

// Each calls fn with every document of the collection, as a map (the
// collection's id field, such as Chains' id_field=name, need not be a
// field of SignedDocument), for readers such as chainseal verify --from-docdb.
func (b *Backend) Each(ctx context.Context, fn func(map[string]any) error) error {
	it := b.coll.Query().Get(ctx)
	defer it.Stop()
	for {
		d := map[string]any{}
		err := it.Next(ctx, d)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("docdb: reading %s: %w", b.url, err)
		}
		if err := fn(d); err != nil {
			return err
		}
	}
}
