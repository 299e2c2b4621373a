//go:build stack

package e2e

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"knative.dev/pkg/apis"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/chainseal/chainseal/internal/demo"
	"github.com/chainseal/chainseal/internal/kubetest"
	"github.com/chainseal/chainseal/internal/stacktest"
	"github.com/chainseal/chainseal/pkg/tekton/tektontest"
)

// Attack (issue #14) on real Tekton: in a namespace without the admission
// policies (the weaker setup), a tenant runs the chainseal image as the
// chainseal ServiceAccount with `sign --from-file forged.yaml`: a
// hand-written PipelineRun claiming an image, the namespace's key mounted,
// the real Rekor log configured. Before, the step signed the forgery and
// logged it in Rekor. Now chainseal sees it runs in a pod and refuses: the
// TaskRun fails saying so and `rekor-cli search` finds nothing for the
// forged digest.
func TestSignFromFileRefusedInTheChainsealPod(t *testing.T) {
	t.Parallel()
	env := stacktest.Load(t)
	admin := kubetest.Admin(t, env)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	ns := kubetest.Namespace(t, admin, "forged")
	env.TektonController(t, ns)
	b, err := demo.PushBundle(ctx, env, repoRoot(t), "e2e")
	if err != nil {
		t.Fatal(err)
	}

	// The chainseal ServiceAccount, pulling with the registry's credentials,
	// and the namespace's signing key.
	cfg, err := os.ReadFile(filepath.Join(dockerConfig(t, env), "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	mustCreate := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err = admin.CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "registry"},
		Type: corev1.SecretTypeDockerConfigJson, Data: map[string][]byte{corev1.DockerConfigJsonKey: cfg}}, metav1.CreateOptions{})
	mustCreate(err)
	_, err = admin.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "chainseal"},
		ImagePullSecrets: []corev1.LocalObjectReference{{Name: "registry"}}}, metav1.CreateOptions{})
	mustCreate(err)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.MarshalPKCS8PrivateKey(key)
	_, err = admin.CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "chainseal-signing"},
		Data: map[string][]byte{"x509.pem": pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})}}, metav1.CreateOptions{})
	mustCreate(err)

	// The forgery: a PipelineRun that never ran, claiming an image.
	forgedDigest := tektontest.Digest(ns + "forged")
	r := tektontest.NewRun(ns, "release-forged").Complete()
	r.Add(tektontest.Task{Name: "build", Results: []string{"IMAGE_URL", env.Registry() + "/" + ns + "/app", "IMAGE_DIGEST", "sha256:" + forgedDigest}})
	files := map[string]string{}
	for i, obj := range append([]any{r.PipelineRun}, taskRunsOf(r)...) {
		y, err := sigsyaml.Marshal(obj)
		if err != nil {
			t.Fatal(err)
		}
		files[string(rune('a'+i))+".yaml"] = string(y)
	}
	_, err = admin.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "forged"}, Data: files}, metav1.CreateOptions{})
	mustCreate(err)
	rekorKey, err := os.ReadFile(env.RekorPublicKeyFile())
	if err != nil {
		t.Fatal(err)
	}

	args := []string{"sign", "--secret-dir", "/keys", "--results-dir", "", "--config-map", "",
		"--config", "artifacts.pipelinerun.storage=file", "--config", "storage.file.dir=/tmp/out", "--config", "artifacts.oci.signer=none",
		"--config", "transparency.enabled=true", "--config", "transparency.url=" + env.RekorURL(), "--rekor-public-key-pem", string(rekorKey)}
	for name := range files {
		args = append(args, "--from-file", "/forged/"+name)
	}
	tr := &pipelinev1.TaskRun{
		ObjectMeta: metav1.ObjectMeta{Name: kubetest.Name("forge"), Namespace: ns},
		Spec: pipelinev1.TaskRunSpec{ServiceAccountName: "chainseal", TaskSpec: &pipelinev1.TaskSpec{
			Volumes: []corev1.Volume{
				{Name: "forged", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "forged"}}}},
				{Name: "keys", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "chainseal-signing"}}},
				{Name: "out", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
			},
			Steps: []pipelinev1.Step{{Name: "sign", Image: b.Image, Args: args, VolumeMounts: []corev1.VolumeMount{
				{Name: "forged", MountPath: "/forged"}, {Name: "keys", MountPath: "/keys"}, {Name: "out", MountPath: "/tmp/out"}}}},
		}},
	}
	tk := kubetest.AdminTekton(t, env)
	if _, err := tk.TektonV1().TaskRuns(ns).Create(ctx, tr, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	var done *pipelinev1.TaskRun
	for done == nil {
		got, err := tk.TektonV1().TaskRuns(ns).Get(ctx, tr.Name, metav1.GetOptions{})
		if err == nil {
			if c := got.Status.GetCondition(apis.ConditionSucceeded); c != nil && c.Status != corev1.ConditionUnknown {
				done = got
				break
			}
		}
		if ctx.Err() != nil {
			t.Fatalf("TaskRun %s/%s did not finish: %v", ns, tr.Name, err)
		}
		time.Sleep(500 * time.Millisecond)
	}
	c := done.Status.GetCondition(apis.ConditionSucceeded)
	if c.Status == corev1.ConditionTrue {
		t.Fatalf("the forged run was sealed in the chainseal pod (TaskRun %s succeeded)", tr.Name)
	}
	logs, _ := runErr(env.Environ(), env.Kubectl(), "logs", "-n", ns, done.Status.PodName, "-c", "step-sign")
	if !strings.Contains(logs, "--from-file signs only outside a cluster") || !strings.Contains(logs, "pod") {
		t.Fatalf("TaskRun %s failed (%s: %s), but not with chainseal's refusal:\n%s", tr.Name, c.Reason, c.Message, logs)
	}
	t.Logf("refused in the pod: %s", strings.TrimSpace(logs))
	found, err := runErr(env.Environ(), env.RekorCLI(), "search", "--rekor_server", env.RekorURL(), "--sha", forgedDigest)
	if err == nil && strings.TrimSpace(found) != "" && !strings.Contains(strings.ToLower(found), "no matching") {
		t.Fatalf("rekor-cli search --sha %s found entries for the forged image: %s", forgedDigest, found)
	}
}
