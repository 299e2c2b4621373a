// Package demo is the end-to-end scenario behind `make demo` and the e2e
// test: two namespaces on the real cluster, each with its own config and
// key, each running a Pipeline under Tekton's real controller on the
// stack's node: a build task pushes an image and chainseal, resolved from
// its bundle, seals it as the finally task. The result is checked by
// cosign, rekor-cli, tkn, chainseal verify and the API.
package demo

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	vault "github.com/hashicorp/vault/api"
	tektonclient "github.com/tektoncd/pipeline/pkg/client/clientset/versioned"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"knative.dev/pkg/apis"

	"github.com/chainseal/chainseal/internal/stacktest"
)

// Scenario holds what the steps share.
type Scenario struct {
	Env       *stacktest.Env
	Root      string    // the repository: cmd/bundle and the build program are built from it
	Chainseal string    // the chainseal binary, for chainseal verify
	RBAC      string    // tasks/rbac.yaml
	Out       io.Writer // step-by-step narration
	Work      string    // a scratch directory
	Suffix    string    // makes names unique per run

	kube   kubernetes.Interface
	tekton tektonclient.Interface
	vault  *vault.Client
	docker string  // DOCKER_CONFIG with the registry credentials
	bundle *Bundle // the chainseal bundle and the image it pins
	build  string  // the build step's image, by digest
	// rekorKey is the log's public key (PEM), pinned in each namespace's
	// config: chainseal never takes it from the log.
	rekorKey string
}

// Team is one namespace's setup and its sealed release.
type Team struct {
	Namespace string
	PublicKey string // PEM file to verify with
	// Identity is, for a team that signs keylessly, the SAN of its
	// certificates (its chainseal ServiceAccount); PublicKey is empty.
	Identity string
	Run      *Finished
	Image    string // repository, as pushed by the build task
	Digest   string
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
	if err := s.images(ctx); err != nil {
		return err
	}
	s.step("platform: admission policies bind the chainseal ServiceAccount to the pinned chainseal step (tasks/admission.yaml)")
	if err := InstallAdmission(ctx, s.kube, s.kubectl, s.Root, s.bundle.Image, s.Env.Get("TEKTON_ENTRYPOINT_IMAGE")); err != nil {
		return err
	}
	s.proved("enforced in namespaces labelled %s=true", ProtectedLabel)

	teamA, err := s.setupVaultTeam(ctx, "team-a-"+s.Suffix)
	if err != nil {
		return err
	}
	teamB, err := s.setupCosignTeam(ctx, "team-b-"+s.Suffix)
	if err != nil {
		return err
	}
	teamC, err := s.setupKeylessTeam(ctx, "team-c-"+s.Suffix)
	if err != nil {
		return err
	}
	if err := s.attacks(ctx, teamB); err != nil {
		return err
	}
	for _, t := range []*Team{teamA, teamB, teamC} {
		if err := s.release(ctx, t); err != nil {
			return err
		}
	}
	if err := s.verify(ctx, teamA, teamB); err != nil {
		return err
	}
	if err := s.verify(ctx, teamB, teamA); err != nil {
		return err
	}
	if err := s.verifyKeyless(ctx, teamC, teamA); err != nil {
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
	key, err := os.ReadFile(s.Env.RekorPublicKeyFile())
	if err != nil {
		return fmt.Errorf("reading the stack's Rekor public key: %w", err)
	}
	s.rekorKey = string(key)
	return nil
}

func (s *Scenario) dockerLogin() error {
	s.docker = filepath.Join(s.Work, "docker")
	_, err := s.run(nil, s.Env.Crane(), "auth", "login", s.Env.Registry(), "-u", s.Env.RegistryUsername(), "-p", s.Env.RegistryPassword())
	return err
}

// namespace creates a namespace with chainseal's RBAC from tasks/rbac.yaml.
func (s *Scenario) namespace(ctx context.Context, ns string) error {
	if _, err := s.kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns,
		Labels: map[string]string{ProtectedLabel: "true"}}}, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("creating namespace %s: %w", ns, err)
	}
	if _, err := s.run(nil, s.Env.Kubectl(), "apply", "-n", ns, "-f", s.RBAC); err != nil {
		return fmt.Errorf("applying %s in %s: %w", s.RBAC, ns, err)
	}
	return s.registrySecret(ctx, ns)
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
		// Only the Task's projected token (audience vault) logs in: the
		// pod's own token, valid against the API server, is refused.
		"audience": "vault",
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
	// What the signature means is the platform team's: the signer, the key,
	// the Vault role and the trusted log, in chainseal-system. The team's
	// own ConfigMap only says where the attestations go.
	err = PlatformSettings(ctx, s.kube, ns, map[string]string{
		"artifacts.pipelinerun.signer":     "kms",
		"artifacts.oci.signer":             "kms",
		"signers.kms.kmsref":               "hashivault://" + key,
		"signers.kms.auth.address":         s.Env.VaultAddr(),
		"signers.kms.auth.kubernetes.role": key,
		"transparency.enabled":             "true",
		"transparency.url":                 s.Env.RekorURL(),
		"transparency.publickey":           s.rekorKey,
		"chainseal.allowed-repositories":   s.Env.Registry() + "/" + ns,
	})
	if err != nil {
		return nil, err
	}
	s.proved("platform: %s/%s governs %s: its signer, Vault key and role, trusted Rekor log and repositories", PlatformNamespace, PlatformConfigMap, ns)
	if err = s.configMap(ctx, ns, map[string]string{"artifacts.pipelinerun.storage": "oci,tekton"}); err != nil {
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
		"transparency.publickey":        s.rekorKey,
	})
	if err != nil {
		return nil, err
	}
	s.proved("%s signs with its cosign key from the Secret", ns)
	return &Team{Namespace: ns, PublicKey: filepath.Join(dir, "cosign.pub")}, nil
}

