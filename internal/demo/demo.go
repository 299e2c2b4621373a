// Package demo is the end-to-end scenario behind `make demo` and the e2e
// test: two namespaces on the real kube-apiserver, each with its own config
// and key, a build that pushed an image, `chainseal sign` run with the
// namespace's ServiceAccount token as its pod would, and the result checked
// by cosign, rekor-cli and the API.
package demo

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	vault "github.com/hashicorp/vault/api"
	tektonclient "github.com/tektoncd/pipeline/pkg/client/clientset/versioned"
	authv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/chainseal/chainseal/internal/stacktest"
)

// Scenario holds what the steps share.
type Scenario struct {
	Env       *stacktest.Env
	Chainseal string    // the chainseal binary
	RBAC      string    // tasks/rbac.yaml
	Out       io.Writer // step-by-step narration
	Work      string    // a scratch directory
	Suffix    string    // makes names unique per run

	kube   kubernetes.Interface
	tekton tektonclient.Interface
	vault  *vault.Client
	docker string // DOCKER_CONFIG with the registry credentials
}

// Team is one namespace's setup and its sealed build.
type Team struct {
	Namespace string
	PublicKey string // PEM file to verify with
	Build     *Build
	Results   map[string]string
}

func (s *Scenario) step(format string, args ...any) {
	fmt.Fprintf(s.Out, "==> "+format+"\n", args...)
}

func (s *Scenario) proved(format string, args ...any) {
	fmt.Fprintf(s.Out, "    ok: "+format+"\n", args...)
}

// Run runs the whole scenario; any failed check is an error.
func (s *Scenario) Run(ctx context.Context) error {
	if err := s.connect(); err != nil {
		return err
	}
	s.step("registry credentials for the build and for chainseal (a docker config.json, as a Task mounts it)")
	if err := s.dockerLogin(); err != nil {
		return err
	}

	teamA, err := s.setupVaultTeam(ctx, "team-a-"+s.Suffix)
	if err != nil {
		return err
	}
	teamB, err := s.setupCosignTeam(ctx, "team-b-"+s.Suffix)
	if err != nil {
		return err
	}
	for _, t := range []*Team{teamA, teamB} {
		if err := s.build(ctx, t); err != nil {
			return err
		}
		if err := s.sign(ctx, t); err != nil {
			return err
		}
	}
	if err := s.verify(ctx, teamA, teamB); err != nil {
		return err
	}
	if err := s.verify(ctx, teamB, teamA); err != nil {
		return err
	}
	if err := s.isolation(ctx, teamA, teamB); err != nil {
		return err
	}
	fmt.Fprintln(s.Out, "verified")
	return nil
}

func (s *Scenario) connect() error {
	rc, err := clientcmd.BuildConfigFromFlags("", s.Env.Kubeconfig())
	if err != nil {
		return fmt.Errorf("loading the stack's kubeconfig: %w", err)
	}
	s.kube = kubernetes.NewForConfigOrDie(rc)
	s.tekton = tektonclient.NewForConfigOrDie(rc)
	cfg := vault.DefaultConfig()
	cfg.Address = s.Env.VaultAddr()
	if s.vault, err = vault.NewClient(cfg); err != nil {
		return err
	}
	s.vault.SetToken(s.Env.VaultToken())
	return nil
}

func (s *Scenario) dockerLogin() error {
	s.docker = filepath.Join(s.Work, "docker")
	_, err := s.run(nil, s.Env.Crane(), "auth", "login", s.Env.Registry(), "-u", s.Env.RegistryUsername(), "-p", s.Env.RegistryPassword())
	return err
}

// namespace creates a namespace with chainseal's RBAC from tasks/rbac.yaml.
func (s *Scenario) namespace(ctx context.Context, ns string) error {
	if _, err := s.kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("creating namespace %s: %w", ns, err)
	}
	if _, err := s.run(nil, s.Env.Kubectl(), "apply", "-n", ns, "-f", s.RBAC); err != nil {
		return fmt.Errorf("applying %s in %s: %w", s.RBAC, ns, err)
	}
	return nil
}

func (s *Scenario) configMap(ctx context.Context, ns string, data map[string]string) error {
	_, err := s.kube.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "chainseal-config"}, Data: data}, metav1.CreateOptions{})
	if err != nil {
		return fmt.Errorf("creating ConfigMap %s/chainseal-config: %w", ns, err)
	}
	return nil
}

