//go:build !chainseal_task

package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"

	gpb "github.com/grafeas/grafeas/proto/v1/grafeas_go_proto"
	archivistaclient "github.com/in-toto/archivista/pkg/http-client"
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
	archivista          string
	grafeasEndpoint     string
	mongoServerURLFile  string
	closers             []func() error
}

func (s *sourceOptions) addFlags(f *pflag.FlagSet) {
	f.StringVar(&s.gcs, "from-gcs", "", "read the attestations from a GCS bucket the gcs backend (or Chains) wrote, gs://BUCKET[/PREFIX], instead of the registry; the argument is then ARTIFACT@ALG:HEX (any artifact, not only an image). $STORAGE_EMULATOR_HOST names another server")
	f.StringVar(&s.docdb, "from-docdb", "", "read the attestations from a docdb collection (storage.docdb.url: mongo://DB/COLLECTION?id_field=name, firestore://...) instead of the registry; the MongoDB server from --mongo-server-url-file or $MONGO_SERVER_URL")
	f.StringVar(&s.mongoServerURLFile, "mongo-server-url-file", "", "with --from-docdb: a file holding the MongoDB server's URL (default: $MONGO_SERVER_URL)")
	f.StringVar(&s.grafeas, "from-grafeas", "", "read the attestations from a Grafeas project's BUILD occurrences, projects/PROJECT (or PROJECT), instead of the registry")
	f.StringVar(&s.archivista, "from-archivista", "", "read the attestations from an Archivista server the archivista backend (or Chains) uploaded them to, its base URL (storage.archivista.url), instead of the registry; found by the artifact's digest as a subject")
	f.StringVar(&s.grafeasEndpoint, "grafeas-endpoint", grafeas.DefaultEndpoint, "with --from-grafeas: the Grafeas v1 gRPC server (TLS but to a loopback address)")
}

func (s *sourceOptions) any() bool {
	return s.gcs != "" || s.docdb != "" || s.grafeas != "" || s.archivista != ""
}

// checkShapes refuses a --from-* value of the wrong shape (bad usage,
// before any server is asked).
func (s *sourceOptions) checkShapes() error {
	if s.gcs != "" {
		if _, err := s.gcsLocation(); err != nil {
			return err
		}
	}
	if s.grafeas != "" {
		if _, err := s.grafeasProject(); err != nil {
			return err
		}
	}
	if s.archivista != "" {
		if _, err := s.archivistaURL(); err != nil {
			return err
		}
	}
	return nil
}

func (s *sourceOptions) gcsLocation() (*url.URL, error) {
	u, err := url.Parse(s.gcs)
	if err != nil || u.Scheme != "gs" || u.Host == "" {
		return nil, fmt.Errorf("--from-gcs %q: give gs://BUCKET or gs://BUCKET/PREFIX", s.gcs)
	}
	return u, nil
}

func (s *sourceOptions) grafeasProject() (string, error) {
	project := strings.TrimPrefix(s.grafeas, "projects/")
	if project == "" || strings.Contains(project, "/") {
		return "", fmt.Errorf("--from-grafeas %q: give projects/PROJECT", s.grafeas)
	}
	return project, nil
}

func (s *sourceOptions) archivistaURL() (*url.URL, error) {
	u, err := url.Parse(s.archivista)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("--from-archivista %q: give the server's base URL, https://HOST[:PORT]", s.archivista)
	}
	return u, nil
}

// sources opens the backends named by the flags.
func (s *sourceOptions) sources(ctx context.Context) ([]verify.Source, error) {
	var out []verify.Source
	if s.gcs != "" {
		u, err := s.gcsLocation()
		if err != nil {
			return nil, err
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
		project, err := s.grafeasProject()
		if err != nil {
			return nil, err
		}
		conn, err := grafeas.Dial(ctx, s.grafeasEndpoint)
		if err != nil {
			return nil, fmt.Errorf("%w: --grafeas-endpoint: %w", verify.ErrInconclusive, err)
		}
		s.closers = append(s.closers, conn.Close)
		out = append(out, fromstore.Grafeas{Client: gpb.NewGrafeasClient(conn), Project: project})
	}
	if s.archivista != "" {
		u, err := s.archivistaURL()
		if err != nil {
			return nil, err
		}
		c, err := archivistaclient.CreateArchivistaClient(http.DefaultClient, s.archivista)
		if err != nil {
			return nil, fmt.Errorf("%w: --from-archivista: %w", verify.ErrInconclusive, err)
		}
		out = append(out, fromstore.Archivista{Client: c, URL: u.Redacted()})
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
	if err := o.src.checkShapes(); err != nil {
		return err
	}
	switch {
	case o.offline:
		return errors.New("--from-gcs, --from-docdb, --from-grafeas and --from-archivista read a server: not with --offline (use --bundle files)")
	case o.noReferrers:
		return errors.New("--no-referrers is about the registry, which --from-gcs, --from-docdb, --from-grafeas and --from-archivista do not read")
	case o.saveBundle != "":
		return errors.New("--save-bundle writes a registry attestation's bundle: not with --from-gcs, --from-docdb, --from-grafeas or --from-archivista")
	}
	return nil
}
