//go:build stack

package storagebench

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	gstorage "cloud.google.com/go/storage"
	gpb "github.com/grafeas/grafeas/proto/v1/grafeas_go_proto"
	"github.com/sigstore/sigstore/pkg/signature"
	sigdsse "github.com/sigstore/sigstore/pkg/signature/dsse"
	"google.golang.org/api/option"

	"github.com/chainseal/chainseal/internal/stacktest"
	"github.com/chainseal/chainseal/pkg/config"
	"github.com/chainseal/chainseal/pkg/storage"
	"github.com/chainseal/chainseal/pkg/storage/archivista"
	"github.com/chainseal/chainseal/pkg/storage/docdb"
	"github.com/chainseal/chainseal/pkg/storage/gcs"
	"github.com/chainseal/chainseal/pkg/storage/grafeas"
	"github.com/chainseal/chainseal/pkg/storage/kafka"
)

// relay forwards loopback connections to a server and counts, as they
// pass, the bytes clients send through it.
type relay struct {
	addr string
	sent atomic.Int64
}

type countingWriter struct {
	w io.Writer
	n *atomic.Int64
}

func (c countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n.Add(int64(n))
	return n, err
}

func newRelay(b *testing.B, target string) *relay {
	b.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	r := &relay{addr: l.Addr().String()}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	b.Cleanup(func() {
		l.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			mu.Lock()
			conns = append(conns, c, s)
			mu.Unlock()
			wg.Add(2)
			go func() { defer wg.Done(); io.Copy(countingWriter{s, &r.sent}, c); s.Close() }()
			go func() { defer wg.Done(); io.Copy(c, s); c.Close() }()
		}
	}()
	return r
}

// batch is one PipelineRun statement (~6 KB, the size of a real SLSA v1.0
// provenance of a one-task pipeline) about one image, signed with a fresh
// key; newRecord makes another run's record (another UID and image digest,
// signed again: Archivista keys envelopes by the statement's digest).
func batch(b *testing.B) (storage.Batch, func(uid, digest string) storage.Attestation) {
	b.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	sv, err := signature.LoadECDSASignerVerifier(key, crypto.SHA256)
	if err != nil {
		b.Fatal(err)
	}
	der, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	pub := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	image := "registry.example/payments/api"
	newRecord := func(uid, digest string) storage.Attestation {
		payload := []byte(`{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"` + image + `","digest":{"sha256":"` + digest + `"}}],` +
			`"predicateType":"https://slsa.dev/provenance/v1","predicate":{"buildDefinition":{"buildType":"https://tekton.dev/chains/v2/slsa",` +
			`"externalParameters":{"runSpec":{"params":[{"name":"padding","value":"` + strings.Repeat("x", 5500) + `"}]}}},` +
			`"runDetails":{"builder":{"id":"https://chainseal.dev"},"metadata":{"invocationID":"` + uid + `"}}}}`)
		env, err := sigdsse.WrapSigner(sv, grafeas.InTotoType).SignMessage(bytes.NewReader(payload))
		if err != nil {
			b.Fatal(err)
		}
		return storage.Attestation{
			Object: storage.Object{Kind: "PipelineRun", Namespace: "payments", Name: "release-7q2xk", UID: uid},
			Format: "slsa/v2alpha4", PayloadType: grafeas.InTotoType, Payload: payload, Envelope: env, PublicKey: pub,
			Subjects: []storage.Subject{{Name: image, Digest: map[string]string{"sha256": digest}}},
		}
	}
	return storage.Batch{Attestations: []storage.Attestation{newRecord("0b1c-77", strings.Repeat("ab", 32))}}, newRecord
}

// measure reports a Store's latency and the bytes it sends: "new", each
// Store a new run's record (another UID and image digest); "rerun", each
// the same record again, as a re-run of a run already stored.
func measure(b *testing.B, sent *atomic.Int64, be storage.Backend, done func()) {
	bt, newRecord := batch(b)
	defer done()
	ctx := context.Background()
	for _, mode := range []string{"new", "rerun"} {
		b.Run(mode, func(b *testing.B) {
			if _, err := be.Store(ctx, bt); err != nil {
				b.Fatal(err)
			}
			before := sent.Load()
			b.ResetTimer()
			for i := range b.N {
				one := bt
				if mode == "new" {
					b.StopTimer()
					one = storage.Batch{Attestations: []storage.Attestation{newRecord(fmt.Sprintf("%s-%d-%d-%d", b.Name(), time.Now().UnixNano(), b.N, i), fmt.Sprintf("%064x", time.Now().UnixNano()))}}
					b.StartTimer()
				}
				if _, err := be.Store(ctx, one); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(sent.Load()-before)/float64(b.N), "sent-B/op")
		})
	}
}