// setupVaultTeam: a namespace that signs with a Vault transit key, reached
// with its ServiceAccount's token through Vault's kubernetes auth. No key and
// no Vault token live in the namespace.
func (s *Scenario) setupVaultTeam(ctx context.Context, ns string) (*Team, error) {
	s.step("%s: namespace, chainseal ServiceAccount and Role; a Vault transit key its ServiceAccount may use", ns)
	if err := s.namespace(ctx, ns); err != nil {
		return nil, err
	}
	key := ns
	if _, err := s.vault.Logical().WriteWithContext(ctx, "transit/keys/"+key, map[string]any{"type": "ecdsa-p256"}); err != nil {
		return nil, fmt.Errorf("creating transit key %s: %w", key, err)
	}
	// sigstore's hashivault signer names the hash in the path: sign/<key>/sha2-256.
	policy := fmt.Sprintf(`path "transit/sign/%[1]s" { capabilities = ["update"] }
path "transit/sign/%[1]s/*" { capabilities = ["update"] }
path "transit/keys/%[1]s" { capabilities = ["read"] }`, key)
	if err := s.vault.Sys().PutPolicyWithContext(ctx, key, policy); err != nil {
		return nil, fmt.Errorf("writing Vault policy %s: %w", key, err)
	}
	if _, err := s.vault.Logical().WriteWithContext(ctx, "auth/kubernetes/role/"+key, map[string]any{
		"bound_service_account_names": "chainseal", "bound_service_account_namespaces": ns,
		"policies": key, "ttl": "10m",
	}); err != nil {
		return nil, fmt.Errorf("writing Vault kubernetes role %s: %w", key, err)
	}
	k, err := s.vault.Logical().ReadWithContext(ctx, "transit/keys/"+key)
	if err != nil {
		return nil, fmt.Errorf("reading transit key %s: %w", key, err)
	}
	pub := k.Data["keys"].(map[string]any)["1"].(map[string]any)["public_key"].(string)
	t := &Team{Namespace: ns, PublicKey: filepath.Join(s.Work, ns+".pub")}
	if err := os.WriteFile(t.PublicKey, []byte(pub), 0o644); err != nil {
		return nil, err
	}
	err = s.configMap(ctx, ns, map[string]string{
		"artifacts.pipelinerun.signer":           "kms",
		"artifacts.oci.signer":                   "kms",
		"signers.kms.kmsref":                     "hashivault://" + key,
		"signers.kms.auth.address":               s.Env.VaultAddr(),
		"signers.kms.auth.kubernetes.role":       key,
		"signers.kms.auth.kubernetes.token-path": filepath.Join(s.Work, ns+"-pod", "token"),
		"artifacts.pipelinerun.storage":          "oci,tekton",
		"transparency.enabled":                   "true",
		"transparency.url":                       s.Env.RekorURL(),
	})
	if err != nil {
		return nil, err
	}
	s.proved("%s signs with hashivault://%s through Vault's kubernetes auth (role bound to %s/chainseal)", ns, key, ns)
	return t, nil
}

// setupCosignTeam: a namespace that signs with a cosign key pair kept in a
// Secret (the weaker setup: anyone who can read the Secret can sign).
func (s *Scenario) setupCosignTeam(ctx context.Context, ns string) (*Team, error) {
	s.step("%s: namespace, RBAC, and a cosign key pair (cosign generate-key-pair) in the Secret chainseal-signing", ns)
	if err := s.namespace(ctx, ns); err != nil {
		return nil, err
	}
	dir := filepath.Join(s.Work, ns+"-keys")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	password := "demo-" + s.Suffix
	cmd := exec.CommandContext(ctx, s.Env.Cosign(), "generate-key-pair")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "COSIGN_PASSWORD="+password)
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("cosign generate-key-pair: %v: %s", err, out)
	}
	keyPEM, err := os.ReadFile(filepath.Join(dir, "cosign.key"))
	if err != nil {
		return nil, err
	}
	pubPEM, err := os.ReadFile(filepath.Join(dir, "cosign.pub"))
	if err != nil {
		return nil, err
	}
	if _, err := s.kube.CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "chainseal-signing"},
		Data:       map[string][]byte{"cosign.key": keyPEM, "cosign.password": []byte(password), "cosign.pub": pubPEM},
	}, metav1.CreateOptions{}); err != nil {
		return nil, fmt.Errorf("creating Secret %s/chainseal-signing: %w", ns, err)
	}
	err = s.configMap(ctx, ns, map[string]string{
		"artifacts.pipelinerun.signer":  "x509",
		"artifacts.pipelinerun.storage": "oci",
		"transparency.enabled":          "true",
		"transparency.url":              s.Env.RekorURL(),
	})
	if err != nil {
		return nil, err
	}
	s.proved("%s signs with its cosign key from the Secret", ns)
	return &Team{Namespace: ns, PublicKey: filepath.Join(dir, "cosign.pub")}, nil
}

