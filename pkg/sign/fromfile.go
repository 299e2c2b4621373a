package sign

import (
	"errors"
	"fmt"
	"os"

	"github.com/chainseal/chainseal/pkg/config"
)

// ErrForgeable: a run read from files is whatever its author wrote (any
// subjects, any namespace, "all tasks succeeded"); signing it with a
// cluster's key would turn a hand-written file into provenance.
var ErrForgeable = errors.New("chainseal sign --from-file signs only outside a cluster, with a key file given on the command line")

// serviceAccountTokenFile is where a pod's ServiceAccount token is mounted.
var serviceAccountTokenFile = "/var/run/secrets/kubernetes.io/serviceaccount/token"

// inPod reports whether this process runs in a Kubernetes pod: the
// in-cluster environment, or a mounted ServiceAccount token.
var inPod = func() bool {
	if os.Getenv("KUBERNETES_SERVICE_HOST") != "" {
		return true
	}
	_, err := os.Stat(serviceAccountTokenFile)
	return err == nil
}

// checkFromFiles refuses to sign a run read from files except with
// --dry-run, or outside a pod with the key in --secret-dir (not a cluster's
// Secret, KMS or keyless identity).
func checkFromFiles(o Options) error {
	if len(o.FromFiles) == 0 || o.DryRun {
		return nil
	}
	if inPod() {
		return fmt.Errorf("%w: this is a pod (in-cluster environment or a ServiceAccount token), whose identity may reach the namespace's key: refused; use --dry-run to see the statements, or seal the run from the API (--namespace, --pipelinerun)", ErrForgeable)
	}
	if o.SecretDir == "" {
		return fmt.Errorf("%w: give the key's directory with --secret-dir (or use --dry-run)", ErrForgeable)
	}
	return nil
}

// checkFromFilesSigners refuses, for a run read from files, every signer
// but the key files of --secret-dir.
func checkFromFilesSigners(o Options, cfg config.Config) error {
	if len(o.FromFiles) == 0 || o.DryRun {
		return nil
	}
	for _, a := range []struct {
		key    string
		signer string
	}{{config.KeyPipelineRunSigner, cfg.PipelineRun.Signer}, {config.KeyTaskRunSigner, cfg.TaskRun.Signer}, {config.KeyOCISigner, cfg.OCI.Signer}} {
		if a.signer == config.SignerKMS || (a.signer == config.SignerX509 && cfg.Fulcio.Enabled) {
			return fmt.Errorf("%w: %s is %s, not a key file in --secret-dir", ErrForgeable, a.key, describeSigner(a.signer, cfg))
		}
	}
	return nil
}

func describeSigner(s string, cfg config.Config) string {
	if s == config.SignerX509 && cfg.Fulcio.Enabled {
		return "x509 with " + config.KeyFulcioEnabled
	}
	return s
}
