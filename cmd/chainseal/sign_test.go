package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	intoto "github.com/in-toto/attestation/go/v1"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/chainseal/chainseal/internal/sigtest"
	"github.com/chainseal/chainseal/pkg/seal"
	"github.com/chainseal/chainseal/pkg/storage"
	"github.com/chainseal/chainseal/pkg/tekton/tektontest"
)

// execute runs the chainseal command line as main does, returning stdout,
// stderr and the error main would print.
func execute(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	cmd := newRootCommand()
	var out, errb bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&errb)
	cmd.SetArgs(args)
	err := cmd.Execute()
	return out.String(), errb.String(), err
}

func exitCode(err error) int {
	var ec interface{ ExitCode() int }
	if errors.As(err, &ec) {
		return ec.ExitCode()
	}
	if err != nil {
		return 1
	}
	return 0
}

// writeRun writes the run as YAML files, one per object, and returns the
// --from-file flags that name them.
func writeRun(t *testing.T, r *tektontest.Run) []string {
	t.Helper()
	var flags []string
	for _, f := range r.WriteFiles(t) {
		flags = append(flags, "--from-file", f)
	}
	return flags
}

func buildRun() *tektontest.Run {
	r := tektontest.NewRun("payments", "release-7q2xk")
	r.Add(tektontest.Task{Name: "build", Steps: []string{"build"}, Results: []string{
		"IMAGE_URL", "registry.example/payments/api:1.2",
		"IMAGE_DIGEST", "sha256:" + tektontest.Digest("api"),
	}})
	r.Add(tektontest.Task{Name: "chainseal", Finally: true, Steps: []string{"sign"}, Running: true})
	return r
}

func TestSignDryRunPrintsValidStatementsAndSignsNothing(t *testing.T) {
	files := writeRun(t, buildRun())
	args := append([]string{"sign", "--dry-run", "--taskrun", "release-7q2xk-chainseal", "--results-dir", ""}, files...)
	out, _, err := execute(t, args...)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("want the statement and one simplesigning payload, one per line; got %d lines:\n%s", len(lines), out)
	}
	var st intoto.Statement
	if err := protojson.Unmarshal([]byte(lines[0]), &st); err != nil {
		t.Fatalf("line 1 is not an in-toto statement: %v", err)
	}
	if err := st.Validate(); err != nil {
		t.Fatalf("statement does not validate: %v", err)
	}
	if st.PredicateType != "https://slsa.dev/provenance/v1" || len(st.Subject) != 1 || st.Subject[0].Digest["sha256"] != tektontest.Digest("api") {
		t.Fatalf("unexpected statement: type %s subjects %v", st.PredicateType, st.Subject)
	}
	var ss map[string]any
	if err := json.Unmarshal([]byte(lines[1]), &ss); err != nil || !strings.Contains(lines[1], "cosign container image signature") {
		t.Fatalf("line 2 is not a simplesigning payload: %s", lines[1])
	}
	// Same input, same bytes.
	again, _, _ := execute(t, args...)
	if again != out {
		t.Fatal("a second dry run gave different bytes")
	}
}

// A pipeline that builds nothing (lint, tests, docs) must not fail because
// of its signer: by default (chainseal.no-artifacts: succeed) the finally
// task succeeds, signs and marks nothing, says so, and writes every
// declared result, empty.
func TestSignNoArtifactsSucceedsByDefault(t *testing.T) {
	r := tektontest.NewRun("payments", "docs-only")
	r.Add(tektontest.Task{Name: "lint", Steps: []string{"lint"}})
	results := t.TempDir()
	out, _, err := execute(t, append([]string{"sign", "--results-dir", results, "--secret-dir", t.TempDir(), "--config", "artifacts.oci.signer=none"}, writeRun(t, r)...)...)
	if err != nil {
		t.Fatalf("exit %d: %v; want 0 for a run that names no artifacts", exitCode(err), err)
	}
	if !strings.Contains(out, "nothing was signed") || !strings.Contains(out, "chainseal.no-artifacts") {
		t.Errorf("stdout does not say nothing was signed, and which key changes that:\n%s", out)
	}
	for _, k := range []string{"ATTESTATION_DIGEST", "ATTESTATION_REF", "REKOR_LOG_INDEX", "REKOR_UUID", "SIGNED_SUBJECTS"} {
		if b, err := os.ReadFile(filepath.Join(results, k)); err != nil || len(b) != 0 {
			t.Errorf("result %s = %q, %v; want it written, empty", k, b, err)
		}
	}
}

// A team whose pipelines must produce something sets
// chainseal.no-artifacts: fail and gets exit 3, distinct from a failure.
func TestSignNoArtifactsFailsWhenConfigured(t *testing.T) {
	r := tektontest.NewRun("payments", "docs-only")
	r.Add(tektontest.Task{Name: "lint", Steps: []string{"lint"}})
	for _, dry := range []string{"--dry-run", "--dry-run=false"} {
		_, _, err := execute(t, append([]string{"sign", dry, "--results-dir", "", "--secret-dir", t.TempDir(), "--config", "chainseal.no-artifacts=fail"}, writeRun(t, r)...)...)
		if exitCode(err) != exitNoArtifacts || !strings.Contains(err.Error(), "nothing was signed") {
			t.Fatalf("%s: want exit %d saying nothing was signed, got %d: %v", dry, exitNoArtifacts, exitCode(err), err)
		}
	}
}

