package artifacts

import (
	"reflect"
	"strings"
	"testing"

	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
)

var (
	d256  = strings.Repeat("a", 64)
	d512  = strings.Repeat("b", 128)
	d384  = strings.Repeat("c", 96)
	sha1c = strings.Repeat("d", 40)
)

func str(name, v string) Result { return Result{Name: name, Value: *v1.NewStructuredValues(v)} }
func obj(name string, o map[string]string) Result {
	return Result{Name: name, Value: *v1.NewObject(o)}
}

type brief struct {
	Name   string
	Digest string
	Image  bool
	Tags   []string
}

func briefs(ss []Subject) []brief {
	var out []brief
	for _, s := range ss {
		out = append(out, brief{s.Name, s.DigestString(), s.Image, s.Tags})
	}
	return out
}

func TestFromResultsForms(t *testing.T) {
	cases := []struct {
		name      string
		in        []Result
		subjects  []brief
		materials []brief
		problems  int
	}{
		{
			name: "IMAGE_URL and IMAGE_DIGEST paired by prefix, tag kept aside, whitespace trimmed",
			in: []Result{
				str("IMAGE_URL", " registry.example:5000/team/app:v1.2\n"),
				str("IMAGE_DIGEST", "sha256:"+d256+"\n"),
				str("SIDECAR_IMAGE_URL", "busybox"),
				str("SIDECAR_IMAGE_DIGEST", "sha512:"+d512),
			},
			subjects: []brief{
				{"index.docker.io/library/busybox", "sha512:" + d512, true, nil},
				{"registry.example:5000/team/app", "sha256:" + d256, true, []string{"v1.2"}},
			},
		},
		{
			name: "IMAGES separated by commas and newlines, duplicates merged",
			in:   []Result{str("IMAGES", "gcr.io/p/a@sha256:"+d256+",\n gcr.io/p/b:latest@sha384:"+d384+"\n\ngcr.io/p/a:v2@sha256:"+d256)},
			subjects: []brief{
				{"gcr.io/p/a", "sha256:" + d256, true, []string{"v2"}},
				{"gcr.io/p/b", "sha384:" + d384, true, []string{"latest"}},
			},
		},
		{
			name:     "ARTIFACT_URI and ARTIFACT_DIGEST",
			in:       []Result{str("PKG_ARTIFACT_URI", "pkg:npm/left-pad@1.3.0"), str("PKG_ARTIFACT_DIGEST", "sha256:"+d256)},
			subjects: []brief{{"pkg:npm/left-pad@1.3.0", "sha256:" + d256, false, nil}},
		},
		{
			name: "ARTIFACT_OUTPUTS only when isBuildArtifact is true; ARTIFACT_INPUTS are materials",
			in: []Result{
				obj("BIN_ARTIFACT_OUTPUTS", map[string]string{"uri": "https://dl.example/bin", "digest": "sha256:" + d256, "isBuildArtifact": "true"}),
				obj("LOG_ARTIFACT_OUTPUTS", map[string]string{"uri": "https://dl.example/log", "digest": "sha256:" + d256}),
				obj("SRC_ARTIFACT_INPUTS", map[string]string{"uri": "git+https://git.example/app.git", "digest": "sha1:" + sha1c}),
			},
			subjects:  []brief{{"https://dl.example/bin", "sha256:" + d256, false, nil}},
			materials: []brief{{"git+https://git.example/app.git", "sha1:" + sha1c, false, nil}},
		},
		{
			name:      "CHAINS-GIT_URL and CHAINS-GIT_COMMIT",
			in:        []Result{str("CHAINS-GIT_URL", "https://git.example/app"), str("CHAINS-GIT_COMMIT", sha1c+"\n")},
			materials: []brief{{"git+https://git.example/app.git", "sha1:" + sha1c, false, nil}},
		},
		{
			name: "invalid digests and half pairs are problems, never subjects",
			in: []Result{
				str("IMAGE_URL", "gcr.io/p/a"), str("IMAGE_DIGEST", "sha256:"+d256[:63]),
				str("X_IMAGE_URL", "gcr.io/p/x"),
				str("Y_ARTIFACT_DIGEST", "sha256:"+d256),
				str("Z_ARTIFACT_URI", "file.tgz"), str("Z_ARTIFACT_DIGEST", "sha1:"+sha1c),
				str("W_ARTIFACT_URI", "file.tgz"), str("W_ARTIFACT_DIGEST", "SHA256:"+strings.ToUpper(d256)),
				str("IMAGES", "gcr.io/p/a@md5:abc, not a ref@sha256:"+d256),
				obj("BAD_ARTIFACT_OUTPUTS", map[string]string{"uri": "u", "digest": "sha256:zz", "isBuildArtifact": "true"}),
				str("STR_ARTIFACT_OUTPUTS", "u@sha256:"+d256),
				str("CHAINS-GIT_URL", "https://git.example/app"), str("CHAINS-GIT_COMMIT", "main"),
			},
			problems: 10,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := FromResults("TaskRun ci/p-build", c.in)
			if got := briefs(s.Subjects); !reflect.DeepEqual(got, c.subjects) {
				t.Errorf("subjects = %+v\nwant %+v", got, c.subjects)
			}
			if got := briefs(s.Materials); !reflect.DeepEqual(got, c.materials) {
				t.Errorf("materials = %+v\nwant %+v", got, c.materials)
			}
			if len(s.Problems) != c.problems {
				t.Errorf("%d problems, want %d: %v", len(s.Problems), c.problems, s.Problems)
			}
			for _, p := range s.Problems {
				if p.Object != "TaskRun ci/p-build" || p.Result == "" || p.Reason == "" {
					t.Errorf("problem lacks context: %+v", p)
				}
			}
		})
	}
}

