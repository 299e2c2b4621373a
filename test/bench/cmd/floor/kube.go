package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

type kube struct {
	api, token string
	hc         *http.Client
}

func newKube(api, caFile, tokenFile string) (*kube, error) {
	ca, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("reading the API CA: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(ca) {
		return nil, fmt.Errorf("no certificate in %s", caFile)
	}
	token, err := os.ReadFile(tokenFile)
	if err != nil {
		return nil, fmt.Errorf("reading the token: %w", err)
	}
	return &kube{api: strings.TrimRight(api, "/"), token: strings.TrimSpace(string(token)), hc: &http.Client{
		Timeout:   time.Minute,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}},
	}}, nil
}

// result is the part of a TaskRun or PipelineRun the floor reads.
type run struct {
	Status struct {
		Results []struct {
			Name  string `json:"name"`
			Value any    `json:"value"`
		} `json:"results"`
	} `json:"status"`
}

type image struct{ repo, digest string }

// image reads the PipelineRun and its TaskRuns and returns the image named
// by a TaskRun's IMAGE_URL and IMAGE_DIGEST results.
func (k *kube) image(ctx context.Context, ns, name string) (image, error) {
	var pr run
	if err := k.get(ctx, fmt.Sprintf("/apis/tekton.dev/v1/namespaces/%s/pipelineruns/%s", ns, name), &pr); err != nil {
		return image{}, err
	}
	var list struct{ Items []run }
	sel := url.QueryEscape("tekton.dev/pipelineRun=" + name)
	if err := k.get(ctx, fmt.Sprintf("/apis/tekton.dev/v1/namespaces/%s/taskruns?labelSelector=%s", ns, sel), &list); err != nil {
		return image{}, err
	}
	for _, tr := range list.Items {
		var img image
		for _, r := range tr.Status.Results {
			s, _ := r.Value.(string)
			switch r.Name {
			case "IMAGE_URL":
				img.repo = strings.TrimSpace(s)
			case "IMAGE_DIGEST":
				img.digest = strings.TrimSpace(s)
			}
		}
		if img.repo != "" && strings.HasPrefix(img.digest, "sha256:") {
			return img, nil
		}
	}
	return image{}, fmt.Errorf("no TaskRun of %s/%s has IMAGE_URL and IMAGE_DIGEST results", ns, name)
}

func (k *kube) get(ctx context.Context, path string, into any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, k.api+path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+k.token)
	req.Header.Set("Accept", "application/json")
	resp, err := k.hc.Do(req)
	if err != nil {
		return fmt.Errorf("GET %s: %w", path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", path, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(into); err != nil {
		return fmt.Errorf("reading GET %s: %w", path, err)
	}
	return nil
}
