// Package archivista stores signed attestations in an in-toto Archivista
// server (storage.archivista.url), as Tekton Chains' archivista backend
// does: each DSSE envelope is POSTed to <url>/upload, and Archivista indexes
// it by its subjects' digests (its GraphQL API at <url>/query, where
// Archivista's own client and witness look attestations up) and keeps it
// under its gitoid (<url>/download/<gitoid>).
//
// Archivista keeps every upload: an envelope signed again on a re-run (ECDSA
// signatures differ each time) would be a second document for the same
// statement. So, unlike Chains, Store first asks the server for envelopes of
// the same payload (GraphQL, by the payload's sha256) and uploads only when
// none of them is the same envelope or verifies with the attestation's key:
// a re-run leaves one document per statement. An envelope of the same
// payload under someone else's key does not count as stored.
//
// Only DSSE envelopes go there (Selective): a payload signed raw (the tekton
// format; image signatures) has none, as in Chains, where storing one fails.
package archivista

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/chainseal/chainseal/pkg/config"
	"github.com/chainseal/chainseal/pkg/signing"
	"github.com/chainseal/chainseal/pkg/storage"
)

func init() {
	storage.Register(config.StorageArchivista, func(_ context.Context, d storage.Deps) (storage.Backend, error) {
		if d.Config.Archivista.URL == "" {
			return nil, fmt.Errorf("the archivista backend needs the server's URL: set %s", config.KeyArchivistaURL)
		}
		return New(d.Config.Archivista.URL, nil), nil
	})
}

// maxResponse bounds what is read of one response (an envelope, a query
// result, an error message).
const maxResponse = 16 << 20

// candidates bounds how many stored envelopes of the same payload are
// checked before uploading.
const candidates = 50

// Backend uploads envelopes to one Archivista server.
type Backend struct {
	base   string
	client *http.Client
}

// New makes a Backend for the server at base (storage.archivista.url).
// client nil means http.DefaultClient.
func New(base string, client *http.Client) *Backend {
	if client == nil {
		client = http.DefaultClient
	}
	return &Backend{base: strings.TrimRight(base, "/"), client: client}
}

func (b *Backend) Name() string { return config.StorageArchivista }

// Accepts takes attestations signed as DSSE envelopes.
func (b *Backend) Accepts(a storage.Attestation) bool { return len(a.Envelope) > 0 }

// Store uploads each envelope that the server does not hold yet (see the
// package doc). An upload counts only when the server answers 200 with the
// gitoid of the very bytes sent.
func (b *Backend) Store(ctx context.Context, batch storage.Batch) (storage.Receipt, error) {
	r := storage.Receipt{Backend: b.Name()}
	if len(batch.Images) > 0 {
		return r, fmt.Errorf("archivista storage: image signatures are not DSSE envelopes; remove %s from %s", config.StorageArchivista, config.KeyOCIStorage)
	}
	for _, a := range batch.Attestations {
		if len(a.Envelope) == 0 {
			return r, fmt.Errorf("archivista storage: the %s attestation of %s is not a DSSE envelope", a.Format, a.Object)
		}
		gitoid, found, err := b.find(ctx, a)
		if err != nil {
			return r, fmt.Errorf("archivista storage: looking for %s at %s: %w", a.Object, b.base, err)
		}
		if !found {
			if gitoid, err = b.upload(ctx, a.Envelope); err != nil {
				return r, fmt.Errorf("archivista storage: uploading the %s attestation of %s to %s: %w", a.Format, a.Object, b.base, err)
			}
		}
		r.Locations = append(r.Locations, b.base+"/download/"+gitoid)
	}
	return r, nil
}

// GitOID is Archivista's name of an upload: the hex SHA-256 git object id
// of the bytes, as `git hash-object` computes it with SHA-256.
func GitOID(data []byte) string {
	h := sha256.New()
	h.Write([]byte("blob " + strconv.Itoa(len(data)) + "\x00"))
	h.Write(data)
	return hex.EncodeToString(h.Sum(nil))
}

// payloadQuery finds envelopes by the sha256 of their payload (Archivista
// records it for each upload).
const payloadQuery = `query($algo: String!, $value: String!, $first: Int!) {
  dsses(first: $first, where: {hasPayloadDigestsWith: {algorithm: $algo, value: $value}}) {
    edges { node { gitoidSha256 } }
  }
}`

