// Package grafeas stores signed attestations as Grafeas v1 notes and
// occurrences, of the kinds Tekton Chains writes, so readers of a Chains
// project (container analysis, Binary Authorization, Chains' own readers)
// find them where they look:
//
//	projects/<projectid>/notes/<noteid>-<kind>-intoto   a BUILD note per Tekton kind (pipelinerun, taskrun)
//	  one BUILD occurrence per subject of the statement, resource URI <name>@sha256:<hex>:
//	  the statement in its details, the DSSE envelope (payload, payload type, signatures) in its envelope
//	projects/<projectid>/notes/<noteid>-simplesigning   an ATTESTATION note (hint: storage.grafeas.notehint)
//	  one ATTESTATION occurrence per signed image, resource URI <repository>@sha256:<hex>:
//	  cosign's simplesigning payload and its signature
//
// storage.grafeas.noteid defaults, as in Chains, to tekton-<namespace>.
// Unlike Chains, which puts the whole DSSE envelope JSON in the envelope's
// signature, an occurrence's envelope here is the DSSE envelope itself (its
// sig is the signature over the payload's pre-authentication encoding), so
// any DSSE verifier checks it. An image signature names its key by the
// RFC 6920 URI of the public key (ni:///sha-256;<base64url of the
// SubjectPublicKeyInfo>), which Grafeas requires of an ATTESTATION
// occurrence (Chains puts the KMS key reference there, empty for a key file).
//
// Store is idempotent: Grafeas gives every new occurrence a new name, so a
// record that exists (same note and resource URI; for BUILD occurrences, an
// envelope payload naming the same run's UID) is updated in place, and
// copies beyond the first are removed. The server is storage.grafeas.endpoint
// (default: Google's container analysis); TLS to any address but loopback.
package grafeas

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"

	gpb "github.com/grafeas/grafeas/proto/v1/grafeas_go_proto"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/credentials/oauth"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/chainseal/chainseal/pkg/config"
	"github.com/chainseal/chainseal/pkg/storage"
)

// DefaultEndpoint is Google's container analysis, which Chains hard-codes.
const DefaultEndpoint = "containeranalysis.googleapis.com:443"

// Payload types of the envelopes, as Chains (cosign's types) names them.
const (
	SimpleSigningType = "application/vnd.dev.cosign.simplesigning.v1+json"
	InTotoType        = "application/vnd.in-toto+json"
)

func init() {
	storage.Register(config.StorageGrafeas, func(ctx context.Context, d storage.Deps) (storage.Backend, error) {
		conn, err := Dial(ctx, d.Config.Grafeas.Endpoint)
		if err != nil {
			return nil, err
		}
		return New(gpb.NewGrafeasClient(conn), d.Config), nil
	})
}

// Dial connects to a Grafeas server: plain gRPC to a loopback address (a
// test server on the same host), TLS to any other, with Google's
// Application Default Credentials for *.googleapis.com.
func Dial(ctx context.Context, endpoint string) (*grpc.ClientConn, error) {
	if endpoint == "" {
		endpoint = DefaultEndpoint
	}
	host, _, err := net.SplitHostPort(endpoint)
	if err != nil {
		return nil, fmt.Errorf("%s %q is not host:port: %w", config.KeyGrafeasEndpoint, endpoint, err)
	}
	var opts []grpc.DialOption
	if ip := net.ParseIP(host); (ip != nil && ip.IsLoopback()) || host == "localhost" {
		opts = append(opts, grpc.WithTransportCredentials(insecure.NewCredentials()))
	} else {
		opts = append(opts, grpc.WithTransportCredentials(credentials.NewTLS(&tls.Config{MinVersion: tls.VersionTLS12})))
		if strings.HasSuffix(host, ".googleapis.com") {
			creds, err := oauth.NewApplicationDefault(ctx, "https://www.googleapis.com/auth/cloud-platform")
			if err != nil {
				return nil, fmt.Errorf("grafeas storage: Google credentials for %s (Application Default Credentials): %w", endpoint, err)
			}
			opts = append(opts, grpc.WithPerRPCCredentials(creds))
		}
	}
	conn, err := grpc.NewClient(endpoint, opts...)
	if err != nil {
		return nil, fmt.Errorf("grafeas storage: connecting to %s (%s): %w", endpoint, config.KeyGrafeasEndpoint, err)
	}
	return conn, nil
}

