package seal

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/chainseal/chainseal/pkg/signing"
	"github.com/chainseal/chainseal/pkg/storage"
)

// hungSigner stands for a KMS whose client ignores its context (sigstore's
// hashivault provider does): a call never returns.
type hungSigner struct{ testSigner }

func (*hungSigner) SignBlob(context.Context, []byte) ([]byte, error) { select {} }
func (*hungSigner) SignEnvelope(context.Context, string, []byte) (*signing.Envelope, error) {
	select {}
}

// within fails the test when f does not return within d.
func within(t *testing.T, d time.Duration, f func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		return err
	case <-time.After(d):
		t.Fatalf("still running after %s", d)
		return nil
	}
}

// A signer that hangs stops the seal at the run's deadline, even when its
// client ignores the context, and at the per-call timeout without one.
func TestSealStopsAtDeadlinesWhateverTheSignerDoes(t *testing.T) {
	var order []string
	oci := &recordingBackend{name: "oci", order: &order}
	tk := &recordingBackend{name: "tekton", order: &order}
	file := &recordingBackend{name: "file", order: &order}
	s := New(signers{"x509": &hungSigner{*newTestSigner(t)}}, []storage.Backend{oci, tk, file})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	err := within(t, 5*time.Second, func() error { _, err := s.Seal(ctx, input()); return err })
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want the deadline", err)
	}

	s = New(signers{"x509": &hungSigner{*newTestSigner(t)}}, []storage.Backend{oci, tk, file}, WithCallTimeout(200*time.Millisecond))
	err = within(t, 5*time.Second, func() error { _, err := s.Seal(context.Background(), input()); return err })
	if err == nil || !strings.Contains(err.Error(), "200ms") || !strings.Contains(err.Error(), "signing") {
		t.Errorf("err = %v, want one saying the signing call took longer than 200ms", err)
	}
	if len(order) != 0 {
		t.Errorf("stored in %v although signing never finished", order)
	}
}
