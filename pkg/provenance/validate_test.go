package provenance

import (
	"strings"
	"testing"
)

// validateSLSA1 checks the Statement and its predicate with in-toto's own
// types; each broken statement below names the check that must catch it.
func TestValidateSLSA1Refuses(t *testing.T) {
	const subject = `"subject":[{"name":"r/app","digest":{"sha256":"` + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" + `"}}]`
	const pt = `"predicateType":"https://slsa.dev/provenance/v1"`
	const pred = `"predicate":{"buildDefinition":{"buildType":"https://tekton.dev/chains/v2/slsa","externalParameters":{"runSpec":{}}},"runDetails":{"builder":{"id":"https://example.com/b"}}}`
	const typ = `"_type":"https://in-toto.io/Statement/v1"`
	good := "{" + strings.Join([]string{typ, subject, pt, pred}, ",") + "}"
	if err := validateSLSA1([]byte(good)); err != nil {
		t.Fatalf("a valid statement is refused: %v", err)
	}
	for name, body := range map[string]string{
		"no predicate":             "{" + strings.Join([]string{typ, subject, pt}, ",") + "}",
		"null predicate":           "{" + strings.Join([]string{typ, subject, pt, `"predicate":null`}, ",") + "}",
		"predicate not an object":  "{" + strings.Join([]string{typ, subject, pt, `"predicate":"x"`}, ",") + "}",
		"unknown statement field":  "{" + strings.Join([]string{typ, subject, pt, pred, `"extra":1`}, ",") + "}",
		"unknown predicate field":  strings.Replace(good, `"runDetails"`, `"extra":1,"runDetails"`, 1),
		"no builder id":            strings.Replace(good, `"id":"https://example.com/b"`, `"id":""`, 1),
		"no subject":               "{" + strings.Join([]string{typ, pt, pred}, ",") + "}",
		"wrong statement type":     strings.Replace(good, "Statement/v1", "Statement/v9", 1),
		"subject without a digest": strings.Replace(good, `"digest":{"sha256":"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}`, `"digest":{}`, 1),
		"no build type":            strings.Replace(good, `"buildType":"https://tekton.dev/chains/v2/slsa",`, ``, 1),
		"not JSON":                 good[:len(good)-1],
	} {
		if err := validateSLSA1([]byte(body)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
