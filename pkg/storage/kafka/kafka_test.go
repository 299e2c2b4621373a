package kafka

import (
	"encoding/base64"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/chainseal/chainseal/pkg/config"
	"github.com/chainseal/chainseal/pkg/storage"
)

// The messages are Chains' (value and headers "payload", "signature") plus
// a key per record: the same key for a re-run of the same run. A raw
// signature (DER bytes, not UTF-8 text) goes in the header in base64.
func TestMessagesAreChainsWithAKeyPerRecord(t *testing.T) {
	env := []byte(`{"payloadType":"application/vnd.in-toto+json","payload":"e30=","signatures":[{"sig":"MEU="}]}`)
	digest := strings.Repeat("ab", 32)
	batch := storage.Batch{
		Attestations: []storage.Attestation{
			{Object: storage.Object{Kind: "PipelineRun", Namespace: "payments", Name: "release-7q2xk", UID: "0b1c-77"}, Payload: []byte(`{}`), Envelope: env},
			// the tekton format, signed raw: the raw signature, as Chains
			{Object: storage.Object{Kind: "TaskRun", Namespace: "payments", Name: "build", UID: "9f-1"}, Payload: []byte(`{"kind":"TaskRun"}`), Signature: []byte{0x30, 0x45, 0x02, 0xe9, 0xff}},
		},
		Images: []storage.ImageSignature{{Image: "registry.example/payments/api@sha256:" + digest, Payload: []byte(`{"critical":{}}`), Signature: []byte{0x30, 0x44, 0x02, 0x20, 0x8b}}},
	}
	msgs, err := MessagesOf(batch)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		key          string
		payload, sig []byte
		sigHeader    string
	}{
		{"pipelinerun-0b1c-77", []byte(`{}`), env, string(env)},
		{"taskrun-9f-1", []byte(`{"kind":"TaskRun"}`), []byte{0x30, 0x45, 0x02, 0xe9, 0xff}, "MEUC6f8="},
		{"image-" + digest[:12], []byte(`{"critical":{}}`), []byte{0x30, 0x44, 0x02, 0x20, 0x8b}, "MEQCIIs="},
	}
	if len(msgs) != len(want) {
		t.Fatalf("%d messages, want %d", len(msgs), len(want))
	}
	for i, w := range want {
		m := msgs[i].PubSub()
		if string(m.Body) != string(w.sig) {
			t.Errorf("%s: value %q, want the stored signature %q", w.key, m.Body, w.sig)
		}
		if got := m.Metadata["payload"]; got != base64.StdEncoding.EncodeToString(w.payload) {
			t.Errorf("%s: header payload %q, want base64 of the signed payload", w.key, got)
		}
		if got := m.Metadata["signature"]; got != w.sigHeader {
			t.Errorf("%s: header signature %q, want %q", w.key, got, w.sigHeader)
		}
		for k, v := range m.Metadata {
			if !utf8.ValidString(v) {
				t.Errorf("%s: header %s is not UTF-8, which go-cloud refuses: %q", w.key, k, v)
			}
		}
		if got := m.Metadata[keyHeader]; got != w.key {
			t.Errorf("message key %q, want %q", got, w.key)
		}
		if len(m.Metadata) != 3 {
			t.Errorf("%s: metadata %v: want only payload, signature and the key", w.key, m.Metadata)
		}
	}
	again, _ := MessagesOf(batch)
	for i := range msgs {
		if again[i].Key != msgs[i].Key {
			t.Errorf("a re-run keys %q as %q", msgs[i].Key, again[i].Key)
		}
	}
}

func TestRecordsWithoutAKeyAreRefused(t *testing.T) {
	for name, b := range map[string]storage.Batch{
		"run without UID":      {Attestations: []storage.Attestation{{Object: storage.Object{Kind: "PipelineRun", Name: "r"}}}},
		"image without sha256": {Images: []storage.ImageSignature{{Image: "registry.example/api:latest"}}},
	} {
		if _, err := MessagesOf(b); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestNewNeedsTheThreeKeys(t *testing.T) {
	var cfg config.Config
	cfg.PubSub.Provider, cfg.PubSub.Topic = config.PubSubProviderKafka, "chains"
	_, err := New(cfg, nil)
	if err == nil || !strings.Contains(err.Error(), config.KeyPubSubKafkaBootstrapServers) {
		t.Fatalf("no brokers: %v", err)
	}
	cfg.PubSub.KafkaBootstrapServers = " kafka-0:9092, kafka-1:9092 ,"
	b, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(b.brokers, "|") != "kafka-0:9092|kafka-1:9092" {
		t.Errorf("brokers %q", b.brokers)
	}
}
