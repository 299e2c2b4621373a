package config

import (
	"strings"
	"testing"
)

func TestDefaults(t *testing.T) {
	c, err := Parse(nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.PipelineRun.Format != FormatSLSAv2alpha4 || !c.DeepInspection || c.TaskRun.Enabled() || !c.PipelineRun.Enabled() {
		t.Fatalf("unexpected defaults: %+v", c)
	}
	if len(c.PipelineRun.Storage) != 1 || c.PipelineRun.Storage[0] != StorageOCI {
		t.Fatalf("default storage = %v", c.PipelineRun.Storage)
	}
}

func TestChainsConfigCopiedOver(t *testing.T) {
	c, err := Parse(map[string]string{
		KeyPipelineRunFormat:   "in-toto",
		KeyPipelineRunStorage:  " oci, tekton ,oci",
		KeyPipelineRunSigner:   "kms",
		KeyKMSRef:              "hashivault://release",
		KeyTransparencyEnabled: "manual",
		KeyTransparencyURL:     "http://127.0.0.1:3000",
		KeyBuilderID:           "https://ci.example/builder",
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(c.PipelineRun.Storage, ","); got != "oci,tekton" {
		t.Errorf("storage = %q, want oci,tekton (trimmed, deduplicated, in order)", got)
	}
	if !c.Transparency.Enabled || !c.Transparency.Manual || c.KMS.Ref != "hashivault://release" || c.BuilderID != "https://ci.example/builder" {
		t.Errorf("parsed = %+v", c)
	}
	for v, want := range map[string][2]bool{"true": {true, false}, "false": {false, false}, "MANUAL": {true, true}} {
		c, err := Parse(map[string]string{KeyTransparencyEnabled: v})
		if err != nil || c.Transparency.Enabled != want[0] || c.Transparency.Manual != want[1] {
			t.Errorf("transparency.enabled=%s: enabled %v, manual %v, %v; want %v", v, c.Transparency.Enabled, c.Transparency.Manual, err, want)
		}
	}
}

func TestBadValuesNameTheKeyAndTheFix(t *testing.T) {
	cases := map[string]struct {
		in   map[string]string
		want []string
	}{
		"unknown format":                 {map[string]string{KeyPipelineRunFormat: "slsa/v9"}, []string{KeyPipelineRunFormat, "slsa/v2alpha4"}},
		"unknown storage":                {map[string]string{KeyPipelineRunStorage: "oci,s3"}, []string{KeyPipelineRunStorage, `"s3"`, "oci, file"}},
		"chains backend not built in":    {map[string]string{KeyTaskRunStorage: "tekton,pubsub"}, []string{KeyTaskRunStorage, `"pubsub"`, "not built into chainseal", "tekton, oci, file"}},
		"archivista without url":         {map[string]string{KeyPipelineRunStorage: "archivista"}, []string{KeyPipelineRunStorage, KeyArchivistaURL}},
		"archivista url not http":        {map[string]string{KeyArchivistaURL: "grpc://archivista:8082"}, []string{KeyArchivistaURL, "https://"}},
		"archivista url credentials":     {map[string]string{KeyArchivistaURL: "https://u:hunter2@archivista"}, []string{KeyArchivistaURL, "credentials"}},
		"image signatures in archivista": {map[string]string{KeyOCIStorage: "oci,archivista", KeyArchivistaURL: "http://127.0.0.1:8082"}, []string{KeyOCIStorage, "simplesigning", "use oci"}},
		"kafka without brokers":          {map[string]string{KeyPipelineRunStorage: "oci,kafka", KeyPubSubProvider: "kafka", KeyPubSubTopic: "chains"}, []string{KeyPipelineRunStorage, KeyPubSubKafkaBootstrapServers}},
		"kafka without provider":         {map[string]string{KeyOCIStorage: "kafka", KeyPubSubTopic: "chains", KeyPubSubKafkaBootstrapServers: "kafka:9092"}, []string{KeyOCIStorage, KeyPubSubProvider}},
		"pubsub inmemory":                {map[string]string{KeyPubSubProvider: "inmemory"}, []string{KeyPubSubProvider, "gone when chainseal exits", "use kafka"}},
		"pubsub provider unknown":        {map[string]string{KeyPubSubProvider: "gcppubsub"}, []string{KeyPubSubProvider, "use kafka"}},
		"not a boolean":                  {map[string]string{KeyPipelineRunDeepInspection: "yes"}, []string{KeyPipelineRunDeepInspection, "true or false"}},
		"typo in a key":                  {map[string]string{"artifacts.pipelinerun.formt": "in-toto"}, []string{"artifacts.pipelinerun.formt", KeyPipelineRunFormat}},
		"kms without ref":                {map[string]string{KeyPipelineRunSigner: "kms"}, []string{KeyKMSRef}},
		"file without dir":               {map[string]string{KeyPipelineRunStorage: "file"}, []string{KeyFileDir}},
		"two problems":                   {map[string]string{KeyPipelineRunSigner: "gpg", KeyTransparencyEnabled: "maybe"}, []string{KeyPipelineRunSigner, KeyTransparencyEnabled}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Parse(tc.in)
			if err == nil {
				t.Fatal("accepted")
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("the error shows a password: %v", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}
