//go:build !chainseal_task

package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"

	gpb "github.com/grafeas/grafeas/proto/v1/grafeas_go_proto"
	"github.com/spf13/pflag"

	"github.com/chainseal/chainseal/pkg/config"
	"github.com/chainseal/chainseal/pkg/storage/docdb"
	"github.com/chainseal/chainseal/pkg/storage/gcs"
	"github.com/chainseal/chainseal/pkg/storage/grafeas"
	"github.com/chainseal/chainseal/pkg/verify"
	"github.com/chainseal/chainseal/pkg/verify/fromstore"
)

// sourceOptions are verify's flags for reading attestations from storage
// backends instead of the registry.
type sourceOptions struct {
	gcs, docdb, grafeas string
	grafeasEndpoint     string
	mongoServerURLFile  string
	closers             []func() error
}

func (s *sourceOptions) addFlags(f *pflag.FlagSet) {
	f.StringVar(&s.gcs, "from-gcs", "", "read the attestations from a GCS bucket the gcs backend (or Chains) wrote, gs://BUCKET[/PREFIX], instead of the registry; the argument is then ARTIFACT@ALG:HEX (any artifact, not only an image). $STORAGE_EMULATOR_HOST names another server")
	f.StringVar(&s.docdb, "from-docdb", "", "read the attestations from a docdb collection (storage.docdb.url: mongo://DB/COLLECTION?id_field=name, firestore://...) instead of the registry; the MongoDB server from --mongo-server-url-file or $MONGO_SERVER_URL")
	f.StringVar(&s.mongoServerURLFile, "mongo-server-url-file", "", "with --from-docdb: a file holding the MongoDB server's URL (default: $MONGO_SERVER_URL)")
	f.StringVar(&s.grafeas, "from-grafeas", "", "read the attestations from a Grafeas project's BUILD occurrences, projects/PROJECT (or PROJECT), instead of the registry")
	f.StringVar(&s.grafeasEndpoint, "grafeas-endpoint", grafeas.DefaultEndpoint, "with --from-grafeas: the Grafeas v1 gRPC server (TLS but to a loopback address)")
}

func (s *sourceOptions) any() bool { return s.gcs != "" || s.docdb != "" || s.grafeas != "" }

// sources opens the backends named by the flags.
func (s *sourceOptions) sources(ctx context.Context) ([]verify.Source, error) {
	var out []verify.Source
	if s.gcs != "" {
		u, err := url.Parse(s.gcs)
		if err != nil || u.Scheme != "gs" || u.Host == "" {
			return nil, fmt.Errorf("--from-gcs %q: give gs://BUCKET or gs://BUCKET/PREFIX", s.gcs)
		}
		svc, err := gcs.NewService(ctx)
		if err != nil {
			return nil, fmt.Errorf("%w: --from-gcs: a GCS client (credentials from the environment, or STORAGE_EMULATOR_HOST): %w", verify.ErrInconclusive, err)
		}
		out = append(out, fromstore.GCS{Service: svc, Bucket: u.Host, Prefix: strings.TrimPrefix(u.Path, "/")})
	}
	if s.docdb != "" {
		var cfg config.Config
		cfg.DocDB.URL = s.docdb
		cfg.DocDB.MongoServerURLPath = s.mongoServerURLFile
		b, err := docdb.Open(ctx, cfg, os.Getenv)
		if err != nil {
			return nil, fmt.Errorf("%w: --from-docdb: %w", verify.ErrInconclusive, err)
		}
		s.closers = append(s.closers, b.Close)
		u, _ := url.Parse(s.docdb)
		out = append(out, fromstore.DocDB{Backend: b, URL: u.Redacted()})
	}
	if s.grafeas != "" {
		project := strings.TrimPrefix(s.grafeas, "projects/")
		if project == "" || strings.Contains(project, "/") {
			return nil, fmt.Errorf("--from-grafeas %q: give projects/PROJECT", s.grafeas)
		}
		conn, err := grafeas.Dial(ctx, s.grafeasEndpoint)
		if err != nil {
			return nil, fmt.Errorf("%w: --grafeas-endpoint: %w", verify.ErrInconclusive, err)
		}
		s.closers = append(s.closers, conn.Close)
		out = append(out, fromstore.Grafeas{Client: gpb.NewGrafeasClient(conn), Project: project})
	}
	return out, nil
}

func (s *sourceOptions) close() {
	for _, c := range s.closers {
		_ = c()
	}
}

// checkSourceFlags refuses flags that read the registry with --from-*.
func (o *verifyOptions) checkSourceFlags() error {
	if !o.src.any() {
		if o.src.mongoServerURLFile != "" {
			return errors.New("--mongo-server-url-file goes with --from-docdb")
		}
		return nil
	}
	switch {
	case o.offline:
		return errors.New("--from-gcs, --from-docdb and --from-grafeas read a server: not with --offline (use --bundle files)")
	case o.noReferrers:
		return errors.New("--no-referrers is about the registry, which --from-gcs, --from-docdb and --from-grafeas do not read")
	case o.saveBundle != "":
		return errors.New("--save-bundle writes a registry attestation's bundle: not with --from-gcs, --from-docdb or --from-grafeas")
	}
	return nil
}
