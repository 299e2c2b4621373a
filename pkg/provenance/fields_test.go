package provenance_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/chainseal/chainseal/pkg/config"
	"github.com/chainseal/chainseal/pkg/provenance"
	"github.com/chainseal/chainseal/pkg/provenance/provenancetest"
)

// The statement says who wrote each field (internalParameters.chainseal.
// fields, v0.2 invocation.environment.chainseal.fields), and every plain
// path it labels is a field of that very statement.
func TestFieldLabels(t *testing.T) {
	for _, format := range []string{config.FormatSLSAv2alpha4, config.FormatInToto} {
		for _, platform := range []string{"", "ConfigMap chainseal-system/chainseal-platform"} {
			c := cfg(t, config.KeyPipelineRunFormat, format)
			c.Platform = platform
			res, err := provenance.Build(snap(t, provenancetest.Bundle()), c)
			if err != nil {
				t.Fatal(err)
			}
			var st map[string]any
			if err := json.Unmarshal(res.Statements[0].Body, &st); err != nil {
				t.Fatal(err)
			}
			pred := st["predicate"].(map[string]any)
			var record map[string]any
			builder := "runDetails.builder.id"
			if format == config.FormatInToto {
				record = pred["invocation"].(map[string]any)["environment"].(map[string]any)["chainseal"].(map[string]any)
				builder = "predicate.builder.id"
			} else {
				record = pred["buildDefinition"].(map[string]any)["internalParameters"].(map[string]any)["chainseal"].(map[string]any)
			}
			list, _ := record["fields"].([]any)
			fields := map[string]any{}
			for _, l := range list {
				f, _ := l.(map[string]any)
				path, _ := f["path"].(string)
				if _, dup := fields[path]; dup || path == "" {
					t.Errorf("%s: field label %v: no path, or a path labelled twice", format, l)
				}
				fields[path] = f["writer"]
			}
			if len(fields) == 0 {
				t.Fatalf("%s: no fields record", format)
			}
			want := provenance.WriterTenant
			if platform != "" {
				want = provenance.WriterPlatform
				if record["platform"] != platform {
					t.Errorf("%s: platform %v, want %q", format, record["platform"], platform)
				}
			}
			if fields[builder] != want {
				t.Errorf("%s, platform %q: %s written by %v, want %s", format, platform, builder, fields[builder], want)
			}
			for path, writer := range fields {
				switch writer {
				case provenance.WriterTekton, provenance.WriterTenant, provenance.WriterPlatform, provenance.WriterChainseal:
				default:
					t.Errorf("%s: %s has writer %v", format, path, writer)
				}
				if strings.ContainsAny(path, "[]") || strings.Contains(path, "labels") || strings.Contains(path, "annotations") || strings.Contains(path, "feature-flags") || strings.Contains(path, "version") || strings.Contains(path, "byproducts") {
					continue // lists, and fields present only in some runs
				}
				var at any = st
				if format != config.FormatInToto && path != "subject" {
					at = pred
				}
				for _, part := range strings.Split(path, ".") {
					m, ok := at.(map[string]any)
					if !ok {
						t.Fatalf("%s: %s: %v is not an object", format, path, at)
					}
					if at, ok = m[part]; !ok {
						t.Errorf("%s: labelled field %s is not in the statement", format, path)
						break
					}
				}
			}
		}
	}
}
