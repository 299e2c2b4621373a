//go:build stack

package kafka

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sigstore/sigstore/pkg/signature"
	sigdsse "github.com/sigstore/sigstore/pkg/signature/dsse"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/chainseal/chainseal/internal/stacktest"
	"github.com/chainseal/chainseal/pkg/config"
	"github.com/chainseal/chainseal/pkg/storage"
)

// Consume reads every message of topic with franz-go's own client (kgo),
// a Kafka consumer nobody here wrote, until none comes for a second.
func Consume(t testing.TB, bootstrap, topic string) []*kgo.Record {
	t.Helper()
	c, err := kgo.NewClient(kgo.SeedBrokers(bootstrap), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var out []*kgo.Record
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		fs := c.PollFetches(ctx)
		cancel()
		for _, e := range fs.Errors() {
			if e.Err != context.DeadlineExceeded {
				t.Fatalf("consuming %s: %v", topic, e.Err)
			}
		}
		n := 0
		fs.EachRecord(func(r *kgo.Record) { out = append(out, r); n++ })
		if n == 0 {
			return out
		}
	}
}

func header(r *kgo.Record, key string) string {
	for _, h := range r.Headers {
		if h.Key == key {
			return string(h.Value)
		}
	}
	return ""
}

// On the stack's Kafka test double (franz-go's kfake): a statement stored
// twice is published twice (Kafka keeps every message; a re-run publishes
// again, as Chains), both with the record's key; franz-go's consumer reads
// them, and the envelope verifies with the signing key.
func TestPublishReadByAKafkaConsumer(t *testing.T) {
	env := stacktest.Load(t)
	env.Start(t, "kafkadouble")
	bootstrap := env.Must(t, "KAFKA_DOUBLE_BOOTSTRAP")
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sv, err := signature.LoadECDSASignerVerifier(key, crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	uid := fmt.Sprintf("uid-%d", time.Now().UnixNano())
	payload := []byte(`{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"api","digest":{"sha256":"` + strings.Repeat("cd", 32) + `"}}],"predicate":{"uid":"` + uid + `"}}`)
	envelope, err := sigdsse.WrapSigner(sv, "application/vnd.in-toto+json").SignMessage(bytes.NewReader(payload))
	if err != nil {
		t.Fatal(err)
	}
	var cfg config.Config
	cfg.PubSub.Provider, cfg.PubSub.Topic, cfg.PubSub.KafkaBootstrapServers = config.PubSubProviderKafka, "chains", bootstrap
	b, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	batch := storage.Batch{Attestations: []storage.Attestation{{
		Object: storage.Object{Kind: "PipelineRun", Namespace: "payments", Name: "release-7q2xk", UID: uid},
		Format: "slsa/v2alpha4", Payload: payload, Envelope: envelope,
	}}}
	for range 2 {
		if _, err := b.Store(context.Background(), batch); err != nil {
			t.Fatal(err)
		}
	}

	var ours []*kgo.Record
	for _, r := range Consume(t, bootstrap, "chains") {
		if string(r.Key) == "pipelinerun-"+uid {
			ours = append(ours, r)
		}
	}
	if len(ours) != 2 {
		t.Fatalf("%d messages keyed pipelinerun-%s after two stores, want 2 (Kafka keeps every publish)", len(ours), uid)
	}
	for _, r := range ours {
		if err := sigdsse.WrapVerifier(sv).VerifySignature(bytes.NewReader(r.Value), nil); err != nil {
			t.Fatalf("the message's envelope does not verify with the signing key: %v", err)
		}
		if p, err := base64.StdEncoding.DecodeString(header(r, "payload")); err != nil || !bytes.Equal(p, payload) {
			t.Errorf("header payload is not the signed payload (%v)", err)
		}
		if header(r, "signature") != string(envelope) {
			t.Error("header signature is not the envelope")
		}
	}
}

// A broker that is down, or one that refuses the topic, fails the store
// with an error naming the topic and brokers; nothing counts as published.
func TestPublishFailsClosed(t *testing.T) {
	env := stacktest.Load(t)
	env.Start(t, "kafkadouble")
	bootstrap := env.Must(t, "KAFKA_DOUBLE_BOOTSTRAP")
	batch := storage.Batch{Attestations: []storage.Attestation{{
		Object: storage.Object{Kind: "PipelineRun", Namespace: "payments", Name: "r", UID: "u"}, Payload: []byte(`{}`), Envelope: []byte(`{}`),
	}}}
	for _, tc := range []struct{ bootstrap, topic string }{{"127.0.0.1:1", "chains"}, {bootstrap, "no-such-topic"}} {
		var cfg config.Config
		cfg.PubSub.Provider, cfg.PubSub.Topic, cfg.PubSub.KafkaBootstrapServers = config.PubSubProviderKafka, tc.topic, tc.bootstrap
		b, err := New(cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		r, err := b.Store(ctx, batch)
		cancel()
		if err == nil || len(r.Locations) != 0 {
			t.Fatalf("published to %s at %s: %v, %v", tc.topic, tc.bootstrap, r.Locations, err)
		}
		if !strings.Contains(err.Error(), tc.topic) || !strings.Contains(err.Error(), tc.bootstrap) {
			t.Errorf("the error does not name the topic and brokers: %v", err)
		}
	}
}
