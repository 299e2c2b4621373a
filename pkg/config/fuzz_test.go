package config

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

// FuzzParse: chains-config values as a namespace's ConfigMap or a --config
// flag gives them. Seeds are every key with its default and values Chains
// users write (lists with blanks and repeats, booleans in Go's spellings,
// newlines, odd Unicode). Every error names a config key; what parses
// parses the same with the value's surrounding blanks; an unknown key never
// parses; a flag splits at its first "=" into a trimmed, non-empty key.
func FuzzParse(f *testing.F) {
	for k, v := range Defaults() {
		f.Add(k, v, k+"="+v)
	}
	f.Add(KeyPipelineRunStorage, "oci,, tekton ,oci,", KeyPipelineRunStorage+"=oci")
	f.Add(KeyPipelineRunStorage, "file", KeyFileDir+"=/tmp/x")
	f.Add(KeyOCISigner, "kms", KeyKMSRef+"=hashivault://k")
	f.Add(KeyPipelineRunDeepInspection, "TRUE", " "+KeyPipelineRunDeepInspection+" = 1 ")
	f.Add(KeyTransparencyEnabled, "t\n", "=true")
	f.Add(KeyPipelineRunFormat, "slsa/v1\u200b", "no-equals-sign")
	f.Add(KeyBuilderID, "https://example/\u202ebuilder\x00", KeyBuilderID+"==a=b")
	f.Add("artifacts.pipelinerun.formats", "slsa/v1", "artifacts.=x")
	f.Add("", "", "=")
	keys := Keys()
	namesKey := func(msg string) bool {
		return strings.Contains(msg, "unknown config key") || slices.ContainsFunc(keys, func(k string) bool { return strings.Contains(msg, `"`+k+`"`) })
	}
	f.Fuzz(func(t *testing.T, key, value, flag string) {
		cfg, err := Parse(map[string]string{key: value})
		if err != nil {
			for _, e := range strings.Split(err.Error(), "\n") {
				if !namesKey(e) {
					t.Fatalf("error %q names no config key", e)
				}
			}
		} else {
			if !slices.Contains(keys, key) {
				t.Fatalf("unknown key %q parsed", key)
			}
			again, err := Parse(map[string]string{key: " \t" + value + "\n "})
			if err != nil || !reflect.DeepEqual(again, cfg) {
				t.Fatalf("%q=%q parses, with blanks around it: %v", key, value, err)
			}
		}
		m, err := FromFlags([]string{flag})
		if err != nil {
			return
		}
		if len(m) != 1 {
			t.Fatalf("one flag gave %d keys", len(m))
		}
		for k, v := range m {
			if k == "" || strings.TrimSpace(k) != k || !strings.HasSuffix(flag, "="+v) {
				t.Fatalf("flag %q gave %q = %q", flag, k, v)
			}
		}
		_, _ = Parse(Merge(Defaults(), map[string]string{key: value}, m))
	})
}
