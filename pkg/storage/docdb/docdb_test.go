package docdb

import (
	"context"
	"strings"
	"testing"

	"github.com/chainseal/chainseal/pkg/config"
)

// A mongo:// URL with no server named anywhere is refused before anything
// is stored, naming the keys that fix it.
func TestMongoWithoutServerNamesTheKeys(t *testing.T) {
	var cfg config.Config
	cfg.DocDB.URL = "mongo://db/coll?id_field=name"
	_, err := Open(context.Background(), cfg, func(string) string { return "" })
	if err == nil || !strings.Contains(err.Error(), config.KeyDocDBMongoServerURLDir) || !strings.Contains(err.Error(), MongoServerURLEnv) {
		t.Fatalf("error = %v, want one naming %s and %s", err, config.KeyDocDBMongoServerURLDir, MongoServerURLEnv)
	}
}

// Object's keys: a dot or a leading $ (which MongoDB wire protocol servers
// refuse in field names) become MongoDB's full-width substitutes, at every
// depth; values and other keys stay as they are.
func TestObjectKeysHaveNoDotsOrLeadingDollar(t *testing.T) {
	in := map[string]any{
		"labels": map[string]any{"app.kubernetes.io/name": "api.v1", "$x.y": "z", "a$": 1.5},
		"list":   []any{map[string]any{"tekton.dev/pipeline": "release"}, "s.t"},
	}
	got := objectOf(in).(map[string]any)
	labels := got["labels"].(map[string]any)
	if labels["app\uff0ekubernetes\uff0eio/name"] != "api.v1" || labels["\uff04x\uff0ey"] != "z" || labels["a$"] != 1.5 {
		t.Fatalf("labels = %v", labels)
	}
	list := got["list"].([]any)
	if list[0].(map[string]any)["tekton\uff0edev/pipeline"] != "release" || list[1] != "s.t" {
		t.Fatalf("list = %v", list)
	}
	if _, ok := in["labels"].(map[string]any)["app.kubernetes.io/name"]; !ok {
		t.Fatal("objectOf changed its input")
	}
}