// setupKeylessTeam: a namespace that signs keylessly: no key, no Secret,
// no KMS; the chainseal step's projected ServiceAccount token (audience
// sigstore) gets a certificate from the stack's Fulcio for
// https://kubernetes.io/namespaces/<ns>/serviceaccounts/chainseal.
func (s *Scenario) setupKeylessTeam(ctx context.Context, ns string) (*Team, error) {
	s.step("%s: namespace and RBAC, no key: keyless signing with Fulcio for its chainseal ServiceAccount", ns)
	if err := s.namespace(ctx, ns); err != nil {
		return nil, err
	}
	root, err := os.ReadFile(s.Env.Get("SIGSTORE_TRUSTED_ROOT_FILE"))
	if err != nil {
		return nil, fmt.Errorf("reading the stack's trusted root: %w", err)
	}
	// The signing identity is the platform team's: keyless with its Fulcio,
	// the issuer and trusted root, and the trusted log.
	err = PlatformSettings(ctx, s.kube, ns, map[string]string{
		"artifacts.pipelinerun.signer":     "x509",
		"artifacts.oci.signer":             "x509",
		"signers.x509.fulcio.enabled":      "true",
		"signers.x509.fulcio.address":      s.Env.Get("FULCIO_URL"),
		"signers.x509.fulcio.issuer":       s.Env.Get("OIDC_ISSUER"),
		"signers.x509.fulcio.trusted-root": string(root),
		"transparency.enabled":             "true",
		"transparency.url":                 s.Env.RekorURL(),
		"transparency.publickey":           s.rekorKey,
	})
	if err != nil {
		return nil, err
	}
	if err = s.configMap(ctx, ns, map[string]string{"artifacts.pipelinerun.storage": "oci,tekton"}); err != nil {
		return nil, err
	}
	t := &Team{Namespace: ns, Identity: "https://kubernetes.io/namespaces/" + ns + "/serviceaccounts/chainseal"}
	s.proved("platform: %s/%s has %s sign keylessly as %s (Fulcio %s, issuer %s)", PlatformNamespace, PlatformConfigMap, ns, t.Identity, s.Env.Get("FULCIO_URL"), s.Env.Get("OIDC_ISSUER"))
	return t, nil
}

