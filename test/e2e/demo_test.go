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

// TestEndToEnd is the demo as a test, and the product's acceptance test: two
// namespaces, one signing with a Vault transit key through Kubernetes auth,
// one with a cosign key Secret; in each, a Pipeline runs under Tekton's real
// controller on the stack's node, its build task pushes an image, and
// chainseal, resolved from its bundle, seals it as the finally task. The
// results are checked by cosign, rekor-cli, tkn, chainseal verify and the
// API.
func TestEndToEnd(t *testing.T) {
	t.Parallel()
	env := stacktest.Load(t)
	work := t.TempDir()
	bin := filepath.Join(work, "chainseal")
	if out, err := exec.Command("go", "build", "-o", bin, "../../cmd/chainseal").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	var out bytes.Buffer
	s := &demo.Scenario{Env: env, Root: repoRoot(t), Chainseal: bin, RBAC: "../../tasks/rbac.yaml", Out: &out, Work: work,
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
