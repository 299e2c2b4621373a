package verify

import (
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Requirements are the policy flags: each one set is one named check on
// every statement.
type Requirements struct {
	// BuilderID must equal the builder id (runDetails.builder.id).
	BuilderID string
	// Namespace must be the PipelineRun's namespace as chainseal recorded it.
	Namespace string
	// Pipeline is where the Pipeline's definition came from, as Tekton
	// resolved it: URI@ALG:HEX (a bundle or git refSource). Never a name: a
	// pipelineRef name, a resolver's name param or the tekton.dev/pipeline
	// label is whatever whoever created the run wrote.
	Pipeline string
	// SourceURI and SourceDigest (ALG:HEX, or HEX for any algorithm) must
	// match one resolved dependency (materials in SLSA v0.2).
	SourceURI, SourceDigest string
	// AllowTenantSources lets SourceURI and SourceDigest match dependencies
	// a task's own code wrote (type-hinted results: CHAINS-GIT_*,
	// *_ARTIFACT_INPUTS; SLSA v0.2 materials, which do not say who wrote
	// them). Without it only Tekton's records count: the refSource of the
	// Pipeline and of the tasks, and the step and sidecar images.
	AllowTenantSources bool
	// MaxAge bounds how long ago the build finished.
	MaxAge time.Duration
	// AllTasksSucceeded requires every TaskRun the statement covers to
	// have succeeded.
	AllTasksSucceeded bool
	// Hermetic lists pipeline tasks that must have run in Tekton's hermetic
	// execution mode (no network); "all" means every covered task.
	Hermetic []string
	// TrustedProducers are task references (prefixes of Tekton's resolved
	// refSource URIs: a bundle repository, a git URL): every task that
	// named the image a subject must have been resolved from one of them.
	TrustedProducers []string
}

func (r Requirements) validate() error {
	if r.Pipeline != "" {
		if _, _, _, ok := cutRef(r.Pipeline); !ok {
			return fmt.Errorf("--pipeline %q: give where Tekton resolved the Pipeline from, as URI@ALG:HEX (its bundle or git refSource, e.g. registry.example/tekton/pipelines:v3@sha256:…); a Pipeline's name or label is whatever the run says, so it is not accepted", r.Pipeline)
		}
	}
	if r.SourceDigest != "" {
		if _, _, ok := cutDigest(r.SourceDigest); !ok && !isHex(r.SourceDigest) {
			return fmt.Errorf("--source-digest %q: use ALG:HEX (sha256:…, sha1:…) or the hex alone", r.SourceDigest)
		}
	}
	if r.MaxAge < 0 {
		return fmt.Errorf("--max-age %s is negative", r.MaxAge)
	}
	return nil
}

// names lists the checks these requirements add, in report order.
func (r Requirements) names() []string {
	var out []string
	add := func(on bool, n string) {
		if on {
			out = append(out, n)
		}
	}
	add(r.BuilderID != "", CheckBuilderID)
	add(r.Namespace != "", CheckNamespace)
	add(r.Pipeline != "", CheckPipeline)
	add(r.SourceURI != "" || r.SourceDigest != "", CheckSource)
	add(r.MaxAge > 0, CheckMaxAge)
	add(r.AllTasksSucceeded, CheckTasksSucceeded)
	add(len(r.Hermetic) > 0, CheckHermetic)
	return out
}

func (r Requirements) check(st *statement, now time.Time) []Check {
	names := r.names()
	out := make([]Check, 0, len(names))
	p := st.prov
	for _, n := range names {
		if !p.known {
			out = append(out, fail(n, fmt.Sprintf("predicateType %s is not SLSA provenance (v1 or v0.2)", st.PredicateType)))
			continue
		}
		if aboutThePipeline(n) {
			if why := p.aboutThePipeline(); why != "" {
				out = append(out, fail(n, why))
				continue
			}
		}
		switch n {
		case CheckBuilderID:
			out = append(out, r.checkBuilder(p))
		case CheckNamespace:
			out = append(out, r.checkNamespace(p))
		case CheckPipeline:
			out = append(out, r.checkPipeline(p))
		case CheckSource:
			out = append(out, r.checkSource(p))
		case CheckMaxAge:
			out = append(out, r.checkAge(p, now))
		case CheckTasksSucceeded:
			out = append(out, checkTasks(p))
		case CheckHermetic:
			out = append(out, r.checkHermetic(p))
		}
	}
	return out
}

// aboutThePipeline reports whether check n is a policy about the pipeline
// as a whole, judged on a PipelineRun's statement only.
func aboutThePipeline(n string) bool {
	switch n {
	case CheckNamespace, CheckPipeline, CheckTasksSucceeded, CheckHermetic:
		return true
	}
	return false
}

func (r Requirements) checkBuilder(p provenance) Check {
	if p.builderID == r.BuilderID {
		return pass(CheckBuilderID, fmt.Sprintf("builder id is %s", p.builderID))
	}
	return fail(CheckBuilderID, fmt.Sprintf("builder id is %q, want %q", p.builderID, r.BuilderID))
}

func (r Requirements) checkNamespace(p provenance) Check {
	if p.coverage.Namespace == "" {
		return fail(CheckNamespace, "the statement does not record the PipelineRun's namespace (chainseal's internalParameters.chainseal.namespace)")
	}
	if p.coverage.Namespace == r.Namespace {
		return pass(CheckNamespace, "the PipelineRun ran in namespace "+r.Namespace)
	}
	return fail(CheckNamespace, fmt.Sprintf("the PipelineRun ran in namespace %q, want %q", p.coverage.Namespace, r.Namespace))
}

func (r Requirements) checkPipeline(p provenance) Check {
	uri, alg, hx, ok := cutRef(r.Pipeline)
	if !ok {
		return fail(CheckPipeline, fmt.Sprintf("--pipeline %q is not URI@ALG:HEX", r.Pipeline))
	}
	for _, s := range p.pipelineSource {
		if sameURI(s.URI, uri) && strings.EqualFold(s.Digest[alg], hx) {
			return pass(CheckPipeline, fmt.Sprintf("Tekton resolved the Pipeline from %s@%s:%s", s.URI, alg, short(hx)))
		}
	}
	var got []string
	for _, s := range p.pipelineSource {
		got = append(got, s.URI+"@"+digestString(s.Digest))
	}
	if len(got) == 0 {
		return fail(CheckPipeline, fmt.Sprintf("the statement records no source Tekton resolved the Pipeline from (a Pipeline from the cluster or inline), want %s", r.Pipeline))
	}
	return fail(CheckPipeline, fmt.Sprintf("the Pipeline came from %s, want %s", strings.Join(got, ", "), r.Pipeline))
}

func (r Requirements) checkSource(p provenance) Check {
	want := strings.TrimSpace(r.SourceURI + " " + r.SourceDigest)
	matches := func(d dependency) bool {
		return (r.SourceURI == "" || sameURI(d.URI, r.SourceURI)) && (r.SourceDigest == "" || digestMatches(d.Digest, r.SourceDigest))
	}
	var tenant []dependency
	for _, d := range p.dependencies {
		if !matches(d) {
			continue
		}
		if d.trusted {
			return pass(CheckSource, fmt.Sprintf("built from %s@%s (%s)", d.URI, digestString(d.Digest), d.origin()))
		}
		tenant = append(tenant, d)
	}
	if len(tenant) > 0 {
		d := tenant[0]
		if r.AllowTenantSources {
			return pass(CheckSource, fmt.Sprintf("built from %s@%s (%s; --allow-tenant-sources)", d.URI, digestString(d.Digest), d.origin()))
		}
		return fail(CheckSource, fmt.Sprintf("only %s records %s@%s, and a task can claim any source: pass --allow-tenant-sources to accept it", d.origin(), d.URI, digestString(d.Digest)))
	}
	var near []string
	for _, d := range p.dependencies {
		if r.SourceURI != "" && sameURI(d.URI, r.SourceURI) {
			near = append(near, d.URI+"@"+digestString(d.Digest))
		}
	}
	if len(near) > 0 {
		return fail(CheckSource, fmt.Sprintf("the source %s was used at %s, want digest %s", r.SourceURI, strings.Join(near, ", "), r.SourceDigest))
	}
	return fail(CheckSource, fmt.Sprintf("no resolved dependency is %s (%d dependencies recorded)", want, len(p.dependencies)))
}

func (r Requirements) checkAge(p provenance, now time.Time) Check {
	t, what := p.finished, "finished"
	if t == nil {
		t, what = p.started, "started"
	}
	if t == nil {
		return fail(CheckMaxAge, "the statement records no build time (finishedOn, startedOn)")
	}
	age := now.Sub(*t)
	if age > r.MaxAge {
		return fail(CheckMaxAge, fmt.Sprintf("the build %s %s ago (%s), more than --max-age %s", what, age.Round(time.Second), t.UTC().Format(time.RFC3339), r.MaxAge))
	}
	return pass(CheckMaxAge, fmt.Sprintf("the build %s %s ago (%s), within %s", what, age.Round(time.Second), t.UTC().Format(time.RFC3339), r.MaxAge))
}

func checkTasks(p provenance) Check {
	c := p.coverage
	if len(c.TaskRuns) == 0 {
		return fail(CheckTasksSucceeded, "the statement covers no TaskRun, so nothing shows the tasks succeeded")
	}
	var failed, unknown []string
	for _, tr := range c.TaskRuns {
		if !tr.Succeeded {
			failed = append(failed, fmt.Sprintf("%s (pipeline task %s)", tr.Name, tr.PipelineTask))
		}
	}
	for _, u := range c.notCovered() {
		unknown = append(unknown, u.String())
	}
	var why []string
	if len(failed) > 0 {
		why = append(why, fmt.Sprintf("%d of %d TaskRuns failed: %s", len(failed), len(c.TaskRuns), strings.Join(failed, ", ")))
	}
	if len(unknown) > 0 {
		why = append(why, fmt.Sprintf("%d children of the run are not shown to have succeeded: %s", len(unknown), strings.Join(unknown, ", ")))
	}
	if len(why) > 0 {
		return fail(CheckTasksSucceeded, strings.Join(why, "; "))
	}
	return pass(CheckTasksSucceeded, fmt.Sprintf("all %d TaskRuns the statement covers succeeded, and it covers every child of the run", len(c.TaskRuns)))
}

// checkHermetic requires the named pipeline tasks (or all) to have run
// hermetically, as Tekton enforced it; a requested but unenforced hermetic
// mode fails with Tekton's reason.
func (r Requirements) checkHermetic(p provenance) Check {
	c := p.coverage
	all := slices.Contains(r.Hermetic, "all")
	if all && len(c.TaskRuns) == 0 {
		return fail(CheckHermetic, "the statement covers no TaskRun, so nothing shows the tasks ran hermetically")
	}
	seen := map[string]bool{}
	var bad []string
	for _, tr := range c.TaskRuns {
		if !all && !slices.Contains(r.Hermetic, tr.PipelineTask) {
			continue
		}
		seen[tr.PipelineTask] = true
		switch {
		case tr.Hermetic:
		case tr.NotEnforced != "":
			bad = append(bad, fmt.Sprintf("%s (%s)", tr.PipelineTask, tr.NotEnforced))
		default:
			bad = append(bad, fmt.Sprintf("%s (ran with network access)", tr.PipelineTask))
		}
	}
	for _, u := range c.notCovered() {
		if all || slices.Contains(r.Hermetic, u.pipelineTask) {
			seen[u.pipelineTask] = true
			bad = append(bad, fmt.Sprintf("%s (not covered, so how it ran is unknown: %s)", u.pipelineTask, u.why))
		}
	}
	if !all {
		for _, want := range r.Hermetic {
			if !seen[want] {
				bad = append(bad, fmt.Sprintf("%s (no such task in the provenance)", want))
			}
		}
	}
	if len(bad) > 0 {
		return fail(CheckHermetic, "not hermetic: "+strings.Join(bad, "; "))
	}
	return pass(CheckHermetic, fmt.Sprintf("%d TaskRuns ran hermetically", len(seen)))
}

// cutDigest splits ALG:HEX for the algorithms chainseal writes.
func cutDigest(s string) (alg, hx string, ok bool) {
	alg, hx, ok = strings.Cut(s, ":")
	if !ok || !isHex(hx) {
		return "", "", false
	}
	switch alg {
	case "sha1", "sha256", "sha384", "sha512":
		return alg, strings.ToLower(hx), true
	}
	return "", "", false
}

// cutRef splits URI@ALG:HEX at the last "@".
func cutRef(s string) (uri, alg, hx string, ok bool) {
	i := strings.LastIndex(s, "@")
	if i <= 0 {
		return "", "", "", false
	}
	alg, hx, ok = cutDigest(s[i+1:])
	return s[:i], alg, hx, ok
}

func isHex(s string) bool {
	_, err := hex.DecodeString(s)
	return err == nil && len(s) >= 7
}

func digestMatches(d map[string]string, want string) bool {
	if alg, hx, ok := cutDigest(want); ok {
		return strings.EqualFold(d[alg], hx)
	}
	for _, v := range d {
		if strings.EqualFold(v, want) {
			return true
		}
	}
	return false
}

// sameURI compares dependency URIs the way people write them: with or
// without git+ or oci://, a trailing .git or slash.
func sameURI(a, b string) bool { return normURI(a) == normURI(b) }

func normURI(s string) string {
	s = strings.TrimPrefix(strings.TrimPrefix(s, "git+"), "oci://")
	return strings.TrimSuffix(strings.TrimSuffix(s, "/"), ".git")
}

func digestString(d map[string]string) string {
	keys := make([]string, 0, len(d))
	for k := range d {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k+":"+short(d[k]))
	}
	return strings.Join(parts, ",")
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}