func TestSignBadInput(t *testing.T) {
	dir := t.TempDir()
	cm := filepath.Join(dir, "cm.yaml")
	os.WriteFile(cm, []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"), 0o644)
	good := writeRun(t, buildRun())
	cases := []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"no run named", []string{"sign"}, 2, []string{"--namespace", "--pipelinerun", "--from-file"}},
		{"not a tekton object", []string{"sign", "--dry-run", "--from-file", cm}, 1, []string{cm, "ConfigMap"}},
		{"missing file", []string{"sign", "--dry-run", "--from-file", filepath.Join(dir, "nope.yaml")}, 1, []string{"nope.yaml"}},
		{"bad config value", append([]string{"sign", "--dry-run", "--config", "artifacts.pipelinerun.format=slsa/v9"}, good...), 1, []string{"artifacts.pipelinerun.format", "slsa/v2alpha4"}},
		{"malformed config flag", append([]string{"sign", "--dry-run", "--config", "oops"}, good...), 2, []string{"key=value"}},
		{"bad log format", append([]string{"sign", "--log-format", "xml"}, good...), 2, []string{"--log-format"}},
		{"wrong uid", append([]string{"sign", "--dry-run", "--pipelinerun-uid", "not-the-uid"}, good...), 1, []string{"not-the-uid"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := execute(t, tc.args...)
			if exitCode(err) != tc.code {
				t.Fatalf("exit %d, want %d: %v", exitCode(err), tc.code, err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

// offlineSign is `chainseal sign` of buildRun from files with a key file
// and the file backend: a whole seal with no cluster and no registry. It
// returns the arguments and the file backend's directory.
func offlineSign(t *testing.T) ([]string, string) {
	t.Helper()
	keys := t.TempDir()
	sigtest.WriteKeyFile(t, filepath.Join(keys, "x509.pem"))
	store := t.TempDir()
	args := append([]string{"sign", "--taskrun", "release-7q2xk-chainseal", "--secret-dir", keys,
		"--config", "artifacts.pipelinerun.storage=file", "--config", "storage.file.dir=" + store,
		"--config", "artifacts.oci.signer=none"}, writeRun(t, buildRun())...)
	return args, store
}

// Once every store holds the attestation (and the run is marked signed),
// the finally task must not fail: a result that cannot be written is a
// warning, not exit 1 and a failed PipelineRun.
func TestSignNeverFailsAfterSealing(t *testing.T) {
	args, store := offlineSign(t)
	notADir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notADir, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	_, stderr, err := execute(t, append(args, "--results-dir", notADir)...)
	if err != nil {
		t.Fatalf("exit %d after sealing: %v", exitCode(err), err)
	}
	if !strings.Contains(stderr, "results") || !strings.Contains(stderr, "--results-dir") {
		t.Errorf("stderr does not warn that the results were not written:\n%s", stderr)
	}
	if _, err := os.Stat(filepath.Join(store, "payments", "pipelinerun-release-7q2xk-"+string(buildRun().PipelineRun.UID))); err != nil {
		t.Errorf("the attestation is not in the file store: %v", err)
	}
}

// A list result too long for Tekton holds a count and a digest; the step
// log holds the list itself, the exact lines the digest is of.
func TestCappedResultsAreListedInTheLog(t *testing.T) {
	a := storage.Attestation{Object: storage.Object{Kind: "PipelineRun", Namespace: "ns", Name: "p"}}
	for i := range 300 {
		a.Subjects = append(a.Subjects, storage.Subject{Name: fmt.Sprintf("registry.example/app-%03d", i), Digest: map[string]string{"sha256": tektontest.Digest(fmt.Sprint(i))}})
	}
	r := &seal.Report{Attestations: []storage.Attestation{a}}
	var out bytes.Buffer
	printCappedLists(&out, r)
	list := r.Lists()[seal.ResultSignedSubjects]
	sum := sha256.Sum256([]byte(strings.Join(list, "\n")))
	if !strings.Contains(r.Results()[seal.ResultSignedSubjects], hex.EncodeToString(sum[:])) {
		t.Fatalf("SIGNED_SUBJECTS = %q, want the digest of the list", r.Results()[seal.ResultSignedSubjects])
	}
	if !strings.Contains(out.String(), strings.Join(list, "\n")+"\n") {
		t.Errorf("the log does not list the 300 subjects:\n%s", out.String())
	}
	out.Reset()
	a.Subjects = a.Subjects[:1]
	printCappedLists(&out, &seal.Report{Attestations: []storage.Attestation{a}})
	if out.Len() != 0 {
		t.Errorf("printed %q for a list that fits in its result", out.String())
	}
}

// With the transparency log on, its key must be pinned (config key, flag or
// the Task's param); the PEM flag reaches the log client.
func TestSignPinsTheLogKey(t *testing.T) {
	t.Setenv("SIGSTORE_REKOR_PUBLIC_KEY", "")
	args, _ := offlineSign(t)
	args = append(args, "--config", "transparency.enabled=true", "--config", "transparency.url=http://127.0.0.1:1")
	_, _, err := execute(t, args...)
	if err == nil || !strings.Contains(err.Error(), "transparency.publickey") {
		t.Fatalf("no log key: err = %v, want one naming transparency.publickey", err)
	}
	_, _, err = execute(t, append(args, "--rekor-public-key-pem", "not a key")...)
	if err == nil || !strings.Contains(err.Error(), "--rekor-public-key") || !strings.Contains(err.Error(), "PEM") {
		t.Fatalf("a bad PEM flag: err = %v, want one naming --rekor-public-key and the PEM", err)
	}
	_, _, err = execute(t, append(args, "--rekor-public-key-pem", "x", "--rekor-public-key", "y")...)
	if exitCode(err) != 2 {
		t.Errorf("both key flags: exit %d (%v), want 2", exitCode(err), err)
	}
}

// hungAPIServer is a kubeconfig for a test double of a Kubernetes API
// server that accepts requests and never answers.
func hungAPIServer(t *testing.T) string {
	t.Helper()
	kc := filepath.Join(t.TempDir(), "kubeconfig")
	cfg := fmt.Sprintf("apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: %q}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n", sigtest.HungServerDouble(t))
	if err := os.WriteFile(kc, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return kc
}

// executeWithin runs the command line and fails the test if it has not
// returned after d.
func executeWithin(t *testing.T, d time.Duration, args ...string) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { _, _, err := execute(t, args...); done <- err }()
	select {
	case err := <-done:
		return err
	case <-time.After(d):
		t.Fatalf("chainseal %s still running after %s", strings.Join(args, " "), d)
		return nil
	}
}

// The whole of `chainseal sign` has a deadline (--timeout, the Task's
// timeout param): a hung API server, KMS, registry or log ends the run with
// an error naming the flag, not at Tekton's timeout.
func TestSignStopsAtItsDeadline(t *testing.T) {
	kc := hungAPIServer(t)
	err := executeWithin(t, 10*time.Second, "sign", "--kubeconfig", kc, "-n", "payments", "--pipelinerun", "release-7q2xk", "--timeout", "1s")
	if exitCode(err) != 1 || !strings.Contains(err.Error(), "within 1s") || !strings.Contains(err.Error(), "--timeout") {
		t.Fatalf("exit %d: %v; want exit 1 saying sign did not finish within 1s (--timeout)", exitCode(err), err)
	}
}

// Each Kubernetes call has its own timeout, under the run's deadline.
func TestKubernetesCallsTimeOut(t *testing.T) {
	defer func(d time.Duration) { kubeCallTimeout = d }(kubeCallTimeout)
	kubeCallTimeout = 300 * time.Millisecond
	kc := hungAPIServer(t)
	err := executeWithin(t, 10*time.Second, "sign", "--kubeconfig", kc, "-n", "payments", "--pipelinerun", "release-7q2xk", "--timeout", "0")
	// The first call is the config's (read before the run, so the key
	// loads while the run is read).
	if err == nil || !strings.Contains(err.Error(), "ConfigMap payments/chainseal-config") || !strings.Contains(err.Error(), "timeout=300ms") {
		t.Fatalf("err = %v, want a timeout reading the config", err)
	}
}

// `chainseal sign` on a workstation (no /tekton/results) writes no Task
// results and says nothing about them: --results-dir defaults to none
// outside a Tekton step.
func TestSignOnAWorkstationWritesNoResults(t *testing.T) {
	args, _ := offlineSign(t)
	_, stderr, err := execute(t, args...)
	if err != nil {
		t.Fatalf("exit %d: %v", exitCode(err), err)
	}
	if strings.Contains(stderr, "results") {
		t.Errorf("a workstation run talks about Task results:\n%s", stderr)
	}
}

// In a Tekton step (where /tekton/results exists) the results go there
// without the flag.
func TestSignInATektonStepWritesResults(t *testing.T) {
	defer func(d string) { tektonResultsDir = d }(tektonResultsDir)
	tektonResultsDir = t.TempDir()
	args, _ := offlineSign(t)
	if _, _, err := execute(t, args...); err != nil {
		t.Fatalf("exit %d: %v", exitCode(err), err)
	}
	got, err := os.ReadFile(filepath.Join(tektonResultsDir, "SIGNED_SUBJECTS"))
	if err != nil || !strings.HasPrefix(string(got), "registry.example/payments/api") {
		t.Errorf("SIGNED_SUBJECTS = %q, %v", got, err)
	}
}
