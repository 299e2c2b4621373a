package demo

import (
	"archive/tar"
	"bytes"
	"os"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// WriteLayer writes a one-file tar layer for crane append.
func WriteLayer(path, name, content string) error {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(content))}); err != nil {
		return err
	}
	if _, err := tw.Write([]byte(content)); err != nil {
		return err
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}

// writeKubeconfig writes a kubeconfig with one bearer token user.
func writeKubeconfig(path string, rc *rest.Config) error {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["stack"] = &clientcmdapi.Cluster{Server: rc.Host, CertificateAuthority: rc.TLSClientConfig.CAFile}
	cfg.AuthInfos["sa"] = &clientcmdapi.AuthInfo{Token: rc.BearerToken}
	cfg.Contexts["stack"] = &clientcmdapi.Context{Cluster: "stack", AuthInfo: "sa"}
	cfg.CurrentContext = "stack"
	return clientcmd.WriteToFile(*cfg, path)
}