// verifyKeyless checks a keyless team's image by identity with cosign,
// rekor-cli, chainseal verify and its PipelineRun's annotations, and that
// another namespace's identity does not verify it. The stack has no CT
// log: certificates carry no SCT, and the verifiers are told so.
func (s *Scenario) verifyKeyless(ctx context.Context, t, other *Team) error {
	image := t.Image + "@" + t.Digest
	root, issuer := s.Env.Get("SIGSTORE_TRUSTED_ROOT_FILE"), s.Env.Get("OIDC_ISSUER")
	otherID := "https://kubernetes.io/namespaces/" + other.Namespace + "/serviceaccounts/chainseal"
	s.step("%s: verify %s by identity with clients nobody here wrote (no CT log on the stack: SCT check off)", t.Namespace, image)
	// cosign v2.6.5 takes --trusted-root only with --new-bundle-format; for
	// the .att/.sig layers, a private Fulcio's root is SIGSTORE_ROOT_FILE
	// (and Rekor's key SIGSTORE_REKOR_PUBLIC_KEY, in the stack's env).
	cosignEnv := []string{"SIGSTORE_ROOT_FILE=" + s.Env.Get("FULCIO_ROOT_FILE")}
	byID := func(id string, args ...string) []string {
		return append(args, "--certificate-identity", id, "--certificate-oidc-issuer", issuer, "--insecure-ignore-sct")
	}
	if _, err := s.run(cosignEnv, s.Env.Cosign(), append(byID(t.Identity, "verify-attestation", "--type", "slsaprovenance1"), image)...); err != nil {
		return fmt.Errorf("cosign verify-attestation by identity %s: %w", t.Identity, err)
	}
	s.proved("SIGSTORE_ROOT_FILE=<the stack Fulcio's root> cosign verify-attestation --certificate-identity %s --certificate-oidc-issuer %s --insecure-ignore-sct passes", t.Identity, issuer)
	if _, err := s.run(cosignEnv, s.Env.Cosign(), append(byID(t.Identity, "verify"), image)...); err != nil {
		return fmt.Errorf("cosign verify by identity %s: %w", t.Identity, err)
	}
	s.proved("cosign verify by identity passes (the image signature)")
	if _, err := s.run(cosignEnv, s.Env.Cosign(), append(byID(otherID, "verify-attestation", "--type", "slsaprovenance1"), image)...); err == nil {
		return fmt.Errorf("cosign verify-attestation of %s passed for %s's identity", image, other.Namespace)
	}
	s.proved("cosign verify-attestation for %s's identity fails", other.Namespace)

	hexDigest := strings.TrimPrefix(t.Digest, "sha256:")
	found, err := s.run(nil, s.Env.RekorCLI(), "search", "--rekor_server", s.Env.RekorURL(), "--sha", hexDigest)
	if err != nil {
		return err
	}
	uuid := t.Run.Result("REKOR_UUID")
	if !strings.Contains(found, uuid) {
		return fmt.Errorf("rekor-cli search --sha %s did not find entry %s: %s", hexDigest, uuid, found)
	}
	entry, err := s.run(nil, s.Env.RekorCLI(), "get", "--rekor_server", s.Env.RekorURL(), "--uuid", uuid, "--format", "json")
	if err != nil {
		return err
	}
	if err := entryNamesCertificate(entry, t.Identity); err != nil {
		return fmt.Errorf("rekor-cli get --uuid %s: %w", uuid, err)
	}
	s.proved("rekor-cli search --sha %s… finds entry %s; rekor-cli get shows its verifier is the certificate for %s", hexDigest[:12], uuid, t.Identity)

	if _, err := s.run(nil, s.Chainseal, append(byID(t.Identity, "verify", "--trusted-root", root, "--rekor-url", s.Env.RekorURL(), "--namespace", t.Namespace), image)...); err != nil {
		return fmt.Errorf("chainseal verify by identity: %w", err)
	}
	s.proved("chainseal verify --certificate-identity %s --certificate-oidc-issuer --trusted-root passes", t.Identity)
	out, err := s.run(nil, s.Chainseal, append(byID(otherID, "verify", "--trusted-root", root, "--rekor-url", s.Env.RekorURL()), image)...)
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 || !strings.Contains(out, "is not for "+otherID) {
		return fmt.Errorf("chainseal verify for %s's identity: want exit 1 naming the identity, got %v\n%s", other.Namespace, err, out)
	}
	s.proved("chainseal verify for %s's identity fails (exit 1: the certificate is not for it)", other.Namespace)

	pr, err := s.tekton.TektonV1().PipelineRuns(t.Namespace).Get(ctx, t.Run.Name, metav1.GetOptions{})
	if err != nil {
		return err
	}
	certKey := "chains.tekton.dev/cert-pipelinerun-" + string(pr.UID)
	cert, err := base64.StdEncoding.DecodeString(pr.Annotations[certKey])
	if err != nil || !bytes.Contains(cert, []byte("BEGIN CERTIFICATE")) || pr.Annotations["chains.tekton.dev/chain-pipelinerun-"+string(pr.UID)] == "" {
		return fmt.Errorf("PipelineRun %s/%s has no certificate and chain in %s and chain-pipelinerun-* (%v)", t.Namespace, t.Run.Name, certKey, err)
	}
	s.proved("PipelineRun annotated %s and chains.tekton.dev/chain-pipelinerun-…, as Chains writes them", certKey)
	return nil
}

