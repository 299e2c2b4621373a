package registryauth

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func pullSecret(name string, typ corev1.SecretType, data string) corev1.Secret {
	key := corev1.DockerConfigJsonKey
	if typ == corev1.SecretTypeDockercfg {
		key = corev1.DockerConfigKey
	}
	return corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name}, Type: typ, Data: map[string][]byte{key: []byte(data)}}
}

func basic(user string) string {
	return base64.StdEncoding.EncodeToString([]byte(user + ":pw-" + user))
}

// Pull Secrets are matched as the kubelet (and Chains' k8schain) match
// them: globbed host labels, equal ports, path prefixes, the more specific
// entry first, the first Secret first.
func TestPullSecretsMatchAsTheKubeletDoes(t *testing.T) {
	kc, err := newPullSecrets([]corev1.Secret{
		pullSecret("json", corev1.SecretTypeDockerConfigJson, `{"auths":{
			"https://index.docker.io/v1/": {"auth": "`+basic("hub")+`"},
			"*.example.com": {"auth": "`+basic("glob")+`"},
			"a.example.com": {"auth": "`+basic("a")+`"},
			"a.example.com/team": {"username": "team", "password": "pw-team"},
			"ports.example:5000": {"auth": "`+basic("port")+`"}}}`),
		pullSecret("legacy", corev1.SecretTypeDockercfg, `{"old.example": {"auth": "`+basic("old")+`"}, "a.example.com": {"auth": "`+basic("later")+`"}}`),
		pullSecret("token", corev1.SecretTypeServiceAccountToken, `not json`),
	})
	if err != nil {
		t.Fatal(err)
	}
	for image, want := range map[string]string{
		"index.docker.io/library/busybox": "hub",
		"b.example.com/app":               "glob",
		"a.example.com/app":               "a",
		"a.example.com/team/app":          "team",
		"x.y.example.com/app":             "anonymous", // a glob stands for one label
		"example.com/app":                 "anonymous",
		"ports.example:5000/app":          "port",
		"ports.example/app":               "anonymous", // the port must match
		"old.example/app":                 "old",
	} {
		repo, err := name.NewRepository(image)
		if err != nil {
			t.Fatal(err)
		}
		auth, err := kc.Resolve(repo)
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := auth.Authorization()
		if err != nil {
			t.Fatal(err)
		}
		got := cfg.Username
		if got == "" {
			got = "anonymous"
		}
		if got != want {
			t.Errorf("%s: credentials of %q, want %q", image, got, want)
		}
	}
}

// A Secret that does not parse is named in the error; its content is not.
func TestPullSecretsErrorNamesTheSecretNotItsContent(t *testing.T) {
	_, err := newPullSecrets([]corev1.Secret{pullSecret("broken", corev1.SecretTypeDockerConfigJson, `{"auths": "pw-secret`)})
	if err == nil || !strings.Contains(err.Error(), "broken") || strings.Contains(err.Error(), "pw-secret") {
		t.Fatalf("got %v, want an error naming Secret broken without its content", err)
	}
}
