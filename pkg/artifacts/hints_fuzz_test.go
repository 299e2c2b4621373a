package artifacts

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"

	"github.com/chainseal/chainseal/pkg/tekton"
)

// checkSet states what every Set must satisfy, whatever a task wrote: each
// subject, material and byproduct has a trimmed name and only valid
// digests, and each problem's value is clipped.
func checkSet(t *testing.T, s *Set) {
	t.Helper()
	for kind, l := range map[string][]Subject{"subject": s.Subjects, "material": s.Materials, "byproduct": s.Byproducts} {
		for _, sub := range l {
			if sub.Name == "" || strings.TrimSpace(sub.Name) != sub.Name || len(sub.Digest) == 0 {
				t.Fatalf("%s with an empty or untrimmed name, or no digest: %+v", kind, sub)
			}
			for alg, hex := range sub.Digest {
				git := kind == "material" && alg == "sha1"
				if a, h, err := ParseDigest(alg+":"+hex, git); err != nil || a != alg || h != hex {
					t.Fatalf("%s %q has digest %s:%s: %v", kind, sub.Name, alg, hex, err)
				}
			}
			if sub.DigestString() == "" {
				t.Fatalf("%s %q: no digest to reference it by: %v", kind, sub.Name, sub.Digest)
			}
			if sub.Image {
				img, err := ParseImage(sub.Name, sub.DigestString())
				if err != nil || img.Repository != sub.Name {
					t.Fatalf("image %s %q does not parse back: %+v %v", kind, sub.Name, img, err)
				}
			}
		}
	}
	for _, p := range s.Problems {
		// clip keeps 200 bytes and says how many there were.
		if len(p.Value) > 200+len("…(1234567890123 bytes)") || p.Reason == "" {
			t.Fatalf("problem not clipped or without reason: %d bytes, %q", len(p.Value), p.Reason)
		}
	}
}

// oddValues are values a task may write into a type-hinted result:
// newlines (IMAGES is newline- or comma-separated), huge values, odd
// Unicode (look-alike letters, a fullwidth colon, zero-width and
// right-to-left marks, invalid UTF-8, NUL).
var oddValues = []string{
	"gcr.io/a/b@sha256:" + d256 + "\n\ngcr.io/a/c@sha256:" + d256 + "\r\n",
	"gcr.io/a/b@sha256:" + d256 + ",\n,  ,gcr.io/a/b:v1@sha256:" + d256,
	strings.Repeat("gcr.io/a/b@sha256:"+d256+",", 3000),
	strings.Repeat("x", 1<<16),
	"sha256:" + strings.ToUpper(d256),
	"sha256\uff1a" + d256,                     // fullwidth colon
	"sh\u0430256:" + d256,                     // Cyrillic a
	"\u200bsha256:" + d256,                    // zero-width space
	"sha256:" + d256 + "\u202e",               // right-to-left override
	"gcr.io/a/\u202eb@sha256:" + d256,         // in a reference
	"gcr.io/a/b@sha256:" + d256[:63] + "\xff", // invalid UTF-8
	"sha1:" + sha1c,
	"\x00",
	"  sha512:" + d512 + "  ",
}

