//go:build stack

package sign_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/chainseal/chainseal/internal/demo"
	"github.com/chainseal/chainseal/internal/kubetest"
	"github.com/chainseal/chainseal/internal/stacktest"
	"github.com/chainseal/chainseal/pkg/config"
	"github.com/chainseal/chainseal/pkg/sign"
	"github.com/chainseal/chainseal/pkg/tekton/tektontest"
)

// Attack (issue #14): a tenant sets builder.id in its namespace's
// chainseal-config, so that `chainseal verify --builder-id` proves nothing.
// On the real API server, with chainseal reading as its ServiceAccount: the
// platform's ConfigMap in chainseal-system (readable through the platform's
// Role, not writable by the tenant) governs the namespace, and the run is
// refused with an error naming the platform's setting. Against the code
// before platform settings, the tenant's builder id was signed.
func TestTenantBuilderIDRefusedOnTheRealAPIServer(t *testing.T) {
	const platformBuilder = "https://ci.example/platform-builder"
	g := governedNamespace(t, map[string]string{config.KeyBuilderID: platformBuilder},
		map[string]string{config.KeyBuilderID: "https://evil.example/builder", config.KeyPipelineRunFormat: config.FormatSLSAv2alpha4})
	ctx, admin, env, ns, opts := g.ctx, g.admin, g.env, g.ns, g.opts
	_, err := sign.Run(ctx, opts)
	if err == nil || !strings.Contains(err.Error(), `"builder.id" is a platform setting`) ||
		!strings.Contains(err.Error(), "ConfigMap chainseal-system/chainseal-platform") {
		t.Fatalf("a tenant's builder.id under the platform's: err = %v, want refused naming the platform's ConfigMap", err)
	}
	t.Logf("refused: %v", err)
	// The same through --config (a tenant's own Task passes any flag).
	opts.ConfigMap, opts.Config = "", map[string]string{config.KeyBuilderID: "https://evil.example/builder"}
	if _, err := sign.Run(ctx, opts); err == nil || !strings.Contains(err.Error(), "platform setting") {
		t.Fatalf("builder.id through --config: err = %v, want refused", err)
	}

	// Without the tenant's key, the statement names the platform's builder.
	opts.Config = nil
	out, err := sign.Run(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	var st struct {
		Predicate struct {
			RunDetails struct {
				Builder struct{ ID string } `json:"builder"`
			} `json:"runDetails"`
		} `json:"predicate"`
	}
	if err := json.Unmarshal(out.Input.Statements[0].Payload, &st); err != nil {
		t.Fatal(err)
	}
	if st.Predicate.RunDetails.Builder.ID != platformBuilder {
		t.Fatalf("builder id %q, want the platform's %q", st.Predicate.RunDetails.Builder.ID, platformBuilder)
	}

	// And the tenant cannot write the platform's ConfigMap: it lives in
	// chainseal-system, where tenants have no role.
	kubetest.Role(t, admin, ns, "developer", rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"get", "list", "create", "update", "patch", "delete"}})
	dev := kubetest.KubeAs(t, env, kubetest.Token(t, admin, ns, "developer"))
	cm, err := admin.CoreV1().ConfigMaps(config.PlatformNamespace).Get(ctx, config.PlatformConfigMapName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cm.Data["namespace."+ns+"."+config.KeyBuilderID] = "https://evil.example/builder"
	if _, err := dev.CoreV1().ConfigMaps(config.PlatformNamespace).Update(ctx, cm, metav1.UpdateOptions{}); !apierrors.IsForbidden(err) {
		t.Fatalf("a developer of %s writing the platform's ConfigMap: err = %v, want 403", ns, err)
	}
}

