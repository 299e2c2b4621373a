package oci

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	ociremote "github.com/sigstore/cosign/v2/pkg/oci/remote"
	"golang.org/x/sync/errgroup"

	"github.com/chainseal/chainseal/pkg/config"
	"github.com/chainseal/chainseal/pkg/storage"
)

// Name is the backend's chains-config name.
const Name = config.StorageOCI

func init() { storage.Register(Name, factory) }

func factory(_ context.Context, d storage.Deps) (storage.Backend, error) {
	c := d.Config.OCIStorage
	return New(WithKeychain(d.Keychain), WithRepository(c.Repository), WithInsecure(c.Insecure),
		WithEncoding(c.EncodingFormat), WithLogger(d.Log))
}

// Backend attaches attestations and signatures to images in OCI registries.
type Backend struct {
	o         options
	nameOpts  []name.Option
	target    *name.Repository // storage.oci.repository, when set
	transport http.RoundTripper
}

var _ storage.Backend = (*Backend)(nil)

// New returns an OCI backend.
func New(opts ...Option) (*Backend, error) {
	o := defaultOptions()
	for _, opt := range opts {
		opt(&o)
	}
	if o.encoding != config.EncodingDSSE && o.encoding != config.EncodingSigstoreBundle {
		return nil, fmt.Errorf("oci: config key %q is %q: use %q or %q",
			config.KeyOCIEncodingFormat, o.encoding, config.EncodingDSSE, config.EncodingSigstoreBundle)
	}
	b := &Backend{o: o, transport: o.transport}
	if o.insecure {
		b.nameOpts = append(b.nameOpts, name.Insecure)
	}
	if o.repository != "" {
		repo, err := name.NewRepository(o.repository, b.nameOpts...)
		if err != nil {
			return nil, fmt.Errorf("oci: config key %q: %q is not a repository: %w", config.KeyOCIRepository, o.repository, err)
		}
		b.target = &repo
	}
	if b.transport == nil {
		t := remote.DefaultTransport.(*http.Transport).Clone()
		t.ResponseHeaderTimeout = o.timeout
		b.transport = t
	}
	if o.timeout > 0 {
		b.transport = deadlineTransport{inner: b.transport, timeout: o.timeout}
	}
	return b, nil
}

// Name implements storage.Backend.
func (b *Backend) Name() string { return Name }

// Accepts implements storage.Selective: it takes a DSSE attestation with at
// least one subject that is an image in a registry (a name with a registry
// host and a sha256 digest). A payload signed raw (the tekton format) has no
// cosign form, and a statement only about files or commits has no image to
// attach to; Store refuses both rather than skip them.
func (b *Backend) Accepts(a storage.Attestation) bool {
	return len(a.Envelope) > 0 && len(b.imageSubjects(a.Subjects)) > 0
}

var _ storage.Selective = (*Backend)(nil)

