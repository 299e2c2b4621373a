package migrate

import (
	"bytes"
	"context"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	tektonfake "github.com/tektoncd/pipeline/pkg/client/clientset/versioned/fake"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/yaml"
	kubefake "k8s.io/client-go/kubernetes/fake"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/chainseal/chainseal/pkg/config"
	"github.com/chainseal/chainseal/pkg/signing"
	"github.com/chainseal/chainseal/tasks"
)

// chainsInstall is Tekton Chains as its docs set it up: chains-config
// patched with a few keys, and signing-secrets from `cosign
// generate-key-pair k8s://tekton-chains/signing-secrets`.
func chainsInstall() []runtime.Object {
	return []runtime.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "team-a"}},
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "team-b"}},
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: chainsConfigMapName, Namespace: DefaultChainsNamespace},
			Data: map[string]string{"artifacts.oci.storage": "oci", "artifacts.taskrun.format": "in-toto", "artifacts.taskrun.storage": "tekton", "storage.pubsub.topic": "chains"}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: chainsSecretName, Namespace: DefaultChainsNamespace},
			Data: map[string][]byte{signing.FileCosignKey: []byte("KEY"), signing.FileCosignPassword: []byte("pw"), signing.FileCosignPub: []byte("PUB")}},
	}
}

func pipeline(ns, name string, finally ...v1.PipelineTask) *v1.Pipeline {
	return &v1.Pipeline{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, ResourceVersion: "7"},
		Spec: v1.PipelineSpec{Tasks: []v1.PipelineTask{{Name: "build", TaskRef: &v1.TaskRef{Name: "build"}}}, Finally: finally}}
}

