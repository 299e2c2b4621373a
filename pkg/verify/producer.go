package verify

import (
	"fmt"
	"slices"
	"strings"
)

// CheckProducer: the image was named a subject only by tasks Tekton
// resolved from a trusted reference (--trusted-producer).
const CheckProducer = "producer"

// producerRecord is chainseal's record of one subject's producers
// (internalParameters.chainseal.subjects[]).
type producerRecord struct {
	Name      string            `json:"name"`
	Digest    map[string]string `json:"digest"`
	Producers []struct {
		PipelineTask string `json:"pipelineTask"`
		TaskRun      string `json:"taskRun"`
		Pipeline     bool   `json:"pipeline"`
		Ref          *struct {
			URI    string            `json:"uri"`
			Digest map[string]string `json:"digest"`
		} `json:"ref"`
	} `json:"producers"`
}

// checkProducer requires every producer of the image's subject to be a
// task Tekton resolved from a reference under one of the trusted prefixes
// (a bundle repository, a git URL), as Tekton's controller recorded it.
// A task's name is not enough: the PipelineRun's author chooses it.
func (r Requirements) checkProducer(st *statement, d Artifact) Check {
	p := st.prov
	if !p.known {
		return fail(CheckProducer, fmt.Sprintf("predicateType %s is not SLSA provenance (v1 or v0.2)", st.PredicateType))
	}
	if p.coverage == nil {
		return fail(CheckProducer, "the statement has no chainseal record of its subjects' producers (internalParameters.chainseal.subjects)")
	}
	alg, hx, _ := strings.Cut(d.DigestStr(), ":")
	var rec *producerRecord
	for i := range p.coverage.Subjects {
		if strings.EqualFold(p.coverage.Subjects[i].Digest[alg], hx) {
			rec = &p.coverage.Subjects[i]
			break
		}
	}
	if rec == nil {
		return fail(CheckProducer, fmt.Sprintf("the statement records no producer for %s (a statement made before chainseal recorded producers, or not its subject)", d.DigestStr()))
	}
	if len(rec.Producers) == 0 {
		return fail(CheckProducer, fmt.Sprintf("no task is recorded as the producer of %s", d.DigestStr()))
	}
	var by []string
	for _, pr := range rec.Producers {
		who := "the pipeline's own result value"
		if !pr.Pipeline {
			who = fmt.Sprintf("pipeline task %s (TaskRun %s)", pr.PipelineTask, pr.TaskRun)
		}
		if pr.Ref == nil || pr.Ref.URI == "" {
			return fail(CheckProducer, fmt.Sprintf("%s named %s, and Tekton resolved it from no reference (an inline or cluster-local task): not one of --trusted-producer %s", who, d.DigestStr(), strings.Join(r.TrustedProducers, ", ")))
		}
		if !slices.ContainsFunc(r.TrustedProducers, func(t string) bool { return underRef(pr.Ref.URI, t) }) {
			return fail(CheckProducer, fmt.Sprintf("%s named %s, resolved from %s: not under --trusted-producer %s", who, d.DigestStr(), pr.Ref.URI, strings.Join(r.TrustedProducers, ", ")))
		}
		by = append(by, fmt.Sprintf("%s from %s@%s", who, pr.Ref.URI, digestString(pr.Ref.Digest)))
	}
	return pass(CheckProducer, "named only by "+strings.Join(by, "; "))
}

// underRef reports whether a resolved reference's URI is ref or lies under
// it (ref followed by "/", "@" or ":", or ref ending in "/"), comparing as
// sameURI does.
func underRef(uri, ref string) bool {
	u, r := normURI(uri), normURI(ref)
	if u == r {
		return true
	}
	if strings.HasSuffix(ref, "/") {
		r += "/"
	}
	if !strings.HasPrefix(u, r) {
		return false
	}
	return strings.HasSuffix(r, "/") || strings.ContainsRune("/@:", rune(u[len(r)]))
}
