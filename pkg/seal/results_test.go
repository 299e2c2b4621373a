package seal

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/chainseal/chainseal/pkg/storage"
)

// terminationMessage is what Tekton's entrypoint writes for a step's
// results: a JSON array in the container's termination message, which the
// kubelet caps at 4096 bytes for all of the pod's steps together.
func terminationMessage(t *testing.T, results map[string]string) int {
	t.Helper()
	type entry struct {
		Key   string `json:"key"`
		Value string `json:"value"`
		Type  int    `json:"type"`
	}
	var msg []entry
	for k, v := range results {
		msg = append(msg, entry{k, v, 1})
	}
	b, err := json.Marshal(msg)
	if err != nil {
		t.Fatal(err)
	}
	return len(b)
}

func bigReport(subjects, refs int) *Report {
	r := &Report{}
	a := storage.Attestation{Object: pr, Format: "slsa/v2alpha4", Envelope: []byte("{}"),
		Transparency: &storage.TransparencyEntry{LogIndex: 12345678, UUID: strings.Repeat("ab", 40)}}
	for i := range subjects {
		a.Subjects = append(a.Subjects, storage.Subject{
			Name:   fmt.Sprintf("registry.example.com/some-team/some-service-%03d", i),
			Digest: map[string]string{"sha256": strings.Repeat("0", 61) + fmt.Sprintf("%03d", i)},
		})
	}
	r.Attestations = append(r.Attestations, a)
	rc := storage.Receipt{Backend: "oci"}
	for i := range refs {
		rc.References = append(rc.References, fmt.Sprintf("registry.example.com/some-team/some-service-%03d:sha256-%s.att", i, strings.Repeat("0", 64)))
	}
	r.Receipts = append(r.Receipts, rc)
	return r
}

// A pipeline that builds 300 images must not fail its finally task on
// Tekton's result size limit: the list results become a count and the
// digest of the full list, which the step log holds.
func TestResultsStayUnderTheTerminationMessageLimit(t *testing.T) {
	r := bigReport(300, 300)
	res := r.Results()
	if n := terminationMessage(t, res); n > resultsBudget {
		t.Fatalf("the results take %d bytes of the termination message, want at most %d", n, resultsBudget)
	}
	lists := r.Lists()
	for _, k := range []string{ResultSignedSubjects, ResultAttestationRef} {
		full := lists[k]
		if len(full) != 300 {
			t.Fatalf("Lists()[%s] has %d entries, want the full 300", k, len(full))
		}
		sum := sha256.Sum256([]byte(strings.Join(full, "\n")))
		if v := res[k]; !strings.Contains(v, "300") || !strings.Contains(v, "sha256:"+hex.EncodeToString(sum[:])) {
			t.Errorf("%s = %q, want the count (300) and the sha256 of the full list", k, v)
		}
	}

	// Quoted names (control characters) grow when JSON-encodes them: the
	// budget is what the termination message holds, not the raw bytes.
	q := bigReport(5, 0)
	for i := range q.Attestations[0].Subjects {
		q.Attestations[0].Subjects[i].Name = strings.Repeat("\x01", 30) + fmt.Sprint(i)
	}
	q.Receipts = bigReport(5, 0).Receipts
	for i := range 5 {
		q.Receipts[0].References = append(q.Receipts[0].References, strings.Repeat("\x02", 30)+fmt.Sprint(i))
	}
	if n := terminationMessage(t, q.Results()); n > resultsBudget {
		t.Errorf("results with quoted names take %d bytes of the termination message, want at most %d", n, resultsBudget)
	}

	// A short list is the list itself.
	small := bigReport(2, 1).Results()
	if got := strings.Split(small[ResultSignedSubjects], "\n"); len(got) != 2 || !strings.HasPrefix(got[0], "registry.example.com/some-team/some-service-000@sha256:") {
		t.Errorf("SIGNED_SUBJECTS = %q, want the two subjects, one per line", small[ResultSignedSubjects])
	}
}

// Subject names come from tenant results (IMAGE_URL): a newline in one
// must not add a line, a subject that was never signed, to SIGNED_SUBJECTS.
func TestAResultValueCannotInjectLines(t *testing.T) {
	r := bigReport(1, 0)
	r.Attestations[0].Subjects = append(r.Attestations[0].Subjects, storage.Subject{
		Name:   "registry.example.com/app\nregistry.example.com/evil@sha256:" + strings.Repeat("e", 64) + "\nregistry.example.com/x",
		Digest: map[string]string{"sha256": strings.Repeat("1", 64)},
	})
	r.Attestations[0].Transparency.UUID = "abc\nREKOR_UUID=forged"
	r.Receipts[0].References = []string{"reg/app:sha256-x.att\nreg/evil:sha256-y.att"}
	res := r.Results()
	lines := strings.Split(res[ResultSignedSubjects], "\n")
	if len(lines) != 2 {
		t.Fatalf("SIGNED_SUBJECTS has %d lines for 2 subjects:\n%s", len(lines), res[ResultSignedSubjects])
	}
	for _, l := range lines {
		if strings.HasPrefix(l, "registry.example.com/evil@") {
			t.Errorf("a subject name injected the line %q", l)
		}
	}
	for k, v := range res {
		if k != ResultSignedSubjects && strings.Contains(v, "\n") {
			t.Errorf("%s = %q holds a newline", k, v)
		}
	}
}

// Every declared result is written, empty when it does not apply.
func TestEveryResultIsThereEvenEmpty(t *testing.T) {
	res := (&Report{}).Results()
	for _, k := range []string{ResultAttestationDigest, ResultAttestationRef, ResultRekorLogIndex, ResultRekorUUID, ResultSignedSubjects} {
		if v, ok := res[k]; !ok || v != "" {
			t.Errorf("%s = %q (present %v), want present and empty", k, v, ok)
		}
	}
}
