package sign

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	tektonfake "github.com/tektoncd/pipeline/pkg/client/clientset/versioned/fake"
	"k8s.io/apimachinery/pkg/runtime"
	k8stesting "k8s.io/client-go/testing"

	"github.com/chainseal/chainseal/internal/sigtest"
	"github.com/chainseal/chainseal/pkg/config"
)

// messages is a slog handler that keeps each record's message.
type messages struct {
	mu   sync.Mutex
	seen []string
}

func (m *messages) Enabled(context.Context, slog.Level) bool { return true }
func (m *messages) Handle(_ context.Context, r slog.Record) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.seen = append(m.seen, r.Message)
	return nil
}
func (m *messages) WithAttrs([]slog.Attr) slog.Handler { return m }
func (m *messages) WithGroup(string) slog.Handler      { return m }
func (m *messages) has(msg string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, s := range m.seen {
		if s == msg {
			return true
		}
	}
	return false
}

// Read from the API, the PipelineRun's signing key loads while the run is
// read: the TaskRun list below waits (up to 5 s) for the key to be loaded,
// and reports whether it was.
func TestSigningKeyLoadsWhileTheRunIsRead(t *testing.T) {
	dir := t.TempDir()
	sigtest.WriteKeyFile(t, filepath.Join(dir, "x509.pem"))
	r := buildRun("payments")
	tk := tektonfake.NewSimpleClientset(r.PipelineRun)
	log := &messages{}
	loadedDuringList := false
	listed := errors.New("the test's list ends the run here")
	tk.PrependReactor("list", "taskruns", func(k8stesting.Action) (bool, runtime.Object, error) {
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			if log.has("signing key loaded") {
				loadedDuringList = true
				break
			}
		}
		return true, nil, listed
	})
	_, err := Run(context.Background(), Options{
		Namespace: "payments", PipelineRun: r.PipelineRun.Name, Tekton: tk, SecretDir: dir, Log: slog.New(log),
		Config: map[string]string{config.KeyPipelineRunSigner: config.SignerX509},
	})
	if err == nil || !strings.Contains(err.Error(), listed.Error()) {
		t.Fatalf("err = %v, want the list's", err)
	}
	if !loadedDuringList {
		t.Error("the signing key was not loaded while the TaskRuns were listed")
	}
}

// A key that cannot be loaded fails only a run that signs with it: a run
// with nothing to sign ends as before, whatever the early load met.
func TestAnUnloadableKeyFailsOnlyARunThatSigns(t *testing.T) {
	r := buildRun("payments")
	r.TaskRuns[0].Status.Results = nil // no image: nothing to sign
	objs := []runtime.Object{r.PipelineRun}
	for _, tr := range r.TaskRuns {
		objs = append(objs, tr)
	}
	_, err := Run(context.Background(), Options{
		Namespace: "payments", PipelineRun: r.PipelineRun.Name, Tekton: tektonfake.NewSimpleClientset(objs...), SecretDir: t.TempDir(),
	})
	if !errors.Is(err, ErrNothingToSign) {
		t.Fatalf("err = %v, want ErrNothingToSign", err)
	}
}
