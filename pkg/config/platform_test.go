package config

import (
	"strings"
	"testing"
)

const platformCM = "ConfigMap chainseal-system/chainseal-platform"

// The attack: a tenant sets builder.id in its own ConfigMap so that
// `chainseal verify --builder-id` proves nothing. Under a platform that
// governs the namespace it is refused, naming the platform's setting.
func TestTenantBuilderIDRefusedUnderPlatform(t *testing.T) {
	p, err := PlatformFor(platformCM, map[string]string{KeyBuilderID: "https://ci.example/chainseal"}, "team-a")
	if err != nil || p == nil {
		t.Fatalf("PlatformFor = %v, %v", p, err)
	}
	_, err = p.Apply(map[string]string{KeyBuilderID: "https://evil.example/builder"}, "ConfigMap team-a/chainseal-config")
	if err == nil {
		t.Fatal("a tenant's builder.id was accepted under the platform's")
	}
	for _, want := range []string{`"builder.id" is a platform setting`, platformCM, "namespace.team-a.builder.id", "ConfigMap team-a/chainseal-config"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "evil.example") {
		t.Errorf("error repeats the tenant's value: %v", err)
	}
	// The same value is not a change; no value takes the platform's.
	for _, tenant := range []map[string]string{{KeyBuilderID: " https://ci.example/chainseal"}, {}} {
		merged, err := p.Apply(tenant, "tenant")
		if err != nil {
			t.Fatalf("Apply(%v): %v", tenant, err)
		}
		c, err := Parse(merged)
		if err != nil || c.BuilderID != "https://ci.example/chainseal" {
			t.Errorf("builder id %q (%v), want the platform's", c.BuilderID, err)
		}
	}
}

// A key the platform did not set is still the platform's: a tenant may not
// move it off its default either.
func TestPlatformKeyUnsetByPlatformIsNotTheTenants(t *testing.T) {
	p, _ := PlatformFor(platformCM, map[string]string{KeyTransparencyURL: "https://rekor.example"}, "team-a")
	for _, k := range []string{KeyBuilderID, KeyTransparencyPublicKey, KeyKMSRef, KeyPipelineRunSigner + "=kms"} {
		key, val, _ := strings.Cut(k, "=")
		if val == "" {
			val = "x"
		}
		if _, err := p.Apply(map[string]string{key: val}, "tenant"); err == nil {
			t.Errorf("tenant set %s under a governing platform", key)
		}
	}
	// Tenant keys stay the tenant's.
	if _, err := p.Apply(map[string]string{KeyPipelineRunStorage: "oci,tekton", KeyPipelineRunFormat: FormatInToto}, "tenant"); err != nil {
		t.Errorf("tenant keys refused: %v", err)
	}
}

func TestTenantMayOnlyNarrow(t *testing.T) {
	p, _ := PlatformFor(platformCM, map[string]string{
		KeyAllowedRepositories:       "registry.example/team-a registry.example/shared",
		KeyPipelineRunDeepInspection: "false",
		KeyTransparencyEnabled:       "true",
		KeyCheckImagesExist:          "true",
		KeyPipelineRunSigner:         SignerKMS,
		KeyKMSRef:                    "hashivault://team-a",
	}, "team-a")
	for _, c := range []struct {
		key, value string
		ok         bool
	}{
		{KeyAllowedRepositories, "registry.example/team-a/app", true},
		{KeyAllowedRepositories, "registry.example/team-a,registry.example/shared/base", true},
		{KeyAllowedRepositories, "registry.example/team-b", false},
		{KeyAllowedRepositories, "registry.example/team-ab", false},
		{KeyAllowedRepositories, "", false}, // "any" widens
		{KeyPipelineRunDeepInspection, "true", false},
		{KeyPipelineRunDeepInspection, "false", true},
		{KeyTransparencyEnabled, "false", false},
		// "manual" logs only annotated runs: under a platform "true" a
		// tenant would keep every unannotated run out of Rekor.
		{KeyTransparencyEnabled, "manual", false},
		{KeyTransparencyEnabled, "TRUE", true},
		{KeyCheckImagesExist, "false", false},
		{KeyCheckImagesExist, "true", true},
		{KeyPipelineRunSigner, SignerNone, true},
		{KeyPipelineRunSigner, SignerX509, false},
		{KeyOCISigner, SignerNone, true},
	} {
		_, err := p.Apply(map[string]string{c.key: c.value}, "tenant")
		if (err == nil) != c.ok {
			t.Errorf("tenant %s=%q: error %v, want allowed=%v", c.key, c.value, err, c.ok)
		}
	}
	// Deep inspection off by the platform stays off when the tenant says nothing.
	merged, _ := p.Apply(nil, "tenant")
	c, err := Parse(merged)
	if err != nil || c.DeepInspection || len(c.AllowedRepositories) != 2 {
		t.Errorf("config under the platform = %+v, %v", c, err)
	}
}

