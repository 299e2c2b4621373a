// Command floor is the benchmark's lower bound: what sealing one
// PipelineRun costs with no framework. It reads the PipelineRun and its
// TaskRuns (one GET, one LIST), finds the image in IMAGE_URL/IMAGE_DIGEST,
// signs a minimal in-toto statement as a DSSE envelope with an ECDSA key,
// pushes it as the cosign .att tag with plain HTTP calls, and uploads it to
// Rekor as a dsse entry. Standard library only.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"time"
)

type options struct {
	api, ca, token, namespace, pipelineRun string
	key, registry, rekor                   string
}

func main() {
	var o options
	flag.StringVar(&o.api, "api", "", "Kubernetes API URL")
	flag.StringVar(&o.ca, "ca", "", "API server CA file")
	flag.StringVar(&o.token, "token", "", "file with a ServiceAccount token")
	flag.StringVar(&o.namespace, "namespace", "", "namespace of the PipelineRun")
	flag.StringVar(&o.pipelineRun, "pipelinerun", "", "name of the PipelineRun")
	flag.StringVar(&o.key, "key", "", "PKCS#8 PEM ECDSA key")
	flag.StringVar(&o.registry, "registry", "", "registry host:port (plain HTTP; REGISTRY_USERNAME, REGISTRY_PASSWORD)")
	flag.StringVar(&o.rekor, "rekor", "", "Rekor URL")
	flag.Parse()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := seal(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
}

func seal(ctx context.Context, o options) error {
	// One log line per stage, named as chainseal names its stages, so the
	// benchmark can set them side by side.
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	start := time.Now()
	kube, err := newKube(o.api, o.ca, o.token)
	if err != nil {
		return err
	}
	img, err := kube.image(ctx, o.namespace, o.pipelineRun)
	if err != nil {
		return err
	}
	// Reading the run is all the floor does for its provenance: one image.
	log.Info("run read", "duration", time.Since(start))
	start = time.Now()
	signer, err := loadKey(o.key)
	if err != nil {
		return err
	}
	env, err := signer.envelope(statement(img))
	if err != nil {
		return err
	}
	log.Info("signed", "duration", time.Since(start))
	start = time.Now()
	hc := &http.Client{Timeout: time.Minute}
	if err := uploadRekor(ctx, hc, o.rekor, env, signer.pubPEM); err != nil {
		return err
	}
	log.Info("logged in transparency log", "duration", time.Since(start))
	start = time.Now()
	reg := registry{host: o.registry, user: os.Getenv("REGISTRY_USERNAME"), pass: os.Getenv("REGISTRY_PASSWORD"), hc: hc}
	if err := reg.pushAttestation(ctx, img, env); err != nil {
		return err
	}
	log.Info("stored", "duration", time.Since(start))
	return nil
}
