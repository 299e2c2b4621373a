package migrate

import (
	"fmt"
	"maps"
	"slices"
	"strconv"

	"github.com/chainseal/chainseal/pkg/config"
	"github.com/chainseal/chainseal/pkg/signing"
)

// secretName is the Secret chainseal reads its key files from.
const secretName = signing.DefaultSecretName

// signerFiles are the signing Secret's files each signer reads (the public
// key too, so that `cosign verify --key k8s://<ns>/chainseal-signing` works
// as it did with k8s://tekton-chains/signing-secrets).
var signerFiles = map[string][]string{
	config.SignerX509: {signing.FileX509Key, signing.FileCosignKey, signing.FileCosignPassword, signing.FileCosignPub},
	config.SignerPGP:  {signing.FilePGPPrivateKey, signing.FilePGPPassphrase},
}

// secret copies the files of signing-secrets that the namespace's signers
// read, and notes every other file and every missing one.
func (t *translator) secret() {
	need := map[string]string{} // file -> signer
	keyless, _ := strconv.ParseBool(t.out[config.KeyFulcioEnabled])
	for _, s := range []string{config.SignerX509, config.SignerPGP} {
		if !t.uses(s) || (s == config.SignerX509 && keyless) {
			continue
		}
		for _, f := range signerFiles[s] {
			need[f] = s
		}
	}
	where := fmt.Sprintf("Secret %s/%s", t.ns, secretName)
	for _, f := range slices.Sorted(maps.Keys(t.src.Secret)) {
		key := chainsSecretName + "/" + f
		s, ok := need[f]
		switch {
		case ok:
			if t.secretOut == nil {
				t.secretOut = map[string][]byte{}
			}
			t.secretOut[f] = t.src.Secret[f]
			t.add(Note{Key: key, Status: Carried, Written: []string{f}, Reason: fmt.Sprintf("copied into %s (the %s signer reads it)", where, s)})
		case slices.ContainsFunc(slices.Collect(maps.Values(signerFiles)), func(fs []string) bool { return slices.Contains(fs, f) }):
			t.drop(key, "no signer of this namespace reads it (a key is copied only where it signs)")
		default:
			t.drop(key, "not a file chainseal reads")
		}
	}
	if need[signing.FileX509Key] != "" && !t.has(signing.FileX509Key) && !t.has(signing.FileCosignKey) {
		t.add(Note{Key: where, Status: Needed, Blocking: true,
			Reason: fmt.Sprintf("a signer is x509 but %s has neither %s nor %s", t.sourceSecret(), signing.FileX509Key, signing.FileCosignKey),
			Todo:   fmt.Sprintf("put %s or %s (with %s) in %s, or sign with kms", signing.FileX509Key, signing.FileCosignKey, signing.FileCosignPassword, where)})
	}
	if t.has(signing.FileCosignKey) && need[signing.FileCosignKey] != "" && !t.has(signing.FileCosignPassword) {
		t.add(Note{Key: where, Status: Needed, Blocking: true,
			Reason: fmt.Sprintf("%s has %s but no %s", t.sourceSecret(), signing.FileCosignKey, signing.FileCosignPassword),
			Todo:   fmt.Sprintf("put the key's password in %s as %s", where, signing.FileCosignPassword)})
	}
	if need[signing.FilePGPPrivateKey] != "" && !t.has(signing.FilePGPPrivateKey) {
		t.add(Note{Key: where, Status: Needed, Blocking: true,
			Reason: fmt.Sprintf("a signer is pgp but %s has no %s", t.sourceSecret(), signing.FilePGPPrivateKey),
			Todo:   fmt.Sprintf("put %s and %s in %s", signing.FilePGPPrivateKey, signing.FilePGPPassphrase, where)})
	}
	if t.has(signing.FileX509Key) && need[signing.FileX509Key] != "" || t.has(signing.FileCosignKey) && need[signing.FileCosignKey] != "" ||
		t.has(signing.FilePGPPrivateKey) && need[signing.FilePGPPrivateKey] != "" {
		t.add(Note{Key: where, Status: Changed,
			Reason: fmt.Sprintf("the private key Chains kept in namespace %s is now in %s too: whoever can read Secrets there can sign as Chains did, for every namespace that trusts this key", DefaultChainsNamespace, t.ns),
			Todo:   "prefer a KMS key per namespace that only its chainseal ServiceAccount can use (docs/signing.md); at least, keep Secret reads in this namespace to its admins"})
	}
}

func (t *translator) has(file string) bool { _, ok := t.src.Secret[file]; return ok }

func (t *translator) sourceSecret() string {
	if t.src.SecretFrom == "" {
		return "the Chains installation (no " + chainsSecretName + " Secret)"
	}
	return t.src.SecretFrom
}

// general notes what chainseal does differently in the namespace as a
// whole, whatever the keys said.
func (t *translator) general() {
	if t.stores(kindPipelineRun, config.StorageOCI) || t.stores(kindTaskRun, config.StorageOCI) || t.stores(kindOCI, config.StorageOCI) {
		t.add(Note{Status: Changed,
			Reason: "chainseal pushes signatures and attestations with the registry credentials of ServiceAccount chainseal in this namespace (its imagePullSecrets, or $DOCKER_CONFIG in the Task), not with the Chains controller's",
			Todo:   fmt.Sprintf("add a push Secret to ServiceAccount %s/chainseal's imagePullSecrets and a rule letting the chainseal Role get it (tasks/rbac.yaml)", t.ns)})
	}
	if t.effective[kindTaskRun].enabled() {
		t.add(Note{Key: config.KeyTaskRunSigner, Status: Changed,
			Reason: "chainseal signs the TaskRuns of each PipelineRun whose pipeline runs the chainseal finally task; a TaskRun run on its own (no PipelineRun) is not sealed by it, where the Chains controller signed every TaskRun"})
	}
}
