package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"golang.org/x/mod/modfile"
)

// version reports the exact Tekton, sigstore and rekor versions go.mod pins.
func TestVersionReportsPinnedModules(t *testing.T) {
	out, _, err := execute(t, "version", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var info struct{ Modules map[string]string }
	if err := json.Unmarshal([]byte(out), &info); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	mf, err := modfile.Parse("go.mod", raw, nil)
	if err != nil {
		t.Fatal(err)
	}
	pinned := map[string]string{}
	for _, r := range mf.Require {
		pinned[r.Mod.Path] = r.Mod.Version
	}
	for _, m := range []string{"github.com/tektoncd/pipeline", "github.com/sigstore/sigstore", "github.com/sigstore/rekor"} {
		if info.Modules[m] == "" || info.Modules[m] != pinned[m] {
			t.Errorf("version reports %s %q, go.mod pins %q", m, info.Modules[m], pinned[m])
		}
	}
	text, _, _ := execute(t, "version")
	if !strings.Contains(text, "github.com/tektoncd/pipeline "+pinned["github.com/tektoncd/pipeline"]) {
		t.Errorf("text output lacks the Tekton version:\n%s", text)
	}
}
