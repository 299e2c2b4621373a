package sign

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"

	"github.com/chainseal/chainseal/pkg/artifacts"
	"github.com/chainseal/chainseal/pkg/provenance"
)

// A registry that cannot answer fails the check: fail closed.
func TestCheckImagesExistFailsClosed(t *testing.T) {
	s := artifacts.Subject{Name: "127.0.0.1:1/team-a/app", Image: true,
		Digest: map[string]string{"sha256": strings.Repeat("ab", 32)}}
	err := checkImagesExist(context.Background(), []artifacts.Subject{s}, authn.DefaultKeychain)
	if err == nil || errors.Is(err, ErrImageNotInRegistry) || !strings.Contains(err.Error(), "fails closed") {
		t.Fatalf("a registry refusing connections: %v, want a fail-closed error", err)
	}
}

func TestImageClaimsOnceEach(t *testing.T) {
	d := map[string]string{"sha256": strings.Repeat("cd", 32)}
	app := artifacts.Subject{Name: "r.example/app", Digest: d, Image: true}
	file := artifacts.Subject{Name: "gs://bucket/file", Digest: d}
	got := imageClaims(&provenance.Result{ImageSubjects: []artifacts.Subject{app},
		Statements: []provenance.Payload{{Subjects: []artifacts.Subject{app, file}}}})
	if len(got) != 1 || got[0].Name != "r.example/app" {
		t.Fatalf("image claims = %+v, want r.example/app once", got)
	}
}
