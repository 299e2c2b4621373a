package artifacts

import (
	"fmt"
	"slices"
	"strings"

	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
)

// Result is one named value: a TaskRun, step or PipelineRun result, or a param.
type Result struct {
	Name  string
	Value v1.ParamValue
}

// maxProblemsPerValue bounds the problems one value can raise, so a
// megabyte of garbage in IMAGES gives a short report.
const maxProblemsPerValue = 20

// collector gathers artifacts and problems from many results.
type collector struct {
	subjects, materials, byproducts list
	problems                        []Problem
	// by gives the producers of what a result names; nil: none recorded.
	by func(result string) []Producer
	// noSteps: step results are not read (Options.NoStepResults).
	noSteps bool
}

// producers of what the named results (those that exist) name.
func (c *collector) producers(results ...string) []Producer {
	if c.by == nil {
		return nil
	}
	var out []Producer
	for _, r := range results {
		out = mergeProducers(out, c.by(r)...)
	}
	return out
}

func (c *collector) problem(object, result, value, reason string) {
	c.problems = append(c.problems, Problem{Object: object, Result: result, Value: clip(value, 200), Reason: reason})
}

// results reads the type-hinted results of one object (or one step).
// outputs false reads only what the object used (inputs), not what it built.
func (c *collector) results(object string, rs []Result, outputs bool) {
	pairs := map[string]*pair{}
	for _, r := range rs {
		switch {
		case r.Name == ImagesName:
			if outputs {
				c.images(object, r)
			}
		case strings.HasSuffix(r.Name, ArtifactOutputsSuffix):
			if outputs {
				c.structured(object, r, true)
			}
		case strings.HasSuffix(r.Name, ArtifactInputsSuffix):
			c.structured(object, r, false)
		default:
			if outputs {
				addToPair(pairs, r)
			}
		}
	}
	keys := make([]string, 0, len(pairs))
	for k := range pairs {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		c.pair(object, pairs[k])
	}
}

// pair is an *_URL/*_DIGEST (or *_URI/*_DIGEST) couple sharing a prefix.
type pair struct {
	image           bool
	prefix          string
	ref, digest     string
	refOK, digestOK bool
}

func addToPair(pairs map[string]*pair, r Result) {
	for _, h := range []struct {
		ref, digest string
		image       bool
	}{{ImageURLSuffix, ImageDigestSuffix, true}, {ArtifactURISuffix, ArtifactDigestSuffix, false}} {
		for i, suffix := range []string{h.ref, h.digest} {
			if !strings.HasSuffix(r.Name, suffix) {
				continue
			}
			prefix := strings.TrimSuffix(r.Name, suffix)
			key := prefix + h.ref
			p := pairs[key]
			if p == nil {
				p = &pair{image: h.image, prefix: prefix}
				pairs[key] = p
			}
			v := strings.TrimSpace(r.Value.StringVal)
			if i == 0 {
				p.ref, p.refOK = v, v != ""
			} else {
				p.digest, p.digestOK = v, v != ""
			}
			return
		}
	}
}

func (c *collector) pair(object string, p *pair) {
	refName, digestName := p.prefix+ArtifactURISuffix, p.prefix+ArtifactDigestSuffix
	if p.image {
		refName, digestName = p.prefix+ImageURLSuffix, p.prefix+ImageDigestSuffix
	}
	switch {
	case !p.refOK && !p.digestOK:
		return
	case !p.refOK:
		c.problem(object, digestName, p.digest, fmt.Sprintf("no %s result goes with it", refName))
		return
	case !p.digestOK && !(p.image && strings.Contains(p.ref, "@")):
		c.problem(object, refName, p.ref, fmt.Sprintf("no %s result goes with it", digestName))
		return
	}
	from := object + " result " + refName
	named := []string{refName}
	if p.digestOK {
		named = append(named, digestName)
	}
	producers := c.producers(named...)
	if p.image {
		img, err := ParseImage(p.ref, p.digest)
		if err != nil {
			c.problem(object, refName+"/"+digestName, p.ref+"@"+p.digest, err.Error())
			return
		}
		c.subjects.add(imageSubject(img, from, producers))
		return
	}
	alg, hex, err := ParseDigest(p.digest, false)
	if err != nil {
		c.problem(object, digestName, p.digest, err.Error())
		return
	}
	c.subjects.add(Subject{Name: p.ref, Digest: map[string]string{alg: hex}, From: []string{from}, Producers: producers})
}

