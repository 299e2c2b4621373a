package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"

	"github.com/google/go-containerregistry/pkg/authn"
	tektonclient "github.com/tektoncd/pipeline/pkg/client/clientset/versioned"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/chainseal/chainseal/internal/stacktest"
)

// Bench is what every workload shares: the stack, admin clients, a signing
// key, registry credentials and a scratch directory.
type Bench struct {
	O      Options
	Env    *stacktest.Env
	ID     string // makes namespace and repository names unique per run
	Work   string
	Kube   kubernetes.Interface
	Tekton tektonclient.Interface
	Auth   authn.Authenticator

	KeyDir    string // x509.pem (what Chains mounts as /etc/signing-secrets)
	KeyPEM    []byte
	DockerDir string // DOCKER_CONFIG with the registry credentials

	namespaces  []string // created, deleted by cleanup
	clusterRBAC []string // ClusterRoles and bindings, deleted by cleanup
	// madeSecretPath: the benchmark created Chains' key mount point.
	madeSecretPath bool
}

func newBench(o Options) (*Bench, error) {
	env, err := stacktest.Read()
	if err != nil {
		return nil, fmt.Errorf("the benchmark needs the real local stack (test/stack/up): %w", err)
	}
	b := &Bench{O: o, Env: env, ID: randomID()}
	if b.Work = o.Work; b.Work == "" {
		if b.Work, err = os.MkdirTemp("", "chainseal-bench-"); err != nil {
			return nil, err
		}
	} else if err := os.MkdirAll(b.Work, 0o700); err != nil {
		return nil, err
	}
	rc, err := clientcmd.BuildConfigFromFlags("", env.Kubeconfig())
	if err != nil {
		return nil, fmt.Errorf("loading the stack's kubeconfig %s: %w", env.Kubeconfig(), err)
	}
	// The benchmark's own writes must not be what limits either side.
	rc.QPS, rc.Burst = 500, 1000
	rc.UserAgent = "chainseal-bench"
	b.Kube = kubernetes.NewForConfigOrDie(rc)
	b.Tekton = tektonclient.NewForConfigOrDie(rc)
	b.Auth = &authn.Basic{Username: env.RegistryUsername(), Password: env.RegistryPassword()}
	if err := b.writeKey(); err != nil {
		return nil, err
	}
	if err := b.writeDockerConfig(); err != nil {
		return nil, err
	}
	return b, nil
}

// AdminConfig is a rest config for programs the benchmark starts.
func (b *Bench) AdminConfig() *rest.Config {
	rc, _ := clientcmd.BuildConfigFromFlags("", b.Env.Kubeconfig())
	return rc
}

// writeKey makes the ECDSA P-256 key every side signs with, as a PKCS#8
// x509.pem (Chains' and chainseal's x509 signer both read it).
func (b *Bench) writeKey() error {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return err
	}
	b.KeyPEM = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	b.KeyDir = filepath.Join(b.Work, "signing-secrets")
	if err := os.MkdirAll(b.KeyDir, 0o700); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(b.KeyDir, "x509.pem"), b.KeyPEM, 0o600)
}

// writeDockerConfig writes a config.json with the registry's credentials:
// both chainseal (the default keychain) and Chains (k8schain falls back to
// it) push with it.
func (b *Bench) writeDockerConfig() error {
	b.DockerDir = filepath.Join(b.Work, "docker")
	if err := os.MkdirAll(b.DockerDir, 0o700); err != nil {
		return err
	}
	auth := base64.StdEncoding.EncodeToString([]byte(b.Env.RegistryUsername() + ":" + b.Env.RegistryPassword()))
	cfg, err := json.Marshal(map[string]any{"auths": map[string]any{b.Env.Registry(): map[string]string{"auth": auth}}})
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(b.DockerDir, "config.json"), cfg, 0o600)
}

func randomID() string {
	r := make([]byte, 3)
	_, _ = rand.Read(r)
	return hex.EncodeToString(r)
}
