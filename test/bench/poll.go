package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"
)

// pollInterval is the least time between two looks at one attestation.
const pollInterval = 20 * time.Millisecond

// Poller watches, for each image, for its attestation to be retrievable as
// a user would retrieve it: the .att tag in the registry (what cosign
// verify-attestation reads) and an entry in Rekor's index for the image
// digest (what rekor-cli search --sha finds).
type Poller struct {
	b      *Bench
	client *http.Client
}

func (b *Bench) poller() *Poller {
	return &Poller{b: b, client: &http.Client{Timeout: 10 * time.Second}}
}

// Watch polls until every image's attestation is retrievable, or timeout.
// found[i] is when image i's attestation was first seen in both places.
func (p *Poller) Watch(ctx context.Context, imgs []Image, timeout time.Duration) ([]time.Time, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	found := make([]time.Time, len(imgs))
	inRegistry := make([]bool, len(imgs))
	pending := make([]int, len(imgs))
	for i := range imgs {
		pending[i] = i
	}
	var mu sync.Mutex
	for len(pending) > 0 {
		round := time.Now()
		err := parallel(ctx, len(pending), 8, func(ctx context.Context, k int) error {
			i := pending[k]
			mu.Lock()
			reg := inRegistry[i]
			mu.Unlock()
			if !reg {
				ok, err := p.inRegistry(ctx, imgs[i])
				if err != nil || !ok {
					return err
				}
				mu.Lock()
				inRegistry[i] = true
				mu.Unlock()
			}
			ok, err := p.inRekor(ctx, imgs[i])
			if err != nil || !ok {
				return err
			}
			mu.Lock()
			found[i] = time.Now()
			mu.Unlock()
			return nil
		})
		if err != nil {
			return found, fmt.Errorf("waiting for %d attestations (%d still missing): %w", len(imgs), len(pending), err)
		}
		next := pending[:0]
		for _, i := range pending {
			if found[i].IsZero() {
				next = append(next, i)
			}
		}
		pending = next
		if len(pending) == 0 {
			break
		}
		select {
		case <-ctx.Done():
			return found, fmt.Errorf("%d of %d attestations not retrievable after %s (first: %s@%s)", len(pending), len(imgs), timeout, imgs[pending[0]].Repo, imgs[pending[0]].Digest)
		case <-time.After(time.Until(round.Add(pollInterval))):
		}
	}
	return found, nil
}

// inRegistry: is the cosign attestation tag sha256-<hex>.att there?
func (p *Poller) inRegistry(ctx context.Context, img Image) (bool, error) {
	reg := p.b.Env.Registry()
	path := strings.TrimPrefix(img.Repo, reg+"/")
	tag := strings.Replace(img.Digest, ":", "-", 1) + ".att"
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, "http://"+reg+"/v2/"+path+"/manifests/"+tag, nil)
	if err != nil {
		return false, err
	}
	req.SetBasicAuth(p.b.Env.RegistryUsername(), p.b.Env.RegistryPassword())
	req.Header.Set("Accept", "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json")
	resp, err := p.client.Do(req)
	if err != nil {
		return false, transient(ctx, err)
	}
	resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusOK:
		return true, nil
	case resp.StatusCode == http.StatusNotFound:
		return false, nil
	case resp.StatusCode >= 500:
		// docker-registry answers 500 now and then while a tag is being
		// written; look again.
		return false, nil
	}
	return false, fmt.Errorf("HEAD %s: %s", req.URL, resp.Status)
}

// inRekor: does Rekor's index hold an entry for the image digest?
func (p *Poller) inRekor(ctx context.Context, img Image) (bool, error) {
	body, _ := json.Marshal(map[string]string{"hash": img.Digest})
	url := strings.TrimRight(p.b.Env.RekorURL(), "/") + "/api/v1/index/retrieve"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return false, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := p.client.Do(req)
	if err != nil {
		return false, transient(ctx, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 500 {
		return false, nil // look again
	}
	if resp.StatusCode != http.StatusOK {
		return false, fmt.Errorf("POST %s: %s", url, resp.Status)
	}
	var uuids []string
	if err := json.NewDecoder(resp.Body).Decode(&uuids); err != nil {
		return false, fmt.Errorf("reading %s: %w", url, err)
	}
	return len(uuids) > 0, nil
}

// transient: a failed request is retried at the next look, unless the
// wait itself is over.
func transient(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return nil
}