func imageSubject(img Image, from string, producers []Producer) Subject {
	s := Subject{Name: img.Repository, Digest: map[string]string{img.Alg: img.Hex}, Image: true, From: []string{from}, Producers: producers}
	if img.Tag != "" {
		s.Tags = []string{img.Tag}
	}
	return s
}

func (c *collector) images(object string, r Result) {
	if r.Value.Type == v1.ParamTypeObject || r.Value.Type == v1.ParamTypeArray {
		c.problem(object, r.Name, "", "must be a string of references")
		return
	}
	n := 0
	for _, ref := range splitImages(r.Value.StringVal) {
		img, err := ParseImage(ref, "")
		if err == nil {
			c.subjects.add(imageSubject(img, object+" result "+ImagesName, c.producers(r.Name)))
			continue
		}
		if n++; n <= maxProblemsPerValue {
			c.problem(object, r.Name, ref, err.Error())
		}
	}
	if n > maxProblemsPerValue {
		c.problem(object, r.Name, "", fmt.Sprintf("%d more invalid references not listed", n-maxProblemsPerValue))
	}
}

// structured reads an *ARTIFACT_OUTPUTS or *ARTIFACT_INPUTS object result.
// An output is a subject only when isBuildArtifact is "true" (as Chains'
// SLSA v1.0 formats); otherwise it stays a byproduct result.
func (c *collector) structured(object string, r Result, output bool) {
	o := r.Value.ObjectVal
	if r.Value.Type != v1.ParamTypeObject || o == nil {
		c.problem(object, r.Name, r.Value.StringVal, "must be an object with uri and digest")
		return
	}
	uri := strings.TrimSpace(o["uri"])
	if uri == "" {
		c.problem(object, r.Name, o["digest"], "has no uri")
		return
	}
	alg, hex, err := ParseDigest(o["digest"], !output && isGitURI(uri))
	if err != nil {
		c.problem(object, r.Name+".digest", o["digest"], err.Error())
		return
	}
	s := Subject{Name: uri, Digest: map[string]string{alg: hex}, From: []string{object + " result " + r.Name}, Producers: c.producers(r.Name)}
	switch {
	case !output:
		c.materials.add(s)
	case o["isBuildArtifact"] == "true":
		c.subjects.add(s)
	}
}

// isGitURI reports whether an input names a git source, the one place a
// sha1 digest (a commit id) is accepted.
func isGitURI(uri string) bool {
	return strings.HasPrefix(uri, "git+") || strings.HasPrefix(uri, "git:") || strings.HasSuffix(uri, ".git")
}

// git reads CHAINS-GIT_URL and CHAINS-GIT_COMMIT from values in increasing
// precedence (param defaults, params, results: the last one wins, as in
// Chains) and adds the commit as a material.
func (c *collector) git(object string, values []Result) {
	var url, commit *Result
	for i := range values {
		switch values[i].Name {
		case GitURLName:
			url = &values[i]
		case GitCommitName:
			commit = &values[i]
		}
	}
	u, cm := "", ""
	if url != nil {
		u = strings.TrimSpace(url.Value.StringVal)
	}
	if commit != nil {
		cm = strings.TrimSpace(commit.Value.StringVal)
	}
	switch {
	case u == "" && cm == "":
		return
	case u == "":
		c.problem(object, GitCommitName, cm, "no "+GitURLName+" goes with it")
		return
	case cm == "":
		c.problem(object, GitURLName, u, "no "+GitCommitName+" goes with it")
		return
	}
	alg, hex, err := parseCommit(cm)
	if err != nil {
		c.problem(object, GitCommitName, cm, err.Error())
		return
	}
	c.materials.add(Subject{Name: spdxGit(u), Digest: map[string]string{alg: hex}, From: []string{object + " " + GitURLName}})
}

// spdxGit writes a git URL as Chains does: git+<url>.git.
func spdxGit(url string) string {
	if !strings.HasPrefix(url, "git+") {
		url = "git+" + url
	}
	if !strings.HasSuffix(url, ".git") {
		url += ".git"
	}
	return url
}
