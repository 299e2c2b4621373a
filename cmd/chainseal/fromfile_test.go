package main

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/chainseal/chainseal/pkg/sign"
)

// Attack (issue #14): `chainseal sign --from-file forged.yaml` in a pod, a
// hand-written PipelineRun claiming any subjects, signed with the key the
// pod can reach. In a pod (the in-cluster environment Kubernetes gives
// every container) it is refused before anything is read, signed or
// stored; only --dry-run works there. Outside a cluster, with the key file
// on the command line, it signs (offlineSign).
func TestSignFromFileRefusedInAPod(t *testing.T) {
	args, store := offlineSign(t)
	t.Setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1")
	_, _, err := execute(t, args...)
	if !errors.Is(err, sign.ErrForgeable) || !strings.Contains(err.Error(), "pod") {
		t.Fatalf("sign --from-file in a pod: err = %v, want refused (ErrForgeable)", err)
	}
	if entries, _ := os.ReadDir(store); len(entries) != 0 {
		t.Fatalf("something was stored: %v", entries)
	}
	// A dry run still prints the statements.
	out, _, err := execute(t, append([]string{"sign", "--dry-run", "--results-dir", ""}, writeRun(t, buildRun())...)...)
	if err != nil || !strings.Contains(out, "predicateType") {
		t.Fatalf("dry run in a pod: %v\n%s", err, out)
	}
}

// Outside a cluster, --from-file signs only with the key in --secret-dir:
// not with a cluster's Secret, a KMS or a keyless identity.
func TestSignFromFileNeedsAKeyFile(t *testing.T) {
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	args, _ := offlineSign(t)
	var noKey []string
	for i := 0; i < len(args); i++ {
		if args[i] == "--secret-dir" {
			i++
			continue
		}
		noKey = append(noKey, args[i])
	}
	if _, _, err := execute(t, noKey...); !errors.Is(err, sign.ErrForgeable) || !strings.Contains(err.Error(), "--secret-dir") {
		t.Fatalf("without --secret-dir: err = %v, want refused naming --secret-dir", err)
	}
	kms := append(args, "--config", "artifacts.pipelinerun.signer=kms", "--config", "signers.kms.kmsref=hashivault://k")
	if _, _, err := execute(t, kms...); !errors.Is(err, sign.ErrForgeable) || !strings.Contains(err.Error(), "kms") {
		t.Fatalf("with a KMS signer: err = %v, want refused", err)
	}
	if _, _, err := execute(t, args...); err != nil {
		t.Fatalf("with the key file: %v", err)
	}
}