// Store implements storage.Backend: every DSSE attestation goes to the .att
// tag of each image among its subjects, every image signature to the .sig
// tag of its image. Writes to different tags run in parallel (each is a
// read-modify-write of its own tag; most of the time is round trips); writes
// to the same tag (the tag actually written, in storage.oci.repository when
// set) run in order, and every write is read back against other writers
// (writeConfirmed). On failure it returns what it stored; storing again
// completes the rest without duplicates.
func (b *Backend) Store(ctx context.Context, batch storage.Batch) (storage.Receipt, error) {
	start := time.Now()
	r := storage.Receipt{Backend: Name}
	ctx, err := b.withSession(ctx)
	if err != nil {
		return r, fmt.Errorf("oci: setting up registry clients: %w", err)
	}
	jobs, err := b.jobs(ctx, batch)
	if err != nil {
		return r, err
	}
	locs := make([]string, len(jobs))
	errs := make([]error, len(jobs))
	byTag := map[string][]int{}
	var tags []string
	for i, j := range jobs {
		if _, ok := byTag[j.tag]; !ok {
			tags = append(tags, j.tag)
		}
		byTag[j.tag] = append(byTag[j.tag], i)
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(parallelWrites)
	for _, tag := range tags {
		g.Go(func() error {
			for _, i := range byTag[tag] {
				if locs[i], errs[i] = jobs[i].run(gctx); errs[i] != nil {
					return errs[i]
				}
			}
			return nil
		})
	}
	werr := g.Wait()
	seen := map[string]bool{}
	for i, loc := range locs {
		if errs[i] == nil && loc != "" && !seen[loc] {
			seen[loc] = true
			r.Locations = append(r.Locations, loc)
			r.References = append(r.References, loc)
		}
	}
	if werr != nil {
		// The first failure in batch order, not in time; but not a job
		// cancelled because another failed (its error quotes that one).
		for _, e := range errs {
			if e != nil && (e == werr || !errors.Is(e, werr)) {
				return r, e
			}
		}
		return r, werr
	}
	b.o.log.Info("oci: stored", "locations", len(r.Locations), "duration", time.Since(start))
	return r, nil
}

// parallelWrites bounds concurrent tag writes per Store.
const parallelWrites = 4

// job writes one attestation or signature to one tag.
type job struct {
	// tag is what the job writes (in storage.oci.repository when set):
	// jobs of one tag run in order, so one Store never races itself.
	tag string
	run func(context.Context) (string, error)
}

// writtenTag names the tag a job for d writes: the cosign tag that tagOf
// names (in storage.oci.repository when set).
func (b *Backend) writtenTag(ctx context.Context, d name.Digest, tagOf tagOf) (string, error) {
	tag, err := tagOf(d, b.ociOpts(ctx)...)
	if err != nil {
		return "", fmt.Errorf("oci: naming the cosign tag of %s: %w", d, err)
	}
	return tag.String(), nil
}

// referrersOf names what a sigstore-bundle job for d writes: the referrers
// of d in the repository the bundle goes to (on registries without the
// referrers API, a fallback tag every writer reads and rewrites).
func (b *Backend) referrersOf(d name.Digest) string {
	repo := d.Context()
	if b.target != nil {
		repo = *b.target
	}
	return "referrers of " + repo.Digest(d.DigestStr()).String()
}

func (b *Backend) jobs(ctx context.Context, batch storage.Batch) ([]job, error) {
	var out []job
	for _, a := range batch.Attestations {
		if !b.Accepts(a) {
			return nil, fmt.Errorf("oci: the %s attestation of %s has no DSSE envelope or no subject that is an image in a registry (a registry host and a sha256 digest): there is nothing to attach it to", a.Format, a.Object)
		}
		for _, img := range b.imageSubjects(a.Subjects) {
			for _, d := range b.withPlatforms(ctx, img) {
				attach, tag := b.attest, ""
				var err error
				if b.o.encoding == config.EncodingSigstoreBundle {
					attach, tag = b.attestBundle, b.referrersOf(d)
				} else if tag, err = b.writtenTag(ctx, d, ociremote.AttestationTag); err != nil {
					return nil, err
				}
				out = append(out, job{tag: tag, run: func(ctx context.Context) (string, error) {
					loc, err := attach(ctx, d, a)
					if err != nil {
						return "", fmt.Errorf("oci: attaching the attestation of %s to %s: %w", a.Object, d, err)
					}
					return loc, nil
				}})
			}
		}
	}
	for _, s := range batch.Images {
		d, err := name.NewDigest(s.Image, b.nameOpts...)
		if err != nil {
			return nil, fmt.Errorf("oci: signature of %q: not an image digest reference: %w", s.Image, err)
		}
		tag, err := b.writtenTag(ctx, d, ociremote.SignatureTag)
		if err != nil {
			return nil, err
		}
		out = append(out, job{tag: tag, run: func(ctx context.Context) (string, error) {
			loc, err := b.attachSignature(ctx, d, s)
			if err != nil {
				return "", fmt.Errorf("oci: attaching the signature of %s: %w", d, err)
			}
			return loc, nil
		}})
	}
	return out, nil
}

func (b *Backend) remoteOpts(ctx context.Context) []remote.Option {
	opts := []remote.Option{
		remote.WithContext(ctx),
		remote.WithAuthFromKeychain(b.o.keychain),
		remote.WithTransport(b.transport),
		remote.WithRetryBackoff(b.o.backoff),
		remote.WithUserAgent("chainseal"),
	}
	// One Store shares a puller and a pusher, so each repository is pinged
	// and authenticated once per Store rather than once per request.
	if s, ok := ctx.Value(sessionKey{}).(*session); ok {
		opts = append(opts, remote.Reuse(s.puller), remote.Reuse(s.pusher))
	}
	return opts
}

type sessionKey struct{}

type session struct {
	puller *remote.Puller
	pusher *remote.Pusher // for cosign's bundle writer (sgbundle.go)
	// pushers: the transports of the cosign tags' writes (upload.go).
	pushers pushers
}

// withSession returns a context whose registry calls share authenticated
// connections.
func (b *Backend) withSession(ctx context.Context) (context.Context, error) {
	opts := b.remoteOpts(ctx)
	puller, err := remote.NewPuller(opts...)
	if err != nil {
		return nil, err
	}
	pusher, err := remote.NewPusher(opts...)
	if err != nil {
		return nil, err
	}
	return context.WithValue(ctx, sessionKey{}, &session{puller: puller, pusher: pusher}), nil
}

// tagReadOpts are the options of a Store's reads of the cosign tags in
// repo: through the Store's push transport of repo (pushTransport), which
// the Store needs for its writes there anyway, so that one Store pings the
// registry and authenticates (fetches a token, on registries that use
// them) once per repository instead of once to read and once to write.
// When that transport cannot be had (no push rights: a re-run that finds
// everything stored), reads go through the Store's puller as before.
func (b *Backend) tagReadOpts(ctx context.Context, repo name.Repository) []remote.Option {
	if _, ok := ctx.Value(sessionKey{}).(*session); ok {
		if rt, err := b.pushTransport(ctx, repo); err == nil {
			// An authenticated transport (a *transport.Wrapper) is used
			// as it is: no second ping, retries as the writes retry.
			return []remote.Option{remote.WithContext(ctx), remote.WithTransport(rt)}
		}
	}
	return b.remoteOpts(ctx)
}

func (b *Backend) ociOpts(ctx context.Context) []ociremote.Option {
	opts := []ociremote.Option{
		ociremote.WithRemoteOptions(b.remoteOpts(ctx)...),
		ociremote.WithNameOptions(b.nameOpts...),
	}
	if b.target != nil {
		opts = append(opts, ociremote.WithTargetRepository(*b.target))
	}
	return opts
}
