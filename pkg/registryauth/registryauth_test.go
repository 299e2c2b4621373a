package registryauth

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/chainseal/chainseal/pkg/kubeclient/typed"
)

func dockerSecret(name string, users map[string]string) *corev1.Secret {
	auths := map[string]any{}
	for reg, user := range users {
		auths[reg] = map[string]string{"auth": base64.StdEncoding.EncodeToString([]byte(user + ":pw-" + user))}
	}
	b, _ := json.Marshal(map[string]any{"auths": auths})
	return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name}, Type: corev1.SecretTypeDockerConfigJson,
		Data: map[string][]byte{corev1.DockerConfigJsonKey: b}}
}

// staticKeychain stands for the process's docker config: one user per
// registry.
type staticKeychain map[string]string

func (s staticKeychain) Resolve(r authn.Resource) (authn.Authenticator, error) {
	if u, ok := s[r.RegistryStr()]; ok {
		return &authn.Basic{Username: u, Password: "pw-" + u}, nil
	}
	return authn.Anonymous, nil
}

func userFor(t *testing.T, kc authn.Keychain, registry string) string {
	t.Helper()
	reg, err := name.NewRegistry(registry)
	if err != nil {
		t.Fatal(err)
	}
	auth, err := authn.Resolve(context.Background(), kc, reg)
	if err != nil {
		t.Fatal(err)
	}
	if auth == authn.Anonymous {
		return "anonymous"
	}
	cfg, err := auth.Authorization()
	if err != nil {
		t.Fatal(err)
	}
	return cfg.Username
}

// cluster is a fake API (one function's unit test: the order is shown on
// the real API server and registry by test/e2e TestRegistryCredentialsInChainsOrder).
func cluster() *fake.Clientset {
	return fake.NewSimpleClientset(
		&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "builder"},
			Secrets: []corev1.ObjectReference{{Name: "token"}, {Name: "builder-cred"}}},
		&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "chainseal"},
			ImagePullSecrets: []corev1.LocalObjectReference{{Name: "gone"}, {Name: "chainseal-cred"}}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "token"}, Type: corev1.SecretTypeServiceAccountToken},
		dockerSecret("builder-cred", map[string]string{"a.example": "run"}),
		dockerSecret("chainseal-cred", map[string]string{"a.example": "seal", "b.example": "seal"}),
	)
}

// The order is Chains': the run's ServiceAccount (here a Secret it
// mounts), chainseal's (an imagePullSecret; a missing one is skipped), the
// docker config, then nobody.
func TestKeychainOrder(t *testing.T) {
	kc := Keychain(context.Background(), typed.Core(cluster()), Sources{Namespace: "ns", RunServiceAccount: "builder", ServiceAccount: "chainseal",
		DockerConfig: staticKeychain{"a.example": "docker", "b.example": "docker", "c.example": "docker"}}, nil)
	for reg, want := range map[string]string{"a.example": "run", "b.example": "seal", "c.example": "docker", "d.example": "anonymous"} {
		if got := userFor(t, kc, reg); got != want {
			t.Errorf("%s: credentials of %q, want %q", reg, got, want)
		}
	}
}

// Nothing is read from the API before a registry is asked for.
func TestKeychainReadsNothingUntilAsked(t *testing.T) {
	c := cluster()
	kc := Keychain(context.Background(), typed.Core(c), Sources{Namespace: "ns", RunServiceAccount: "builder", ServiceAccount: "chainseal", DockerConfig: staticKeychain{}}, nil)
	if n := len(c.Actions()); n != 0 {
		t.Fatalf("%d API calls before any registry was asked for", n)
	}
	userFor(t, kc, "a.example")
	if len(c.Actions()) == 0 {
		t.Fatal("no API call after a registry was asked for")
	}
}

// A Secret chainseal may not read is skipped, and the log names it and the
// fix; the next source answers. The log never holds a credential.
func TestKeychainSkipsWhatItMayNotRead(t *testing.T) {
	c := cluster()
	c.PrependReactor("get", "secrets", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if a.(k8stesting.GetAction).GetName() == "builder-cred" {
			return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: "secrets"}, "builder-cred", nil)
		}
		return false, nil, nil
	})
	var logs bytes.Buffer
	kc := Keychain(context.Background(), typed.Core(c), Sources{Namespace: "ns", RunServiceAccount: "builder", ServiceAccount: "chainseal", DockerConfig: staticKeychain{}},
		slog.New(slog.NewTextHandler(&logs, nil)))
	if got := userFor(t, kc, "a.example"); got != "seal" {
		t.Errorf("a.example: credentials of %q, want chainseal's (the run's Secret is forbidden)", got)
	}
	if !strings.Contains(logs.String(), "builder-cred") || !strings.Contains(logs.String(), "tasks/rbac.yaml") {
		t.Errorf("the log does not name the forbidden Secret and the fix:\n%s", logs.String())
	}
	if strings.Contains(logs.String(), "pw-") {
		t.Errorf("a password reached the log:\n%s", logs.String())
	}
}

// Each cloud helper owns only its cloud's registries, and none is built
// for a registry of no cloud.
func TestCloudHelpersOnlyForTheirRegistries(t *testing.T) {
	owner := func(host string) string {
		for _, c := range clouds {
			if c.owns(host) {
				return c.name
			}
		}
		return ""
	}
	for host, want := range map[string]string{
		"gcr.io": "Google", "eu.gcr.io": "Google", "europe-west1-docker.pkg.dev": "Google",
		"123456789012.dkr.ecr.us-east-1.amazonaws.com": "Amazon", "public.ecr.aws": "Amazon",
		"team.azurecr.io": "Azure", "team.azurecr.cn:443": "Azure",
		"127.0.0.1:5000": "", "registry.example": "", "docker.io": "", "index.docker.io": "", "gcr.io.example": "", "azurecr.io.evil": "",
	} {
		if got := owner(host); !strings.HasPrefix(got, want) || (want == "" && got != "") {
			t.Errorf("%s is owned by %q, want %q", host, got, want)
		}
	}
	k := Keychain(context.Background(), nil, Sources{DockerConfig: staticKeychain{}}, nil).(*keychain)
	if got := userFor(t, k, "127.0.0.1:5000"); got != "anonymous" {
		t.Fatalf("127.0.0.1:5000: %q", got)
	}
	for _, s := range k.sources {
		if l, ok := s.kc.(*lazyCloud); ok && l.built() {
			t.Errorf("the %s helper was built for a registry of no cloud", l.name)
		}
	}
	if names := k.Sources(context.Background()); len(names) != 4 || names[0] != "docker config" {
		t.Errorf("sources without an API: %v, want the docker config then three clouds", names)
	}
}
