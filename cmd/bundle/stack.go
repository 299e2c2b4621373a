package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/chainseal/chainseal/images/base"
	"github.com/chainseal/chainseal/internal/stacktest"
)

// hostCABundle is the build machine's CA bundle, copied into the local base.
const hostCABundle = "/etc/ssl/certs/ca-certificates.crt"

// stack is what targeting the local stack sets up for one run.
type stack struct {
	keychain authn.Keychain
	koEnv    []string
	cleanup  func()
}

// useStack fills the unset options from the local stack's env file, writes a
// private Docker config with the registry's credentials for ko, and pushes
// the local static base unless KO_DEFAULTBASEIMAGE names one.
func useStack(ctx context.Context, log *slog.Logger, o *options) (*stack, error) {
	env, err := stacktest.Read()
	if err != nil {
		return nil, fmt.Errorf("no BUNDLE_REPO and no local stack (%w): start it with test/stack/up, or set BUNDLE_REPO", err)
	}
	reg := env.Get("REGISTRY")
	if reg == "" {
		return nil, fmt.Errorf("stack env %s has no REGISTRY: restart the stack", env.Path)
	}
	version := os.Getenv("VERSION")
	if version == "" {
		version = "dev"
	}
	o.repo = reg + "/chainseal/bundle:" + version
	if o.imageRepo == "" {
		o.imageRepo = reg + "/chainseal"
	}
	if o.ko == "" {
		if o.ko = env.Get("KO"); o.ko == "" {
			return nil, fmt.Errorf("stack env %s has no KO: restart the stack (test/stack/down && test/stack/up), or set KO", env.Path)
		}
	}
	auth := authn.AuthConfig{Username: env.Get("REGISTRY_USERNAME"), Password: env.Get("REGISTRY_PASSWORD")}
	st := &stack{keychain: env.Keychain()}

	dir, err := os.MkdirTemp("", "chainseal-bundle-docker-")
	if err != nil {
		return nil, err
	}
	st.cleanup = func() { os.RemoveAll(dir) }
	if err := writeDockerConfig(dir, reg, auth); err != nil {
		st.cleanup()
		return nil, err
	}
	st.koEnv = append(st.koEnv, "DOCKER_CONFIG="+dir)

	if os.Getenv("KO_DEFAULTBASEIMAGE") == "" {
		ref, err := pushBase(ctx, reg+"/chainseal/base:static", st.keychain)
		if err != nil {
			st.cleanup()
			return nil, err
		}
		log.Info("local base pushed", "ref", ref)
		st.koEnv = append(st.koEnv, "KO_DEFAULTBASEIMAGE="+ref)
	}
	return st, nil
}

// pushBase pushes images/base's index and returns its digest reference.
func pushBase(ctx context.Context, tag string, kc authn.Keychain) (string, error) {
	ref, err := name.ParseReference(tag)
	if err != nil {
		return "", err
	}
	idx, err := base.Index(hostCABundle)
	if err != nil {
		return "", err
	}
	if err := remote.WriteIndex(ref, idx, remote.WithAuthFromKeychain(kc), remote.WithContext(ctx)); err != nil {
		return "", fmt.Errorf("pushing the local base image to %s: %w", ref, err)
	}
	d, err := idx.Digest()
	if err != nil {
		return "", err
	}
	return ref.Context().Digest(d.String()).String(), nil
}

// writeDockerConfig writes dir/config.json with one registry's credentials,
// readable by the owner only.
func writeDockerConfig(dir, registry string, auth authn.AuthConfig) error {
	cfg := map[string]any{"auths": map[string]any{
		registry: map[string]string{"auth": base64.StdEncoding.EncodeToString([]byte(auth.Username + ":" + auth.Password))},
	}}
	b, err := json.Marshal(cfg)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "config.json"), b, 0o600)
}
