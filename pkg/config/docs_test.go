package config

import (
	"os"
	"strings"
	"testing"
)

// The reference in docs/config.md lists every key chainseal accepts.
func TestDocsListEveryKey(t *testing.T) {
	doc, err := os.ReadFile("../../docs/config.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range Keys() {
		if !strings.Contains(string(doc), "`"+k+"`") {
			t.Errorf("docs/config.md does not document %s", k)
		}
	}
}
