package verify

import (
	"fmt"
	"strings"
)

// checkSubject checks that the image's digest is one of the statement's
// subjects. The name is reported, not required: the digest is the identity,
// and the same image may be pushed under several names.
func checkSubject(st *statement, d Artifact) Check {
	alg, hex, _ := strings.Cut(d.DigestStr(), ":")
	var names []string
	for _, s := range st.Subject {
		if strings.EqualFold(s.Digest[alg], hex) {
			return pass(CheckSubject, fmt.Sprintf("the image digest %s is the statement's subject %s", d.DigestStr(), s.Name))
		}
		for a, h := range s.Digest {
			names = append(names, s.Name+"@"+a+":"+short(h))
		}
	}
	if len(names) == 0 {
		return fail(CheckSubject, "the statement has no subjects")
	}
	return fail(CheckSubject, fmt.Sprintf("the image digest %s is not a subject of the statement (subjects: %s)", d.DigestStr(), strings.Join(names, ", ")))
}
