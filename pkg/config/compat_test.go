package config

import (
	"strings"
	"testing"
)

// chainseal.compat: chains gives every key not set Tekton Chains' default
// (Chains v0.26 to v0.29, pkg/config defaultConfig), and keys set still win.
func TestCompatChainsTakesChainsDefaults(t *testing.T) {
	c, err := Parse(map[string]string{KeyCompat: " chains "})
	if err != nil {
		t.Fatal(err)
	}
	want := Config{}
	want.PipelineRun = Artifact{Format: FormatInToto, Storage: []string{StorageTekton}, Signer: SignerX509}
	want.TaskRun = Artifact{Format: FormatInToto, Storage: []string{StorageTekton}, Signer: SignerX509}
	want.OCI = Artifact{Format: FormatSimpleSigning, Storage: []string{StorageOCI}, Signer: SignerX509}
	for name, pair := range map[string][2]Artifact{
		"pipelinerun": {c.PipelineRun, want.PipelineRun},
		"taskrun":     {c.TaskRun, want.TaskRun},
		"oci":         {c.OCI, want.OCI},
	} {
		got, w := pair[0], pair[1]
		if got.Format != w.Format || got.Signer != w.Signer || strings.Join(got.Storage, ",") != strings.Join(w.Storage, ",") {
			t.Errorf("%s = %+v, want Chains' default %+v", name, got, w)
		}
	}
	if c.DeepInspection {
		t.Error("deep inspection is on; Chains' default is off")
	}
	if c.BuilderID != ChainsBuilderID || c.BuildType != BuildTypeSLSA {
		t.Errorf("builder id %q, build type %q; want Chains' %q, %q", c.BuilderID, c.BuildType, ChainsBuilderID, BuildTypeSLSA)
	}
	if c.Transparency.Enabled || c.OCIStorage.EncodingFormat != EncodingDSSE || c.Grafeas.NoteHint != ChainsGrafeasNoteHint {
		t.Errorf("transparency %v, encoding %q, note hint %q: not Chains' defaults", c.Transparency.Enabled, c.OCIStorage.EncodingFormat, c.Grafeas.NoteHint)
	}
	if c.Compat != CompatChains {
		t.Errorf("Compat = %q", c.Compat)
	}

	c, err = Parse(map[string]string{KeyCompat: CompatChains, KeyPipelineRunFormat: FormatSLSAv2alpha4, KeyTaskRunSigner: SignerNone})
	if err != nil {
		t.Fatal(err)
	}
	if c.PipelineRun.Format != FormatSLSAv2alpha4 || c.TaskRun.Enabled() || c.PipelineRun.Storage[0] != StorageTekton {
		t.Errorf("keys set do not win over the chains defaults: %+v %+v", c.PipelineRun, c.TaskRun)
	}
}

func TestCompatNoneIsTheDefault(t *testing.T) {
	for _, in := range []map[string]string{nil, {KeyCompat: CompatNone}} {
		c, err := Parse(in)
		if err != nil {
			t.Fatal(err)
		}
		if c.Compat != CompatNone || c.PipelineRun.Format != FormatSLSAv2alpha4 || c.TaskRun.Enabled() || c.BuilderID != DefaultBuilderID {
			t.Errorf("Parse(%v) = %+v, want chainseal's defaults", in, c)
		}
	}
}

func TestCompatBadValueNamesTheKey(t *testing.T) {
	_, err := Parse(map[string]string{KeyCompat: "chains-v0.26"})
	if err == nil {
		t.Fatal("accepted")
	}
	for _, w := range []string{KeyCompat, CompatNone, CompatChains} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not mention %q", err, w)
		}
	}
}

// Every key chainsDefaults sets is a key Parse accepts, and differs from
// chainseal's default (otherwise it does not belong there).
func TestChainsDefaultsDiffer(t *testing.T) {
	d := Defaults()
	for k, v := range chainsDefaults() {
		if _, ok := fields[k]; !ok {
			t.Errorf("chainsDefaults sets unknown key %s", k)
		}
		if d[k] == v {
			t.Errorf("chainsDefaults sets %s=%q, chainseal's default already", k, v)
		}
	}
}
