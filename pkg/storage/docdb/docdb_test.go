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
