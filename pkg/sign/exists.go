package sign

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/chainseal/chainseal/pkg/artifacts"
	"github.com/chainseal/chainseal/pkg/config"
	"github.com/chainseal/chainseal/pkg/provenance"
)

// ErrImageNotInRegistry: chainseal.check-images-exist is on and an image
// subject's registry does not hold its digest.
var ErrImageNotInRegistry = errors.New("an image subject is not in its registry")

// imageClaims are the image subjects of everything res would sign (the
// PipelineRun's statements and image signatures, and the TaskRun
// statements), once each.
func imageClaims(res *provenance.Result) []artifacts.Subject {
	if res == nil {
		return nil
	}
	var all []artifacts.Subject
	all = append(all, res.ImageSubjects...)
	for _, p := range res.Statements {
		all = append(all, p.Subjects...)
	}
	for _, p := range res.TaskRunStatements {
		all = append(all, p.Subjects...)
	}
	var out []artifacts.Subject
	seen := map[string]bool{}
	for _, s := range all {
		ref := s.Name + "@" + s.DigestString()
		if s.Image && !seen[ref] {
			seen[ref] = true
			out = append(out, s)
		}
	}
	return out
}

// checkImagesExist asks each image's registry whether it holds the digest
// (a manifest HEAD with the run's credentials). A digest it does not hold,
// or a registry that cannot answer, is an error: the check fails closed.
func checkImagesExist(ctx context.Context, images []artifacts.Subject, kc authn.Keychain) error {
	var errs []error
	for _, s := range images {
		ref, err := name.NewDigest(s.Name+"@"+s.DigestString(), name.StrictValidation)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %s@%s is not an image reference: %w", config.KeyCheckImagesExist, s.Name, s.DigestString(), err))
			continue
		}
		_, err = remote.Head(ref, remote.WithContext(ctx), remote.WithAuthFromKeychain(kc))
		var terr *transport.Error
		switch {
		case err == nil:
			continue
		case errors.As(err, &terr) && terr.StatusCode == 404:
			errs = append(errs, fmt.Errorf("%w (%s): %s is not in %s, yet %s named it: nothing was signed",
				ErrImageNotInRegistry, config.KeyCheckImagesExist, ref.DigestStr(), ref.Context(), claimedBy(s)))
		default:
			errs = append(errs, fmt.Errorf("%s: could not ask %s for %s (%w): nothing was signed; the check fails closed, so fix the registry or its credentials, or ask the platform team to turn the check off",
				config.KeyCheckImagesExist, ref.Context(), ref.DigestStr(), err))
		}
	}
	return errors.Join(errs...)
}

// claimedBy names the tasks whose results named s, for messages.
func claimedBy(s artifacts.Subject) string {
	var tasks []string
	for _, p := range s.Producers {
		switch {
		case p.PipelineTask != "":
			tasks = append(tasks, "pipeline task "+p.PipelineTask)
		case p.Pipeline:
			tasks = append(tasks, "the pipeline's results")
		}
	}
	if len(tasks) == 0 {
		return strings.Join(s.From, ", ")
	}
	slices.Sort(tasks)
	return strings.Join(slices.Compact(tasks), ", ")
}