// FuzzTypeHints: one type-hinted result of any name and any value (a
// string, an array or an object, as JSON), read the way a TaskRun's
// results, a StepAction step's results and its params are. Seeds are the
// hints Chains defines with values of every shape a task may write.
func FuzzTypeHints(f *testing.F) {
	str := func(s string) []byte { b, _ := json.Marshal(s); return b }
	obj := func(m map[string]string) []byte { b, _ := json.Marshal(m); return b }
	for _, name := range []string{"IMAGES", "IMAGE_URL", "IMAGE_DIGEST", "app-IMAGE_DIGEST", "ARTIFACT_URI", "ARTIFACT_DIGEST", "CHAINS-GIT_URL", "CHAINS-GIT_COMMIT", "X_ARTIFACT_OUTPUTS", "X_ARTIFACT_INPUTS"} {
		for _, v := range oddValues {
			f.Add(name, str(v), "gcr.io/a/b", "sha256:"+d256)
		}
	}
	f.Add("IMAGES", []byte(`["gcr.io/a/b@sha256:`+d256+`"]`), "", "")
	f.Add("build_ARTIFACT_OUTPUTS", obj(map[string]string{"uri": "pkg:oci/x", "digest": "sha256:" + d256, "isBuildArtifact": "true"}), "", "")
	f.Add("src_ARTIFACT_INPUTS", obj(map[string]string{"uri": "git+https://git.example/a.git", "digest": "sha1:" + sha1c}), "", "")
	f.Add("src_ARTIFACT_INPUTS", obj(map[string]string{"uri": " \u00a0 ", "digest": "sha1:" + sha1c}), "", "")
	f.Add("X_ARTIFACT_OUTPUTS", obj(map[string]string{"uri": "a\nb", "digest": "SHA256:" + d256, "isBuildArtifact": "TRUE"}), "", "")
	f.Add("X_ARTIFACT_OUTPUTS", []byte(`"a string, not an object"`), "", "")
	f.Fuzz(func(t *testing.T, name string, value []byte, url, digest string) {
		var v v1.ParamValue
		if err := json.Unmarshal(value, &v); err != nil {
			return
		}
		results := []v1.TaskRunResult{
			{Name: name, Type: v1.ResultsType(v.Type), Value: v},
			{Name: "IMAGE_URL", Value: *v1.NewStructuredValues(url)},
			{Name: "IMAGE_DIGEST", Value: *v1.NewStructuredValues(digest)},
		}
		tr := &v1.TaskRun{}
		tr.Namespace, tr.Name = "ci", "p-build"
		tr.Status.Results = results
		tr.Status.Steps = []v1.StepState{{Name: "push", Results: results}}
		tr.Spec.Params = v1.Params{{Name: name, Value: v}}
		s := ExtractTaskRun(tekton.TaskRun{TaskRun: tr}, Options{})
		checkSet(t, s)
		_ = IsByproduct(name, v)
		if !utf8.ValidString(name) {
			return
		}
		for _, p := range s.Problems {
			if !strings.Contains(p.String(), p.Reason) {
				t.Fatalf("problem %q does not say why", p.String())
			}
		}
	})
}