func TestPlatformScopes(t *testing.T) {
	data := map[string]string{
		"namespace.team-a." + KeyBuilderID: "https://ci.example/team-a",
		"namespace.team-b." + KeyBuilderID: "https://ci.example/team-b",
	}
	if p, err := PlatformFor(platformCM, data, "team-c"); p != nil || err != nil {
		t.Errorf("a namespace the platform does not name is governed: %+v, %v", p, err)
	}
	p, err := PlatformFor(platformCM, data, "team-a")
	if err != nil || p.Values[KeyBuilderID] != "https://ci.example/team-a" {
		t.Errorf("team-a's platform settings: %+v, %v", p, err)
	}
	data[KeyBuilderID] = "https://ci.example/all"
	if p, _ := PlatformFor(platformCM, data, "team-c"); p == nil || p.Values[KeyBuilderID] != "https://ci.example/all" {
		t.Errorf("a global key does not govern team-c: %+v", p)
	}
	if p, _ := PlatformFor(platformCM, data, "team-b"); p.Values[KeyBuilderID] != "https://ci.example/team-b" {
		t.Errorf("the namespace's key does not win over the global one: %+v", p)
	}
	var none *Platform
	if got, err := none.Apply(map[string]string{KeyBuilderID: "x"}, "tenant"); err != nil || got[KeyBuilderID] != "x" {
		t.Errorf("without a platform the tenant's config is the config: %v, %v", got, err)
	}
}

// The platform's ConfigMap holds only platform keys: a tenant key there, or
// an unknown one, is an error naming it.
func TestPlatformConfigMapHoldsPlatformKeysOnly(t *testing.T) {
	for _, k := range []string{KeyPipelineRunStorage, "namespace.team-a." + KeyPipelineRunFormat, "builder.idd", "namespace.team-a"} {
		_, err := PlatformFor(platformCM, map[string]string{k: "x"}, "team-a")
		if err == nil || !strings.Contains(err.Error(), platformCM) {
			t.Errorf("platform key %q: error %v", k, err)
		}
	}
}

func TestUnderPrefix(t *testing.T) {
	for _, c := range []struct {
		name, prefix string
		want         bool
	}{
		{"registry.example/team-a/app", "registry.example/team-a", true},
		{"registry.example/team-a", "registry.example/team-a", true},
		{"registry.example/team-ab", "registry.example/team-a", false},
		{"registry.example/team-ab", "registry.example/team-a/", false},
		{"registry.example/x", "registry.example/", true},
		{"pkg:npm/x", "pkg:", true},
		{"registry.example/bundles/build@sha256:0123", "registry.example/bundles/build", true},
		{"registry.example/bundles/build:v1", "registry.example/bundles/build", true},
		{"registry.example/bundles/builder", "registry.example/bundles/build", false},
	} {
		if got := UnderPrefix(c.name, c.prefix); got != c.want {
			t.Errorf("UnderPrefix(%q, %q) = %v", c.name, c.prefix, got)
		}
	}
}