// Backend writes notes and occurrences into one project.
type Backend struct {
	client   gpb.GrafeasClient
	project  string
	noteID   string // empty: tekton-<namespace>
	noteHint string
}

// New makes a Backend from cfg's storage.grafeas.* keys.
func New(client gpb.GrafeasClient, cfg config.Config) *Backend {
	return &Backend{client: client, project: cfg.Grafeas.ProjectID, noteID: cfg.Grafeas.NoteID, noteHint: cfg.Grafeas.NoteHint}
}

func (b *Backend) Name() string { return config.StorageGrafeas }

// Accepts takes in-toto statements (a DSSE envelope) naming at least one
// subject: an occurrence is about a resource, and Chains writes none for a
// payload signed raw (the tekton format).
func (b *Backend) Accepts(a storage.Attestation) bool {
	return len(a.Envelope) > 0 && len(ResourceURIs(a.Subjects)) > 0
}

// ProjectPath is projects/<id>.
func ProjectPath(project string) string { return "projects/" + project }

// NoteIDs are the notes' ids for a namespace's records: the BUILD note of a
// Tekton kind ("PipelineRun", "TaskRun") and the ATTESTATION note of images.
func NoteIDs(noteID, namespace, kind string) (build, attestation string) {
	if noteID == "" {
		noteID = "tekton-" + namespace
	}
	return fmt.Sprintf("%s-%s-intoto", noteID, strings.ToLower(kind)), noteID + "-simplesigning"
}

// ResourceURIs are the occurrences' resource URIs of a statement's
// subjects, as Chains forms them: <name>@sha256:<hex> (another algorithm
// when a subject has no sha256).
func ResourceURIs(subjects []storage.Subject) []string {
	var out []string
	for _, s := range subjects {
		if s.Name == "" || len(s.Digest) == 0 {
			continue
		}
		algo := "sha256"
		if _, ok := s.Digest[algo]; !ok {
			algos := make([]string, 0, len(s.Digest))
			for a := range s.Digest {
				algos = append(algos, a)
			}
			sort.Strings(algos)
			algo = algos[0]
		}
		out = append(out, s.Name+"@"+algo+":"+s.Digest[algo])
	}
	return out
}

// KeyID is the RFC 6920 URI of a PEM public key or certificate's key.
func KeyID(publicKey, cert []byte) (string, error) {
	for _, p := range [][]byte{publicKey, cert} {
		blk, _ := pem.Decode(p)
		if blk == nil {
			continue
		}
		der := blk.Bytes
		if blk.Type == "CERTIFICATE" {
			c, err := x509.ParseCertificate(blk.Bytes)
			if err != nil {
				return "", fmt.Errorf("grafeas storage: the signing certificate: %w", err)
			}
			der = c.RawSubjectPublicKeyInfo
		}
		sum := sha256.Sum256(der)
		return "ni:///sha-256;" + base64.RawURLEncoding.EncodeToString(sum[:]), nil
	}
	return "", errors.New("grafeas storage: no public key or certificate to name the signing key by")
}

// dsse is a DSSE envelope as JSON.
type dsse struct {
	PayloadType string `json:"payloadType"`
	Payload     []byte `json:"payload"`
	Signatures  []struct {
		KeyID string `json:"keyid"`
		Sig   []byte `json:"sig"`
	} `json:"signatures"`
}

// EnvelopeOf is the Grafeas envelope of a DSSE envelope (JSON), its
// signatures' key ids as they are (DSSE verifiers skip a signature whose key
// id is not their key's).
func EnvelopeOf(envelope []byte) (*gpb.Envelope, error) {
	var e dsse
	if err := json.Unmarshal(envelope, &e); err != nil {
		return nil, fmt.Errorf("grafeas storage: the DSSE envelope: %w", err)
	}
	if len(e.Signatures) == 0 {
		return nil, errors.New("grafeas storage: the DSSE envelope has no signature")
	}
	out := &gpb.Envelope{Payload: e.Payload, PayloadType: e.PayloadType}
	for _, s := range e.Signatures {
		out.Signatures = append(out.Signatures, &gpb.EnvelopeSignature{Sig: s.Sig, Keyid: s.KeyID})
	}
	return out, nil
}

