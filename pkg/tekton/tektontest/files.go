package tektontest

import (
	"os"
	"path/filepath"
	"testing"

	"sigs.k8s.io/yaml"
)

// WriteFiles writes the run's PipelineRun and TaskRuns as one YAML file per
// object, as `kubectl get -o yaml` would, and returns their paths (what
// `chainseal sign --from-file` reads).
func (r *Run) WriteFiles(t testing.TB) []string {
	t.Helper()
	dir := t.TempDir()
	var files []string
	write := func(name string, obj any) {
		b, err := yaml.Marshal(obj)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name+".yaml")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, p)
	}
	write(r.PipelineRun.Name, r.PipelineRun)
	for _, tr := range r.TaskRuns {
		write(tr.Name, tr)
	}
	return files
}
