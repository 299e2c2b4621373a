package artifacts

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Subject is one artifact named by a digest: a subject (what was built), a
// material (what was used) or a byproduct, depending on the list it is in.
type Subject struct {
	// Name is the normalised repository for images, else the URI as given.
	Name string
	// Digest maps algorithm to lowercase hex; at least one entry.
	Digest map[string]string
	// Image is true for container images (simplesigning, OCI storage).
	Image bool
	// Tags are the image tags the results named; never part of the identity.
	Tags []string
	// From says where it was read, e.g. "TaskRun p-build result IMAGE_URL".
	From []string
	// Producers are the pipeline tasks whose results named it (Extract
	// and ExtractTaskRun; none from FromResults).
	Producers []Producer
}

// DigestString is "alg:hex" of the strongest digest, for references.
func (s Subject) DigestString() string {
	for _, alg := range []string{"sha256", "sha512", "sha384", "sha1"} {
		if h, ok := s.Digest[alg]; ok {
			return alg + ":" + h
		}
	}
	return ""
}

// Problem is a type-hinted value that was not used: an invalid digest or
// reference, or half of a pair. It is reported and never signed.
type Problem struct {
	Object string // "TaskRun ci/p-build", "PipelineRun ci/p"
	Result string // result, param or artifact name
	Value  string // clipped
	Reason string
}

func (p Problem) String() string {
	return fmt.Sprintf("%s %s = %q: %s", p.Object, p.Result, p.Value, p.Reason)
}

// Set is everything found in one snapshot. Each list is sorted by name then
// digest and holds no duplicates.
type Set struct {
	Subjects   []Subject
	Materials  []Subject
	Byproducts []Subject
	Problems   []Problem
}

// Images returns the image subjects.
func (s *Set) Images() []Subject {
	var out []Subject
	for _, sub := range s.Subjects {
		if sub.Image {
			out = append(out, sub)
		}
	}
	return out
}

// list merges duplicates as they are added: same name and at least one
// algorithm with the same hex (as Chains does), digest sets united.
type list struct {
	items  []Subject
	byName map[string][]int
}

func (l *list) add(s Subject) {
	if l.byName == nil {
		l.byName = map[string][]int{}
	}
	for _, i := range l.byName[s.Name] {
		if sharesDigest(l.items[i].Digest, s.Digest) {
			it := &l.items[i]
			maps.Copy(it.Digest, s.Digest)
			it.Image = it.Image || s.Image
			it.Tags = appendUnique(it.Tags, s.Tags...)
			it.From = appendUnique(it.From, s.From...)
			it.Producers = mergeProducers(it.Producers, s.Producers...)
			return
		}
	}
	l.byName[s.Name] = append(l.byName[s.Name], len(l.items))
	l.items = append(l.items, s)
}

func sharesDigest(a, b map[string]string) bool {
	for alg, h := range a {
		if b[alg] == h {
			return true
		}
	}
	return false
}

func appendUnique(dst []string, src ...string) []string {
	for _, s := range src {
		if !slices.Contains(dst, s) {
			dst = append(dst, s)
		}
	}
	return dst
}

// sorted returns the items ordered by name then digest, tags sorted.
func (l *list) sorted() []Subject {
	for i := range l.items {
		slices.Sort(l.items[i].Tags)
	}
	slices.SortFunc(l.items, func(a, b Subject) int {
		return cmp.Or(strings.Compare(a.Name, b.Name), strings.Compare(a.DigestString(), b.DigestString()))
	})
	return l.items
}

// Keep leaves out the subjects for which why gives a reason, each reported
// as a problem with that reason: it is not signed.
func (s *Set) Keep(why func(Subject) string) {
	kept := s.Subjects[:0]
	for _, sub := range s.Subjects {
		reason := why(sub)
		if reason == "" {
			kept = append(kept, sub)
			continue
		}
		s.Problems = append(s.Problems, Problem{Object: strings.Join(sub.From, ", "), Result: "subject",
			Value: clip(sub.Name+"@"+sub.DigestString(), 200), Reason: reason})
	}
	s.Subjects = kept
}
