// Package seal is chainseal's orchestration: it signs the statements that
// pkg/provenance built, logs them in the transparency log, stores them in
// every configured backend, and reports what went where. Only after every
// backend holds an attestation is its object marked signed.
package seal

import (
	"cmp"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/chainseal/chainseal/pkg/signing"
	"github.com/chainseal/chainseal/pkg/storage"
)

// Unsigned is one payload to sign and store.
type Unsigned struct {
	Object storage.Object
	Format string
	// PayloadType is the DSSE payload type; empty means the payload is
	// signed raw (the tekton format), not wrapped in an envelope.
	PayloadType string
	Payload     []byte
	Subjects    []storage.Subject
	// Signer and Storage come from artifacts.<kind>.signer and .storage.
	Signer  string
	Storage []string
	// NotLogged keeps the signature out of the transparency log
	// (transparency.enabled: manual and the object does not ask for it).
	NotLogged bool
}

// UnsignedImage is a cosign simplesigning payload for one image.
type UnsignedImage struct {
	Image   string // repository@sha256:hex
	Payload []byte
	Signer  string
	Storage []string
	// NotLogged: as Unsigned.NotLogged, decided by the sealed run.
	NotLogged bool
}

// Input is everything one run seals.
type Input struct {
	// Run is the PipelineRun sealed: a marker (WithMarker) marks it signed
	// once everything of the seal is stored, also when only its images or
	// TaskRuns were signed. Zero when the run is not an object to mark.
	Run        storage.Object
	Statements []Unsigned
	Images     []UnsignedImage
}

// SignerSource hands out signers by their config name (signing.Loader).
type SignerSource interface {
	Signer(ctx context.Context, name string) (signing.Signer, error)
}

// Transparency logs a batch and fills in its entries (pkg/transparency/rekor).
type Transparency interface {
	URL() string
	Log(ctx context.Context, b *storage.Batch) error
}

// Sealer runs Seal. Build it with New.
type Sealer struct {
	signers SignerSource
	// backends in the order they are written: storage.LastWriter ones last.
	backends     []storage.Backend
	transparency Transparency
	log          *slog.Logger
	// callTimeout bounds each call to a signer (loading included).
	callTimeout time.Duration
	// marker, when set, marks every sealed object, whatever the backends.
	marker storage.Marker
}

// Option configures a Sealer.
type Option func(*Sealer)

// WithTransparency logs every signature before storing it.
func WithTransparency(t Transparency) Option { return func(s *Sealer) { s.transparency = t } }

// WithMarker marks every object sealed (the TaskRuns whose statements were
// stored, then Input.Run) with m once every backend holds everything, as
// Tekton Chains marks every run it signs whatever its storage. Without it,
// only the backends that are a storage.Marker mark what they stored.
func WithMarker(m storage.Marker) Option { return func(s *Sealer) { s.marker = m } }

// WithLogger logs one line per stage.
func WithLogger(l *slog.Logger) Option { return func(s *Sealer) { s.log = l } }

// WithCallTimeout bounds each call to a signer: loading it (a Vault login,
// reading a KMS key) and each signature. The default is DefaultCallTimeout.
func WithCallTimeout(d time.Duration) Option { return func(s *Sealer) { s.callTimeout = d } }

// DefaultCallTimeout bounds one signer call unless WithCallTimeout says
// otherwise.
const DefaultCallTimeout = time.Minute

// New makes a Sealer that stores in backends. A backend that is a
// storage.Marker marks the objects whose attestations it stores once every
// backend holds them.
func New(signers SignerSource, backends []storage.Backend, opts ...Option) *Sealer {
	s := &Sealer{signers: signers, backends: slices.Clone(backends), log: slog.New(slog.DiscardHandler), callTimeout: DefaultCallTimeout}
	slices.SortStableFunc(s.backends, func(a, b storage.Backend) int {
		return cmp.Compare(writesLast(a), writesLast(b))
	})
	for _, o := range opts {
		o(s)
	}
	return s
}

