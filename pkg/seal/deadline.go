package seal

import (
	"context"
	"fmt"
	"time"

	"github.com/chainseal/chainseal/pkg/signing"
)

// signer loads the named signer within the call timeout.
func (s *Sealer) signer(ctx context.Context, name string) (signing.Signer, error) {
	sg, err := bounded(ctx, s.callTimeout, func(ctx context.Context) (signing.Signer, error) { return s.signers.Signer(ctx, name) })
	if err != nil {
		return nil, fmt.Errorf("loading the %s signer: %w", name, err)
	}
	return sg, nil
}

// bounded runs f with a deadline d from now (none when d <= 0) and returns
// when the deadline passes or ctx ends, whether or not f has: some KMS
// clients ignore their context (sigstore's hashivault provider), and a
// signature that never comes must not hold the finally task until Tekton's
// timeout. f's goroutine then finishes, or not, on its own; chainseal is a
// short-lived process.
func bounded[T any](ctx context.Context, d time.Duration, f func(context.Context) (T, error)) (T, error) {
	if d > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, d, fmt.Errorf("the signing call took longer than %s", d))
		defer cancel()
	}
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1)
	go func() {
		v, err := f(ctx)
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		return r.v, r.err
	case <-ctx.Done():
		var zero T
		if cause := context.Cause(ctx); cause != ctx.Err() {
			return zero, fmt.Errorf("%w (%w)", cause, ctx.Err())
		}
		return zero, ctx.Err()
	}
}
