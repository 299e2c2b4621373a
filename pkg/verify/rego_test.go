package verify

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writePolicy(t *testing.T, src string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "policy.rego")
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const policyV1 = `package signature

default allow := false

allow if {
	input.predicate.runDetails.builder.id == "https://github.com/chainseal/chainseal"
	count(deny) == 0
}

deny contains msg if {
	some tr in input.predicate.buildDefinition.internalParameters.chainseal.taskRuns
	not tr.succeeded
	msg := sprintf("TaskRun %s failed", [tr.name])
}
`

// cosign's examples are Rego v0; they must keep working.
const policyV0 = `package signature

allow {
	input.predicateType == "https://slsa.dev/provenance/v0.2"
}
`

func TestRegoPolicy(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name, policy, file string
		status             Status
		detail             string
	}{
		{"v1 allows", policyV1, "bundle", Pass, "allows the statement"},
		{"v1 denies with reasons", policyV1, "failed-task-allowed", Fail, "does not allow the statement: TaskRun release-7q2xk-integration failed"},
		{"v0 allows", policyV0, "build-push-slsa02", Pass, ""},
		{"v0 without deny rule says which rule", policyV0, "bundle", Fail, "data.signature.allow is not true"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := LoadRegoPolicy(ctx, writePolicy(t, tc.policy))
			if err != nil {
				t.Fatal(err)
			}
			c := p.check(ctx, loadStatement(t, tc.file))
			if c.Name != CheckPolicy || c.Status != tc.status || !strings.Contains(c.Detail, tc.detail) {
				t.Fatalf("got %s %s %q, want %s containing %q", c.Name, c.Status, c.Detail, tc.status, tc.detail)
			}
		})
	}
}

func TestRegoPolicyErrorsAreInconclusive(t *testing.T) {
	ctx := context.Background()
	tests := []struct{ name, src, want string }{
		{"syntax", "package signature\nallow if {{", "does not parse as Rego"},
		{"other package", "package mypolicy\nallow := true\n", "is in package mypolicy"},
		{"compile error", "package signature\nallow if { undefined_fn(input) }\n", "compiling the policy"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadRegoPolicy(ctx, writePolicy(t, tc.src))
			if !errors.Is(err, ErrInconclusive) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want ErrInconclusive containing %q", err, tc.want)
			}
		})
	}
	if _, err := LoadRegoPolicy(ctx, filepath.Join(t.TempDir(), "missing.rego")); !errors.Is(err, ErrInconclusive) || !strings.Contains(err.Error(), "reading the policy (--policy)") {
		t.Fatalf("missing file: %v", err)
	}
}

// docsPolicy is the example policy of docs/verify.md.
func docsPolicy(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "verify.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), "```rego\n")
	src, _, ok2 := strings.Cut(rest, "```")
	if !ok || !ok2 {
		t.Fatal("docs/verify.md has no rego block")
	}
	return src
}

// Attack (issue #13): --policy is evaluated on every statement, and the
// documented example policy passed on a TaskRun's own statement stored in
// the same .att tag (it has no taskRuns to deny), and on a PipelineRun
// statement whose failed TaskRun was deleted before chainseal read the
// run. The example a user copies must fail closed.
func TestDocumentedPolicyFailsClosed(t *testing.T) {
	ctx := context.Background()
	p, err := LoadRegoPolicy(ctx, writePolicy(t, docsPolicy(t)))
	if err != nil {
		t.Fatal(err)
	}
	deleted := withChainseal(t, "bundle", func(rec map[string]any) {
		rec["excluded"] = []any{
			map[string]any{"name": "release-7q2xk-chainseal", "pipelineTask": "chainseal", "reason": "the chainseal TaskRun itself"},
			map[string]any{"name": "release-7q2xk-test", "pipelineTask": "test", "reason": "listed in status.childReferences but not found"},
		}
	})
	custom := withChainseal(t, "bundle", func(rec map[string]any) {
		rec["customRuns"] = []any{map[string]any{"name": "release-7q2xk-approve", "pipelineTask": "approve", "kind": "CustomRun"}}
	})
	for name, st := range map[string]*statement{
		"a TaskRun's statement":    loadStatement(t, "taskrun-hermetic:build"),
		"a failed task":            loadStatement(t, "failed-task-allowed"),
		"a failed TaskRun deleted": deleted,
		"a CustomRun":              custom,
	} {
		if c := p.check(ctx, st); c.Status != Fail {
			t.Errorf("%s: %s %q, want the documented policy to deny", name, c.Status, c.Detail)
		}
	}
	own := withChainseal(t, "bundle", func(rec map[string]any) {
		rec["excluded"] = []any{map[string]any{"name": "release-7q2xk-chainseal", "pipelineTask": "chainseal", "reason": "the chainseal TaskRun itself"}}
	})
	if c := p.check(ctx, own); c.Status != Pass {
		t.Errorf("a sealed run: %s %q, want the documented policy to allow", c.Status, c.Detail)
	}
}
