// Package storage defines what a storage backend is given and how backends
// are found by their chains-config names. Each backend lives in its own
// package under pkg/storage and registers itself with Register.
package storage

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
)

// Object is the Tekton object an attestation is about.
type Object struct {
	Kind      string // "PipelineRun" or "TaskRun"
	Namespace string
	Name      string
	UID       string
}

func (o Object) String() string { return o.Kind + " " + o.Namespace + "/" + o.Name }

// Subject is an artifact a statement is about: a name and its digests
// ("sha256" -> hex).
type Subject struct {
	Name   string
	Digest map[string]string
}

// TransparencyEntry is what a transparency log returned for an entry, with
// its proof already checked against the log's public key.
type TransparencyEntry struct {
	URL            string // the log
	UUID           string
	LogIndex       int64
	IntegratedTime int64
	LogID          string // hex SHA-256 of the log's public key
	Body           string // base64 canonical entry body
	// SignedEntryTimestamp is the log's signature over the entry.
	SignedEntryTimestamp []byte
	// InclusionProof as returned by the log (JSON), for offline checks.
	InclusionProof []byte
}

// Attestation is one signed statement (or signed raw payload, for the
// tekton format) ready to store.
type Attestation struct {
	Object      Object
	Format      string // the chains-config format name
	PayloadType string // e.g. application/vnd.in-toto+json
	Payload     []byte // the signed statement
	// Envelope is the DSSE envelope (JSON); empty for formats signed raw.
	Envelope []byte
	// Signature is the raw signature over Payload, for formats signed raw
	// (tekton, pgp); for DSSE it is the envelope's first signature.
	Signature []byte
	Subjects  []Subject
	// PublicKey is the PEM public key; Cert and Chain are set for keyless.
	PublicKey, Cert, Chain []byte
	Transparency           *TransparencyEntry
	// Destinations are the names of the backends this attestation goes to.
	Destinations []string
}

// StoredSignature is the signature as Tekton Chains stores it next to the
// payload (annotations, GCS, DocDB): the DSSE envelope for in-toto
// formats, else the raw signature.
func (a Attestation) StoredSignature() []byte {
	if len(a.Envelope) == 0 {
		return a.Signature
	}
	return a.Envelope
}

// ImageSignature is cosign's simplesigning signature of one image.
type ImageSignature struct {
	Image                  string // repository@sha256:hex
	Payload                []byte // the simplesigning JSON
	Signature              []byte // raw signature over Payload
	PublicKey, Cert, Chain []byte
	Transparency           *TransparencyEntry
	// Destinations are the names of the backends this signature goes to.
	Destinations []string
}

// DigestHex is the hex of the image's sha256 digest; false when Image has
// no sha256 digest.
func (s ImageSignature) DigestHex() (string, bool) {
	_, digest, _ := strings.Cut(s.Image, "@")
	hex, ok := strings.CutPrefix(digest, "sha256:")
	return hex, ok && len(hex) == 64
}

// Batch is everything one run stores.
type Batch struct {
	Attestations []Attestation
	Images       []ImageSignature
}

// Receipt says where a backend put a batch, for the Task results and the
// summary a person reads.
type Receipt struct {
	Backend string
	// Locations say where each record went, for a person (image refs, file
	// paths, annotation keys).
	Locations []string
	// References are the registry references a verifier fetches the
	// attestations from (the ATTESTATION_REF result); empty for backends
	// that are not registries.
	References []string
}

// Backend stores signed attestations. Store must be idempotent: storing the
// same batch twice leaves one copy, so a re-run after a partial failure only
// completes what is missing.
type Backend interface {
	Name() string
	Store(ctx context.Context, b Batch) (Receipt, error)
}

// Factory makes a backend from the run's dependencies.
type Factory func(ctx context.Context, d Deps) (Backend, error)

var (
	mu        sync.RWMutex
	factories = map[string]Factory{}
)

// Register makes a backend available under its chains-config name. It is
// called from the backend package's init.
func Register(name string, f Factory) {
	mu.Lock()
	defer mu.Unlock()
	if _, dup := factories[name]; dup {
		panic("storage: backend registered twice: " + name)
	}
	factories[name] = f
}

// Open makes the named backends, in order.
func Open(ctx context.Context, names []string, d Deps) ([]Backend, error) {
	mu.RLock()
	defer mu.RUnlock()
	out := make([]Backend, 0, len(names))
	for _, n := range names {
		f, ok := factories[n]
		if !ok {
			return nil, fmt.Errorf("storage backend %q is not built into this chainseal: available are %s", n, strings.Join(namesLocked(), ", "))
		}
		b, err := f(ctx, d)
		if err != nil {
			return nil, fmt.Errorf("setting up storage backend %q: %w", n, err)
		}
		out = append(out, b)
	}
	return out, nil
}

// Names lists the registered backends.
func Names() []string {
	mu.RLock()
	defer mu.RUnlock()
	return namesLocked()
}

func namesLocked() []string {
	out := make([]string, 0, len(factories))
	for n := range factories {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