// entryNamesCertificate checks that a Rekor entry (rekor-cli get --format
// json) is a dsse entry whose verifier is a certificate for identity.
func entryNamesCertificate(entryJSON, identity string) error {
	var e struct {
		Body struct {
			DSSEObj struct {
				Signatures []struct {
					Verifier string `json:"verifier"`
				} `json:"signatures"`
			} `json:"DSSEObj"`
		} `json:"Body"`
	}
	if err := json.Unmarshal([]byte(entryJSON), &e); err != nil {
		return fmt.Errorf("reading the entry: %w", err)
	}
	for _, sig := range e.Body.DSSEObj.Signatures {
		pemBytes, err := base64.StdEncoding.DecodeString(sig.Verifier)
		if err != nil {
			continue
		}
		blk, _ := pem.Decode(pemBytes)
		if blk == nil || blk.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(blk.Bytes)
		if err == nil && len(c.URIs) == 1 && c.URIs[0].String() == identity {
			return nil
		}
	}
	return fmt.Errorf("no signature's verifier is a certificate for %s: %s", identity, entryJSON)
}

// images pushes what the pipelines run: the chainseal bundle (ko builds
// the image; `make bundle`) and the build task's image.
func (s *Scenario) images(ctx context.Context) error {
	s.step("make bundle: ko builds chainseal into the registry and the Task goes out as a Tekton bundle")
	var err error
	if s.bundle, err = PushBundle(ctx, s.Env, s.Root, "e2e"); err != nil {
		return err
	}
	s.proved("bundle %s, pinning %s", s.bundle.Ref, s.bundle.Image)
	if s.build, err = PushGoImage(ctx, s.Env, filepath.Join(s.Root, "test/e2e/testdata/pushimage"), "pushimage"); err != nil {
		return err
	}
	s.proved("the build task's image %s", s.build)
	return nil
}

// registrySecret puts the registry credentials in the namespace: the build
// mounts them, and chainseal's ServiceAccount pulls and pushes with them.
func (s *Scenario) registrySecret(ctx context.Context, ns string) error {
	config, err := os.ReadFile(filepath.Join(s.docker, "config.json"))
	if err != nil {
		return err
	}
	return RegistryAccess(ctx, s.kube, ns, config)
}

