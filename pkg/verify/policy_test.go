package verify

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/chainseal/chainseal/pkg/tekton"
)

func loadStatement(t *testing.T, name string) *statement {
	t.Helper()
	st, err := parseStatement(goldenStatement(t, name))
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// The fixtures are statements chainseal's provenance package wrote (its
// golden files, read where they are), so the checks read the real layout.
var built = time.Date(2026, 3, 1, 10, 0, 2, 0, time.UTC)

func TestRequirements(t *testing.T) {
	const (
		bundleRef = "registry.example/tekton/pipelines:v3@sha256:9789c7984229117d115836bb9583486f56bd3cc2e9dd8e982cc757a25647ca8a"
		gitRef    = "git+https://git.example/ci@sha1:23bf0d244a4cb62c85fc3aa0e8ebf8eb7eb97052"
		appCommit = "9505cacb7c710ed17125fcc6cb3669e8ddca6c8c"
	)
	tests := []struct {
		name   string
		file   string
		req    Requirements
		status Status
		detail string // a fragment of the detail
	}{
		{"builder id", "bundle", Requirements{BuilderID: "https://github.com/chainseal/chainseal"}, Pass, "builder id is https://github.com/chainseal/chainseal"},
		{"other builder id", "bundle", Requirements{BuilderID: "https://example.com/other"}, Fail, `want "https://example.com/other"`},
		{"builder id v0.2", "build-push-slsa02", Requirements{BuilderID: "https://github.com/chainseal/chainseal"}, Pass, ""},
		{"pipeline bundle ref", "bundle", Requirements{Pipeline: bundleRef}, Pass, "Tekton resolved the Pipeline from registry.example/tekton/pipelines:v3@sha256:"},
		{"pipeline bundle other digest", "bundle", Requirements{Pipeline: "registry.example/tekton/pipelines:v3@sha256:" + strings.Repeat("0", 64)}, Fail, "want registry.example/tekton/pipelines:v3@sha256:0000"},
		{"pipeline git ref", "git", Requirements{Pipeline: gitRef}, Pass, ""},
		{"pipeline git ref without git+", "git", Requirements{Pipeline: "https://git.example/ci.git@sha1:23bf0d244a4cb62c85fc3aa0e8ebf8eb7eb97052"}, Pass, ""},
		{"pipeline ref of an in-cluster pipeline", "failed-task-allowed", Requirements{Pipeline: gitRef}, Fail, "records no source Tekton resolved the Pipeline from"},
		{"pipeline git ref v0.2", "build-push-slsa02", Requirements{Pipeline: gitRef}, Fail, "records no source Tekton resolved the Pipeline from"},
		{"source uri and digest", "build-push-slsa02", Requirements{SourceURI: "https://git.example/payments/app", SourceDigest: "sha1:" + appCommit, AllowTenantSources: true}, Pass, "built from git+https://git.example/payments/app.git@sha1:"},
		{"source digest alone, any algorithm", "build-push-slsa02", Requirements{SourceDigest: appCommit, AllowTenantSources: true}, Pass, ""},
		{"source: the pipeline's git refSource", "git", Requirements{SourceURI: "https://git.example/ci", SourceDigest: "sha1:23bf0d244a4cb62c85fc3aa0e8ebf8eb7eb97052"}, Pass, "the Pipeline's source, as Tekton resolved it"},
		{"source: a step image", "build-push", Requirements{SourceURI: "oci://ghcr.io/example/build"}, Pass, "a step or sidecar image"},
		{"source at another commit", "build-push-slsa02", Requirements{SourceURI: "git+https://git.example/payments/app.git", SourceDigest: "sha1:" + strings.Repeat("a", 40)}, Fail, "was used at git+https://git.example/payments/app.git@sha1:9505"},
		{"source never used", "bundle", Requirements{SourceURI: "git+https://git.example/other.git"}, Fail, "no resolved dependency is git+https://git.example/other.git"},
		{"max age within", "bundle", Requirements{MaxAge: time.Hour}, Pass, "the build finished 10m0s ago"},
		{"max age exceeded", "bundle", Requirements{MaxAge: time.Minute}, Fail, "more than --max-age 1m0s"},
		{"max age v0.2", "build-push-slsa02", Requirements{MaxAge: time.Hour}, Pass, ""},
		{"all tasks succeeded", "bundle", Requirements{AllTasksSucceeded: true}, Pass, "all 2 TaskRuns"},
		{"a task failed", "failed-task-allowed", Requirements{AllTasksSucceeded: true}, Fail, "1 of 2 TaskRuns failed: release-7q2xk-integration (pipeline task integration)"},
		{"namespace", "bundle", Requirements{Namespace: "payments"}, Pass, "the PipelineRun ran in namespace payments"},
		{"other namespace", "bundle", Requirements{Namespace: "billing"}, Fail, `ran in namespace "payments", want "billing"`},
		{"hermetic task", "hermetic", Requirements{Hermetic: []string{"build"}}, Pass, "1 TaskRuns ran hermetically"},
		{"hermetic requested, not enforced", "hermetic", Requirements{Hermetic: []string{"build", "test"}}, Fail, `test (hermetic execution was requested, but Tekton enforces it only with enable-api-fields "alpha"`},
		{"hermetic all", "hermetic", Requirements{Hermetic: []string{"all"}}, Fail, "publish (ran with network access)"},
		{"hermetic unknown task", "hermetic", Requirements{Hermetic: []string{"deploy"}}, Fail, "deploy (no such task in the provenance)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := loadStatement(t, tc.file)
			checks := tc.req.check(st, built.Add(10*time.Minute))
			if len(checks) != 1 {
				t.Fatalf("got %d checks, want 1: %+v", len(checks), checks)
			}
			c := checks[0]
			if c.Status != tc.status || !strings.Contains(c.Detail, tc.detail) {
				t.Fatalf("got %s %q, want %s containing %q", c.Status, c.Detail, tc.status, tc.detail)
			}
		})
	}
}