// Seal signs, logs and stores everything in in. On error the Report still
// says what was stored, so a person (and a re-run) knows what is missing.
func (s *Sealer) Seal(ctx context.Context, in Input) (*Report, error) {
	rep := &Report{}
	if err := s.opened(in); err != nil {
		return rep, err
	}
	batch, err := s.sign(ctx, in, rep)
	if err != nil {
		return rep, err
	}
	// Before anything goes to the transparency log (whose entries stay):
	// every attestation must have a backend that takes it.
	if err := storedNowhere(s.backends, batch); err != nil {
		return rep, err
	}
	if s.transparency != nil {
		if err := s.logged(ctx, in, &batch); err != nil {
			return rep, err
		}
	}
	rep.Attestations = batch.Attestations
	rep.Images = batch.Images

	// Every backend gets its share; a failing backend does not stop the
	// others, so a re-run only has the failed ones left to do.
	shares := make([]storage.Batch, len(s.backends))
	for i, b := range s.backends {
		shares[i] = shareFor(b, batch)
		for _, a := range batch.Attestations {
			if slices.Contains(a.Destinations, b.Name()) && !takes(b, a) {
				s.log.Info("not given to a backend that declines it", "backend", b.Name(), "object", a.Object.String(), "format", a.Format)
			}
		}
	}
	var errs []error
	for i, b := range s.backends {
		share := shares[i]
		if len(share.Attestations) == 0 && len(share.Images) == 0 {
			continue
		}
		start := time.Now()
		receipt, err := b.Store(ctx, share)
		if err == nil && len(receipt.Locations) == 0 {
			// Success without a location is a backend that stored no copy.
			err = fmt.Errorf("given %d attestations and %d image signatures, it reports storing no copy of any", len(share.Attestations), len(share.Images))
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("storage backend %q: %w", b.Name(), err))
			s.log.Error("storing failed", "backend", b.Name(), "error", err.Error(), "duration", since(start))
			continue
		}
		rep.Receipts = append(rep.Receipts, receipt)
		s.log.Info("stored", "backend", b.Name(), "attestations", len(share.Attestations), "image signatures", len(share.Images), "duration", since(start))
	}
	if len(errs) > 0 {
		return rep, fmt.Errorf("%w; nothing was marked signed, re-run to complete", errors.Join(errs...))
	}
	if s.marker != nil {
		for _, o := range sealedObjects(in.Run, batch) {
			if err := s.marker.MarkSigned(ctx, o, transparencyURL(o, batch)); err != nil {
				return rep, fmt.Errorf("everything is stored, but marking %s chains.tekton.dev/signed=true failed (the chainseal ServiceAccount needs patch on %ss: Role %s of tasks/rbac%s.yaml): %w",
					o, strings.ToLower(o.Kind), annotateRole(o), rbacFileSuffix(o), err)
			}
			rep.Marked = append(rep.Marked, o)
		}
		return rep, nil
	}
	for i, b := range s.backends {
		m, ok := b.(storage.Marker)
		if !ok {
			continue
		}
		for _, o := range objectsIn(shares[i]) {
			if err := m.MarkSigned(ctx, o, transparencyURL(o, batch)); err != nil {
				return rep, fmt.Errorf("marking %s signed: %w", o, err)
			}
			rep.Marked = append(rep.Marked, o)
		}
	}
	return rep, nil
}

// logged logs every signature of batch that in does not keep out of the
// log (NotLogged), and fills in their entries.
func (s *Sealer) logged(ctx context.Context, in Input, batch *storage.Batch) error {
	start := time.Now()
	const why = "transparency.enabled is manual and the run is not annotated " + TransparencyUploadAnnotation + `: "true"`
	var sub storage.Batch
	var atts, imgs []int
	sub.Attestations, atts = toLog(batch.Attestations, func(i int) bool { return in.Statements[i].NotLogged }, func(a storage.Attestation) {
		s.log.Info("not logged in the transparency log", "object", a.Object.String(), "format", a.Format, "reason", why)
	})
	sub.Images, imgs = toLog(batch.Images, func(i int) bool { return in.Images[i].NotLogged }, func(img storage.ImageSignature) {
		s.log.Info("not logged in the transparency log", "image", img.Image, "reason", why)
	})
	if len(sub.Attestations)+len(sub.Images) == 0 {
		return nil
	}
	if err := s.transparency.Log(ctx, &sub); err != nil {
		return fmt.Errorf("transparency log %s: %w; nothing was stored", s.transparency.URL(), err)
	}
	// The whole record comes back, not only its entry: the log may have put
	// back a signature it already holds (a re-run reusing its entry), and
	// the stores must hold the signature the entry is of.
	putBack(batch.Attestations, sub.Attestations, atts)
	putBack(batch.Images, sub.Images, imgs)
	s.log.Info("logged in transparency log", "url", s.transparency.URL(), "entries", len(sub.Attestations)+len(sub.Images), "duration", since(start))
	return nil
}

