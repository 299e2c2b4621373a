package provenance

import (
	"fmt"
	"slices"
	"strings"

	"github.com/chainseal/chainseal/pkg/artifacts"
	"github.com/chainseal/chainseal/pkg/config"
)

// restrict leaves out of set the subjects the platform's settings do not
// allow: those outside chainseal.allowed-repositories, and those named by a
// task that Tekton did not resolve from a reference under
// chainseal.subject-producers. Each is reported as a problem, not signed.
func restrict(set *artifacts.Set, cfg config.Config) {
	if len(cfg.AllowedRepositories) > 0 {
		set.Keep(func(s artifacts.Subject) string {
			if underAny(s.Name, cfg.AllowedRepositories) {
				return ""
			}
			return fmt.Sprintf("not under %s (%s)", config.KeyAllowedRepositories, strings.Join(cfg.AllowedRepositories, " "))
		})
	}
	if len(cfg.SubjectProducers) > 0 {
		set.Keep(func(s artifacts.Subject) string {
			if len(s.Producers) == 0 {
				return fmt.Sprintf("no task is recorded as its producer, and %s is set", config.KeySubjectProducers)
			}
			for _, p := range s.Producers {
				if p.Ref == nil || !underAny(p.Ref.URI, cfg.SubjectProducers) {
					return fmt.Sprintf("named by %s, which Tekton did not resolve from a reference under %s (%s)",
						describeProducer(p), config.KeySubjectProducers, strings.Join(cfg.SubjectProducers, " "))
				}
			}
			return ""
		})
	}
}

func underAny(name string, prefixes []string) bool {
	return slices.ContainsFunc(prefixes, func(p string) bool { return config.UnderPrefix(name, p) })
}

func describeProducer(p artifacts.Producer) string {
	what := "the pipeline's own result value"
	if !p.Pipeline {
		what = "pipeline task " + p.PipelineTask
		if p.TaskRun != "" {
			what += " (TaskRun " + p.TaskRun + ")"
		}
	}
	if p.Ref == nil {
		return what + ", with no resolved reference (an inline or cluster-local task)"
	}
	return what + ", resolved from " + p.Ref.URI
}
