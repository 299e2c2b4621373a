package artifacts

import (
	"regexp"
	"slices"
	"strings"

	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"

	"github.com/chainseal/chainseal/pkg/tekton"
)

// Producer is the pipeline task whose result named a subject, as Tekton's
// controller recorded it: the TaskRun, and where Tekton resolved the task
// from. The subject itself is the task's claim (tenant code wrote the
// result); its producer is Tekton's record.
type Producer struct {
	PipelineTask string `json:"pipelineTask,omitempty"`
	TaskRun      string `json:"taskRun,omitempty"`
	// Pipeline is true for a PipelineRun result whose value names no task
	// result: the pipeline's definition wrote it. Ref is then the pipeline's.
	Pipeline bool `json:"pipeline,omitempty"`
	// Ref is Tekton's status.provenance.refSource of the task (a bundle, a
	// git commit): nil for an inline taskSpec or a cluster-local taskRef.
	Ref *Ref `json:"ref,omitempty"`
}

// Ref is a resolved reference, as Tekton's controller recorded it.
type Ref struct {
	URI        string            `json:"uri"`
	Digest     map[string]string `json:"digest,omitempty"`
	EntryPoint string            `json:"entryPoint,omitempty"`
}

func (p Producer) key() string {
	k := p.PipelineTask + "\x00" + p.TaskRun
	if p.Pipeline {
		k += "\x00pipeline"
	}
	return k
}

func refOf(p *v1.Provenance) *Ref {
	if p == nil || p.RefSource == nil || p.RefSource.URI == "" {
		return nil
	}
	return &Ref{URI: p.RefSource.URI, Digest: p.RefSource.Digest, EntryPoint: p.RefSource.EntryPoint}
}

// TaskRunProducer is the producer of what a covered TaskRun's results name.
func TaskRunProducer(tr tekton.TaskRun) Producer {
	return Producer{PipelineTask: tr.PipelineTask, TaskRun: tr.Name, Ref: refOf(tr.Status.Provenance)}
}

// taskResultRef finds $(tasks.<name>.results.<r>) and
// $(finally.<name>.results.<r>) in a pipeline result's value.
var taskResultRef = regexp.MustCompile(`\$\((?:tasks|finally)\.([^.()\s]+)\.results\.`)

// pipelineResultProducers maps each PipelineRun result to the producers of
// the task results its value (status.pipelineSpec.results) names.
func pipelineResultProducers(snap *tekton.Snapshot) func(result string) []Producer {
	pr := snap.PipelineRun
	var pipelineRef = refOf(pr.Status.Provenance)
	byTask := map[string][]Producer{}
	for _, tr := range snap.TaskRuns {
		byTask[tr.PipelineTask] = append(byTask[tr.PipelineTask], TaskRunProducer(tr))
	}
	byResult := map[string][]Producer{}
	if spec := pr.Status.PipelineSpec; spec != nil {
		for _, r := range spec.Results {
			values := append([]string{r.Value.StringVal}, r.Value.ArrayVal...)
			for _, v := range r.Value.ObjectVal {
				values = append(values, v)
			}
			var tasks []string
			for _, m := range taskResultRef.FindAllStringSubmatch(strings.Join(values, "\n"), -1) {
				if !slices.Contains(tasks, m[1]) {
					tasks = append(tasks, m[1])
				}
			}
			for _, t := range tasks {
				if ps, ok := byTask[t]; ok {
					byResult[r.Name] = append(byResult[r.Name], ps...)
				} else {
					byResult[r.Name] = append(byResult[r.Name], Producer{PipelineTask: t})
				}
			}
		}
	}
	return func(result string) []Producer {
		if ps, ok := byResult[result]; ok {
			return ps
		}
		return []Producer{{Pipeline: true, Ref: pipelineRef}}
	}
}

func mergeProducers(dst []Producer, src ...Producer) []Producer {
	for _, p := range src {
		if !slices.ContainsFunc(dst, func(q Producer) bool { return q.key() == p.key() }) {
			dst = append(dst, p)
		}
	}
	return dst
}