// FuzzTEP0147: a TaskRun's status.artifacts (TEP-0147), as JSON, read
// for subjects (build outputs), byproducts (other outputs) and materials
// (inputs). Seeds are the artifacts Tekton writes, and some it does not.
func FuzzTEP0147(f *testing.F) {
	f.Add([]byte(`{"inputs":[{"name":"source","values":[{"uri":"git:https://git.example/app","digest":{"sha1":"`+sha1c+`"}}]}],"outputs":[{"name":"image","buildOutput":true,"values":[{"uri":"pkg:oci/app?repository_url=gcr.io/p","digest":{"sha256":"`+d256+`"}}]},{"name":"sbom","values":[{"uri":"sbom.json","digest":{"sha256":"`+d256+`","sha512":"`+d512+`"}}]}]}`), true)
	f.Add([]byte(`{"outputs":[{"name":"image","buildOutput":true,"values":[{"uri":"x","digest":{"sha256":"`+d256+`","SHA256":"`+strings.Repeat("0", 64)+`"}}]}]}`), true)
	f.Add([]byte(`{"outputs":[{"name":"image","buildOutput":true,"values":[{"uri":"x","digest":{"sha256":"`+d256+`"}},{"uri":"x","digest":{"sha384":"`+d384+`"}}]}]}`), false)
	f.Add([]byte(`{"inputs":[{"values":[{"uri":"","digest":{}},{"uri":"\u202egit+x","digest":{"sha1":"`+sha1c+`"}},null]}],"outputs":null}`), true)
	f.Add([]byte(`{"outputs":[{"name":"\u0000","values":[{"uri":" pkg:x ","digest":{"md5":"d41d8cd98f00b204e9800998ecf8427e"}}]}]}`), true)
	f.Fuzz(func(t *testing.T, raw []byte, outputs bool) {
		var a v1.Artifacts
		if err := json.Unmarshal(raw, &a); err != nil {
			return
		}
		tr := &v1.TaskRun{}
		tr.Namespace, tr.Name = "ci", "p-build"
		tr.Status.Artifacts = &a
		s := ExtractTaskRun(tekton.TaskRun{TaskRun: tr, Failed: !outputs}, Options{SkipFailed: true})
		checkSet(t, s)
		if !outputs && (len(s.Subjects) > 0 || len(s.Byproducts) > 0) {
			t.Fatalf("a failed TaskRun gave subjects %v or byproducts %v", s.Subjects, s.Byproducts)
		}
		// A value that names one algorithm twice (sha256 and SHA256) with
		// two different digests says nothing certain: it is a problem,
		// never an artifact with either digest.
		read := map[string][]v1.Artifact{"inputs": a.Inputs}
		if outputs {
			read["outputs"] = a.Outputs // a failed TaskRun's are not read
		}
		for kind, arts := range read {
			for _, art := range arts {
				for i, v := range art.Values {
					seen := map[string]string{}
					conflict := false
					for alg, hex := range v.Digest {
						a, h, err := ParseDigest(string(alg)+":"+hex, true)
						if err != nil {
							continue
						}
						if prev, ok := seen[a]; ok && prev != h {
							conflict = true
						}
						seen[a] = h
					}
					where := fmt.Sprintf("artifacts.%s[%s].values[%d]", kind, art.Name, i)
					if conflict && !slices.ContainsFunc(s.Problems, func(p Problem) bool { return strings.HasPrefix(p.Result, where) }) {
						t.Fatalf("%s names one algorithm with two digests %v, and no problem says so: %v", where, v.Digest, s.Problems)
					}
				}
			}
		}
		var in, out int
		for _, art := range a.Inputs {
			in += len(art.Values)
		}
		for _, art := range a.Outputs {
			out += len(art.Values)
		}
		if len(s.Materials) > in || len(s.Subjects)+len(s.Byproducts) > out {
			t.Fatalf("more artifacts found than written: %d/%d inputs, %d+%d/%d outputs", len(s.Materials), in, len(s.Subjects), len(s.Byproducts), out)
		}
	})
}

// FuzzParseImage: an image reference and a digest, as IMAGE_URL and
// IMAGE_DIGEST give them. What parses names itself again: String() parses
// back to the same image, and so does the reference with its tag.
func FuzzParseImage(f *testing.F) {
	f.Add("gcr.io/a/b:v1", "sha256:"+d256)
	f.Add("ubuntu", "sha512:"+d512)
	f.Add("localhost:5000/x@sha256:"+d256, "")
	f.Add("registry.example:443/team/app:1.0@sha256:"+d256, "sha256:"+d256)
	f.Add("index.docker.io/library/x", "sha384:"+d384)
	for _, v := range oddValues {
		f.Add(v, "sha256:"+d256)
		f.Add("gcr.io/a/b", v)
	}
	f.Fuzz(func(t *testing.T, ref, digest string) {
		img, err := ParseImage(ref, digest)
		if err != nil {
			return
		}
		if _, _, err := ParseDigest(img.Alg+":"+img.Hex, false); err != nil {
			t.Fatalf("%q %q: digest %s:%s: %v", ref, digest, img.Alg, img.Hex, err)
		}
		back, err := ParseImage(img.String(), "")
		if err != nil || back != (Image{Repository: img.Repository, Alg: img.Alg, Hex: img.Hex}) {
			t.Fatalf("%q %q gave %+v; its String %q gave %+v, %v", ref, digest, img, img.String(), back, err)
		}
		if img.Tag != "" {
			tagged, err := ParseImage(img.Repository+":"+img.Tag, img.Alg+":"+img.Hex)
			if err != nil || tagged != img {
				t.Fatalf("%q %q gave %+v; with its tag it gives %+v, %v", ref, digest, img, tagged, err)
			}
		}
	})
}
