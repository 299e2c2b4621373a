//go:build stack

package e2e

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	gstorage "cloud.google.com/go/storage"
	gpb "github.com/grafeas/grafeas/proto/v1/grafeas_go_proto"
	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"
	"google.golang.org/api/iterator"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/chainseal/chainseal/internal/stacktest"
)

// dyingProxyDouble is a test double of a storage server that goes down in
// the middle of a run: a loopback TCP proxy in front of the real server
// that forwards until the clients have sent budget bytes, then drops every
// connection and refuses new ones (closes them as soon as they are
// accepted).
type dyingProxyDouble struct {
	addr      string
	forwarded atomic.Int64
	dead      atomic.Bool
	mu        sync.Mutex
	conns     []net.Conn
}

func newDyingProxyDouble(t *testing.T, target string, budget int64) *dyingProxyDouble {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &dyingProxyDouble{addr: l.Addr().String()}
	t.Cleanup(func() { l.Close(); p.die() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			if p.dead.Load() {
				c.Close()
				continue
			}
			s, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, s)
			p.mu.Unlock()
			go func() {
				buf := make([]byte, 4096)
				for {
					n, err := c.Read(buf)
					if n > 0 {
						if p.forwarded.Add(int64(n)) > budget {
							p.die()
							return
						}
						if _, werr := s.Write(buf[:n]); werr != nil {
							return
						}
					}
					if err != nil {
						s.Close()
						return
					}
				}
			}()
			go func() { io.Copy(c, s); c.Close() }()
		}
	}()
	return p
}

