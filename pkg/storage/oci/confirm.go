package oci

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// maxWrites bounds how often one record is written while concurrent writers
// keep replacing the tag it was written to.
const maxWrites = 10

// writeConfirmed writes one record and reads it back, since registries
// have no compare-and-swap on tags: another chainseal (two PipelineRuns
// that built the same image, a burst, a re-run) may read the tag before
// this write and move it after, dropping this record. present reads the
// registry and reports whether the record (or an equivalent one) is there;
// write adds it, or returns errTagMoved when the tag changed since present
// read it. A record this call wrote is done when present finds it twice:
// a moment after the write (long enough for a writer that checked the tag
// just before this write to have moved it, on a registry answering
// promptly), and again as long after that (a registry under load can take
// that long to land a competitor's move). It reports whether it wrote.
func (b *Backend) writeConfirmed(ctx context.Context, what string, present func(context.Context) (bool, error), write func(context.Context) error) (bool, error) {
	wrote := false
	var recheck time.Duration // after a write: when to read the record back a second time
	for n := 0; ; {
		found, err := present(ctx)
		if err != nil {
			return wrote, err
		}
		if found && recheck > 0 {
			if err := pause(ctx, recheck); err != nil {
				return wrote, err
			}
			recheck = 0
			continue
		}
		if found {
			return wrote, nil
		}
		if n == maxWrites {
			return wrote, fmt.Errorf("%s is still missing after %d attempts to write it: concurrent writers kept replacing the tag; re-run to complete", what, n)
		}
		if wrote {
			b.o.log.Info("oci: a concurrent writer replaced the tag; writing again", "what", what, "attempt", n+1)
		}
		n++
		start := time.Now()
		err = write(ctx)
		took := time.Since(start)
		recheck = 0
		switch {
		case errors.Is(err, errTagMoved):
			b.o.log.Debug("oci: the tag moved before it was written; reading it again", "what", what)
			err = pause(ctx, jitter(took))
		case contended(err):
			b.o.log.Info("oci: the registry was committing the same blob for another writer; writing again", "what", what, "error", err.Error())
			err = pause(ctx, jitter(took))
		case err == nil:
			wrote = true
			recheck = readBackWait(took)
			err = pause(ctx, readBackWait(took))
		}
		if err != nil {
			return wrote, err
		}
	}
}

// readBackWait is how long after a write of took to read the record back,
// and again as long after that: half to one write's time, since a
// competitor's check-then-move is a small part of a write. Each call draws
// its own jitter, so the two read-backs fall at independent times.
func readBackWait(took time.Duration) time.Duration { return took/2 + jitter(took/2) }

func jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return rand.N(d)
}

func pause(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-t.C:
		return nil
	}
}

// contended reports whether a write failed because another writer was
// committing one of its blobs at that moment: docker-registry answers a
// manifest that names a blob being committed concurrently (two image
// signatures of one digest share their payload blob) with DIGEST_INVALID
// or MANIFEST_BLOB_UNKNOWN, and an upload of it with BLOB_UPLOAD_*. Writing
// again finds the blob there, or uploads it again.
func contended(err error) bool {
	var te *transport.Error
	if !errors.As(err, &te) {
		return false
	}
	for _, d := range te.Errors {
		switch d.Code {
		case transport.DigestInvalidErrorCode, transport.ManifestBlobUnknownErrorCode, transport.BlobUnknownErrorCode,
			transport.BlobUploadInvalidErrorCode, transport.BlobUploadUnknownErrorCode:
			return true
		}
	}
	return false
}