// DSSE is an occurrence's envelope as DSSE JSON, what DSSE verifiers read.
func DSSE(e *gpb.Envelope) ([]byte, error) {
	out := dsse{PayloadType: e.GetPayloadType(), Payload: e.GetPayload()}
	for _, s := range e.GetSignatures() {
		out.Signatures = append(out.Signatures, struct {
			KeyID string `json:"keyid"`
			Sig   []byte `json:"sig"`
		}{s.GetKeyid(), s.GetSig()})
	}
	return json.Marshal(out)
}

// record is one occurrence to put, and how to recognise an earlier copy.
type record struct {
	noteID string
	occ    *gpb.Occurrence
	// same says whether an existing occurrence on the note with the same
	// resource URI is this record.
	same func(*gpb.Occurrence) bool
}

// RecordsOf lays out a batch as notes' occurrences (see the package doc).
func (b *Backend) records(batch storage.Batch) ([]record, map[string]*gpb.Note, error) {
	if b.project == "" {
		return nil, nil, fmt.Errorf("the grafeas backend needs a project: set %s", config.KeyGrafeasProjectID)
	}
	notes := map[string]*gpb.Note{}
	var out []record
	for _, a := range batch.Attestations {
		if a.Object.UID == "" || a.Object.Namespace == "" {
			return nil, nil, fmt.Errorf("grafeas storage: %s has no namespace or UID", a.Object)
		}
		env, err := EnvelopeOf(a.Envelope)
		if err != nil {
			return nil, nil, fmt.Errorf("%w (%s)", err, a.Object)
		}
		buildNote, _ := NoteIDs(b.noteID, a.Object.Namespace, a.Object.Kind)
		notes[buildNote] = &gpb.Note{
			ShortDescription: "Build Provenance Note for " + a.Object.Kind,
			Type:             &gpb.Note_Build{Build: &gpb.BuildNote{BuilderVersion: "tekton.dev/v1/" + a.Object.Kind}},
		}
		details, err := BuildDetails(a.Payload)
		if err != nil {
			return nil, nil, fmt.Errorf("%w (%s)", err, a.Object)
		}
		uid := []byte(strconv.Quote(a.Object.UID))
		for _, uri := range ResourceURIs(a.Subjects) {
			out = append(out, record{
				noteID: buildNote,
				occ: &gpb.Occurrence{
					ResourceUri: uri, NoteName: ProjectPath(b.project) + "/notes/" + buildNote,
					Kind: gpb.NoteKind_BUILD, Details: &gpb.Occurrence_Build{Build: details}, Envelope: env,
				},
				same: func(o *gpb.Occurrence) bool { return bytes.Contains(o.GetEnvelope().GetPayload(), uid) },
			})
		}
	}
	for _, s := range batch.Images {
		if _, ok := s.DigestHex(); !ok {
			return nil, nil, fmt.Errorf("grafeas storage: image %q has no sha256 digest", s.Image)
		}
		keyID, err := KeyID(s.PublicKey, s.Cert)
		if err != nil {
			return nil, nil, err
		}
		ns := ""
		if len(batch.Attestations) > 0 {
			ns = batch.Attestations[0].Object.Namespace
		}
		if b.noteID == "" && ns == "" {
			return nil, nil, fmt.Errorf("grafeas storage: no namespace to name the note of image %s by: set %s", s.Image, config.KeyGrafeasNoteID)
		}
		_, attNote := NoteIDs(b.noteID, ns, "")
		hint := b.noteHint
		if hint == "" {
			hint = DefaultNoteHint
		}
		notes[attNote] = &gpb.Note{
			ShortDescription: "OCI Artifact Attestation Note",
			Type: &gpb.Note_Attestation{Attestation: &gpb.AttestationNote{
				Hint: &gpb.AttestationNote_Hint{HumanReadableName: hint},
			}},
		}
		out = append(out, record{
			noteID: attNote,
			occ: &gpb.Occurrence{
				ResourceUri: s.Image, NoteName: ProjectPath(b.project) + "/notes/" + attNote, Kind: gpb.NoteKind_ATTESTATION,
				Details: &gpb.Occurrence_Attestation{Attestation: &gpb.AttestationOccurrence{
					SerializedPayload: s.Payload,
					Signatures:        []*gpb.Signature{{Signature: s.Signature, PublicKeyId: keyID}},
				}},
				Envelope: &gpb.Envelope{Payload: s.Payload, PayloadType: SimpleSigningType,
					Signatures: []*gpb.EnvelopeSignature{{Sig: s.Signature, Keyid: keyID}}},
			},
			same: func(*gpb.Occurrence) bool { return true },
		})
	}
	return out, notes, nil
}

