//go:build !chainseal_task

package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/yaml"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/chainseal/chainseal/pkg/config"
	"github.com/chainseal/chainseal/pkg/tekton/tektontest"
)

// chainsFiles writes a Chains installation as `kubectl get -o yaml` prints
// it: chains-config with the keys Chains' getting-started tutorial patches
// in, and signing-secrets with a cosign key pair.
func chainsFiles(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "chains.yaml")
	err := os.WriteFile(p, []byte(`apiVersion: v1
kind: ConfigMap
metadata: {name: chains-config, namespace: tekton-chains}
data:
  artifacts.taskrun.format: in-toto
  artifacts.taskrun.storage: tekton
  storage.pubsub.provider: inmemory
---
apiVersion: v1
kind: Secret
metadata: {name: signing-secrets, namespace: tekton-chains}
stringData: {cosign.key: KEY, cosign.password: pw, cosign.pub: PUB}
`), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// migratedConfig runs `chainseal migrate --dry-run` offline and returns the
// data of the chainseal-config it prints, and the report.
func migratedConfig(t *testing.T, args ...string) (map[string]string, string) {
	t.Helper()
	out, report, err := execute(t, append([]string{"migrate", "--dry-run"}, args...)...)
	if err != nil {
		t.Fatalf("migrate: %v\n%s", err, report)
	}
	dec := yaml.NewYAMLOrJSONDecoder(strings.NewReader(out), 4096)
	for {
		var cm corev1.ConfigMap
		if err := dec.Decode(&cm); err != nil {
			t.Fatalf("no ConfigMap in the printed YAML (%v):\n%s", err, out)
		}
		if cm.Kind == "ConfigMap" && cm.Name == config.DefaultConfigMapName {
			return cm.Data, report
		}
	}
}

// The config migrate writes makes what Chains made by default: in-toto
// (SLSA v0.2) statements for the PipelineRun and for each TaskRun, with
// Chains' builder id, and cosign image signatures.
func TestMigratedConfigSignsInChainsFormat(t *testing.T) {
	data, report := migratedConfig(t, "--from-file", chainsFiles(t), "-n", "payments")
	if !strings.Contains(report, `storage.pubsub.provider: the "inmemory" provider is a topic inside the Chains controller's process`) {
		t.Errorf("the report does not say why storage.pubsub.provider was dropped:\n%s", report)
	}
	r := buildRun().Results("IMAGE_URL", "registry.example/payments/api:1.2", "IMAGE_DIGEST", "sha256:"+tektontest.Digest("api"))
	args := []string{"sign", "--dry-run", "--taskrun", "release-7q2xk-chainseal", "--results-dir", ""}
	for k, v := range data {
		args = append(args, "--config", k+"="+v)
	}
	out, stderr, err := execute(t, append(args, writeRun(t, r)...)...)
	if err != nil {
		t.Fatalf("sign --dry-run with the migrated config: %v\n%s", err, stderr)
	}
	var statements, images int
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var p struct {
			PredicateType string `json:"predicateType"`
			Predicate     struct {
				Builder   struct{ ID string } `json:"builder"`
				BuildType string              `json:"buildType"`
			} `json:"predicate"`
			Critical json.RawMessage `json:"critical"`
		}
		if err := json.Unmarshal([]byte(line), &p); err != nil {
			t.Fatalf("not JSON: %s", line)
		}
		if p.Critical != nil {
			images++
			continue
		}
		statements++
		if p.PredicateType != "https://slsa.dev/provenance/v0.2" || p.Predicate.Builder.ID != config.ChainsBuilderID {
			t.Errorf("statement %s with builder %q, want Chains' in-toto (SLSA v0.2) by %s", p.PredicateType, p.Predicate.Builder.ID, config.ChainsBuilderID)
		}
	}
	if statements != 2 || images != 1 {
		t.Errorf("%d statements and %d image signatures, want the PipelineRun's and the build TaskRun's, and one:\n%s", statements, images, out)
	}
}

func TestMigrateUsage(t *testing.T) {
	files := chainsFiles(t)
	for name, tc := range map[string]struct {
		args []string
		want string
	}{
		"no namespace":             {[]string{"migrate", "--dry-run", "--from-file", files}, "--namespace"},
		"show secrets, no dry run": {[]string{"migrate", "--show-secrets", "--from-file", files, "-n", "a"}, "--dry-run"},
		"patch without a bundle":   {[]string{"migrate", "--dry-run", "--from-file", files, "-n", "a", "--patch-pipelines"}, "--bundle"},
		"missing key file":         {[]string{"migrate", "--dry-run", "--from-file", files, "-n", "a", "--rekor-public-key", "/nonexistent"}, "--rekor-public-key"},
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := execute(t, tc.args...)
			if exitCode(err) != 2 || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("exit %d, %v; want 2 naming %s", exitCode(err), err, tc.want)
			}
		})
	}
}

// With --dry-run, stdout is only YAML (kubectl apply -f - takes it) and
// the key files are redacted unless --show-secrets.
func TestMigrateDryRunStdoutIsYAML(t *testing.T) {
	files := chainsFiles(t)
	out, report, err := execute(t, "migrate", "--dry-run", "--from-file", files, "-n", "payments")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out, "nothing was written") || !strings.Contains(report, "namespace payments") {
		t.Errorf("the report is not on stderr alone")
	}
	if strings.Contains(out, "S0VZ") { // KEY
		t.Error("the key was printed without --show-secrets")
	}
	for _, doc := range bytes.Split([]byte(out), []byte("\n---\n")) {
		var m map[string]any
		if err := sigsyaml.Unmarshal(doc, &m); err != nil {
			t.Fatalf("not YAML: %v\n%s", err, doc)
		}
	}
	out, _, err = execute(t, "migrate", "--dry-run", "--show-secrets", "--from-file", files, "-n", "payments")
	if err != nil || !strings.Contains(out, "S0VZ") {
		t.Errorf("--show-secrets did not print the key: %v", err)
	}
}