func TestRequirementsNamespaceNotRecorded(t *testing.T) {
	st := loadStatement(t, "bundle")
	st.prov.coverage.Namespace = ""
	if c := (Requirements{Namespace: "payments"}).check(st, built)[0]; c.Status != Fail || !strings.Contains(c.Detail, "does not record the PipelineRun's namespace") {
		t.Fatalf("no namespace recorded: %+v", c)
	}
}

func TestRequirementsOnANonProvenanceStatement(t *testing.T) {
	st, err := parseStatement([]byte(`{"_type":"https://in-toto.io/Statement/v1","predicateType":"https://cyclonedx.org/bom","subject":[],"predicate":{}}`))
	if err != nil {
		t.Fatal(err)
	}
	checks := Requirements{BuilderID: "x", AllTasksSucceeded: true}.check(st, built)
	if len(checks) != 2 {
		t.Fatalf("want one check per requirement, got %+v", checks)
	}
	for _, c := range checks {
		if c.Status != Fail || !strings.Contains(c.Detail, "is not SLSA provenance") {
			t.Fatalf("%+v", c)
		}
	}
}

func TestRequirementsOrderAndValidation(t *testing.T) {
	r := Requirements{BuilderID: "b", Namespace: "n", Pipeline: "p", SourceDigest: "sha256:" + strings.Repeat("a", 64), MaxAge: time.Hour, AllTasksSucceeded: true}
	got := strings.Join(r.names(), ",")
	if want := "builder-id,namespace,pipeline,source,max-age,tasks-succeeded"; got != want {
		t.Fatalf("names %s, want %s", got, want)
	}
	if err := (Requirements{SourceDigest: "main"}).validate(); err == nil || !strings.Contains(err.Error(), "--source-digest") {
		t.Fatalf("a branch name as --source-digest: %v", err)
	}
	if (Requirements{}).names() != nil {
		t.Fatal("no requirement must add no check")
	}
}

func TestSubject(t *testing.T) {
	st := loadStatement(t, "build-push-slsa02")
	d := digestRef(t, "registry.other/x@sha256:87eba76e7f3164534045ba922e7770fb58bbd14ad732bbf5ba6f11cc56989e6e")
	if c := checkSubject(st, d); c.Status != Pass || !strings.Contains(c.Detail, "registry.example/payments/worker") {
		t.Fatalf("digest of a subject under another name: %+v", c)
	}
	d = digestRef(t, "registry.example/payments/worker@sha256:"+strings.Repeat("1", 64))
	if c := checkSubject(st, d); c.Status != Fail || !strings.Contains(c.Detail, "is not a subject of the statement") {
		t.Fatalf("other digest: %+v", c)
	}
}

