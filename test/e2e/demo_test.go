//go:build stack

package e2e

import (
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chainseal/chainseal/internal/demo"
	"github.com/chainseal/chainseal/internal/kubetest"
	"github.com/chainseal/chainseal/internal/stacktest"
)

// TestEndToEnd is the demo as a test: two namespaces, a Vault transit key
// through Kubernetes auth and a cosign key Secret, chainseal run with each
// namespace's ServiceAccount token, and the results checked by cosign,
// rekor-cli and the API.
func TestEndToEnd(t *testing.T) {
	t.Parallel()
	env := stacktest.Load(t)
	work := t.TempDir()
	bin := filepath.Join(work, "chainseal")
	if out, err := exec.Command("go", "build", "-o", bin, "../../cmd/chainseal").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	var out bytes.Buffer
	s := &demo.Scenario{Env: env, Chainseal: bin, RBAC: "../../tasks/rbac.yaml", Out: &out, Work: work,
		Suffix: strings.TrimPrefix(kubetest.Name("x"), "x-")}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	err := s.Run(ctx)
	t.Log(out.String())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(strings.TrimSpace(out.String()), "verified") {
		t.Fatal("the scenario did not end with verified")
	}
}
