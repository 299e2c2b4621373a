package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/chainseal/chainseal/pkg/bundle"
)

type options struct {
	files       []string
	repo        string
	imageRepo   string
	ko          string
	platform    string
	resolvedOut string
}

// run resolves, builds and pushes the bundle; it returns repo@digest.
func run(ctx context.Context, log *slog.Logger, o options) (string, error) {
	created, err := sourceDate()
	if err != nil {
		return "", err
	}
	var keychain authn.Keychain = authn.DefaultKeychain
	koEnv := os.Environ()
	if o.repo == "" {
		st, err := useStack(ctx, log, &o)
		if err != nil {
			return "", err
		}
		defer st.cleanup()
		keychain = authn.NewMultiKeychain(st.keychain, authn.DefaultKeychain)
		koEnv = append(koEnv, st.koEnv...)
	}
	ref, err := name.ParseReference(o.repo)
	if err != nil {
		return "", fmt.Errorf("bundle repository %q (BUNDLE_REPO): %w", o.repo, err)
	}

	var resources []bundle.Resource
	var resolvedAll []string
	// One ko resolve for every file naming a ko:// image: ko builds the
	// image once and prints the files in order.
	data := make([][]byte, len(o.files))
	var koFiles []string
	for i, f := range o.files {
		if data[i], err = os.ReadFile(f); err != nil {
			return "", fmt.Errorf("reading %s: %w", f, err)
		}
		if strings.Contains(string(data[i]), "ko://") {
			koFiles = append(koFiles, f)
		}
	}
	if len(koFiles) > 0 {
		start := time.Now()
		resolved, err := koResolve(ctx, o, koEnv, koFiles...)
		if err != nil {
			return "", err
		}
		log.Info("ko resolve", "files", strings.Join(koFiles, ","), "image_repo", o.imageRepo, "duration", time.Since(start).Round(time.Millisecond))
		rs, err := bundle.Parse(strings.Join(koFiles, ","), resolved)
		if err != nil {
			return "", err
		}
		resources = append(resources, rs...)
		resolvedAll = append(resolvedAll, string(resolved))
	}
	for i, f := range o.files {
		if strings.Contains(string(data[i]), "ko://") {
			continue
		}
		rs, err := bundle.Parse(f, data[i])
		if err != nil {
			return "", err
		}
		resources = append(resources, rs...)
		resolvedAll = append(resolvedAll, string(data[i]))
	}
	if o.resolvedOut != "" {
		if err := os.WriteFile(o.resolvedOut, []byte(strings.Join(resolvedAll, "\n---\n")), 0o644); err != nil {
			return "", fmt.Errorf("writing the resolved YAML: %w", err)
		}
	}

	start := time.Now()
	img, err := bundle.Build(resources, created)
	if err != nil {
		return "", err
	}
	if err := remote.Write(ref, img, remote.WithAuthFromKeychain(keychain), remote.WithContext(ctx)); err != nil {
		return "", fmt.Errorf("pushing the bundle to %s: %w", ref, err)
	}
	digest, err := img.Digest()
	if err != nil {
		return "", err
	}
	out := ref.Context().Digest(digest.String()).String()
	log.Info("bundle pushed", "ref", ref.String(), "digest", digest.String(), "objects", len(resources),
		"created", created.Format(time.RFC3339), "duration", time.Since(start).Round(time.Millisecond))
	return out, nil
}
