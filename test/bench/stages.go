package main

import (
	"strings"
	"time"
)

// Stage names of chainseal's log lines (one line per stage, with its
// duration), in the order they run, plus the two ends the log does not
// show: the process start before its first line, and the exit after its
// last.
var stageOrder = []string{
	"start-up (exec to main)",
	"run read",
	"config loaded",
	"provenance built",
	"signed",
	"signing key loaded",
	"logged in transparency log",
	"rekor: recorded",
	"stored",
	"oci: stored",
	"exit",
}

// subStage: stages whose time is part of the one named. What the parent
// spends besides: for the log, the search for an entry to reuse; for the
// store, opening the backend.
var subStage = map[string]string{
	"signing key loaded": "signed",
	"rekor: recorded":    "logged in transparency log",
	"oci: stored":        "stored",
}

// stages reads chainseal's (or the floor's) text log and returns
// milliseconds per stage.
func stages(p Proc) map[string]float64 {
	out := map[string]float64{}
	var first, last time.Time
	for _, line := range strings.Split(p.Out, "\n") {
		f := logFields(line)
		t, err := time.Parse(time.RFC3339Nano, f["time"])
		if err != nil {
			continue
		}
		if first.IsZero() {
			first = t
		}
		last = t
		msg := f["msg"]
		d, err := time.ParseDuration(f["duration"])
		if err != nil {
			continue
		}
		if len(out) == 0 {
			// The first stage starts after main's set-up: what precedes it
			// is the Go runtime, package initialisation and flag parsing.
			out["start-up (exec to main)"] = ms(t.Add(-d).Sub(p.Start))
		}
		out[msg] += ms(d)
	}
	if !last.IsZero() {
		out["exit"] = ms(p.End.Sub(last))
	}
	return out
}

// logFields splits a slog text line into key=value pairs (values may be
// quoted).
func logFields(line string) map[string]string {
	f := map[string]string{}
	for line != "" {
		line = strings.TrimLeft(line, " ")
		k, rest, ok := strings.Cut(line, "=")
		if !ok {
			break
		}
		var v string
		if strings.HasPrefix(rest, `"`) {
			end := 1
			for end < len(rest) && (rest[end] != '"' || rest[end-1] == '\\') {
				end++
			}
			v = strings.ReplaceAll(rest[1:min(end, len(rest))], `\"`, `"`)
			rest = rest[min(end+1, len(rest)):]
		} else {
			v, rest, _ = strings.Cut(rest, " ")
		}
		f[k] = v
		line = rest
	}
	return f
}
