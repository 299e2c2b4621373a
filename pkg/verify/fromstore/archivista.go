package fromstore

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"

	archivistaclient "github.com/in-toto/archivista/pkg/http-client"

	"github.com/chainseal/chainseal/pkg/storage/archivista"
	"github.com/chainseal/chainseal/pkg/verify"
)

// subjectQuery finds the envelopes whose statement names a subject digest,
// as `archivistactl search` asks (without the witness collections it also
// reads, which a chainseal statement does not have).
const subjectQuery = `query($algo: String!, $digest: String!) {
  dsses(first: 100, where: {hasStatementWith: {hasSubjectsWith: {hasSubjectDigestsWith: {value: $digest, algorithm: $algo}}}}) {
    edges { node { gitoidSha256 } }
  }
}`

// Archivista reads the envelopes an Archivista server holds about the
// artifact (the archivista backend uploads each statement's DSSE envelope;
// Archivista indexes its subjects), through Archivista's own client.
type Archivista struct {
	Client *archivistaclient.ArchivistaClient
	URL    string
}

func (a Archivista) Where() string { return a.URL }

func (a Archivista) Envelopes(ctx context.Context, _, alg, digest string) ([]verify.Stored, error) {
	// GraphQLQueryToDst decodes the whole GraphQL answer: data and errors.
	var res archivista.DSSEAnswer
	vars := map[string]string{"algo": alg, "digest": digest}
	if err := a.Client.GraphQLQueryToDst(ctx, subjectQuery, vars, &res); err != nil {
		return nil, fmt.Errorf("searching %s for subject %s:%s: %w", a.URL, alg, digest, err)
	}
	gitoids, err := res.Gitoids()
	if err != nil {
		return nil, fmt.Errorf("searching %s for subject %s:%s: %w", a.URL, alg, digest, err)
	}
	var out []verify.Stored
	for _, g := range gitoids {
		if _, err := hex.DecodeString(g); err != nil || len(g) != 64 {
			return nil, fmt.Errorf("%s named an envelope %q, which is not a gitoid", a.URL, g)
		}
		rc, err := a.Client.DownloadReadCloser(ctx, g)
		if err != nil {
			return nil, fmt.Errorf("downloading envelope %s from %s: %w", g, a.URL, err)
		}
		b, err := io.ReadAll(io.LimitReader(rc, 16<<20))
		rc.Close()
		if err != nil {
			return nil, fmt.Errorf("downloading envelope %s from %s: %w", g, a.URL, err)
		}
		if names(b, alg, digest) {
			out = append(out, verify.Stored{Source: a.URL + "/download/" + g, Envelope: b})
		}
	}
	return out, nil
}