// DefaultNoteHint is the ATTESTATION note's human-readable name when
// storage.grafeas.notehint is empty (Grafeas requires one).
const DefaultNoteHint = "This attestation note was generated by chainseal"

// Store creates the notes that do not exist, then puts each occurrence:
// created when none of the record exists, else the first copy updated (when
// it differs) and any other removed.
func (b *Backend) Store(ctx context.Context, batch storage.Batch) (storage.Receipt, error) {
	r := storage.Receipt{Backend: b.Name()}
	recs, notes, err := b.records(batch)
	if err != nil {
		return r, err
	}
	ids := make([]string, 0, len(notes))
	for id := range notes {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		_, err := b.client.CreateNote(ctx, &gpb.CreateNoteRequest{Parent: ProjectPath(b.project), NoteId: id, Note: notes[id]})
		if err != nil && status.Code(err) != codes.AlreadyExists {
			return r, fmt.Errorf("grafeas storage: creating note %s/notes/%s: %w", ProjectPath(b.project), id, err)
		}
	}
	for _, rec := range recs {
		name, err := b.put(ctx, rec)
		if err != nil {
			return r, err
		}
		r.Locations = append(r.Locations, name+" ("+rec.occ.ResourceUri+")")
	}
	return r, nil
}

func (b *Backend) put(ctx context.Context, rec record) (string, error) {
	existing, err := List(ctx, b.client, rec.occ.NoteName, rec.occ.ResourceUri)
	if err != nil {
		return "", err
	}
	var mine []*gpb.Occurrence
	for _, o := range existing {
		if rec.same(o) {
			mine = append(mine, o)
		}
	}
	if len(mine) == 0 {
		o, err := b.client.CreateOccurrence(ctx, &gpb.CreateOccurrenceRequest{Parent: ProjectPath(b.project), Occurrence: rec.occ})
		if err != nil {
			return "", fmt.Errorf("grafeas storage: creating the occurrence of %s on %s: %w", rec.occ.ResourceUri, rec.occ.NoteName, err)
		}
		return o.GetName(), nil
	}
	keep := mine[0]
	if !proto.Equal(keep.GetEnvelope(), rec.occ.Envelope) || !proto.Equal(keep.GetBuild(), rec.occ.GetBuild()) ||
		!proto.Equal(keep.GetAttestation(), rec.occ.GetAttestation()) {
		upd := proto.Clone(rec.occ).(*gpb.Occurrence)
		upd.Name = keep.GetName()
		if _, err := b.client.UpdateOccurrence(ctx, &gpb.UpdateOccurrenceRequest{Name: keep.GetName(), Occurrence: upd}); err != nil {
			return "", fmt.Errorf("grafeas storage: updating %s (%s): %w", keep.GetName(), rec.occ.ResourceUri, err)
		}
	}
	for _, o := range mine[1:] {
		if _, err := b.client.DeleteOccurrence(ctx, &gpb.DeleteOccurrenceRequest{Name: o.GetName()}); err != nil && status.Code(err) != codes.NotFound {
			return "", fmt.Errorf("grafeas storage: removing the copy %s of %s: %w", o.GetName(), rec.occ.ResourceUri, err)
		}
	}
	return keep.GetName(), nil
}

// List returns the occurrences of a note about one resource URI, every
// page; the server's filter is asked for, and checked here too.
func List(ctx context.Context, client gpb.GrafeasClient, noteName, uri string) ([]*gpb.Occurrence, error) {
	var out []*gpb.Occurrence
	token := ""
	for {
		resp, err := client.ListNoteOccurrences(ctx, &gpb.ListNoteOccurrencesRequest{
			Name: noteName, Filter: fmt.Sprintf("resourceUrl=%q", uri), PageSize: 100, PageToken: token,
		})
		if status.Code(err) == codes.NotFound {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("grafeas storage: listing the occurrences of %s on %s: %w", uri, noteName, err)
		}
		for _, o := range resp.GetOccurrences() {
			if o.GetResourceUri() == uri {
				out = append(out, o)
			}
		}
		if token = resp.GetNextPageToken(); token == "" {
			return out, nil
		}
	}
}
