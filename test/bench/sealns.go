package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	authv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// SealNS is a namespace set up for chainseal as its Task runs there: the
// chainseal ServiceAccount and Role (tasks/rbac.yaml), the signing Secret,
// the chainseal-config ConfigMap, and a kubeconfig holding only that
// ServiceAccount's token, as the pod would have.
type SealNS struct {
	Name       string
	Kubeconfig string
	TokenFile  string
}

func (b *Bench) sealNamespace(ctx context.Context, suffix string) (*SealNS, error) {
	ns, err := b.namespace(ctx, suffix)
	if err != nil {
		return nil, err
	}
	if out, err := exec.CommandContext(ctx, b.Env.Kubectl(), "--kubeconfig", b.Env.Kubeconfig(), "apply", "-n", ns, "-f", b.O.RBAC).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("applying %s in %s: %v: %s", b.O.RBAC, ns, err, out)
	}
	if _, err := b.Kube.CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "chainseal-signing"},
		Data: map[string][]byte{"x509.pem": b.KeyPEM}}, metav1.CreateOptions{}); err != nil {
		return nil, fmt.Errorf("creating Secret %s/chainseal-signing: %w", ns, err)
	}
	if _, err := b.Kube.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "chainseal-config"},
		Data: b.sharedConfig()}, metav1.CreateOptions{}); err != nil {
		return nil, fmt.Errorf("creating ConfigMap %s/chainseal-config: %w", ns, err)
	}
	exp := int64(3 * 3600)
	tr, err := b.Kube.CoreV1().ServiceAccounts(ns).CreateToken(ctx, "chainseal", &authv1.TokenRequest{
		Spec: authv1.TokenRequestSpec{ExpirationSeconds: &exp}}, metav1.CreateOptions{})
	if err != nil {
		return nil, fmt.Errorf("TokenRequest for %s/chainseal: %w", ns, err)
	}
	s := &SealNS{Name: ns, Kubeconfig: filepath.Join(b.Work, ns+".kubeconfig"), TokenFile: filepath.Join(b.Work, ns+".token")}
	if err := os.WriteFile(s.TokenFile, []byte(tr.Status.Token), 0o600); err != nil {
		return nil, err
	}
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["stack"] = &clientcmdapi.Cluster{Server: b.Env.KubeAPIURL(), CertificateAuthority: b.Env.KubeCAFile()}
	cfg.AuthInfos["chainseal"] = &clientcmdapi.AuthInfo{Token: tr.Status.Token}
	cfg.Contexts["stack"] = &clientcmdapi.Context{Cluster: "stack", AuthInfo: "chainseal"}
	cfg.CurrentContext = "stack"
	if err := clientcmd.WriteToFile(*cfg, s.Kubeconfig); err != nil {
		return nil, fmt.Errorf("writing %s: %w", s.Kubeconfig, err)
	}
	return s, nil
}

// chainsealCmd is `chainseal sign` as the Task runs it (tasks/chainseal.yaml):
// config and key read through the API with the ServiceAccount's token.
func (b *Bench) chainsealCmd(ctx context.Context, s *SealNS, c *Created) *exec.Cmd {
	cmd := exec.CommandContext(ctx, b.O.Chainseal, "sign",
		"--kubeconfig", s.Kubeconfig,
		"--namespace", s.Name,
		"--pipelinerun", c.Spec.Name,
		"--pipelinerun-uid", string(c.PR.UID),
		"--taskrun", c.OwnTaskRun(),
		"--results-dir", "",
		"--rekor-public-key", b.Env.RekorPublicKeyFile(),
	)
	cmd.Env = append(os.Environ(), "DOCKER_CONFIG="+b.DockerDir)
	return cmd
}

// floorCmd is the floor program on the same run: the same API read, one
// signature, one registry push and one Rekor upload.
func (b *Bench) floorCmd(ctx context.Context, s *SealNS, c *Created) *exec.Cmd {
	cmd := exec.CommandContext(ctx, b.O.Floor,
		"-api", b.Env.KubeAPIURL(), "-ca", b.Env.KubeCAFile(), "-token", s.TokenFile,
		"-namespace", s.Name, "-pipelinerun", c.Spec.Name,
		"-key", filepath.Join(b.KeyDir, "x509.pem"),
		"-registry", b.Env.Registry(), "-rekor", b.Env.RekorURL(),
	)
	cmd.Env = append(os.Environ(), "REGISTRY_USERNAME="+b.Env.RegistryUsername(), "REGISTRY_PASSWORD="+b.Env.RegistryPassword())
	return cmd
}
