package migrate

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/chainseal/chainseal/pkg/config"
)

func readDoc(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../../docs/migrate.md")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// docs/migrate.md shows the defaults of both modes side by side: every key
// with a default in either, with the values the code has.
func TestDocsDefaultsSideBySide(t *testing.T) {
	doc := readDoc(t)
	row := regexp.MustCompile("(?m)^\\| `([^`]+)` \\| (`[^|]*`|\\(none\\)) \\| (`[^|]*`|\\(none\\)) \\|$")
	value := func(cell string) string {
		if cell == "(none)" {
			return ""
		}
		return strings.Trim(cell, "`")
	}
	rows := map[string][2]string{}
	for _, m := range row.FindAllStringSubmatch(doc, -1) {
		rows[m[1]] = [2]string{value(m[2]), value(m[3])}
	}
	none, chains := config.DefaultsFor(config.CompatNone), config.DefaultsFor(config.CompatChains)
	keys := map[string]bool{}
	for k := range none {
		keys[k] = true
	}
	for k := range chains {
		keys[k] = true
	}
	for k := range keys {
		got, ok := rows[k]
		if !ok {
			t.Errorf("docs/migrate.md has no defaults row for %s", k)
			continue
		}
		if got != [2]string{none[k], chains[k]} {
			t.Errorf("docs/migrate.md: %s defaults %q, the code %q", k, got, [2]string{none[k], chains[k]})
		}
	}
	for k := range rows {
		if !keys[k] {
			t.Errorf("docs/migrate.md lists defaults for %s, which has none in either mode", k)
		}
	}
}

// docs/migrate.md says what becomes of every Chains key.
func TestDocsListEveryChainsKey(t *testing.T) {
	doc := readDoc(t)
	i := strings.Index(doc, "## Every Chains key")
	if i < 0 {
		t.Fatal("docs/migrate.md has no section \"Every Chains key\"")
	}
	section := doc[i:]
	if j := strings.Index(section[3:], "\n## "); j >= 0 {
		section = section[:j+3]
	}
	for _, k := range ChainsKeys() {
		if !strings.Contains(section, "`"+k+"`") {
			t.Errorf("docs/migrate.md does not say what becomes of %s", k)
		}
	}
}
