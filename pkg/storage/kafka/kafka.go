// Package kafka publishes signed attestations to a Kafka topic, as Tekton
// Chains' experimental pubsub backend does (storage.pubsub.provider: kafka,
// storage.pubsub.topic, storage.pubsub.kafka.bootstrap.servers), through
// go-cloud's kafkapubsub (the Sarama client) as Chains: one message per
// record, whose value is the signature as Chains stores it (the DSSE
// envelope; for a payload signed raw and image signatures, the raw
// signature), with the headers "payload" (base64 of the signed payload) and
// "signature" (the same signature; a raw signature in base64, since go-cloud
// refuses header values that are not UTF-8 text: Chains' own backend fails
// there on every image signature, whose raw DER bytes are not).
//
// chainseal adds the Kafka message key "<kind>-<uid>" (pipelinerun-…,
// taskrun-…) or "image-<first 12 hex of the digest>", named as the docdb
// backend names its documents, so that a consumer can tell a re-run's
// message from a new record and a compacted topic keeps one per record.
//
// Publishing is not idempotent: Kafka keeps every message, so a re-run
// publishes each record again (as Chains does on each reconcile). A message
// counts as published only when the broker acknowledged it (the topic's
// leader, Sarama's default), and a failed publish fails the run.
package kafka

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/IBM/sarama"
	"gocloud.dev/pubsub"
	"gocloud.dev/pubsub/kafkapubsub"

	"github.com/chainseal/chainseal/pkg/config"
	"github.com/chainseal/chainseal/pkg/storage"
)

// keyHeader is the metadata entry go-cloud sends as the Kafka message key.
const keyHeader = "chainseal-key"

func init() {
	storage.Register(config.StorageKafka, func(_ context.Context, d storage.Deps) (storage.Backend, error) {
		return New(d.Config, nil)
	})
}

// Backend publishes to one topic.
type Backend struct {
	brokers []string
	topic   string
	sarama  *sarama.Config
}

// New makes a Backend for cfg's storage.pubsub.* keys. sc nil means
// SaramaConfig().
func New(cfg config.Config, sc *sarama.Config) (*Backend, error) {
	p := cfg.PubSub
	if p.Provider != config.PubSubProviderKafka || p.Topic == "" || p.KafkaBootstrapServers == "" {
		return nil, fmt.Errorf("the kafka backend needs %s: kafka, %s and %s", config.KeyPubSubProvider, config.KeyPubSubTopic, config.KeyPubSubKafkaBootstrapServers)
	}
	var brokers []string
	for _, s := range strings.Split(p.KafkaBootstrapServers, ",") {
		if s = strings.TrimSpace(s); s != "" {
			brokers = append(brokers, s)
		}
	}
	if sc == nil {
		sc = SaramaConfig()
	}
	return &Backend{brokers: brokers, topic: p.Topic, sarama: sc}, nil
}

// SaramaConfig is the backend's Sarama configuration: go-cloud's minimal
// one (what Chains uses: acks from the leader, no compression), with
// timeouts that fail a run in seconds when no broker answers.
func SaramaConfig() *sarama.Config {
	sc := kafkapubsub.MinimalConfig()
	sc.Net.DialTimeout = 10 * time.Second
	sc.Net.ReadTimeout = 30 * time.Second
	sc.Net.WriteTimeout = 30 * time.Second
	sc.Metadata.Retry.Max = 2
	sc.Producer.Retry.Max = 2
	return sc
}

func (b *Backend) Name() string { return config.StorageKafka }

// Message is one record as it is published.
type Message struct {
	Key                string
	Payload, Signature []byte
	// Raw: Signature is a raw signature (image signatures, payloads signed
	// raw), not a DSSE envelope.
	Raw bool
}

// MessagesOf shapes a batch as Chains' messages (see the package doc).
func MessagesOf(batch storage.Batch) ([]Message, error) {
	var out []Message
	for _, a := range batch.Attestations {
		if a.Object.UID == "" {
			return nil, fmt.Errorf("kafka storage: %s has no UID to key its message by", a.Object)
		}
		out = append(out, Message{Key: strings.ToLower(a.Object.Kind) + "-" + a.Object.UID, Payload: a.Payload, Signature: a.StoredSignature(), Raw: len(a.Envelope) == 0})
	}
	for _, s := range batch.Images {
		hex, ok := s.DigestHex()
		if !ok {
			return nil, fmt.Errorf("kafka storage: image %q has no sha256 digest", s.Image)
		}
		out = append(out, Message{Key: "image-" + hex[:12], Payload: s.Payload, Signature: s.Signature, Raw: true})
	}
	return out, nil
}

// PubSub is m as go-cloud's message: kafkapubsub sends Body as the Kafka
// value, keyHeader as the Kafka key and the other entries as headers,
// which is what Chains sends (without the key).
func (m Message) PubSub() *pubsub.Message {
	sig := string(m.Signature)
	if m.Raw {
		sig = base64.StdEncoding.EncodeToString(m.Signature)
	}
	return &pubsub.Message{
		Body: m.Signature,
		Metadata: map[string]string{
			"payload":   base64.StdEncoding.EncodeToString(m.Payload),
			"signature": sig,
			keyHeader:   m.Key,
		},
	}
}

// why adds to go-cloud's "Failed to deliver 1 messages" the broker's
// reason, and the fix for a topic the brokers do not have.
func why(err error) error {
	var pe sarama.ProducerErrors
	if !errors.As(err, &pe) || len(pe) == 0 {
		return err
	}
	if errors.Is(pe[0].Err, sarama.ErrUnknownTopicOrPartition) {
		return fmt.Errorf("%w: %v: create the topic, or set %s to one the brokers have", err, pe[0].Err, config.KeyPubSubTopic)
	}
	return fmt.Errorf("%w: %v", err, pe[0].Err)
}

// Store publishes one message per record and returns once the broker
// acknowledged each.
func (b *Backend) Store(ctx context.Context, batch storage.Batch) (storage.Receipt, error) {
	r := storage.Receipt{Backend: b.Name()}
	msgs, err := MessagesOf(batch)
	if err != nil {
		return r, err
	}
	where := fmt.Sprintf("topic %s at %s", b.topic, strings.Join(b.brokers, ","))
	t, err := kafkapubsub.OpenTopic(b.brokers, b.sarama, b.topic, &kafkapubsub.TopicOptions{KeyName: keyHeader})
	if err != nil {
		return r, fmt.Errorf("kafka storage: connecting to %s: %w", where, err)
	}
	defer func() { _ = t.Shutdown(context.WithoutCancel(ctx)) }()
	for _, m := range msgs {
		if err := t.Send(ctx, m.PubSub()); err != nil {
			return storage.Receipt{Backend: b.Name()}, fmt.Errorf("kafka storage: publishing %s to %s: %w", m.Key, where, why(err))
		}
		r.Locations = append(r.Locations, fmt.Sprintf("kafka %s key %s", where, m.Key))
	}
	return r, nil
}