// toLog picks the items to log, with their indexes in items; skipped is
// called with each of the others.
func toLog[T any](items []T, notLogged func(int) bool, skipped func(T)) ([]T, []int) {
	var sub []T
	var idx []int
	for i, it := range items {
		if notLogged(i) {
			skipped(it)
			continue
		}
		sub, idx = append(sub, it), append(idx, i)
	}
	return sub, idx
}

// putBack writes the logged items back where toLog found them.
func putBack[T any](items, logged []T, idx []int) {
	for j, i := range idx {
		items[i] = logged[j]
	}
}

// opened checks that every backend in uses was opened, before anything is
// signed.
func (s *Sealer) opened(in Input) error {
	for _, name := range in.Backends() {
		if !slices.ContainsFunc(s.backends, func(b storage.Backend) bool { return b.Name() == name }) {
			return fmt.Errorf("storage backend %q is configured but was not opened; nothing was stored", name)
		}
	}
	return nil
}

func (s *Sealer) sign(ctx context.Context, in Input, rep *Report) (storage.Batch, error) {
	start := time.Now()
	var b storage.Batch
	loaded := map[string]*recordedSigner{}
	for _, u := range in.Statements {
		rs, err := s.recordedSigner(ctx, u.Signer, loaded)
		if err != nil {
			return b, err
		}
		signer := rs.Signer
		a := storage.Attestation{
			Object: u.Object, Format: u.Format, PayloadType: u.PayloadType, Payload: u.Payload,
			Subjects: u.Subjects, PublicKey: rs.pub, Cert: rs.cert, Chain: rs.chain, Destinations: u.Storage,
		}
		if u.PayloadType == "" {
			if a.Signature, err = bounded(ctx, s.callTimeout, func(ctx context.Context) ([]byte, error) { return signer.SignBlob(ctx, u.Payload) }); err != nil {
				return b, fmt.Errorf("signing %s (%s) with %s: %w", u.Object, u.Format, signer.Description(), err)
			}
		} else {
			env, err := bounded(ctx, s.callTimeout, func(ctx context.Context) (*signing.Envelope, error) {
				return signer.SignEnvelope(ctx, u.PayloadType, u.Payload)
			})
			if err != nil {
				return b, fmt.Errorf("signing %s (%s) with %s: %w", u.Object, u.Format, signer.Description(), err)
			}
			if a.Envelope, err = envelopeJSON(env); err != nil {
				return b, err
			}
			if len(env.Signatures) > 0 {
				a.Signature, _ = base64.StdEncoding.DecodeString(env.Signatures[0].Sig)
			}
		}
		rep.Keys = appendUnique(rep.Keys, signer.Description())
		b.Attestations = append(b.Attestations, a)
	}
	for _, u := range in.Images {
		rs, err := s.recordedSigner(ctx, u.Signer, loaded)
		if err != nil {
			return b, err
		}
		signer := rs.Signer
		sig, err := bounded(ctx, s.callTimeout, func(ctx context.Context) ([]byte, error) { return signer.SignBlob(ctx, u.Payload) })
		if err != nil {
			return b, fmt.Errorf("signing image %s with %s: %w", u.Image, signer.Description(), err)
		}
		rep.Keys = appendUnique(rep.Keys, signer.Description())
		b.Images = append(b.Images, storage.ImageSignature{
			Image: u.Image, Payload: u.Payload, Signature: sig, PublicKey: rs.pub, Cert: rs.cert, Chain: rs.chain, Destinations: u.Storage,
		})
	}
	s.log.Info("signed", "statements", len(b.Attestations), "image signatures", len(b.Images), "duration", since(start))
	return b, nil
}