// find reports whether the server already holds a's envelope, or another
// envelope of the same payload that verifies with a's key, and its gitoid.
func (b *Backend) find(ctx context.Context, a storage.Attestation) (string, bool, error) {
	var env signing.Envelope
	if err := json.Unmarshal(a.Envelope, &env); err != nil {
		return "", false, fmt.Errorf("the attestation is not a DSSE envelope: %w", err)
	}
	payload, err := env.DecodeB64Payload()
	if err != nil {
		return "", false, fmt.Errorf("the envelope's payload is not base64: %w", err)
	}
	sum := sha256.Sum256(payload)
	gitoids, err := b.query(ctx, hex.EncodeToString(sum[:]))
	if err != nil {
		return "", false, err
	}
	own := GitOID(a.Envelope)
	var m *signing.Material
	for _, g := range gitoids {
		if g == own {
			return g, true, nil
		}
	}
	for _, g := range gitoids {
		raw, err := b.download(ctx, g)
		if err != nil {
			return "", false, err
		}
		var got signing.Envelope
		if json.Unmarshal(raw, &got) != nil || got.PayloadType != env.PayloadType {
			continue
		}
		if p, err := got.DecodeB64Payload(); err != nil || !bytes.Equal(p, payload) {
			continue
		}
		if m == nil {
			if m, err = signing.MaterialFrom(a.PublicKey, a.Cert, a.Chain); err != nil {
				return "", false, fmt.Errorf("the signature's verification material: %w", err)
			}
		}
		if _, err := signing.VerifyEnvelope(ctx, &got, env.PayloadType, m.Verifier()); err == nil {
			return g, true, nil
		}
	}
	return own, false, nil
}

func (b *Backend) query(ctx context.Context, payloadSHA256 string) ([]string, error) {
	body, err := json.Marshal(map[string]any{
		"query":     payloadQuery,
		"variables": map[string]any{"algo": "sha256", "value": payloadSHA256, "first": candidates},
	})
	if err != nil {
		return nil, err
	}
	raw, err := b.do(ctx, http.MethodPost, "query", body)
	if err != nil {
		return nil, fmt.Errorf("querying its GraphQL API (which chainseal needs to keep one document per attestation): %w", err)
	}
	var res DSSEAnswer
	if err := json.Unmarshal(raw, &res); err != nil {
		return nil, fmt.Errorf("its GraphQL answer is not JSON: %w", err)
	}
	return res.Gitoids()
}

// DSSEAnswer is Archivista's GraphQL answer to a dsses query that asks for
// each envelope's gitoidSha256.
type DSSEAnswer struct {
	Data struct {
		Dsses struct {
			Edges []struct {
				Node struct {
					GitoidSha256 string `json:"gitoidSha256"`
				} `json:"node"`
			} `json:"edges"`
		} `json:"dsses"`
	} `json:"data"`
	Errors []struct {
		Message string `json:"message"`
	} `json:"errors"`
}

// Gitoids are the envelopes the answer names, or the errors it reports.
func (a DSSEAnswer) Gitoids() ([]string, error) {
	if len(a.Errors) > 0 {
		msgs := make([]string, 0, len(a.Errors))
		for _, e := range a.Errors {
			msgs = append(msgs, e.Message)
		}
		return nil, fmt.Errorf("its GraphQL API answered: %s", strings.Join(msgs, "; "))
	}
	var out []string
	for _, e := range a.Data.Dsses.Edges {
		out = append(out, e.Node.GitoidSha256)
	}
	return out, nil
}

func (b *Backend) download(ctx context.Context, gitoid string) ([]byte, error) {
	if _, err := hex.DecodeString(gitoid); err != nil || len(gitoid) != 64 {
		return nil, fmt.Errorf("the server named an envelope %q, which is not a gitoid", gitoid)
	}
	raw, err := b.do(ctx, http.MethodGet, "download/"+gitoid, nil)
	if err != nil {
		return nil, fmt.Errorf("downloading the envelope %s it holds: %w", gitoid, err)
	}
	return raw, nil
}

func (b *Backend) upload(ctx context.Context, envelope []byte) (string, error) {
	raw, err := b.do(ctx, http.MethodPost, "upload", envelope)
	if err != nil {
		return "", err
	}
	var res struct {
		Gitoid string `json:"gitoid"`
	}
	if err := json.Unmarshal(raw, &res); err != nil {
		return "", fmt.Errorf("its answer is not an upload receipt: %w", err)
	}
	if want := GitOID(envelope); res.Gitoid != want {
		return "", fmt.Errorf("the server acknowledged gitoid %q, not %s, the gitoid of the envelope sent", res.Gitoid, want)
	}
	return res.Gitoid, nil
}

// do sends one request to path under the base URL and returns the body of
// a 200 answer.
func (b *Backend) do(ctx context.Context, method, path string, body []byte) ([]byte, error) {
	u, err := url.JoinPath(b.base, path)
	if err != nil {
		return nil, err
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := b.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse+1))
	if err != nil {
		return nil, fmt.Errorf("reading the answer to %s %s: %w", method, u, err)
	}
	if len(raw) > maxResponse {
		return nil, fmt.Errorf("the answer to %s %s is over %d bytes", method, u, maxResponse)
	}
	if resp.StatusCode != http.StatusOK {
		msg := strings.TrimSpace(string(raw))
		if len(msg) > 300 {
			msg = msg[:300] + "..."
		}
		return nil, fmt.Errorf("%s %s: %s: %s", method, u, resp.Status, msg)
	}
	return raw, nil
}