// RegistryAccess puts a docker config.json in ns as the Secret "registry"
// (for a build to mount), adds it to the chainseal ServiceAccount's
// imagePullSecrets, and lets chainseal read it by name (as tasks/rbac.yaml
// says).
func RegistryAccess(ctx context.Context, kube kubernetes.Interface, ns string, config []byte) error {
	if _, err := kube.CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "registry"}, Type: corev1.SecretTypeDockerConfigJson,
		Data: map[string][]byte{corev1.DockerConfigJsonKey: config, "config.json": config},
	}, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("creating Secret %s/registry: %w", ns, err)
	}
	sa, err := kube.CoreV1().ServiceAccounts(ns).Get(ctx, "chainseal", metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("reading ServiceAccount %s/chainseal: %w", ns, err)
	}
	sa.ImagePullSecrets = append(sa.ImagePullSecrets, corev1.LocalObjectReference{Name: "registry"})
	if _, err := kube.CoreV1().ServiceAccounts(ns).Update(ctx, sa, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("giving ServiceAccount %s/chainseal the registry Secret: %w", ns, err)
	}
	if _, err := kube.RbacV1().Roles(ns).Create(ctx, &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Name: "chainseal-registry"},
		Rules:      []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"secrets"}, ResourceNames: []string{"registry"}, Verbs: []string{"get"}}},
	}, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("creating Role %s/chainseal-registry: %w", ns, err)
	}
	if _, err := kube.RbacV1().RoleBindings(ns).Create(ctx, &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "chainseal-registry"},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: "chainseal-registry"},
		Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Name: "chainseal", Namespace: ns}},
	}, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("binding %s/chainseal-registry: %w", ns, err)
	}
	return nil
}

// release runs the team's Pipeline under Tekton: the build task pushes an
// image and chainseal, the finally task, seals it.
func (s *Scenario) release(ctx context.Context, t *Team) error {
	s.step("%s: kubectl create a PipelineRun (build, test, finally chainseal from the bundle); Tekton runs it on the node", t.Namespace)
	logf, err := os.Create(filepath.Join(s.Work, t.Namespace+"-tekton-controller.log"))
	if err != nil {
		return err
	}
	defer logf.Close()
	stop, err := s.Env.StartTektonController(t.Namespace, logf)
	if err != nil {
		return err
	}
	defer stop()
	r := Release{Namespace: t.Namespace, Name: "release-" + s.Suffix, Builder: s.build, Shell: s.Env.Get("TEKTON_SHELL_IMAGE"),
		Bundle: s.bundle.Ref, Repository: s.Env.Registry() + "/" + t.Namespace + "/app", RegistrySecret: "registry"}
	pr, err := r.PipelineRun()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 4*time.Minute)
	defer cancel()
	start := time.Now()
	done, err := RunPipeline(ctx, s.tekton, pr)
	if err != nil {
		return err
	}
	if !done.Succeeded() {
		c := done.Status.GetCondition(apis.ConditionSucceeded)
		logs, _ := s.run(nil, s.Env.Kubectl(), "logs", "-n", t.Namespace, "-l", "tekton.dev/pipelineRun="+pr.Name, "--all-containers", "--tail", "20")
		return fmt.Errorf("PipelineRun %s/%s: %s: %s\n%s", t.Namespace, pr.Name, c.Reason, c.Message, logs)
	}
	t.Run = done
	t.Image, t.Digest = r.Repository, strings.TrimSpace(done.Result("IMAGE_DIGEST"))
	s.proved("PipelineRun %s/%s succeeded in %s; the build pushed %s@%s", t.Namespace, pr.Name, time.Since(start).Round(time.Second), t.Image, t.Digest)
	if done.Result("REKOR_UUID") == "" || done.Result("ATTESTATION_DIGEST") == "" {
		return fmt.Errorf("chainseal's results did not reach the PipelineRun: %v", done.Status.Results)
	}
	s.proved("chainseal's results, as Tekton recorded them: ATTESTATION_DIGEST=%s REKOR_LOG_INDEX=%s", done.Result("ATTESTATION_DIGEST"), done.Result("REKOR_LOG_INDEX"))
	seal := done.TaskRuns["chainseal"]
	if seal == nil || seal.Status.Provenance == nil || seal.Status.Provenance.RefSource == nil ||
		!strings.HasPrefix(s.bundle.Ref, seal.Status.Provenance.RefSource.URI) {
		return fmt.Errorf("the chainseal TaskRun does not record that Tekton resolved it from %s: %+v", s.bundle.Ref, seal)
	}
	s.proved("Tekton's bundles resolver fetched chainseal from %s (refSource digest %v)", seal.Status.Provenance.RefSource.URI, seal.Status.Provenance.RefSource.Digest)
	return nil
}

