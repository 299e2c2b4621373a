package compat

import (
	"regexp"
	"strings"
)

// Accepted is a known difference from Chains, with the reason it is kept.
// Each one is a row of the differences table in docs/provenance.md.
type Accepted struct {
	// Cases is a glob over case names; Except names cases (glob) in which
	// the difference must not occur.
	Cases, Except string
	// Path is a glob over the difference's path ("*" matches anything).
	Path   string
	Kind   Kind
	Reason string
}

// Matches reports whether the difference d in case c is this one.
func (a Accepted) Matches(c string, d Diff) bool {
	return d.Kind == a.Kind && glob(a.Cases, c) && !(a.Except != "" && glob(a.Except, c)) && glob(a.Path, d.Path)
}

func glob(pattern, s string) bool {
	re := "^" + strings.ReplaceAll(regexp.QuoteMeta(pattern), `\*`, ".*") + "$"
	return regexp.MustCompile(re).MatchString(s)
}

// Reasons, worded as in docs/provenance.md.
const (
	whyCoverage   = "coverage: chainseal signs from a finally task and records what it covered"
	whyFinishedOn = "finishedOn: the PipelineRun has not completed when a finally task signs; chainseal uses the latest completion of the covered TaskRuns"
	whyOrder      = "subjects order: sorted by name, then digest, for byte-identical re-runs"
	whyTags       = "subject annotations: a tag is kept as information, never as identity"
	whyFailed     = "failed tasks: their outputs are never subjects (so a failed TaskRun gets no in-toto TaskRun statement)"
	whyTEP0147    = "TEP-0147 status.artifacts: read by chainseal, not by Chains"
	whyURIDigest  = "*ARTIFACT_URI/*ARTIFACT_DIGEST: subjects in every format (Chains' slsa/v2alpha* ignores them)"
	whyOutputs    = "*ARTIFACT_OUTPUTS without isBuildArtifact: never subjects (Chains' v0.2 formats and slsa/v2alpha3 make them subjects)"
	whySHA1       = "digests: sha1 only for git; Chains' v0.2 formats and slsa/v2alpha3 accept it for any *ARTIFACT_DIGEST"
	whyStepV02    = "StepAction results: read in every format (Chains' v0.2 formats do not read step results)"
	whyHermetic   = "hermeticity: chainseal records, per task, whether Tekton enforced hermetic execution"
	whyStepAction = "remote StepActions: slsa/v2alpha4 records them (stepAction/<step>) as Chains v0.29 does; the Chains v0.28.1 this suite runs does not"
	whyNoSubjects = "TaskRun statements: a TaskRun without subjects gets none in the in-toto formats (in-toto requires a subject); the tekton format covers every TaskRun"
)

// PipelineRunAccepted are the accepted differences of PipelineRun statements.
var PipelineRunAccepted = []Accepted{
	{Cases: "*", Path: "predicate.buildDefinition.internalParameters.chainseal", Kind: OnlyChainseal, Reason: whyCoverage},
	{Cases: "*-slsa02", Path: "predicate.invocation.environment.chainseal", Kind: OnlyChainseal, Reason: whyCoverage},
	{Cases: "*", Except: "build-push-complete*", Path: "predicate.runDetails.metadata.finishedOn", Kind: OnlyChainseal, Reason: whyFinishedOn},
	{Cases: "*-slsa02", Except: "build-push-complete*", Path: "predicate.metadata.buildFinishedOn", Kind: OnlyChainseal, Reason: whyFinishedOn},
	{Cases: "*", Path: "subject", Kind: Order, Reason: whyOrder},
	{Cases: "*", Except: "*-slsa02", Path: "subject[*].annotations", Kind: OnlyChainseal, Reason: whyTags},
	{Cases: "failed-task-allowed*", Path: "subject[registry.example/half-baked|*]", Kind: OnlyChains, Reason: whyFailed},
	{Cases: "tep0147-artifacts*", Path: "subject", Kind: OnlyChainseal, Reason: whyTEP0147},
	{Cases: "tep0147-artifacts", Path: "predicate.buildDefinition.resolvedDependencies[inputs/result|git+https://git.example/app.git|*]", Kind: OnlyChainseal, Reason: whyTEP0147},
	{Cases: "tep0147-artifacts", Path: "predicate.runDetails.byproducts", Kind: OnlyChainseal, Reason: whyTEP0147},
	{Cases: "tep0147-artifacts-slsa02", Path: "predicate.materials[git+https://git.example/app.git|*]", Kind: OnlyChainseal, Reason: whyTEP0147},
	{Cases: "structured-results", Path: "subject[https://dl.example/bin|*]", Kind: OnlyChainseal, Reason: whyURIDigest},
	{Cases: "structured-results-slsa02", Path: "subject[pkg:generic/sbom.spdx.json|*]", Kind: OnlyChains, Reason: whyOutputs},
	{Cases: "invalid-reported-slsa02", Path: "subject[https://dl.example/bin|sha1:*]", Kind: OnlyChains, Reason: whySHA1},
	{Cases: "stepaction-results-slsa02", Path: "subject", Kind: OnlyChainseal, Reason: whyStepV02},
	{Cases: "stepaction-results-slsa02", Path: "predicate.materials[git+https://git.example/app.git|*]", Kind: OnlyChainseal, Reason: whyStepV02},
	{Cases: "remote-stepactions", Path: "predicate.buildDefinition.resolvedDependencies[stepAction/*]", Kind: OnlyChainseal, Reason: whyStepAction},
	{Cases: "remote-stepactions-slsa02", Path: "predicate.materials[git+https://git.example/app.git|*]", Kind: OnlyChainseal, Reason: whyStepV02},
	{Cases: "invalid-reported-v2alpha3", Path: "subject[https://dl.example/bin|sha1:*]", Kind: OnlyChains, Reason: whySHA1},
	{Cases: "structured-results-v2alpha3", Path: "subject[pkg:generic/sbom.spdx.json|*]", Kind: OnlyChains, Reason: whyOutputs},
	{Cases: "tep0147-artifacts-v2alpha3", Path: "predicate.buildDefinition.resolvedDependencies[inputs/result|git+https://git.example/app.git|*]", Kind: OnlyChainseal, Reason: whyTEP0147},
	{Cases: "tep0147-artifacts-v2alpha3", Path: "predicate.runDetails.byproducts", Kind: OnlyChainseal, Reason: whyTEP0147},
}

