package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// uploadRekor adds a dsse v0.0.1 entry, the type cosign attest uploads.
func uploadRekor(ctx context.Context, hc *http.Client, rekor string, envelope, pubPEM []byte) error {
	body, err := json.Marshal(map[string]any{
		"kind": "dsse", "apiVersion": "0.0.1",
		"spec": map[string]any{"proposedContent": map[string]any{
			"envelope":  string(envelope),
			"verifiers": []string{base64.StdEncoding.EncodeToString(pubPEM)},
		}},
	})
	if err != nil {
		return err
	}
	url := strings.TrimRight(rekor, "/") + "/api/v1/log/entries"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("POST %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("POST %s: %s: %s", url, resp.Status, msg)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	return nil
}