// verify checks t's image with cosign and rekor-cli, and that the other
// team's key does not verify it.
func (s *Scenario) verify(ctx context.Context, t, other *Team) error {
	image := t.Image + "@" + t.Digest
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

	hexDigest := strings.TrimPrefix(t.Digest, "sha256:")
	found, err := s.run(nil, s.Env.RekorCLI(), "search", "--rekor_server", s.Env.RekorURL(), "--sha", hexDigest)
	if err != nil {
		return err
	}
	if !strings.Contains(found, t.Run.Result("REKOR_UUID")) {
		return fmt.Errorf("rekor-cli search --sha %s did not find entry %s: %s", hexDigest, t.Run.Result("REKOR_UUID"), found)
	}
	s.proved("rekor-cli search --sha %s… finds entry %s", hexDigest[:12], t.Run.Result("REKOR_UUID"))
	if _, err := s.run(nil, s.Env.RekorCLI(), "get", "--rekor_server", s.Env.RekorURL(), "--uuid", t.Run.Result("REKOR_UUID")); err != nil {
		return err
	}
	s.proved("rekor-cli get --uuid reads it back")

	describe, err := s.run(nil, s.Env.Get("TKN"), "pipelinerun", "describe", t.Run.Name, "-n", t.Namespace)
	if err != nil {
		return err
	}
	if !strings.Contains(describe, t.Run.Result("ATTESTATION_DIGEST")) {
		return fmt.Errorf("tkn pipelinerun describe does not show ATTESTATION_DIGEST %s:\n%s", t.Run.Result("ATTESTATION_DIGEST"), describe)
	}
	s.proved("tkn pipelinerun describe shows chainseal's ATTESTATION_DIGEST")

	if _, err := s.run(nil, s.Chainseal, "verify", "--key", t.PublicKey, "--rekor-url", s.Env.RekorURL(),
		"--rekor-public-key", s.Env.RekorPublicKeyFile(), "--namespace", t.Namespace, image); err != nil {
		return fmt.Errorf("chainseal verify: %w", err)
	}
	s.proved("chainseal verify --key --namespace %s passes", t.Namespace)
	return nil
}

// isolation shows one namespace's chainseal cannot read another's runs or
// key, and that tekton storage annotated the run.
func (s *Scenario) isolation(ctx context.Context, a, b *Team) error {
	s.step("%s's ServiceAccount against %s; annotations on %s's PipelineRun", a.Namespace, b.Namespace, a.Namespace)
	rc, err := clientcmd.BuildConfigFromFlags("", s.Env.Kubeconfig())
	if err != nil {
		return err
	}
	rc.Impersonate = rest.ImpersonationConfig{UserName: "system:serviceaccount:" + a.Namespace + ":chainseal",
		Groups: []string{"system:serviceaccounts", "system:serviceaccounts:" + a.Namespace, "system:authenticated"}}
	_, err = tektonclient.NewForConfigOrDie(rc).TektonV1().PipelineRuns(b.Namespace).Get(ctx, b.Run.Name, metav1.GetOptions{})
	if !apierrors.IsForbidden(err) {
		return fmt.Errorf("%s's ServiceAccount reading %s's PipelineRun: want 403, got %v", a.Namespace, b.Namespace, err)
	}
	s.proved("reading %s's PipelineRun: 403 Forbidden", b.Namespace)
	_, err = kubernetes.NewForConfigOrDie(rc).CoreV1().Secrets(b.Namespace).Get(ctx, "chainseal-signing", metav1.GetOptions{})
	if !apierrors.IsForbidden(err) {
		return fmt.Errorf("%s's ServiceAccount reading %s's signing Secret: want 403, got %v", a.Namespace, b.Namespace, err)
	}
	s.proved("reading %s's signing Secret: 403 Forbidden", b.Namespace)

	pr, err := s.tekton.TektonV1().PipelineRuns(a.Namespace).Get(ctx, a.Run.Name, metav1.GetOptions{})
	if err != nil {
		return err
	}
	key := "chains.tekton.dev/payload-pipelinerun-" + string(pr.UID)
	payload, err := base64.StdEncoding.DecodeString(pr.Annotations[key])
	if err != nil || !bytes.Contains(payload, []byte(strings.TrimPrefix(a.Digest, "sha256:"))) {
		return fmt.Errorf("annotation %s does not hold the statement naming the image (%v)", key, err)
	}
	if pr.Annotations["chains.tekton.dev/signed"] != "true" {
		return fmt.Errorf("PipelineRun %s/%s is not annotated chains.tekton.dev/signed=true", a.Namespace, a.Run.Name)
	}
	s.proved("PipelineRun annotated chains.tekton.dev/signed=true, with %s and chains.tekton.dev/transparency=%s", key, pr.Annotations["chains.tekton.dev/transparency"])
	return nil
}