func BenchmarkStore(b *testing.B) {
	env := stacktest.Load(b)
	ctx := context.Background()

	b.Run("gcs", func(b *testing.B) {
		r := newRelay(b, env.Must(b, "GCS_EMULATOR_HOST"))
		c, err := gstorage.NewClient(ctx, option.WithEndpoint("http://"+r.addr+"/storage/v1/"), option.WithoutAuthentication())
		if err != nil {
			b.Fatal(err)
		}
		bucket := "chainseal-bench"
		if err := c.Bucket(bucket).Create(ctx, "chainseal-stack", nil); err != nil && !strings.Contains(err.Error(), "409") {
			b.Fatal(err)
		}
		svc, err := gcs.NewService(ctx, option.WithEndpoint("http://"+r.addr+"/storage/v1/"), option.WithoutAuthentication())
		if err != nil {
			b.Fatal(err)
		}
		measure(b, &r.sent, gcs.New(svc, bucket), func() { c.Close() })
	})
	b.Run("docdb", func(b *testing.B) {
		r := newRelay(b, strings.TrimSuffix(strings.TrimPrefix(env.Must(b, "DOCDB_MONGO_URL"), "mongodb://"), "/"))
		var cfg config.Config
		cfg.DocDB.URL = "mongo://chainsealbench/attestations?id_field=name"
		cfg.DocDB.MongoServerURL = "mongodb://" + r.addr + "/"
		be, err := docdb.Open(ctx, cfg, func(string) string { return "" })
		if err != nil {
			b.Fatal(err)
		}
		measure(b, &r.sent, be, func() { be.Close() })
	})
	b.Run("grafeas", func(b *testing.B) {
		r := newRelay(b, env.Must(b, "GRAFEAS_ENDPOINT"))
		conn, err := grafeas.Dial(ctx, r.addr)
		if err != nil {
			b.Fatal(err)
		}
		var cfg config.Config
		cfg.Grafeas.ProjectID = "bench"
		measure(b, &r.sent, grafeas.New(gpb.NewGrafeasClient(conn), cfg), func() { conn.Close() })
	})
	b.Run("archivista", func(b *testing.B) {
		env.Start(b, "archivista")
		server := env.Must(b, "ARCHIVISTA_URL")
		r := newRelay(b, strings.TrimPrefix(server, "http://"))
		// a client of its own: connections kept between Stores, as a run's
		measure(b, &r.sent, archivista.New("http://"+r.addr, &http.Client{Transport: &http.Transport{}}), func() {})
	})
	b.Run("kafka", func(b *testing.B) {
		env.Start(b, "kafkadouble")
		benchKafka(b, env.Must(b, "KAFKA_DOUBLE_BOOTSTRAP"))
	})
}

// countingDialer counts the bytes Sarama sends. Kafka clients connect to
// the address the broker advertises in its metadata, which would bypass a
// relay in front of the bootstrap address, so the count is taken at the
// client's dialer.
type countingDialer struct{ sent *atomic.Int64 }

func (d countingDialer) Dial(network, addr string) (net.Conn, error) {
	c, err := (&net.Dialer{Timeout: 10 * time.Second}).Dial(network, addr)
	if err != nil {
		return nil, err
	}
	return countingConn{c, d.sent}, nil
}

type countingConn struct {
	net.Conn
	n *atomic.Int64
}

func (c countingConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.n.Add(int64(n))
	return n, err
}

// benchKafka measures the kafka backend as a run uses it: each Store
// connects, reads the topic's metadata, publishes and waits for the
// leader's ack (the kafka backend's own Sarama configuration).
func benchKafka(b *testing.B, bootstrap string) {
	var cfg config.Config
	cfg.PubSub.Provider, cfg.PubSub.Topic, cfg.PubSub.KafkaBootstrapServers = config.PubSubProviderKafka, "chains", bootstrap
	var sent atomic.Int64
	sc := kafka.SaramaConfig()
	sc.Net.Proxy.Enable, sc.Net.Proxy.Dialer = true, countingDialer{&sent}
	be, err := kafka.New(cfg, sc)
	if err != nil {
		b.Fatal(err)
	}
	measure(b, &sent, be, func() {})
}
