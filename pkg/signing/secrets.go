package signing

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/chainseal/chainseal/pkg/kubeclient"
)

// File names in the signing secret. They are Tekton Chains' names, so a
// Chains signing-secrets Secret works unchanged.
const (
	FileX509Key        = "x509.pem"
	FileCosignKey      = "cosign.key"
	FileCosignPassword = "cosign.password"
	FileCosignPub      = "cosign.pub"
	FilePGPPrivateKey  = "pgp.private-key"
	FilePGPPassphrase  = "pgp.passphrase"
)

// DefaultSecretName is the Secret that KubeSecret reads when given no name.
const DefaultSecretName = "chainseal-signing"

// Secrets is where signing material lives: a mounted directory or a Secret
// read through the API.
type Secrets interface {
	// Read returns one file of the signing secret. A file that is not there
	// is an error matching fs.ErrNotExist.
	Read(ctx context.Context, name string) ([]byte, error)
	// String names the source for errors ("directory /x", "Secret ns/name").
	String() string
}

// DirSecrets reads files from a directory, as the Task mounts the Secret.
func DirSecrets(dir string) Secrets { return dirSecrets(dir) }

type dirSecrets string

func (d dirSecrets) String() string { return "directory " + string(d) }

func (d dirSecrets) Read(_ context.Context, name string) ([]byte, error) {
	b, err := os.ReadFile(filepath.Join(string(d), name))
	if err != nil {
		// The *PathError already names the file; keep it for errors.Is.
		return nil, err
	}
	return b, nil
}

// KubeSecret reads one Secret of a namespace through the API, once, on the
// first Read. An empty name means DefaultSecretName.
func KubeSecret(client kubeclient.Core, namespace, name string) Secrets {
	if name == "" {
		name = DefaultSecretName
	}
	return &kubeSecret{client: client, namespace: namespace, name: name}
}

type kubeSecret struct {
	client          kubeclient.Core
	namespace, name string

	once sync.Once
	data map[string][]byte
	err  error
}

func (k *kubeSecret) String() string { return "Secret " + k.namespace + "/" + k.name }

func (k *kubeSecret) Read(ctx context.Context, name string) ([]byte, error) {
	k.once.Do(func() { k.data, k.err = k.fetch(ctx) })
	if k.err != nil {
		return nil, k.err
	}
	b, ok := k.data[name]
	if !ok {
		return nil, fmt.Errorf("%s has no key %q: %w", k, name, fs.ErrNotExist)
	}
	return b, nil
}

func (k *kubeSecret) fetch(ctx context.Context) (map[string][]byte, error) {
	if k.client == nil {
		return nil, errors.New("no Kubernetes client to read " + k.String())
	}
	s, err := k.client.Secret(ctx, k.namespace, k.name)
	switch {
	case apierrors.IsNotFound(err):
		// Every file is then missing: callers report it as such.
		return nil, fmt.Errorf("reading %s: not found: %w", k, fs.ErrNotExist)
	case apierrors.IsForbidden(err):
		return nil, fmt.Errorf("reading %s: %w (the ServiceAccount needs get on secrets/%s in namespace %s)", k, err, k.name, k.namespace)
	case err != nil:
		return nil, fmt.Errorf("reading %s: %w", k, err)
	}
	return s.Data, nil
}

// readSecret reads a required file and wraps failures in an *Error that names
// the file and the source.
func readSecret(ctx context.Context, s Secrets, source, name string) ([]byte, error) {
	if s == nil {
		return nil, &Error{Op: "loading", Source: source, Err: errors.New("no signing secret was given"),
			Fix: "mount the signing Secret and pass --secret-dir, or name a Secret to read"}
	}
	b, err := s.Read(ctx, name)
	if err != nil {
		fix := fmt.Sprintf("put the file %s in the signing secret (%s)", name, s)
		if !errors.Is(err, fs.ErrNotExist) {
			fix = fmt.Sprintf("make %s in %s readable by chainseal", name, s)
		}
		return nil, &Error{Op: "loading", Source: source, Err: err, Fix: fix}
	}
	return b, nil
}

// exists reports whether a file is in the secret; other read errors count as
// present so the loader reports them instead of silently choosing another key.
func exists(ctx context.Context, s Secrets, name string) bool {
	if s == nil {
		return false
	}
	_, err := s.Read(ctx, name)
	return err == nil || !errors.Is(err, fs.ErrNotExist)
}