// attacks shows what a tenant can no longer do with the chainseal
// ServiceAccount once the admission policies hold: a developer with the
// edit role runs a shell as chainseal, or mints its token.
func (s *Scenario) attacks(ctx context.Context, t *Team) error {
	s.step("%s: a developer (edit role) tries to use the chainseal ServiceAccount", t.Namespace)
	if err := Developer(ctx, s.kube, t.Namespace); err != nil {
		return err
	}
	dev, err := As(s.Env.Kubeconfig(), t.Namespace, "developer")
	if err != nil {
		return err
	}
	// Without the policies (the label off), both attacks work.
	if err := s.protect(ctx, t.Namespace, false); err != nil {
		return err
	}
	if err := ShellAsChainseal(ctx, dev, t.Namespace, s.Env.Get("TEKTON_SHELL_IMAGE")); err != nil {
		return fmt.Errorf("without the policies, a developer should be able to run a shell as chainseal (the attack): %w", err)
	}
	if err := MintChainsealToken(ctx, dev, t.Namespace); err != nil {
		return fmt.Errorf("without the policies, a developer should be able to mint chainseal's token (the attack): %w", err)
	}
	s.proved("without the policies (namespace not labelled), a developer runs a shell pod as chainseal and mints its token")
	if err := s.protect(ctx, t.Namespace, true); err != nil {
		return err
	}
	msg, err := Refused(ctx, func(ctx context.Context) error {
		return ShellAsChainseal(ctx, dev, t.Namespace, s.Env.Get("TEKTON_SHELL_IMAGE"))
	})
	if err != nil {
		return fmt.Errorf("a shell pod as chainseal: %w", err)
	}
	s.proved("a shell pod as the chainseal ServiceAccount is refused: %s", msg)
	if msg, err = Refused(ctx, func(ctx context.Context) error { return MintChainsealToken(ctx, dev, t.Namespace) }); err != nil {
		return fmt.Errorf("a token for chainseal: %w", err)
	}
	s.proved("a TokenRequest for the chainseal ServiceAccount is refused: %s", msg)
	return nil
}

// protect sets or removes the label that puts ns under the policies.
func (s *Scenario) protect(ctx context.Context, ns string, on bool) error {
	value := "null"
	if on {
		value = `"true"`
	}
	patch := []byte(`{"metadata":{"labels":{"` + ProtectedLabel + `":` + value + `}}}`)
	if _, err := s.kube.CoreV1().Namespaces().Patch(ctx, ns, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		return fmt.Errorf("labelling namespace %s: %w", ns, err)
	}
	return nil
}

func (s *Scenario) kubectl(args ...string) error {
	_, err := s.run(nil, s.Env.Kubectl(), args...)
	return err
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
		return stdout.String(), fmt.Errorf("%s %s: %w\n%s", filepath.Base(name), strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}