const bundle = "registry.example/tasks/chainseal:0.1@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func TestRunWritesWhatChainsealNeeds(t *testing.T) {
	ctx := context.Background()
	kube := kubefake.NewSimpleClientset(chainsInstall()...)
	tk := tektonfake.NewSimpleClientset(
		pipeline("team-a", "build"),
		pipeline("team-a", "sealed", v1.PipelineTask{Name: "seal", TaskRef: &v1.TaskRef{Name: "chainseal"}}),
		pipeline("team-a", "from-bundle", v1.PipelineTask{Name: "provenance", TaskRef: &v1.TaskRef{ResolverRef: v1.ResolverRef{
			Resolver: "bundles", Params: v1.Params{{Name: "bundle", Value: *v1.NewStructuredValues("ghcr.io/chainseal/tasks/chainseal:0.1")}}}}}),
		pipeline("team-b", "other"),
	)
	o := Options{Namespaces: []string{"team-a", "team-b"}, Backends: builtIn, VaultRole: DefaultVaultRole,
		PatchPipelines: true, Bundle: bundle, Kube: kube, Tekton: tk}

	res, err := Run(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	for _, ns := range []string{"team-a", "team-b"} {
		cm, err := kube.CoreV1().ConfigMaps(ns).Get(ctx, config.DefaultConfigMapName, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if cm.Data[config.KeyCompat] != config.CompatChains || cm.Data["artifacts.taskrun.format"] != "in-toto" || cm.Data["storage.pubsub.topic"] != "" {
			t.Errorf("%s chainseal-config = %v", ns, cm.Data)
		}
		s, err := kube.CoreV1().Secrets(ns).Get(ctx, secretName, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if string(s.Data[signing.FileCosignKey]) != "KEY" || string(s.Data[signing.FileCosignPassword]) != "pw" || len(s.Data) != 3 {
			t.Errorf("%s chainseal-signing = %v", ns, s.Data)
		}
		for _, r := range []string{"chainseal", annotateRBAC, annotateTaskRunsRBAC} {
			if _, err := kube.RbacV1().Roles(ns).Get(ctx, r, metav1.GetOptions{}); err != nil {
				t.Errorf("Role %s/%s: %v", ns, r, err)
			}
			rb, err := kube.RbacV1().RoleBindings(ns).Get(ctx, r, metav1.GetOptions{})
			if err != nil {
				t.Errorf("RoleBinding %s/%s: %v", ns, r, err)
				continue
			}
			if rb.Subjects[0].Namespace != ns || rb.Subjects[0].Name != "chainseal" {
				t.Errorf("RoleBinding %s/%s binds %+v", ns, r, rb.Subjects)
			}
		}
		if _, err := kube.CoreV1().ServiceAccounts(ns).Get(ctx, "chainseal", metav1.GetOptions{}); err != nil {
			t.Error(err)
		}
	}

	states := map[string]PipelineState{}
	for _, p := range res.Namespaces[0].Pipelines {
		states[p.Name] = p.State
	}
	if states["build"] != Patch || states["sealed"] != HasTask || states["from-bundle"] != HasTask {
		t.Errorf("pipeline states = %v", states)
	}
	p, err := tk.TektonV1().Pipelines("team-a").Get(ctx, "build", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if name, ok := chainsealFinally(p); !ok || name != "chainseal" || p.Spec.Finally[0].TaskRef.Params[0].Value.StringVal != bundle {
		t.Errorf("Pipeline build was not patched: %+v", p.Spec.Finally)
	}

	var report bytes.Buffer
	res.WriteReport(&report)
	for _, want := range []string{"namespace team-a", "namespace team-b", "create    ConfigMap team-a/chainseal-config (done)",
		"storage.pubsub.topic: the kafka backend is not built into this chainseal", "build: got the chainseal finally task", "sealed: has the chainseal finally task (seal)",
		"taskRunSpecs"} {
		if !strings.Contains(report.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, report.String())
		}
	}

	// Again: nothing to do.
	o.PatchPipelines, o.Bundle = false, ""
	res, err = Run(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range res.Namespaces[0].Changes {
		if c.Action != Unchanged && c.Action != Kept {
			t.Errorf("second run: %s", c)
		}
	}
}

// An object that exists and differs stops the migration before anything
// is written; --overwrite replaces it.
func TestRunNeverOverwritesUnasked(t *testing.T) {
	ctx := context.Background()
	objs := append(chainsInstall(),
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: config.DefaultConfigMapName, Namespace: "team-b", Labels: map[string]string{"owner": "team-b"}},
			Data: map[string]string{config.KeyPipelineRunFormat: "slsa/v2alpha4"}})
	kube := kubefake.NewSimpleClientset(objs...)
	o := Options{Namespaces: []string{"team-a", "team-b"}, Backends: builtIn, Kube: kube}

	res, err := Run(ctx, o)
	if err == nil || !strings.Contains(err.Error(), "ConfigMap team-b/chainseal-config") || !strings.Contains(err.Error(), "--overwrite") {
		t.Fatalf("err = %v, want a conflict naming the ConfigMap and --overwrite", err)
	}
	if res == nil {
		t.Fatal("no result to report the conflict with")
	}
	if _, err := kube.CoreV1().ConfigMaps("team-a").Get(ctx, config.DefaultConfigMapName, metav1.GetOptions{}); err == nil {
		t.Error("team-a was written although team-b conflicts")
	}

	o.Overwrite = true
	if _, err := Run(ctx, o); err != nil {
		t.Fatal(err)
	}
	cm, err := kube.CoreV1().ConfigMaps("team-b").Get(ctx, config.DefaultConfigMapName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if cm.Data[config.KeyCompat] != config.CompatChains || cm.Data[config.KeyPipelineRunFormat] != "" || cm.Labels["owner"] != "team-b" {
		t.Errorf("overwritten ConfigMap = %+v", cm)
	}
}

// A namespace that does not exist stops the migration before anything is
// written; a dry run says so in the report.
func TestRunNeedsTheNamespaces(t *testing.T) {
	ctx := context.Background()
	kube := kubefake.NewSimpleClientset(chainsInstall()...)
	o := Options{Namespaces: []string{"team-a", "team-c"}, Backends: builtIn, Kube: kube}
	if _, err := Run(ctx, o); err == nil || !strings.Contains(err.Error(), "namespace team-c does not exist") {
		t.Fatalf("err = %v", err)
	}
	if _, err := kube.CoreV1().ConfigMaps("team-a").Get(ctx, config.DefaultConfigMapName, metav1.GetOptions{}); err == nil {
		t.Error("team-a was written although team-c does not exist")
	}
	o.DryRun = true
	res, err := Run(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	var report bytes.Buffer
	res.WriteReport(&report)
	if !strings.Contains(report.String(), "namespace team-c\n  does not exist") {
		t.Errorf("report:\n%s", report.String())
	}
}

func TestDryRunWritesNothing(t *testing.T) {
	ctx := context.Background()
	kube := kubefake.NewSimpleClientset(chainsInstall()...)
	tk := tektonfake.NewSimpleClientset(pipeline("team-a", "build"))
	res, err := Run(ctx, Options{Namespaces: []string{"team-a"}, Backends: builtIn, Kube: kube, Tekton: tk,
		DryRun: true, PatchPipelines: true, Bundle: bundle})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range kube.Actions() {
		if a.GetVerb() != "get" {
			t.Errorf("dry run did %s %s", a.GetVerb(), a.GetResource().Resource)
		}
	}
	for _, a := range tk.Actions() {
		if a.GetVerb() != "list" {
			t.Errorf("dry run did %s %s", a.GetVerb(), a.GetResource().Resource)
		}
	}
	var out bytes.Buffer
	if err := res.WriteYAML(&out, false); err != nil {
		t.Fatal(err)
	}
	docs := decodeAll(t, out.Bytes())
	kinds := map[string]int{}
	for _, d := range docs {
		kinds[d["kind"].(string)]++
	}
	if kinds["ConfigMap"] != 1 || kinds["Secret"] != 1 || kinds["Role"] != 3 || kinds["RoleBinding"] != 3 || kinds["ServiceAccount"] != 1 || kinds["Pipeline"] != 1 {
		t.Errorf("printed %v", kinds)
	}
	if strings.Contains(out.String(), "S0VZ") { // base64 of KEY
		t.Error("the key file was printed without --show-secrets")
	}
	out.Reset()
	if err := res.WriteYAML(&out, true); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "S0VZ") {
		t.Error("--show-secrets did not print the key file")
	}
	var report bytes.Buffer
	res.WriteReport(&report)
	if !strings.Contains(report.String(), "nothing was written") || !strings.Contains(report.String(), "build: would get") {
		t.Errorf("report:\n%s", report.String())
	}
}

func decodeAll(t *testing.T, b []byte) []map[string]any {
	t.Helper()
	dec := yaml.NewYAMLOrJSONDecoder(bytes.NewReader(b), 4096)
	var out []map[string]any
	for {
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			if err.Error() == "EOF" {
				return out
			}
			t.Fatalf("the printed YAML does not parse: %v\n%s", err, b)
		}
		if m != nil {
			out = append(out, m)
		}
	}
}

// --from-file takes what kubectl get -o yaml prints (a List), a Secret as
// written by hand (stringData), and ignores, but lists, other objects.
func TestFromFiles(t *testing.T) {
	dir := t.TempDir()
	list := `apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: chains-config, namespace: tekton-chains}
  data: {artifacts.taskrun.format: slsa/v1}
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: config-logging, namespace: tekton-chains}
`
	secret := `{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "signing-secrets"}, "stringData": {"x509.pem": "PEM"}}`
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	src, err := FromFiles([]string{write("cm.yaml", list), "-"}, strings.NewReader(secret))
	if err != nil {
		t.Fatal(err)
	}
	if src.Config["artifacts.taskrun.format"] != "slsa/v1" || string(src.Secret["x509.pem"]) != "PEM" || len(src.Ignored) != 1 {
		t.Errorf("source = %+v", src)
	}

	if _, err := FromFiles([]string{write("none.yaml", "apiVersion: v1\nkind: Secret\nmetadata: {name: signing-secrets}\n")}, nil); err == nil ||
		!strings.Contains(err.Error(), "kubectl get configmap chains-config") {
		t.Errorf("no chains-config: err = %v", err)
	}
	two := write("two.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: chains-config}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: chains-config}\n")
	if _, err := FromFiles([]string{two}, nil); err == nil || !strings.Contains(err.Error(), "a second ConfigMap") {
		t.Errorf("two chains-configs: err = %v", err)
	}
}

func TestFromClusterNamesTheFlag(t *testing.T) {
	_, err := FromCluster(context.Background(), kubefake.NewSimpleClientset(), "chains")
	if err == nil || !strings.Contains(err.Error(), "--chains-namespace") {
		t.Errorf("err = %v", err)
	}
}

func TestOptionsNameTheFlag(t *testing.T) {
	kube := kubefake.NewSimpleClientset()
	for name, tc := range map[string]struct {
		o    Options
		want string
	}{
		"no namespace":            {Options{Kube: kube}, "--namespace"},
		"bad namespace":           {Options{Kube: kube, Namespaces: []string{"Team_A"}}, `--namespace "Team_A"`},
		"the Chains namespace":    {Options{Kube: kube, Namespaces: []string{"tekton-chains"}}, "is the Chains namespace"},
		"patch without bundle":    {Options{Kube: kube, Namespaces: []string{"a"}, PatchPipelines: true}, "--bundle"},
		"bundle without patch":    {Options{Kube: kube, Namespaces: []string{"a"}, Bundle: bundle}, "--patch-pipelines"},
		"not a key":               {Options{Kube: kube, Namespaces: []string{"a"}, RekorPublicKey: []byte("key")}, "--rekor-public-key"},
		"no cluster to write to":  {Options{Namespaces: []string{"a"}, FromFiles: []string{"x"}}, "--kubeconfig"},
		"no cluster to read from": {Options{Namespaces: []string{"a"}, DryRun: true}, "--from-file"},
	} {
		t.Run(name, func(t *testing.T) {
			err := tc.o.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to mention %q", err, tc.want)
			}
		})
	}
	if err := (Options{Namespaces: []string{"a"}, FromFiles: []string{"x"}, DryRun: true}).Validate(); err != nil {
		t.Errorf("an offline dry run from files: %v", err)
	}
}