// build pushes an image with crane and records a PipelineRun as Tekton would.
func (s *Scenario) build(ctx context.Context, t *Team) error {
	s.step("%s: a build pushes an image (crane) and Tekton records the PipelineRun and TaskRuns", t.Namespace)
	layer := filepath.Join(s.Work, t.Namespace+"-layer.tar")
	if err := WriteLayer(layer, "app", t.Namespace+" "+time.Now().String()); err != nil {
		return err
	}
	repo := s.Env.Registry() + "/" + t.Namespace + "/app"
	if _, err := s.run(nil, s.Env.Crane(), "append", "-f", layer, "-t", repo+":latest"); err != nil {
		return err
	}
	digest, err := s.run(nil, s.Env.Crane(), "digest", repo+":latest")
	if err != nil {
		return err
	}
	b, err := CreateBuild(ctx, s.tekton, t.Namespace, "release-"+s.Suffix, repo, strings.TrimSpace(digest))
	if err != nil {
		return err
	}
	t.Build = b
	s.proved("pushed %s@%s; PipelineRun %s/%s is running its finally task", repo, b.Digest, t.Namespace, b.Name)
	return nil
}

// sign runs chainseal with the namespace's chainseal ServiceAccount token,
// exactly as its pod would: a kubeconfig holding only that token.
func (s *Scenario) sign(ctx context.Context, t *Team) error {
	s.step("%s: chainseal sign, as the namespace's chainseal ServiceAccount (TokenRequest)", t.Namespace)
	token, err := s.token(ctx, t.Namespace, "chainseal")
	if err != nil {
		return err
	}
	podDir := filepath.Join(s.Work, t.Namespace+"-pod")
	results := filepath.Join(podDir, "results")
	if err := os.MkdirAll(results, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(podDir, "token"), []byte(token), 0o600); err != nil {
		return err
	}
	kc := filepath.Join(podDir, "kubeconfig")
	if err := writeKubeconfig(kc, &rest.Config{Host: s.Env.KubeAPIURL(), BearerToken: token,
		TLSClientConfig: rest.TLSClientConfig{CAFile: s.Env.KubeCAFile()}}); err != nil {
		return err
	}
	out, err := s.run([]string{"VAULT_TOKEN=", "VAULT_ADDR="}, s.Chainseal, "sign", "--kubeconfig", kc,
		"--namespace", t.Namespace, "--pipelinerun", t.Build.Name, "--pipelinerun-uid", string(t.Build.UID),
		"--taskrun", t.Build.OwnTaskRun, "--results-dir", results, "--rekor-public-key", s.Env.RekorPublicKeyFile())
	if err != nil {
		return err
	}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		fmt.Fprintf(s.Out, "    | %s\n", line)
	}
	t.Results = map[string]string{}
	entries, _ := os.ReadDir(results)
	for _, e := range entries {
		b, _ := os.ReadFile(filepath.Join(results, e.Name()))
		t.Results[e.Name()] = string(b)
	}
	if t.Results["REKOR_UUID"] == "" || t.Results["ATTESTATION_DIGEST"] == "" {
		return fmt.Errorf("chainseal wrote no REKOR_UUID or ATTESTATION_DIGEST result: %v", t.Results)
	}
	s.proved("sealed; results: ATTESTATION_DIGEST=%s REKOR_LOG_INDEX=%s", t.Results["ATTESTATION_DIGEST"], t.Results["REKOR_LOG_INDEX"])
	return nil
}

// verify checks t's image with cosign and rekor-cli, and that the other
// team's key does not verify it.
func (s *Scenario) verify(ctx context.Context, t, other *Team) error {
	image := t.Build.Image + "@" + t.Build.Digest
	s.step("%s: verify %s with clients nobody here wrote", t.Namespace, image)
	if _, err := s.run(nil, s.Env.Cosign(), "verify-attestation", "--key", t.PublicKey, "--type", "slsaprovenance1", image); err != nil {
		return fmt.Errorf("cosign verify-attestation with %s's key: %w", t.Namespace, err)
	}
	s.proved("cosign verify-attestation --type slsaprovenance1 --key %s passes (signature and Rekor bundle checked)", filepath.Base(t.PublicKey))
	if _, err := s.run(nil, s.Env.Cosign(), "verify", "--key", t.PublicKey, image); err != nil {
		return fmt.Errorf("cosign verify with %s's key: %w", t.Namespace, err)
	}
	s.proved("cosign verify --key %s passes (the image signature)", filepath.Base(t.PublicKey))
	if _, err := s.run(nil, s.Env.Cosign(), "verify-attestation", "--key", other.PublicKey, "--type", "slsaprovenance1", image); err == nil {
		return fmt.Errorf("cosign verify-attestation of %s passed with %s's key", image, other.Namespace)
	}
	s.proved("cosign verify-attestation with %s's key fails", other.Namespace)

	hexDigest := strings.TrimPrefix(t.Build.Digest, "sha256:")
	found, err := s.run(nil, s.Env.RekorCLI(), "search", "--rekor_server", s.Env.RekorURL(), "--sha", hexDigest)
	if err != nil {
		return err
	}
	if !strings.Contains(found, t.Results["REKOR_UUID"]) {
		return fmt.Errorf("rekor-cli search --sha %s did not find entry %s: %s", hexDigest, t.Results["REKOR_UUID"], found)
	}
	s.proved("rekor-cli search --sha %s… finds entry %s", hexDigest[:12], t.Results["REKOR_UUID"])
	if _, err := s.run(nil, s.Env.RekorCLI(), "get", "--rekor_server", s.Env.RekorURL(), "--uuid", t.Results["REKOR_UUID"]); err != nil {
		return err
	}
	s.proved("rekor-cli get --uuid reads it back")
	return nil
}

