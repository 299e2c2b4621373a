package verify

import (
	"context"
	"fmt"
	"strings"
)

// Artifact is what is verified: an image by digest (name.Digest) or any
// artifact named NAME@ALG:HEX.
type Artifact interface {
	DigestStr() string
	String() string
}

// namedDigest is an artifact that need not be an image: a name and a
// digest (a file, a package URL).
type namedDigest struct{ name, alg, hex string }

func (n namedDigest) DigestStr() string { return n.alg + ":" + n.hex }
func (n namedDigest) String() string    { return n.name + "@" + n.DigestStr() }

// ParseArtifact parses NAME@ALG:HEX (the last @ separates the digest).
func ParseArtifact(s string) (Artifact, error) {
	i := strings.LastIndex(s, "@")
	if i <= 0 {
		return nil, fmt.Errorf("%q: name the artifact by digest, as NAME@sha256:HEX", s)
	}
	alg, hex, ok := strings.Cut(s[i+1:], ":")
	if !ok || alg == "" || hex == "" || strings.Trim(strings.ToLower(hex), "0123456789abcdef") != "" {
		return nil, fmt.Errorf("%q: the digest %q is not ALG:HEX (e.g. sha256:<64 hex digits>)", s, s[i+1:])
	}
	if alg == "sha256" && len(hex) != 64 {
		return nil, fmt.Errorf("%q: a sha256 digest has 64 hex digits, not %d", s, len(hex))
	}
	return namedDigest{name: s[:i], alg: alg, hex: strings.ToLower(hex)}, nil
}

// Stored is a DSSE envelope as a storage backend holds it, and where.
type Stored struct {
	Source   string
	Envelope []byte
}

// Source is a storage backend chainseal stored attestations in (gcs,
// docdb, grafeas): it returns the envelopes it holds whose statements may
// be about an artifact. What it returns is only a candidate: every check
// (signature, subject, log, policy) is still made on it.
type Source interface {
	// Where names the backend for the report (gs://bucket/prefix, ...).
	Where() string
	Envelopes(ctx context.Context, artifact, alg, hex string) ([]Stored, error)
}

// WithSources takes the attestations from storage backends instead of the
// registry: the artifact is NAME@ALG:HEX and need not be an image (no
// registry is asked). Bundle files (WithBundles) are read too.
func WithSources(s ...Source) Option { return func(o *options) { o.sources = append(o.sources, s...) } }

func (v *Verifier) verifyFromSources(ctx context.Context, rep *Report) error {
	a, err := ParseArtifact(rep.Image)
	if err != nil {
		return inconclusive("parsing the artifact", err)
	}
	nd := a.(namedDigest)
	rep.Digest, rep.Reference = a.DigestStr(), a.String()
	var evs []*evidence
	for _, p := range v.o.bundles {
		ev, err := readBundleFile(p)
		if err != nil {
			return err
		}
		evs = append(evs, ev)
	}
	var places []string
	for _, s := range v.o.sources {
		places = append(places, s.Where())
		found, err := s.Envelopes(ctx, nd.name, nd.alg, nd.hex)
		if err != nil {
			return inconclusive("reading attestations from "+s.Where(), err)
		}
		for _, f := range found {
			ev, err := parseEnvelope(f.Envelope, f.Source)
			if err != nil {
				ev = &evidence{source: f.Source, raw: f.Envelope, broken: err.Error(), brokenStatus: Fail}
			}
			evs = append(evs, ev)
		}
	}
	if len(evs) == 0 {
		return inconclusive(fmt.Sprintf("no attestation found for %s (looked in %s)", a, strings.Join(places, " and ")), nil)
	}
	for _, ev := range evs {
		rep.Attestations = append(rep.Attestations, v.check(ctx, a, ev))
	}
	return nil
}