// The annotate Roles are written where runs are marked signed: the
// PipelineRun always, TaskRuns when they are signed, whatever the storage; and
// the names migrate looks for are those of tasks/rbac*.yaml.
func TestRBACFollowsStorage(t *testing.T) {
	for _, tc := range []struct {
		config map[string]string
		roles  []string
		secret bool
	}{
		{map[string]string{}, []string{"chainseal", annotateRBAC, annotateTaskRunsRBAC}, true},
		{map[string]string{config.KeyPipelineRunStorage: "oci", config.KeyTaskRunStorage: ""}, []string{"chainseal", annotateRBAC}, true},
		{map[string]string{config.KeyPipelineRunStorage: "oci", config.KeyTaskRunStorage: "oci"}, []string{"chainseal", annotateRBAC, annotateTaskRunsRBAC}, true},
		{map[string]string{config.KeyTaskRunSigner: "none"}, []string{"chainseal", annotateRBAC}, true},
		{with(kms), []string{"chainseal", annotateRBAC, annotateTaskRunsRBAC}, false},
	} {
		src := Source{Config: tc.config, ConfigFrom: "test", Secret: map[string][]byte{signing.FileX509Key: []byte("PEM")}, SecretFrom: "test"}
		tr, err := Translate(src, "team-a", opts())
		if err != nil {
			t.Fatal(err)
		}
		objs, err := tr.Objects()
		if err != nil {
			t.Fatal(err)
		}
		var roles []string
		secret := false
		for _, o := range objs {
			switch o.(type) {
			case *rbacv1.Role:
				roles = append(roles, o.GetName())
			case *corev1.Secret:
				secret = true
			}
			if o.GetNamespace() != "team-a" {
				t.Errorf("%s is not in team-a", Describe(o))
			}
		}
		if !slices.Equal(roles, tc.roles) || secret != tc.secret {
			t.Errorf("config %v: roles %v, secret %v; want %v, %v", tc.config, roles, secret, tc.roles, tc.secret)
		}
	}
	for src, name := range map[*[]byte]string{&tasks.RBAC: annotateRBAC, &tasks.RBACTaskRuns: annotateTaskRunsRBAC} {
		objs, err := rbacObjects(*src)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(objs, func(o Object) bool { return o.GetName() == name }) {
			t.Errorf("tasks RBAC has no %s", name)
		}
	}
}