// Attack (issue #13): a TaskRun's own statement (stored in the same .att
// tag as the PipelineRun's) carries internalParameters.chainseal with a
// hermetic record only. Read as a coverage record, it covered no TaskRun,
// and the policies about the pipeline passed on it vacuously.
func TestPipelinePoliciesFailOnATaskRunStatement(t *testing.T) {
	st := loadStatement(t, "taskrun-hermetic:build")
	for _, req := range []Requirements{
		{AllTasksSucceeded: true},
		{Hermetic: []string{"all"}},
		{Hermetic: []string{"build"}},
		{Namespace: "payments"},
	} {
		c := req.check(st, built)[0]
		if c.Status != Fail || !strings.Contains(c.Detail, "a TaskRun's statement") {
			t.Errorf("%s on a TaskRun statement: %s %q, want a failure saying it is a TaskRun's statement", c.Name, c.Status, c.Detail)
		}
	}
}

// A coverage record that covers no TaskRun shows nothing about the tasks.
func TestPipelinePoliciesFailOnEmptyCoverage(t *testing.T) {
	st := loadStatement(t, "hermetic")
	st.prov.coverage.TaskRuns = st.prov.coverage.TaskRuns[:0]
	for _, req := range []Requirements{{AllTasksSucceeded: true}, {Hermetic: []string{"all"}}} {
		c := req.check(st, built)[0]
		if c.Status != Fail || !strings.Contains(c.Detail, "covers no TaskRun") {
			t.Errorf("%s on an empty coverage record: %s %q, want a failure", c.Name, c.Status, c.Detail)
		}
	}
}