func TestParseDigest(t *testing.T) {
	for _, c := range []struct {
		in  string
		git bool
		ok  bool
	}{
		{"sha256:" + d256, false, true},
		{"sha384:" + d384, false, true},
		{"sha512:" + d512, false, true},
		{" sha256:" + d256 + "\n", false, true},
		{"sha1:" + sha1c, true, true},
		{"sha1:" + sha1c, false, false},
		{"sha256:" + d256 + "a", false, false},
		{"sha256:" + strings.ToUpper(d256), false, false},
		{"sha512:" + d256, false, false},
		{"md5:" + d256[:32], false, false},
		{d256, false, false},
		{"", false, false},
		{"sha256:", false, false},
	} {
		_, _, err := ParseDigest(c.in, c.git)
		if (err == nil) != c.ok {
			t.Errorf("ParseDigest(%q, git=%v) error = %v, want ok=%v", c.in, c.git, err, c.ok)
		}
	}
}

func TestParseImage(t *testing.T) {
	for _, c := range []struct{ ref, digest, repo, tag string }{
		{"busybox", "sha256:" + d256, "index.docker.io/library/busybox", ""},
		{"docker.io/library/busybox:1.36", "sha256:" + d256, "index.docker.io/library/busybox", "1.36"},
		{"localhost:5000/app", "sha256:" + d256, "localhost:5000/app", ""},
		{"localhost:5000/app:dev@sha256:" + d256, "", "localhost:5000/app", "dev"},
		{"localhost:5000/app@sha256:" + d256, "sha256:" + d256, "localhost:5000/app", ""},
	} {
		img, err := ParseImage(c.ref, c.digest)
		if err != nil || img.Repository != c.repo || img.Tag != c.tag || img.Hex != d256 {
			t.Errorf("ParseImage(%q, %q) = %+v, %v", c.ref, c.digest, img, err)
		}
	}
	for _, c := range []struct{ ref, digest string }{
		{"app@sha256:" + d256, "sha256:" + strings.Repeat("f", 64)},
		{"app", ""},
		{"UPPER/case", "sha256:" + d256},
		{"", "sha256:" + d256},
	} {
		if img, err := ParseImage(c.ref, c.digest); err == nil {
			t.Errorf("ParseImage(%q, %q) = %+v, want an error", c.ref, c.digest, img)
		}
	}
}

func TestHugeValuesAreBounded(t *testing.T) {
	huge := strings.Repeat("x@sha256:1,", 200_000) // 2 MB of bad references
	s := FromResults("TaskRun ci/p", []Result{str("IMAGES", huge), str("IMAGE_URL", strings.Repeat("\x00\u2028", 1<<20)), str("IMAGE_DIGEST", "sha256:"+d256)})
	if len(s.Subjects) != 0 {
		t.Fatalf("subjects from garbage: %v", s.Subjects)
	}
	if len(s.Problems) != maxProblemsPerValue+2 {
		t.Errorf("%d problems, want %d", len(s.Problems), maxProblemsPerValue+2)
	}
	for _, p := range s.Problems {
		if len(p.Value) > 300 {
			t.Errorf("problem value not clipped: %d bytes", len(p.Value))
		}
	}
}