// A key file goes only where a signer reads it; a missing one is a todo.
func TestSigningFiles(t *testing.T) {
	all := map[string][]byte{
		signing.FileCosignKey: []byte("K"), signing.FileCosignPassword: []byte("P"), signing.FileCosignPub: []byte("PUB"),
		signing.FilePGPPrivateKey: []byte("G"), "ca.crt": []byte("C"),
	}
	tr, err := Translate(Source{Config: map[string]string{}, ConfigFrom: "t", Secret: all, SecretFrom: "Secret tekton-chains/signing-secrets"}, "team-a", opts())
	if err != nil {
		t.Fatal(err)
	}
	if got := slices.Sorted(maps.Keys(tr.Secret)); !slices.Equal(got, []string{signing.FileCosignKey, signing.FileCosignPassword, signing.FileCosignPub}) {
		t.Errorf("copied %v", got)
	}
	reasons := map[string]string{}
	for _, n := range tr.Notes {
		reasons[n.Key] += string(n.Status) + ": " + n.Reason
	}
	if !strings.Contains(reasons["signing-secrets/pgp.private-key"], "no signer of this namespace reads it") ||
		!strings.Contains(reasons["signing-secrets/ca.crt"], "not a file chainseal reads") ||
		!strings.Contains(reasons["Secret team-a/chainseal-signing"], "can sign as Chains did") {
		t.Errorf("notes: %v", reasons)
	}

	tr, err = Translate(Source{Config: map[string]string{}, ConfigFrom: "t"}, "team-a", opts())
	if err != nil {
		t.Fatal(err)
	}
	if b := tr.Blocking(); len(b) != 1 || !strings.Contains(b[0].Todo, "x509.pem or cosign.key") {
		t.Errorf("no key at all: blocking %+v", b)
	}

	tr, err = Translate(Source{Config: with(nil, config.KeyFulcioEnabled, "true"), ConfigFrom: "t", Secret: all}, "team-a", opts())
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.Secret) != 0 {
		t.Errorf("keyless copied %v", slices.Collect(maps.Keys(tr.Secret)))
	}
}