// withChainseal is the golden statement name with its PipelineRun coverage
// record changed by edit (SLSA v1 statements).
func withChainseal(t *testing.T, name string, edit func(rec map[string]any)) *statement {
	t.Helper()
	var st map[string]any
	if err := json.Unmarshal(goldenStatement(t, name), &st); err != nil {
		t.Fatal(err)
	}
	rec := st["predicate"].(map[string]any)["buildDefinition"].(map[string]any)["internalParameters"].(map[string]any)["chainseal"].(map[string]any)
	edit(rec)
	b, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	s, err := parseStatement(b)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Attack (issue #13): a test TaskRun fails and is deleted before chainseal
// reads the run, so the coverage record lists it under excluded ("listed
// but not found") and not among the covered TaskRuns, which all
// succeeded. The same for a TaskRun that had not finished, one of another
// run of the same name, and a CustomRun, whose outcome is not recorded:
// none of them succeeded as far as the statement shows.
func TestTasksSucceededCountsChildrenNotShownToSucceed(t *testing.T) {
	excluded := func(name, task, reason string) func(map[string]any) {
		return func(rec map[string]any) {
			ex, _ := rec["excluded"].([]any)
			rec["excluded"] = append(ex, map[string]any{"name": name, "pipelineTask": task, "reason": reason})
		}
	}
	cases := []struct {
		name string
		edit func(map[string]any)
		want string
	}{
		{"deleted", excluded("release-7q2xk-test", "test", "listed in status.childReferences but not found"), "release-7q2xk-test (pipeline task test: listed in status.childReferences but not found)"},
		{"unfinished", excluded("release-7q2xk-test", "test", "not finished when read"), "release-7q2xk-test (pipeline task test: not finished when read)"},
		{"another run's", excluded("release-7q2xk-test", "test", "owned by another PipelineRun of the same name (different UID)"), "(pipeline task test: owned by another PipelineRun"},
		{"never ran", excluded("", "test", "in the pipeline spec, but neither a child nor a skipped task of the run"), "pipeline task test (in the pipeline spec"},
		{"a reason this verifier does not know", excluded("release-7q2xk-test", "test", "something new"), "release-7q2xk-test (pipeline task test: something new)"},
		{"a CustomRun", func(rec map[string]any) {
			rec["customRuns"] = []any{map[string]any{"name": "release-7q2xk-approve", "pipelineTask": "approve", "kind": "CustomRun"}}
		}, "release-7q2xk-approve (pipeline task approve: a CustomRun, whose outcome the statement does not record)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := withChainseal(t, "bundle", tc.edit)
			c := Requirements{AllTasksSucceeded: true}.check(st, built)[0]
			if c.Status != Fail || !strings.Contains(c.Detail, tc.want) {
				t.Fatalf("got %s %q, want a failure naming %q", c.Status, c.Detail, tc.want)
			}
			c = Requirements{Hermetic: []string{"all"}}.check(st, built)[0]
			if c.Status != Fail {
				t.Fatalf("hermetic all: got %s %q, want a failure", c.Status, c.Detail)
			}
		})
	}
	// chainseal's own TaskRun, and a TaskRun the PipelineRun does not list
	// as its child, are not the run's tasks.
	st := withChainseal(t, "bundle", func(rec map[string]any) {
		excluded("release-7q2xk-chainseal", "chainseal", "the chainseal TaskRun itself")(rec)
		excluded("release-7q2xk-stray", "", "not listed in the PipelineRun's status.childReferences")(rec)
	})
	if c := (Requirements{AllTasksSucceeded: true}).check(st, built)[0]; c.Status != Pass {
		t.Fatalf("own and unlisted TaskRuns: %s %q, want pass", c.Status, c.Detail)
	}
}

// The reasons the verifier does not count are the ones pkg/tekton writes.
func TestReasonsAreTektons(t *testing.T) {
	if reasonOwn != string(tekton.ReasonOwn) || reasonUnlisted != string(tekton.ReasonUnlisted) {
		t.Fatalf("reasons %q, %q; pkg/tekton writes %q, %q", reasonOwn, reasonUnlisted, tekton.ReasonOwn, tekton.ReasonUnlisted)
	}
}

// Attack (issue #13): a Pipeline's name is whatever the run says: a
// pipelineRef name (an in-cluster Pipeline anyone in the namespace may
// create), the resolver's name param, or the tekton.dev/pipeline label
// (which anyone may set). --pipeline NAME passed on any of them. Only
// where Tekton resolved the Pipeline from (refSource URI and digest)
// names the Pipeline; a name is bad usage.
func TestPipelineIsAResolvedReferenceNotAName(t *testing.T) {
	if err := (Requirements{Pipeline: "release"}).validate(); err == nil || !strings.Contains(err.Error(), "URI@ALG:HEX") {
		t.Fatalf("--pipeline release: %v, want a usage error asking for URI@ALG:HEX", err)
	}
	for _, file := range []string{"failed-task-allowed", "bundle", "build-push-slsa02"} {
		st := loadStatement(t, file)
		if c := (Requirements{Pipeline: "release"}).check(st, built)[0]; c.Status != Fail {
			t.Errorf("%s: --pipeline release: %s %q, want fail", file, c.Status, c.Detail)
		}
	}
}

// Attack (issue #13): CHAINS-GIT_URL/CHAINS-GIT_COMMIT results and
// *_ARTIFACT_INPUTS results are written by the tasks' own code, which is
// the tenant's: any task can claim any source. They are resolved
// dependencies ("inputs/result"; v0.2 materials, which carry no names),
// and --source-uri/--source-digest passed on them. They count only with
// --allow-tenant-sources; Tekton's own records (the Pipeline's and tasks'
// refSource, step images) always count.
func TestSourceFromTenantResultsNeedsAllowTenantSources(t *testing.T) {
	const app = "9505cacb7c710ed17125fcc6cb3669e8ddca6c8c"
	for _, file := range []string{"build-push", "build-push-slsa02"} {
		st := loadStatement(t, file)
		req := Requirements{SourceURI: "https://git.example/payments/app", SourceDigest: "sha1:" + app}
		if c := req.check(st, built)[0]; c.Status != Fail || !strings.Contains(c.Detail, "--allow-tenant-sources") {
			t.Errorf("%s: a source only a task's result names: %s %q, want a failure naming --allow-tenant-sources", file, c.Status, c.Detail)
		}
		req.AllowTenantSources = true
		if c := req.check(st, built)[0]; c.Status != Pass || !strings.Contains(c.Detail, "written by a task") {
			t.Errorf("%s: with --allow-tenant-sources: %s %q, want pass saying who wrote it", file, c.Status, c.Detail)
		}
	}
	// The task's refSource, which Tekton resolved.
	st := loadStatement(t, "git")
	req := Requirements{SourceURI: "https://git.example/catalog", SourceDigest: "sha1:652f55016243bf1b9f1bbea46d5749ef892dbe39"}
	if c := req.check(st, built)[0]; c.Status != Pass {
		t.Errorf("a task's git refSource: %s %q, want pass", c.Status, c.Detail)
	}
}