// recordedSigner is a signer with its verification record.
type recordedSigner struct {
	signing.Signer
	pub, cert, chain []byte
}

// recordedSigner loads the named signer and its verification record once
// per seal (loaded holds them): a wide pipeline signs hundreds of images
// with one signer, and the record (a certificate chain, for keyless) is
// the same for each.
func (s *Sealer) recordedSigner(ctx context.Context, name string, loaded map[string]*recordedSigner) (*recordedSigner, error) {
	if rs, ok := loaded[name]; ok {
		return rs, nil
	}
	sg, err := s.signer(ctx, name)
	if err != nil {
		return nil, err
	}
	rs := &recordedSigner{Signer: sg}
	if rs.pub, rs.cert, rs.chain, err = verificationRecord(sg); err != nil {
		return nil, err
	}
	loaded[name] = rs
	return rs, nil
}

// verificationRecord is what each store records to verify signer's
// signatures with (signing.MaterialOf): the public key, and for keyless
// signing the certificate and its chain too. A PGP key has no such
// material; its armored public key is recorded (gpg verifies).
func verificationRecord(signer signing.Signer) (pub, cert, chain []byte, err error) {
	m, err := signing.MaterialOf(signer)
	if errors.Is(err, signing.ErrUnsupported) {
		return signer.PublicKeyPEM(), nil, nil, nil
	}
	if err != nil {
		return nil, nil, nil, err
	}
	pub, cert, chain = m.Record()
	return pub, cert, chain, nil
}

// Backends lists every backend the input is stored in, once each, in the
// order the config names them.
func (in Input) Backends() []string {
	var names []string
	add := func(list []string) {
		for _, n := range list {
			if !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
	}
	for _, u := range in.Statements {
		add(u.Storage)
	}
	for _, u := range in.Images {
		add(u.Storage)
	}
	return names
}

// transparencyURL is the log entry of o's last attestation, as Chains
// writes it in chains.tekton.dev/transparency ("" when not logged).
func transparencyURL(o storage.Object, batch storage.Batch) string {
	url := ""
	for _, a := range batch.Attestations {
		if a.Object == o && a.Transparency != nil {
			url = fmt.Sprintf("%s/api/v1/log/entries?logIndex=%d", a.Transparency.URL, a.Transparency.LogIndex)
		}
	}
	return url
}

// sealedObjects are the objects a seal marks: every object an attestation
// is about, TaskRuns first, and the sealed run last (watchers of the
// PipelineRun take its mark as the end of the seal).
func sealedObjects(run storage.Object, batch storage.Batch) []storage.Object {
	var out []storage.Object
	add := func(o storage.Object) {
		if o.UID != "" && o != run && !slices.Contains(out, o) {
			out = append(out, o)
		}
	}
	for _, a := range batch.Attestations {
		add(a.Object)
	}
	isRun := func(o storage.Object) int {
		if o.Kind == "PipelineRun" {
			return 1
		}
		return 0
	}
	slices.SortStableFunc(out, func(a, b storage.Object) int { return cmp.Compare(isRun(a), isRun(b)) })
	if run.UID != "" {
		out = append(out, run)
	}
	return out
}

func annotateRole(o storage.Object) string {
	if o.Kind == "TaskRun" {
		return "chainseal-annotate-taskruns"
	}
	return "chainseal-annotate"
}

func rbacFileSuffix(o storage.Object) string {
	if o.Kind == "TaskRun" {
		return "-taskruns"
	}
	return ""
}

func writesLast(b storage.Backend) int {
	if _, ok := b.(storage.LastWriter); ok {
		return 1
	}
	return 0
}

func appendUnique(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

func since(t time.Time) string { return time.Since(t).Round(time.Millisecond).String() }