func (p *dyingProxyDouble) die() {
	p.dead.Store(true)
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// TestBackendDiesDuringARun: for gcs, docdb and grafeas, the real server
// goes down in the middle of a seal (dyingProxyDouble in front of it, after
// the first bytes of the store went through): the run fails naming the
// backend and nothing is marked signed. Two re-runs with the server back
// leave exactly one object per name, one document, one occurrence.
func TestBackendDiesDuringARun(t *testing.T) {
	t.Parallel()
	env := stacktest.Load(t)
	bin := buildChainseal(t)
	gcsHost := env.Must(t, "GCS_EMULATOR_HOST")
	mongoURL := env.Must(t, "DOCDB_MONGO_URL")
	grafeasEndpoint := env.Must(t, "GRAFEAS_ENDPOINT")
	ctx := context.Background()

	type backend struct {
		name   string
		target string
		budget int64
		// config gives the run's --config flags and environment for a
		// server at addr.
		config func(f *buildFixture, addr string) ([]string, []string)
		// count checks what the server holds after the re-runs.
		count func(t *testing.T, f *buildFixture)
	}
	backends := []backend{
		{name: "gcs", target: gcsHost, budget: 6000,
			config: func(f *buildFixture, addr string) ([]string, []string) {
				return []string{"storage.gcs.bucket=" + f.ns}, []string{"STORAGE_EMULATOR_HOST=" + addr}
			},
			count: func(t *testing.T, f *buildFixture) {
				c, err := gstorage.NewClient(ctx, option.WithEndpoint("http://"+gcsHost+"/storage/v1/"), option.WithoutAuthentication())
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				var names []string
				it := c.Bucket(f.ns).Objects(ctx, nil)
				for {
					a, err := it.Next()
					if errors.Is(err, iterator.Done) {
						break
					}
					if err != nil {
						t.Fatal(err)
					}
					names = append(names, a.Name)
				}
				slices.Sort(names)
				prefix := "pipelinerun-" + f.ns + "-" + f.build.Name + "/pipelinerun-" + string(f.build.UID)
				if want := []string{prefix + ".payload", prefix + ".signature"}; !slices.Equal(names, want) {
					t.Fatalf("bucket holds %q, want exactly %q", names, want)
				}
			}},
		{name: "docdb", target: strings.TrimSuffix(strings.TrimPrefix(mongoURL, "mongodb://"), "/"), budget: 3000,
			config: func(f *buildFixture, addr string) ([]string, []string) {
				return []string{"storage.docdb.url=mongo://" + strings.ReplaceAll(f.ns, "-", "") + "/attestations?id_field=name",
					"storage.docdb.mongo-server-url=mongodb://" + addr + "/?serverSelectionTimeoutMS=5000"}, nil
			},
			count: func(t *testing.T, f *buildFixture) {
				c, err := mongo.Connect(ctx, options.Client().ApplyURI(mongoURL))
				if err != nil {
					t.Fatal(err)
				}
				defer c.Disconnect(ctx)
				n, err := c.Database(strings.ReplaceAll(f.ns, "-", "")).Collection("attestations").CountDocuments(ctx, bson.D{})
				if err != nil || n != 1 {
					t.Fatalf("%d documents (%v), want 1", n, err)
				}
			}},
		{name: "grafeas", target: grafeasEndpoint, budget: 3000,
			config: func(f *buildFixture, addr string) ([]string, []string) {
				return []string{"storage.grafeas.projectid=" + f.ns, "storage.grafeas.endpoint=" + addr}, nil
			},
			count: func(t *testing.T, f *buildFixture) {
				conn, err := grpc.NewClient(grafeasEndpoint, grpc.WithTransportCredentials(insecure.NewCredentials()))
				if err != nil {
					t.Fatal(err)
				}
				defer conn.Close()
				all, err := gpb.NewGrafeasClient(conn).ListOccurrences(ctx, &gpb.ListOccurrencesRequest{Parent: "projects/" + f.ns, PageSize: 100})
				if err != nil || len(all.GetOccurrences()) != 1 || all.GetOccurrences()[0].GetResourceUri() != f.image() {
					t.Fatalf("occurrences %v (%v), want one BUILD occurrence for %s", all, err, f.image())
				}
			}},
	}
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			f := newBuildFixture(t, env, "dies-"+b.name)
			secrets := filepath.Join(f.work, "signing")
			writeECKey(t, filepath.Join(secrets, "x509.pem"))
			if b.name == "gcs" {
				c, err := gstorage.NewClient(ctx, option.WithEndpoint("http://"+gcsHost+"/storage/v1/"), option.WithoutAuthentication())
				if err != nil {
					t.Fatal(err)
				}
				if err := c.Bucket(f.ns).Create(ctx, "chainseal-stack", nil); err != nil {
					t.Fatal(err)
				}
				c.Close()
			}
			sign := func(addr string) (string, error) {
				cfg, environ := b.config(f, addr)
				args := append(f.signArgs(t), "--config-map", "", "--secret-dir", secrets, "--config", "artifacts.pipelinerun.storage=oci,"+b.name)
				for _, c := range cfg {
					args = append(args, "--config", c)
				}
				sctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
				defer cancel()
				cmd := exec.CommandContext(sctx, bin, args...)
				cmd.Env = append(append(os.Environ(), "DOCKER_CONFIG="+f.docker), environ...)
				out, err := cmd.CombinedOutput()
				return string(out), err
			}
			signed := func() bool { return f.markedSigned(t) }

			proxy := newDyingProxyDouble(t, b.target, b.budget)
			out, err := sign(proxy.addr)
			if err == nil {
				t.Fatalf("sign succeeded although the %s server went down during it:\n%s", b.name, out)
			}
			if !proxy.dead.Load() || proxy.forwarded.Load() == 0 {
				t.Fatalf("the server did not go down during the run (forwarded %d bytes, down %v):\n%s", proxy.forwarded.Load(), proxy.dead.Load(), out)
			}
			if !strings.Contains(out, `"`+b.name+`"`) || !strings.Contains(out, "nothing was marked signed") {
				t.Errorf("the failure does not name the %s backend or say nothing was marked signed:\n%s", b.name, out)
			}
			if signed() {
				t.Fatalf("PipelineRun marked signed although the %s store failed", b.name)
			}
			t.Logf("%s went down after %d bytes", b.name, proxy.forwarded.Load())
			for i := range 2 {
				if out, err := sign(b.target); err != nil {
					t.Fatalf("re-run %d with the server back: %v\n%s", i+1, err, out)
				}
			}
			if !signed() {
				t.Fatal("PipelineRun not marked signed after the re-runs stored everywhere")
			}
			b.count(t, f)
		})
	}
}
