package storage

import "context"

// A backend may offer more than Store. The orchestrator (pkg/seal) finds
// these capabilities by asserting these small interfaces, never by a
// backend's name, so a new backend with a capability needs no change there.

// Marker is a backend that can record on the Tekton object itself that its
// attestations are stored (chains.tekton.dev/signed=true). It is called only
// after every backend holds every attestation of that object.
type Marker interface {
	MarkSigned(ctx context.Context, o Object, transparencyURL string) error
}

// LastWriter is a backend written after every other backend: readers take
// its writes as the end of a seal (watchers of Tekton annotations).
type LastWriter interface {
	WritesLast()
}

// Selective is a backend that stores only some kinds of attestation. An
// attestation it does not accept is not given to it (OCI: a payload signed
// raw has no envelope, a statement naming no image has nothing to attach
// to). Declining is explicit: a backend's Store never skips what it was
// given, and an attestation that every one of its backends declines fails
// the run.
type Selective interface {
	Accepts(a Attestation) bool
}
