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
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	gstorage "cloud.google.com/go/storage"
	gpb "github.com/grafeas/grafeas/proto/v1/grafeas_go_proto"
	"github.com/sigstore/sigstore/pkg/signature"
	sigdsse "github.com/sigstore/sigstore/pkg/signature/dsse"
	"google.golang.org/api/option"

	"github.com/chainseal/chainseal/internal/stacktest"
	"github.com/chainseal/chainseal/pkg/config"
	"github.com/chainseal/chainseal/pkg/storage"
	"github.com/chainseal/chainseal/pkg/storage/docdb"
	"github.com/chainseal/chainseal/pkg/storage/gcs"
	"github.com/chainseal/chainseal/pkg/storage/grafeas"
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
// provenance of a one-task pipeline) about one image, signed with a fresh key.
func batch(b *testing.B) storage.Batch {
	b.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	sv, err := signature.LoadECDSASignerVerifier(key, crypto.SHA256)
	if err != nil {
		b.Fatal(err)
	}
	der, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	pub := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	digest := strings.Repeat("ab", 32)
	image := "registry.example/payments/api"
	payload := []byte(`{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"` + image + `","digest":{"sha256":"` + digest + `"}}],` +
		`"predicateType":"https://slsa.dev/provenance/v1","predicate":{"buildDefinition":{"buildType":"https://tekton.dev/chains/v2/slsa",` +
		`"externalParameters":{"runSpec":{"params":[{"name":"padding","value":"` + strings.Repeat("x", 5500) + `"}]}}},` +
		`"runDetails":{"builder":{"id":"https://chainseal.dev"},"metadata":{"invocationID":"0b1c-77"}}}}`)
	env, err := sigdsse.WrapSigner(sv, grafeas.InTotoType).SignMessage(bytes.NewReader(payload))
	if err != nil {
		b.Fatal(err)
	}
	return storage.Batch{Attestations: []storage.Attestation{{
		Object: storage.Object{Kind: "PipelineRun", Namespace: "payments", Name: "release-7q2xk", UID: "0b1c-77"},
		Format: "slsa/v2alpha4", PayloadType: grafeas.InTotoType, Payload: payload, Envelope: env, PublicKey: pub,
		Subjects: []storage.Subject{{Name: image, Digest: map[string]string{"sha256": digest}}},
	}}}
}

// measure reports a Store's latency and the bytes it sends: "new", each
// Store a new run's record (another UID and image digest); "rerun", each
// the same record again, as a re-run of a run already stored.
func measure(b *testing.B, r *relay, be storage.Backend, bt storage.Batch, done func()) {
	defer done()
	ctx := context.Background()
	for _, mode := range []string{"new", "rerun"} {
		b.Run(mode, func(b *testing.B) {
			if _, err := be.Store(ctx, bt); err != nil {
				b.Fatal(err)
			}
			before := r.sent.Load()
			b.ResetTimer()
			for i := range b.N {
				one := bt
				if mode == "new" {
					a := bt.Attestations[0]
					a.Object.UID = fmt.Sprintf("%s-%d-%d", b.Name(), b.N, i)
					a.Subjects = []storage.Subject{{Name: a.Subjects[0].Name, Digest: map[string]string{"sha256": fmt.Sprintf("%064x", b.N*100000+i)}}}
					one = storage.Batch{Attestations: []storage.Attestation{a}}
				}
				if _, err := be.Store(ctx, one); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(r.sent.Load()-before)/float64(b.N), "sent-B/op")
		})
	}
}

func BenchmarkStore(b *testing.B) {
	env := stacktest.Load(b)
	bt := batch(b)
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
		measure(b, r, gcs.New(svc, bucket), bt, func() { c.Close() })
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
		measure(b, r, be, bt, func() { be.Close() })
	})
	b.Run("grafeas", func(b *testing.B) {
		r := newRelay(b, env.Must(b, "GRAFEAS_ENDPOINT"))
		conn, err := grafeas.Dial(ctx, r.addr)
		if err != nil {
			b.Fatal(err)
		}
		var cfg config.Config
		cfg.Grafeas.ProjectID = "bench"
		measure(b, r, grafeas.New(gpb.NewGrafeasClient(conn), cfg), bt, func() { conn.Close() })
	})
}
