// Package fromstore reads the attestations chainseal stored in the gcs,
// docdb, grafeas and archivista backends back for chainseal verify (verify.Source), by
// the names and shapes those backends write (as Tekton Chains does). What
// it returns are candidates only: pkg/verify checks every one (signature,
// subject, transparency log, policy).
package fromstore

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	gpb "github.com/grafeas/grafeas/proto/v1/grafeas_go_proto"
	gcsapi "google.golang.org/api/storage/v1"

	"github.com/chainseal/chainseal/pkg/storage/docdb"
	"github.com/chainseal/chainseal/pkg/storage/grafeas"
	"github.com/chainseal/chainseal/pkg/verify"
)

// names says whether a DSSE envelope's statement names the digest as a
// subject (unverified: it only selects candidates).
func names(envelope []byte, alg, hex string) bool {
	var e struct{ Payload []byte }
	if json.Unmarshal(envelope, &e) != nil {
		return false
	}
	var st struct {
		Subject []struct{ Digest map[string]string }
	}
	if json.Unmarshal(e.Payload, &st) != nil {
		return false
	}
	for _, s := range st.Subject {
		if strings.EqualFold(s.Digest[alg], hex) {
			return true
		}
	}
	return false
}

// GCS reads a bucket laid out as the gcs backend (and Chains) writes it:
// every <kind>-<ns>-<name>/<kind>-<uid>.signature object under Prefix.
type GCS struct {
	Service        *gcsapi.Service
	Bucket, Prefix string
}

func (g GCS) Where() string { return "gs://" + g.Bucket + "/" + g.Prefix }

func (g GCS) Envelopes(ctx context.Context, _, alg, hex string) ([]verify.Stored, error) {
	var out []verify.Stored
	err := g.Service.Objects.List(g.Bucket).Prefix(g.Prefix).Pages(ctx, func(objs *gcsapi.Objects) error {
		for _, a := range objs.Items {
			// Image signatures (image-sha256-*) are signed raw, not envelopes.
			if !strings.HasSuffix(a.Name, ".signature") || strings.HasPrefix(a.Name, "image-sha256-") {
				continue
			}
			resp, err := g.Service.Objects.Get(g.Bucket, a.Name).Context(ctx).Download()
			if err != nil {
				return fmt.Errorf("reading gs://%s/%s: %w", g.Bucket, a.Name, err)
			}
			b, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
			resp.Body.Close()
			if err != nil {
				return fmt.Errorf("reading gs://%s/%s: %w", g.Bucket, a.Name, err)
			}
			if names(b, alg, hex) {
				out = append(out, verify.Stored{Source: "gs://" + g.Bucket + "/" + a.Name, Envelope: b})
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("listing %s: %w", g.Where(), err)
	}
	return out, nil
}

// DocDB reads a collection the docdb backend (and Chains) writes: each
// document's Signature is the base64 DSSE envelope.
type DocDB struct {
	Backend *docdb.Backend
	URL     string // for the report, without a password
}

func (d DocDB) Where() string { return d.URL }

func (d DocDB) Envelopes(ctx context.Context, _, alg, hex string) ([]verify.Stored, error) {
	var out []verify.Stored
	err := d.Backend.Each(ctx, func(doc map[string]any) error {
		sig, _ := doc["Signature"].(string)
		env, err := base64.StdEncoding.DecodeString(sig)
		if err == nil && names(env, alg, hex) {
			name := ""
			for _, k := range []string{"name", "Name", "_id"} {
				if n, ok := doc[k].(string); ok && name == "" {
					name = n
				}
			}
			out = append(out, verify.Stored{Source: d.URL + " " + name, Envelope: env})
		}
		return nil
	})
	return out, err
}

// Grafeas reads a project's BUILD occurrences about the artifact (resource
// URI NAME@ALG:HEX, as the grafeas backend and Chains name it); each
// occurrence's envelope is the DSSE envelope.
type Grafeas struct {
	Client  gpb.GrafeasClient
	Project string
}

func (g Grafeas) Where() string { return grafeas.ProjectPath(g.Project) }

func (g Grafeas) Envelopes(ctx context.Context, name, alg, hex string) ([]verify.Stored, error) {
	uri := name + "@" + alg + ":" + hex
	var out []verify.Stored
	token := ""
	for {
		resp, err := g.Client.ListOccurrences(ctx, &gpb.ListOccurrencesRequest{
			Parent: grafeas.ProjectPath(g.Project), Filter: fmt.Sprintf("resourceUrl=%q", uri), PageSize: 100, PageToken: token})
		if err != nil {
			return nil, fmt.Errorf("listing the occurrences of %s in %s: %w", uri, g.Where(), err)
		}
		for _, o := range resp.GetOccurrences() {
			if o.GetResourceUri() != uri || o.GetKind() != gpb.NoteKind_BUILD || o.GetEnvelope() == nil {
				continue
			}
			env, err := grafeas.DSSE(o.GetEnvelope())
			if err != nil {
				return nil, err
			}
			out = append(out, verify.Stored{Source: o.GetName(), Envelope: env})
		}
		if token = resp.GetNextPageToken(); token == "" {
			return out, nil
		}
	}
}
