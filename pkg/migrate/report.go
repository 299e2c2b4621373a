package migrate

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

// WriteReport writes what the migration did, or would do, for a person:
// per namespace, the objects, every key and file of the Chains
// installation with what became of it, the Pipelines, and what is left to
// do before the first run.
func (r *Result) WriteReport(w io.Writer) {
	p := func(format string, a ...any) { fmt.Fprintf(w, format+"\n", a...) }
	if r.DryRun {
		p("chainseal migrate --dry-run: nothing was written")
	}
	from := r.Source.ConfigFrom
	if r.Source.SecretFrom != "" {
		from += " and " + r.Source.SecretFrom
	} else {
		from += " (no " + chainsSecretName + " Secret)"
	}
	p("from %s", from)
	for _, ig := range r.Source.Ignored {
		p("ignored %s: neither %s nor %s", ig, chainsConfigMapName, chainsSecretName)
	}
	for _, n := range r.Namespaces {
		n.writeReport(p, r.DryRun)
	}
}

func (n *Namespace) writeReport(p func(string, ...any), dryRun bool) {
	p("")
	p("namespace %s", n.Namespace)
	if n.Missing {
		p("  does not exist: create it before migrating it")
	}
	p("  objects:")
	for _, c := range n.Changes {
		p("    %-9s %s%s", c.Action, Describe(c.Object), changeHint(c, dryRun))
	}
	p("  %s keys, and %s files:", chainsConfigMapName, chainsSecretName)
	if c := n.carriedPlain(); len(c) > 0 {
		p("    %-10s %s", Carried, strings.Join(c, ", "))
	}
	for _, note := range n.Notes {
		if note.Key == "" || (note.Reason == "" && note.Status == Carried && len(note.Written) == 1 && note.Written[0] == note.Key) {
			continue
		}
		line := fmt.Sprintf("    %-10s %s", note.Status, note.Key)
		if len(note.Written) > 0 && !(len(note.Written) == 1 && note.Written[0] == note.Key) {
			line += " -> " + strings.Join(note.Written, ", ")
		}
		if note.Reason != "" {
			line += ": " + note.Reason
		}
		p("%s", line)
	}
	for _, note := range n.Notes {
		if note.Key == "" {
			p("    %-10s %s", note.Status, note.Reason)
		}
	}
	n.writePipelines(p, dryRun)

	var blocking, other []Note
	for _, note := range n.Notes {
		switch {
		case note.Todo == "":
		case note.Blocking:
			blocking = append(blocking, note)
		default:
			other = append(other, note)
		}
	}
	if len(blocking) > 0 {
		p("  before the first run:")
		for i, note := range blocking {
			p("    %d. %s%s", i+1, keyPrefix(note), indent(note.Todo))
		}
	}
	if len(other) > 0 {
		p("  to check:")
		for _, note := range other {
			p("    - %s%s", keyPrefix(note), indent(note.Todo))
		}
	}
}

// carriedPlain lists the keys carried over as they were, with nothing to
// say about them, on one line.
func (n *Namespace) carriedPlain() []string {
	var out []string
	for _, note := range n.Notes {
		if note.Key != "" && note.Status == Carried && note.Reason == "" && len(note.Written) == 1 && note.Written[0] == note.Key {
			out = append(out, note.Key)
		}
	}
	return out
}

// indent sets a todo's further lines (commands to run) under its first.
func indent(s string) string { return strings.ReplaceAll(s, "\n", "\n       ") }

func keyPrefix(n Note) string {
	if n.Key == "" {
		return ""
	}
	return n.Key + ": "
}

func changeHint(c Change, dryRun bool) string {
	switch c.Action {
	case Conflict:
		return " (exists and differs: --overwrite replaces it)"
	case Kept:
		return " (exists; left as it is)"
	case Print:
		return " (no cluster to compare with)"
	case Create, Update:
		if dryRun {
			return " (not done: dry run)"
		}
		return " (done)"
	}
	return ""
}

func (n *Namespace) writePipelines(p func(string, ...any), dryRun bool) {
	if n.Pipelines == nil {
		p("  pipelines: not checked (no cluster)")
		return
	}
	if len(n.Pipelines) == 0 {
		p("  pipelines: none in the namespace")
	} else {
		p("  pipelines:")
	}
	lacking := 0
	for _, pl := range n.Pipelines {
		switch pl.State {
		case HasTask:
			p("    %s: %s (%s)", pl.Name, pl.State, pl.Task)
		case Patch:
			verb := "got"
			if dryRun {
				verb = "would get"
			}
			p("    %s: %s the chainseal finally task, from bundle %s", pl.Name, verb, n.Bundle)
		case CannotPatch:
			lacking++
			p("    %s: %s: %s", pl.Name, pl.State, pl.Why)
		default:
			lacking++
			p("    %s: %s", pl.Name, pl.State)
		}
	}
	if lacking > 0 {
		p("    add it under finally (catalog/task/chainseal/0.1/samples/pipeline-bundle.yaml), or run chainseal migrate with --patch-pipelines --bundle <ref>@sha256:...")
	}
	if n.Bundle != "" && !strings.Contains(n.Bundle, "@sha256:") {
		p("    pin the bundle by digest (%s@sha256:...), so the Task cannot change under the pipelines", n.Bundle)
	}
	if slices.ContainsFunc(n.Pipelines, func(pl Pipeline) bool { return pl.State == HasTask || pl.State == Patch }) || len(n.Pipelines) == 0 {
		p("    run the finally task, and only it, as ServiceAccount chainseal: taskRunSpecs: [{pipelineTaskName: chainseal, serviceAccountName: chainseal}] in each PipelineRun (catalog/task/chainseal/0.1/samples/pipelinerun.yaml)")
	}
}