// Attack (issue #14): the platform logs every run (transparency.enabled:
// "true") and a tenant sets "manual" in its namespace's chainseal-config.
// "manual" logs only the runs annotated
// chains.tekton.dev/transparency-upload: "true", so every run the tenant
// leaves unannotated would be signed and never reach Rekor, where an
// auditor looks. The code before this test took "manual" as "on" and
// allowed it; now the run is refused, naming the platform's setting.
func TestTenantCannotKeepRunsOutOfRekor(t *testing.T) {
	g := governedNamespace(t, map[string]string{config.KeyTransparencyEnabled: "true"},
		map[string]string{config.KeyTransparencyEnabled: "manual"})
	_, err := sign.Run(g.ctx, g.opts)
	if err == nil || !strings.Contains(err.Error(), `"transparency.enabled" is a platform setting`) {
		t.Fatalf("a tenant's transparency.enabled=manual under the platform's true: err = %v, want refused", err)
	}
	t.Logf("refused: %v", err)
	// The same through --config.
	g.opts.ConfigMap, g.opts.Config = "", map[string]string{config.KeyTransparencyEnabled: "manual"}
	if _, err := sign.Run(g.ctx, g.opts); err == nil || !strings.Contains(err.Error(), "platform setting") {
		t.Fatalf("transparency.enabled=manual through --config: err = %v, want refused", err)
	}
	// Logging every run stays allowed: it is what the platform asks.
	g.opts.Config = map[string]string{config.KeyTransparencyEnabled: "true"}
	if _, err := sign.Run(g.ctx, g.opts); err != nil {
		t.Fatalf("transparency.enabled=true under the platform's true: %v", err)
	}
}

// governed is a namespace the platform's ConfigMap governs, holding a
// PipelineRun "release" of one build task, and the options of a dry run
// that reads it as the chainseal ServiceAccount.
type governed struct {
	ctx   context.Context
	env   *stacktest.Env
	admin kubernetes.Interface
	ns    string
	opts  sign.Options
}

// governedNamespace sets platform as the platform's settings for a new
// namespace and tenant as the namespace's chainseal-config. The run holds
// tasks, or else one build task naming registry.example/app.
func governedNamespace(t *testing.T, platform, tenant map[string]string, tasks ...tektontest.Task) governed {
	t.Helper()
	env := stacktest.Load(t)
	admin := kubetest.Admin(t, env)
	ns := kubetest.Namespace(t, admin, "platform")
	ctx := context.Background()
	kubetest.Role(t, admin, ns, "chainseal",
		rbacv1.PolicyRule{APIGroups: []string{"tekton.dev"}, Resources: []string{"pipelineruns", "taskruns"}, Verbs: []string{"get", "list"}},
		rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"configmaps"}, ResourceNames: []string{config.DefaultConfigMapName}, Verbs: []string{"get"}})
	if err := demo.PlatformSettings(ctx, admin, ns, platform); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = demo.RemovePlatformSettings(context.Background(), admin, ns) })

	r := tektontest.NewRun(ns, "release")
	if len(tasks) == 0 {
		tasks = []tektontest.Task{{Name: "build", Steps: []string{"build"}, Results: []string{
			"IMAGE_URL", "registry.example/app", "IMAGE_DIGEST", "sha256:" + tektontest.Digest("app")}}}
	}
	for _, task := range tasks {
		r.Add(task)
	}
	kubetest.ApplyRun(t, kubetest.AdminTekton(t, env), r.PipelineRun, r.TaskRuns)
	tenantCM := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: config.DefaultConfigMapName}, Data: tenant}
	if _, err := admin.CoreV1().ConfigMaps(ns).Create(ctx, tenantCM, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	token := kubetest.Token(t, admin, ns, "chainseal")
	return governed{ctx: ctx, env: env, admin: admin, ns: ns, opts: sign.Options{
		Namespace: ns, PipelineRun: "release", ConfigMap: config.DefaultConfigMapName,
		PlatformConfig: config.DefaultPlatformConfig, DryRun: true,
		Kube: kubetest.CoreAs(t, env, token), Tekton: kubetest.TektonAs(t, env, token)}}
}