// isolation shows one namespace's chainseal cannot read another's runs or
// key, and that tekton storage annotated the run.
func (s *Scenario) isolation(ctx context.Context, a, b *Team) error {
	s.step("%s's ServiceAccount against %s; annotations on %s's PipelineRun", a.Namespace, b.Namespace, a.Namespace)
	token, err := s.token(ctx, a.Namespace, "chainseal")
	if err != nil {
		return err
	}
	rc := &rest.Config{Host: s.Env.KubeAPIURL(), BearerToken: token, TLSClientConfig: rest.TLSClientConfig{CAFile: s.Env.KubeCAFile()}}
	_, err = tektonclient.NewForConfigOrDie(rc).TektonV1().PipelineRuns(b.Namespace).Get(ctx, b.Build.Name, metav1.GetOptions{})
	if !apierrors.IsForbidden(err) {
		return fmt.Errorf("%s's ServiceAccount reading %s's PipelineRun: want 403, got %v", a.Namespace, b.Namespace, err)
	}
	s.proved("reading %s's PipelineRun: 403 Forbidden", b.Namespace)
	_, err = kubernetes.NewForConfigOrDie(rc).CoreV1().Secrets(b.Namespace).Get(ctx, "chainseal-signing", metav1.GetOptions{})
	if !apierrors.IsForbidden(err) {
		return fmt.Errorf("%s's ServiceAccount reading %s's signing Secret: want 403, got %v", a.Namespace, b.Namespace, err)
	}
	s.proved("reading %s's signing Secret: 403 Forbidden", b.Namespace)

	pr, err := s.tekton.TektonV1().PipelineRuns(a.Namespace).Get(ctx, a.Build.Name, metav1.GetOptions{})
	if err != nil {
		return err
	}
	key := "chains.tekton.dev/payload-pipelinerun-" + string(pr.UID)
	payload, err := base64.StdEncoding.DecodeString(pr.Annotations[key])
	if err != nil || !bytes.Contains(payload, []byte(a.Build.Digest[len("sha256:"):])) {
		return fmt.Errorf("annotation %s does not hold the statement naming the image (%v)", key, err)
	}
	if pr.Annotations["chains.tekton.dev/signed"] != "true" {
		return fmt.Errorf("PipelineRun %s/%s is not annotated chains.tekton.dev/signed=true", a.Namespace, a.Build.Name)
	}
	s.proved("PipelineRun annotated chains.tekton.dev/signed=true, with %s and chains.tekton.dev/transparency=%s", key, pr.Annotations["chains.tekton.dev/transparency"])
	return nil
}

func (s *Scenario) token(ctx context.Context, ns, sa string) (string, error) {
	exp := int64(3600)
	tr, err := s.kube.CoreV1().ServiceAccounts(ns).CreateToken(ctx, sa, &authv1.TokenRequest{
		Spec: authv1.TokenRequestSpec{ExpirationSeconds: &exp}}, metav1.CreateOptions{})
	if err != nil {
		return "", fmt.Errorf("TokenRequest for %s/%s: %w", ns, sa, err)
	}
	return tr.Status.Token, nil
}

// run runs a client with the stack's environment and the demo's docker
// config; extra overrides variables.
func (s *Scenario) run(extra []string, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(s.Env.Environ(), "DOCKER_CONFIG="+s.docker, "TUF_ROOT="+filepath.Join(s.Work, "tuf"))
	cmd.Env = append(cmd.Env, extra...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("%s %s: %v\n%s", filepath.Base(name), strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}