// TaskRunAccepted are the accepted differences of TaskRun statements.
// Case names are "<fixture>/<pipeline task>".
var TaskRunAccepted = []Accepted{
	{Cases: "build-push*/clone", Path: "(statement)", Kind: OnlyChains, Reason: whyNoSubjects},
	{Cases: "build-push*/notify", Path: "(statement)", Kind: OnlyChains, Reason: whyNoSubjects},
	{Cases: "bundle*/scan", Path: "(statement)", Kind: OnlyChains, Reason: whyNoSubjects},
	{Cases: "failed-task-allowed*/integration", Path: "(statement)", Kind: OnlyChains, Reason: whyFailed},
	{Cases: "*", Path: "subject", Kind: Order, Reason: whyOrder},
	{Cases: "*", Except: "*-slsa02/*", Path: "subject[*].annotations", Kind: OnlyChainseal, Reason: whyTags},
	{Cases: "tep0147-artifacts*/build", Path: "subject", Kind: OnlyChainseal, Reason: whyTEP0147},
	{Cases: "tep0147-artifacts/build", Path: "predicate.buildDefinition.resolvedDependencies[inputs/result|git+https://git.example/app.git|*]", Kind: OnlyChainseal, Reason: whyTEP0147},
	{Cases: "tep0147-artifacts/build", Path: "predicate.runDetails.byproducts", Kind: OnlyChainseal, Reason: whyTEP0147},
	{Cases: "tep0147-artifacts-slsa02/build", Path: "predicate.materials[git+https://git.example/app.git|*]", Kind: OnlyChainseal, Reason: whyTEP0147},
	{Cases: "structured-results/build", Path: "subject[https://dl.example/bin|*]", Kind: OnlyChainseal, Reason: whyURIDigest},
	{Cases: "structured-results-slsa02/build", Path: "subject[pkg:generic/sbom.spdx.json|*]", Kind: OnlyChains, Reason: whyOutputs},
	{Cases: "invalid-reported-slsa02/build", Path: "subject[https://dl.example/bin|sha1:*]", Kind: OnlyChains, Reason: whySHA1},
	{Cases: "hermetic/*", Except: "hermetic/publish", Path: "predicate.buildDefinition.internalParameters.chainseal", Kind: OnlyChainseal, Reason: whyHermetic},
	{Cases: "hermetic-slsa02/*", Except: "hermetic-slsa02/publish", Path: "predicate.invocation.environment.chainseal", Kind: OnlyChainseal, Reason: whyHermetic},
	{Cases: "stepaction-results-slsa02/build", Path: "subject", Kind: OnlyChainseal, Reason: whyStepV02},
	{Cases: "stepaction-results-slsa02/build", Path: "predicate.materials[git+https://git.example/app.git|*]", Kind: OnlyChainseal, Reason: whyStepV02},
	{Cases: "stepaction-results-v2alpha3/build", Path: "(statement)", Kind: OnlyChains, Reason: whyNoSubjects},
	{Cases: "remote-stepactions/build", Path: "predicate.buildDefinition.resolvedDependencies[stepAction/*]", Kind: OnlyChainseal, Reason: whyStepAction},
	{Cases: "remote-stepactions-slsa02/build", Path: "predicate.materials[git+https://git.example/app.git|*]", Kind: OnlyChainseal, Reason: whyStepV02},
	{Cases: "hermetic-v2alpha3/*", Except: "hermetic-v2alpha3/publish", Path: "predicate.buildDefinition.internalParameters.chainseal", Kind: OnlyChainseal, Reason: whyHermetic},
	{Cases: "invalid-reported-v2alpha3/build", Path: "subject[https://dl.example/bin|sha1:*]", Kind: OnlyChains, Reason: whySHA1},
	{Cases: "structured-results-v2alpha3/build", Path: "subject[pkg:generic/sbom.spdx.json|*]", Kind: OnlyChains, Reason: whyOutputs},
	{Cases: "tep0147-artifacts-v2alpha3/build", Path: "predicate.buildDefinition.resolvedDependencies[inputs/result|git+https://git.example/app.git|*]", Kind: OnlyChainseal, Reason: whyTEP0147},
	{Cases: "tep0147-artifacts-v2alpha3/build", Path: "predicate.runDetails.byproducts", Kind: OnlyChainseal, Reason: whyTEP0147},
}

// Check sorts the differences of every case into unaccepted ones (case →
// differences) and returns the accepted entries that matched nothing,
// which are stale: the difference is gone and the entry must go too.
func Check(diffs map[string][]Diff, accepted []Accepted) (unaccepted map[string][]Diff, stale []Accepted) {
	used := make([]bool, len(accepted))
	unaccepted = map[string][]Diff{}
	for c, ds := range diffs {
		for _, d := range ds {
			ok := false
			for i, a := range accepted {
				if a.Matches(c, d) {
					used[i], ok = true, true
				}
			}
			if !ok {
				unaccepted[c] = append(unaccepted[c], d)
			}
		}
	}
	for i, a := range accepted {
		if !used[i] {
			stale = append(stale, a)
		}
	}
	return unaccepted, stale
}
