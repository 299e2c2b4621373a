package seal

import (
	"context"
	"strings"
	"testing"

	"github.com/chainseal/chainseal/internal/sigtest"
	"github.com/chainseal/chainseal/pkg/config"
	"github.com/chainseal/chainseal/pkg/storage"
	"github.com/chainseal/chainseal/pkg/transparency/rekor"
)

func transparencyConfig(t *testing.T, kv map[string]string) config.Config {
	t.Helper()
	kv[config.KeyTransparencyEnabled] = "true"
	kv[config.KeyTransparencyURL] = "http://127.0.0.1:1"
	cfg, err := config.Parse(kv)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func logIDOf(t *testing.T, s *Sealer) string {
	t.Helper()
	c, ok := s.transparency.(*rekor.Client)
	if !ok {
		t.Fatalf("transparency = %T, want the Rekor client", s.transparency)
	}
	return c.LogID()
}

func logIDOfKey(t *testing.T, pem []byte) string {
	t.Helper()
	c, err := rekor.New("http://127.0.0.1:1", rekor.WithPublicKey(pem))
	if err != nil {
		t.Fatal(err)
	}
	return c.LogID()
}

// The transparency log's key is pinned at sign time, from
// transparency.publickey or the flag (the Task's param) over it; with
// neither, the run stops before anything is signed instead of trusting the
// key the log serves.
func TestOpenPinsTheLogKey(t *testing.T) {
	ctx := context.Background()
	_, err := Open(ctx, Input{}, Setup{Deps: storage.Deps{Config: transparencyConfig(t, map[string]string{})}})
	if err == nil || !strings.Contains(err.Error(), config.KeyTransparencyPublicKey) || !strings.Contains(err.Error(), "--rekor-public-key") {
		t.Fatalf("Open without a log key: err = %v, want one naming %s and --rekor-public-key", err, config.KeyTransparencyPublicKey)
	}

	fromConfig, fromFlag := sigtest.NewKey(t).PubPEM, sigtest.NewKey(t).PubPEM
	cfg := transparencyConfig(t, map[string]string{config.KeyTransparencyPublicKey: string(fromConfig)})
	s, err := Open(ctx, Input{}, Setup{Deps: storage.Deps{Config: cfg}})
	if err != nil {
		t.Fatal(err)
	}
	if logIDOf(t, s) != logIDOfKey(t, fromConfig) {
		t.Error("the log key is not the one in transparency.publickey")
	}
	s, err = Open(ctx, Input{}, Setup{Deps: storage.Deps{Config: cfg}, RekorPublicKey: fromFlag})
	if err != nil {
		t.Fatal(err)
	}
	if logIDOf(t, s) != logIDOfKey(t, fromFlag) {
		t.Error("the flag's log key does not override transparency.publickey")
	}

	cfg = transparencyConfig(t, map[string]string{config.KeyTransparencyPublicKey: "not a key"})
	if _, err := Open(ctx, Input{}, Setup{Deps: storage.Deps{Config: cfg}}); err == nil || !strings.Contains(err.Error(), config.KeyTransparencyPublicKey) {
		t.Errorf("a bad transparency.publickey: err = %v, want one naming the key", err)
	}
}

// With transparency.enabled: manual and no run asking to be logged, the log
// is not opened, so its key is not needed; once a run asks, it is.
func TestOpenManualTransparencyOpensTheLogOnlyWhenAsked(t *testing.T) {
	ctx := context.Background()
	cfg := transparencyConfig(t, map[string]string{})
	cfg.Transparency.Manual = true
	quiet := Input{Images: []UnsignedImage{{Image: "r/i@sha256:00", NotLogged: true}}}
	s, err := Open(ctx, quiet, Setup{Deps: storage.Deps{Config: cfg}})
	if err != nil || s.transparency != nil {
		t.Fatalf("manual, nothing asked: err %v, log %v; want no log and no error", err, s.transparency)
	}
	quiet.Images[0].NotLogged = false
	if _, err := Open(ctx, quiet, Setup{Deps: storage.Deps{Config: cfg}}); err == nil || !strings.Contains(err.Error(), config.KeyTransparencyPublicKey) {
		t.Fatalf("manual, a run asked, no key: err = %v, want one naming %s", err, config.KeyTransparencyPublicKey)
	}
}
