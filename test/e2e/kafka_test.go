//go:build stack

package e2e

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/chainseal/chainseal/internal/stacktest"
)

// TestKafkaPublishesWhatAConsumerReads signs a PipelineRun of the real API
// server and publishes its attestation and the image signature, next to
// OCI, to the stack's Kafka test double (franz-go's kfake: not Apache
// Kafka, none builds here). Runs with the broker down, and with a topic it
// refuses, fail naming the kafka backend and mark nothing signed. Two good
// runs publish twice (Kafka keeps every message; a re-run publishes again,
// as Chains does) under the same keys, the PipelineRun's UID and the
// image's digest; franz-go's consumer reads them, cosign verifies each
// envelope against the image's manifest with the public key, and openssl
// each image signature.
func TestKafkaPublishesWhatAConsumerReads(t *testing.T) {
	t.Parallel()
	env := stacktest.Load(t)
	env.Start(t, "kafkadouble")
	bootstrap := env.Must(t, "KAFKA_DOUBLE_BOOTSTRAP")
	bin := buildChainseal(t)
	f := newBuildFixture(t, env, "kafka")
	secrets := filepath.Join(f.work, "signing")
	writeECKey(t, filepath.Join(secrets, "x509.pem"))

	sign := func(bootstrap, topic string) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, append(f.signArgs(t), "--config-map", "", "--secret-dir", secrets,
			"--config", "artifacts.pipelinerun.storage=oci,kafka",
			"--config", "artifacts.oci.storage=oci,kafka",
			"--config", "storage.pubsub.provider=kafka",
			"--config", "storage.pubsub.topic="+topic,
			"--config", "storage.pubsub.kafka.bootstrap.servers="+bootstrap)...)
		cmd.Env = append(os.Environ(), "DOCKER_CONFIG="+f.docker)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	signed := func() bool { return f.markedSigned(t) }

	for _, bad := range [][2]string{{"127.0.0.1:1", "chains"}, {bootstrap, "not-a-topic-there"}} {
		if out, err := sign(bad[0], bad[1]); err == nil {
			t.Fatalf("sign succeeded publishing to %s at %s:\n%s", bad[1], bad[0], out)
		} else if !strings.Contains(out, `"kafka"`) {
			t.Errorf("the failure does not name the kafka backend:\n%s", out)
		}
		if signed() {
			t.Fatalf("PipelineRun marked signed although publishing to %s at %s failed", bad[1], bad[0])
		}
	}
	for i := range 2 {
		out, err := sign(bootstrap, "chains")
		if err != nil {
			t.Fatalf("sign %d: %v\n%s", i+1, err, out)
		}
		logStored(t, out)
	}
	if !signed() {
		t.Fatal("PipelineRun not marked signed after the broker acknowledged")
	}

	c, err := kgo.NewClient(kgo.SeedBrokers(bootstrap), kgo.ConsumeTopics("chains"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	hex := strings.TrimPrefix(f.digest, "sha256:")
	runKey, imageKey := "pipelinerun-"+string(f.build.UID), "image-"+hex[:12]
	byKey := map[string][]*kgo.Record{}
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		fs := c.PollFetches(ctx)
		cancel()
		n := 0
		fs.EachRecord(func(r *kgo.Record) {
			n++
			if k := string(r.Key); k == runKey || k == imageKey {
				byKey[k] = append(byKey[k], r)
			}
		})
		if n == 0 {
			break
		}
	}
	// Each good run published one message per record under the same key:
	// a consumer (or a compacted topic) keeping the last per key holds
	// one each; the failed runs published nothing.
	for _, k := range []string{runKey, imageKey} {
		if len(byKey[k]) != 2 {
			t.Fatalf("%d messages keyed %s after two good runs, want 2 (one per publish)", len(byKey[k]), k)
		}
	}

	pub := filepath.Join(secrets, "x509.pub")
	manifest := filepath.Join(f.work, "manifest.json")
	if err := os.WriteFile(manifest, []byte(run(t, f.userEnv, env.Crane(), "manifest", f.image())), 0o600); err != nil {
		t.Fatal(err)
	}
	for i, r := range byKey[runKey] {
		if h := header(r, "signature"); h != string(r.Value) {
			t.Errorf("header signature differs from the value")
		}
		if p, err := base64.StdEncoding.DecodeString(header(r, "payload")); err != nil || !bytes.Contains(p, []byte(hex)) {
			t.Errorf("header payload is not the statement about %s (%v)", hex, err)
		}
		envFile := filepath.Join(f.work, fmt.Sprintf("message-%d.dsse.json", i))
		if err := os.WriteFile(envFile, r.Value, 0o600); err != nil {
			t.Fatal(err)
		}
		run(t, f.userEnv, env.Cosign(), "verify-blob-attestation", "--key", pub, "--signature", envFile,
			"--type", "slsaprovenance1", "--insecure-ignore-tlog", manifest)
	}
	for i, r := range byKey[imageKey] {
		payload, err := base64.StdEncoding.DecodeString(header(r, "payload"))
		if err != nil || !bytes.Contains(payload, []byte(f.digest)) {
			t.Fatalf("header payload is not the simplesigning payload of %s (%v)", f.digest, err)
		}
		pf, sf := filepath.Join(f.work, fmt.Sprintf("image-%d.json", i)), filepath.Join(f.work, fmt.Sprintf("image-%d.sig", i))
		if err := os.WriteFile(pf, payload, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(sf, r.Value, 0o600); err != nil {
			t.Fatal(err)
		}
		if h := header(r, "signature"); h != base64.StdEncoding.EncodeToString(r.Value) {
			t.Errorf("header signature of the image is not the value in base64")
		}
		run(t, f.userEnv, "openssl", "dgst", "-sha256", "-verify", pub, "-signature", sf, pf)
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