// The printed ConfigMap reads back as the same data: what kubectl apply
// of the --dry-run output would write.
func TestPrintedConfigMapReadsBack(t *testing.T) {
	tr, err := Translate(Source{Config: fullChainsConfig(), ConfigFrom: "t"}, "team-a", opts())
	if err != nil {
		t.Fatal(err)
	}
	objs, err := tr.Objects()
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	res := &Result{Namespaces: []*Namespace{{Translation: tr}}}
	for _, o := range objs {
		res.Namespaces[0].Changes = append(res.Namespaces[0].Changes, Change{Object: o, Action: Print})
	}
	if err := res.WriteYAML(&out, false); err != nil {
		t.Fatal(err)
	}
	for _, d := range decodeAll(t, out.Bytes()) {
		if d["kind"] != "ConfigMap" {
			continue
		}
		b, _ := sigsyaml.Marshal(d)
		var cm corev1.ConfigMap
		if err := sigsyaml.UnmarshalStrict(b, &cm); err != nil {
			t.Fatal(err)
		}
		if len(cm.Data) != len(tr.Config) || cm.Data[config.KeyKMSAuthKubernetesRole] != "chainseal-team-a" {
			t.Errorf("printed ConfigMap data %v, want %v", cm.Data, tr.Config)
		}
	}
}
