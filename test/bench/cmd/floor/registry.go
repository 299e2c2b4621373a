package main

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
	"strings"
)

type registry struct {
	host, user, pass string
	hc               *http.Client
}

// pushAttestation pushes the envelope as cosign does: one layer of type
// application/vnd.dsse.envelope.v1+json in an image tagged
// sha256-<hex>.att in the image's repository.
func (r registry) pushAttestation(ctx context.Context, img image, envelope []byte) error {
	repo := strings.TrimPrefix(img.repo, r.host+"/")
	config := []byte(`{"architecture":"","os":"","config":{},"rootfs":{"type":"layers","diff_ids":["` + digest(envelope) + `"]}}`)
	for _, blob := range [][]byte{envelope, config} {
		if err := r.pushBlob(ctx, repo, blob); err != nil {
			return err
		}
	}
	manifest, err := json.Marshal(map[string]any{
		"schemaVersion": 2,
		"mediaType":     "application/vnd.oci.image.manifest.v1+json",
		"config":        map[string]any{"mediaType": "application/vnd.oci.image.config.v1+json", "size": len(config), "digest": digest(config)},
		"layers": []any{map[string]any{
			"mediaType": "application/vnd.dsse.envelope.v1+json", "size": len(envelope), "digest": digest(envelope),
			"annotations": map[string]string{"predicateType": "https://slsa.dev/provenance/v1"},
		}},
	})
	if err != nil {
		return err
	}
	tag := strings.Replace(img.digest, ":", "-", 1) + ".att"
	_, err = r.do(ctx, http.MethodPut, "/v2/"+repo+"/manifests/"+tag, "application/vnd.oci.image.manifest.v1+json", manifest, http.StatusCreated)
	return err
}

// pushBlob: a monolithic upload (POST, then PUT with the digest).
func (r registry) pushBlob(ctx context.Context, repo string, blob []byte) error {
	resp, err := r.do(ctx, http.MethodPost, "/v2/"+repo+"/blobs/uploads/", "", nil, http.StatusAccepted)
	if err != nil {
		return err
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		return fmt.Errorf("upload location: %w", err)
	}
	q := loc.Query()
	q.Set("digest", digest(blob))
	loc.RawQuery = q.Encode()
	target := loc.RequestURI()
	_, err = r.do(ctx, http.MethodPut, target, "application/octet-stream", blob, http.StatusCreated)
	return err
}

func (r registry) do(ctx context.Context, method, path, ctype string, body []byte, want int) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, "http://"+r.host+path, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	req.SetBasicAuth(r.user, r.pass)
	resp, err := r.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != want {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return nil, fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, msg)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp, nil
}

func digest(b []byte) string {
	h := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(h[:])
}
