package artifacts

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/chainseal/chainseal/pkg/tekton"
	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
)

// Options choose what Extract reads.
type Options struct {
	// DeepInspection reads every covered TaskRun (and its steps), not only
	// the PipelineRun's results (artifacts.pipelinerun.enable-deep-inspection).
	DeepInspection bool
	// SkipFailed takes no subjects from TaskRuns whose last attempt failed;
	// their inputs are still read.
	SkipFailed bool
	// NoStepResults leaves step (StepAction) results unread, as Tekton
	// Chains' slsa/v2alpha3 and v0.2 formats do.
	NoStepResults bool
}

// Extract finds the subjects, materials, byproducts and problems of a snapshot.
func Extract(snap *tekton.Snapshot, opts Options) *Set {
	c := collector{by: pipelineResultProducers(snap), noSteps: opts.NoStepResults}
	pr := snap.PipelineRun
	prObj := fmt.Sprintf("PipelineRun %s/%s", pr.Namespace, pr.Name)
	prResults := make([]Result, 0, len(pr.Status.Results))
	for _, r := range pr.Status.Results {
		prResults = append(prResults, Result{Name: r.Name, Value: r.Value})
	}
	c.results(prObj, prResults, true)
	var git []Result
	if spec := pr.Status.PipelineSpec; spec != nil {
		git = append(git, defaults(spec.Params)...)
	}
	git = append(git, params(pr.Spec.Params)...)
	c.git(prObj, append(git, prResults...))

	if opts.DeepInspection {
		for _, tr := range snap.TaskRuns {
			c.taskRun(tr, !(opts.SkipFailed && tr.Failed))
		}
	}
	return &Set{
		Subjects:   c.subjects.sorted(),
		Materials:  c.materials.sorted(),
		Byproducts: c.byproducts.sorted(),
		Problems:   c.problems,
	}
}

// FromResults reads the type-hinted results of one object, for callers
// (and tests) that have results without a snapshot.
func FromResults(object string, rs []Result) *Set {
	var c collector
	c.results(object, rs, true)
	c.git(object, rs)
	return &Set{Subjects: c.subjects.sorted(), Materials: c.materials.sorted(), Problems: c.problems}
}

// ExtractTaskRun reads one TaskRun alone (its results, step results,
// params and status.artifacts), for the TaskRun's own provenance. With
// SkipFailed, a failed TaskRun gives inputs but no subjects.
func ExtractTaskRun(tr tekton.TaskRun, opts Options) *Set {
	c := collector{noSteps: opts.NoStepResults}
	c.by = func(string) []Producer { return []Producer{TaskRunProducer(tr)} }
	c.taskRun(tr, !(opts.SkipFailed && tr.Failed))
	return &Set{
		Subjects:   c.subjects.sorted(),
		Materials:  c.materials.sorted(),
		Byproducts: c.byproducts.sorted(),
		Problems:   c.problems,
	}
}

func (c *collector) taskRun(tr tekton.TaskRun, outputs bool) {
	by := c.by
	defer func() { c.by = by }()
	c.by = func(string) []Producer { return []Producer{TaskRunProducer(tr)} }
	obj := fmt.Sprintf("TaskRun %s/%s", tr.Namespace, tr.Name)
	results := make([]Result, 0, len(tr.Status.Results))
	for _, r := range tr.Status.Results {
		results = append(results, Result{Name: r.Name, Value: r.Value})
	}
	// Steps first, then the task: the order Chains reads them in.
	for _, st := range tr.Status.Steps {
		if len(st.Results) == 0 || c.noSteps {
			continue
		}
		stObj := obj + " step " + st.Name
		sr := make([]Result, 0, len(st.Results))
		for _, r := range st.Results {
			sr = append(sr, Result{Name: r.Name, Value: r.Value})
		}
		c.results(stObj, sr, outputs)
		c.git(stObj, sr)
	}
	c.results(obj, results, outputs)
	var git []Result
	if spec := tr.Status.TaskSpec; spec != nil {
		git = append(git, defaults(spec.Params)...)
	}
	git = append(git, params(tr.Spec.Params)...)
	c.git(obj, append(git, results...))
	if a := tr.Status.Artifacts; a != nil {
		c.tep0147(obj, a, outputs)
	}
}

// tep0147 reads Tekton's own artifacts (status.artifacts), which Chains
// does not: build outputs are subjects, other outputs byproducts, inputs
// materials.
func (c *collector) tep0147(object string, a *v1.Artifacts, outputs bool) {
	read := func(kind string, arts []v1.Artifact, add func(art v1.Artifact, s Subject)) {
		for _, art := range arts {
			for i, v := range art.Values {
				s, ok := c.artifactValue(object, fmt.Sprintf("artifacts.%s[%s].values[%d]", kind, art.Name, i), v, kind == "inputs")
				if ok {
					add(art, s)
				}
			}
		}
	}
	read("inputs", a.Inputs, func(_ v1.Artifact, s Subject) { c.materials.add(s) })
	if !outputs {
		return
	}
	read("outputs", a.Outputs, func(art v1.Artifact, s Subject) {
		if art.BuildOutput {
			c.subjects.add(s)
		} else {
			c.byproducts.add(s)
		}
	})
}

func (c *collector) artifactValue(object, where string, v v1.ArtifactValue, input bool) (Subject, bool) {
	uri := strings.TrimSpace(v.Uri)
	if uri == "" {
		c.problem(object, where, "", "has no uri")
		return Subject{}, false
	}
	if len(v.Digest) == 0 {
		c.problem(object, where, uri, "has no digest")
		return Subject{}, false
	}
	d := make(map[string]string, len(v.Digest))
	for _, alg := range slices.Sorted(maps.Keys(v.Digest)) {
		hex := v.Digest[alg]
		a, h, err := ParseDigest(string(alg)+":"+hex, input && isGitURI(uri))
		if err != nil {
			c.problem(object, where+".digest", string(alg)+":"+hex, err.Error())
			return Subject{}, false
		}
		if prev, ok := d[a]; ok && prev != h {
			c.problem(object, where+".digest", string(alg)+":"+hex, "names another "+a+" digest too ("+prev+")")
			return Subject{}, false
		}
		d[a] = h
	}
	return Subject{Name: uri, Digest: d, From: []string{object + " " + where}, Producers: c.producers("")}, true
}

func defaults(specs v1.ParamSpecs) []Result {
	var out []Result
	for _, p := range specs {
		if p.Default != nil {
			out = append(out, Result{Name: p.Name, Value: *p.Default})
		}
	}
	return out
}

func params(ps v1.Params) []Result {
	out := make([]Result, 0, len(ps))
	for _, p := range ps {
		out = append(out, Result{Name: p.Name, Value: p.Value})
	}
	return out
}
