package migrate

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/chainseal/chainseal/pkg/config"
)

// Source is a Tekton Chains installation as migrate read it.
type Source struct {
	// Config is chains-config's data; ConfigFrom says where it came from
	// ("ConfigMap tekton-chains/chains-config", "file chains.yaml").
	Config     map[string]string
	ConfigFrom string
	// Secret is signing-secrets' data; SecretFrom is "" when there was no
	// such Secret.
	Secret     map[string][]byte
	SecretFrom string
	// Ignored lists the objects of --from-file files that are neither.
	Ignored []string
}

// TranslateOptions are what Translate needs besides the Source.
type TranslateOptions struct {
	// VaultRole is the Vault kubernetes auth role chainseal logs in with, for
	// a hashivault:// key; "" keeps Chains' Vault auth keys.
	VaultRole string
	// RekorPublicKey is the transparency log's PEM public key.
	RekorPublicKey []byte
	// Backends are the storage backends built into this chainseal.
	Backends []string
}

// Translation is what chainseal needs in one namespace.
type Translation struct {
	Namespace string
	// Config is the data of the chainseal-config ConfigMap.
	Config map[string]string
	// Parsed is Config as chainseal reads it.
	Parsed config.Config
	// Secret is the data of the chainseal-signing Secret: the key files
	// copied from signing-secrets (empty: no Secret is written).
	Secret map[string][]byte
	// AnnotatePipelineRuns and AnnotateTaskRuns say whether chainseal
	// annotates PipelineRuns or TaskRuns (chains.tekton.dev/signed on every
	// sealed run, and the attestations with tekton storage), which needs
	// the chainseal-annotate(-taskruns) Roles.
	AnnotatePipelineRuns, AnnotateTaskRuns bool
	// Notes say what became of every key and file, and what is left to do.
	Notes []Note
}

// Blocking lists the notes whose todo must be done before the first run.
func (t *Translation) Blocking() []Note {
	var out []Note
	for _, n := range t.Notes {
		if n.Blocking {
			out = append(out, n)
		}
	}
	return out
}

// Translate works out the chainseal config and signing Secret of namespace
// ns from a Chains installation. Every key of src.Config and every file of
// src.Secret gets a Note. It fails only when the result would not be a
// config chainseal accepts (which Chains would have refused too).
func Translate(src Source, ns string, o TranslateOptions) (*Translation, error) {
	t := &translator{src: src, ns: ns, o: o, out: map[string]string{}, done: map[string]bool{}}
	t.out[config.KeyCompat] = config.CompatChains
	t.add(Note{Key: config.KeyCompat, Status: Added, Written: []string{config.KeyCompat},
		Reason: "every key not set takes Tekton Chains' default, not chainseal's, so verifiers see no change (docs/migrate.md)"})
	for _, a := range artifactKinds {
		t.artifact(a)
	}
	for _, k := range slices.Sorted(maps.Keys(src.Config)) {
		if t.done[k] {
			continue
		}
		t.key(k, strings.TrimSpace(src.Config[k]))
	}
	t.vault()
	t.transparencyKey()
	t.secret()
	t.general()

	cfg, err := config.Parse(t.out)
	if err != nil {
		return nil, fmt.Errorf("the config migrated from %s for namespace %s is not one chainseal accepts (nor would Chains have signed with it): %w", src.ConfigFrom, ns, err)
	}
	return &Translation{
		Namespace: ns, Config: t.out, Parsed: cfg, Secret: t.secretOut, Notes: t.notes,
		// Every sealed run is marked chains.tekton.dev/signed=true, as
		// Chains marks it, whatever the storage: the PipelineRun always,
		// TaskRuns when they are signed.
		AnnotatePipelineRuns: true,
		AnnotateTaskRuns:     t.effective[kindTaskRun].enabled(),
	}, nil
}

type translator struct {
	src       Source
	ns        string
	o         TranslateOptions
	out       map[string]string
	secretOut map[string][]byte
	notes     []Note
	done      map[string]bool
	// effective is each kind's artifact config as chainseal will run it.
	effective [3]artifactConfig
}

func (t *translator) add(n Note) { t.notes = append(t.notes, n) }

// carry writes k=v as it was.
func (t *translator) carry(k, v, reason string) {
	t.out[k] = v
	t.add(Note{Key: k, Status: Carried, Written: []string{k}, Reason: reason})
}

func (t *translator) drop(k, reason string) {
	t.add(Note{Key: k, Status: Dropped, Reason: reason})
}

// value is a Chains key's value, or its Chains default when not set.
func (t *translator) value(k string) string {
	if v, ok := t.src.Config[k]; ok {
		return strings.TrimSpace(v)
	}
	return config.DefaultsFor(config.CompatChains)[k]
}

// Artifact kinds, in the order of chains-config.
const (
	kindPipelineRun = iota
	kindTaskRun
	kindOCI
)

type artifactKind struct {
	kind                             int
	name                             string
	formatKey, storageKey, signerKey string
	formats                          []string
}

var artifactKinds = []artifactKind{
	{kindPipelineRun, "PipelineRun", config.KeyPipelineRunFormat, config.KeyPipelineRunStorage, config.KeyPipelineRunSigner, chainsProvenanceFormats},
	{kindTaskRun, "TaskRun", config.KeyTaskRunFormat, config.KeyTaskRunStorage, config.KeyTaskRunSigner, chainsProvenanceFormats},
	{kindOCI, "image signature", config.KeyOCIFormat, config.KeyOCIStorage, config.KeyOCISigner, []string{config.FormatSimpleSigning}},
}

type artifactConfig struct {
	storage []string
	signer  string
}

func (a artifactConfig) enabled() bool { return a.signer != config.SignerNone && len(a.storage) > 0 }

// stores reports whether the kind's artifacts are signed and stored in backend.
func (t *translator) stores(kind int, backend string) bool {
	a := t.effective[kind]
	return a.enabled() && slices.Contains(a.storage, backend)
}

// uses reports whether an artifact that is signed at all is signed by signer.
func (t *translator) uses(signer string) bool {
	return slices.ContainsFunc(t.effective[:], func(a artifactConfig) bool { return a.enabled() && a.signer == signer })
}

// artifact translates the format, storage and signer keys of one kind, and
// records how chainseal will sign and store it.
func (t *translator) artifact(a artifactKind) {
	t.done[a.formatKey], t.done[a.storageKey], t.done[a.signerKey] = true, true, true
	if v, ok := t.src.Config[a.formatKey]; ok {
		v = strings.TrimSpace(v)
		switch {
		case !slices.Contains(a.formats, v):
			t.drop(a.formatKey, fmt.Sprintf("Chains v0.26-v0.29 refuse %q too (they accept %s); Chains' default %s applies",
				v, strings.Join(a.formats, ", "), config.DefaultsFor(config.CompatChains)[a.formatKey]))
		case v == config.FormatSLSAv02:
			t.carry(a.formatKey, v, "SLSA v0.2, as Chains' in-toto")
		default:
			t.carry(a.formatKey, v, "")
		}
	}

	signer := t.value(a.signerKey)
	if v, ok := t.src.Config[a.signerKey]; ok {
		v = strings.TrimSpace(v)
		switch {
		case slices.Contains(chainsSigners, v):
			t.out[a.signerKey] = v
		case v == config.SignerPGP:
			t.out[a.signerKey] = v
			t.add(Note{Key: a.signerKey, Status: Changed, Written: []string{a.signerKey},
				Reason: "pgp was the signer of Chains before v0.26 (v0.26-v0.29 refuse it); chainseal signs with pgp.private-key and pgp.passphrase"})
		default:
			t.drop(a.signerKey, fmt.Sprintf("Chains v0.26-v0.29 refuse %q too (they accept %s); Chains' default x509 applies", v, strings.Join(chainsSigners, ", ")))
			signer = config.SignerX509
		}
	}

	storage, storageNote := t.storage(a)
	if storage == nil && signer != config.SignerNone {
		// Chains makes nothing of this kind when its storage is empty;
		// chainseal would sign and store it nowhere, so it signs none.
		t.out[a.signerKey] = config.SignerNone
		signer = config.SignerNone
		storageNote.Written = append(storageNote.Written, a.signerKey)
		storageNote.Reason += fmt.Sprintf("; written as %s=%s: nothing to store them in, so none are signed", a.signerKey, config.SignerNone)
	}
	if storageNote.Key != "" {
		t.add(storageNote)
	}
	if _, ok := t.src.Config[a.signerKey]; ok && slices.Contains(chainsSigners, strings.TrimSpace(t.src.Config[a.signerKey])) {
		if t.out[a.signerKey] == strings.TrimSpace(t.src.Config[a.signerKey]) {
			t.add(Note{Key: a.signerKey, Status: Carried, Written: []string{a.signerKey}})
		} else {
			t.add(Note{Key: a.signerKey, Status: Translated, Written: []string{a.signerKey},
				Reason: fmt.Sprintf("written as %s: %s are stored nowhere (see %s)", t.out[a.signerKey], a.name, a.storageKey)})
		}
	}
	t.effective[a.kind] = artifactConfig{storage: storage, signer: signer}
}

// storage translates one artifacts.*.storage key: the backends built into
// chainseal are kept, the others dropped with their reason. It returns the
// backends the kind will be stored in (nil: nowhere) and the key's note
// (zero when the key is not set).
func (t *translator) storage(a artifactKind) ([]string, Note) {
	raw, set := t.src.Config[a.storageKey]
	if !set {
		return []string{t.value(a.storageKey)}, Note{}
	}
	n := Note{Key: a.storageKey, Status: Carried}
	raw = strings.TrimSpace(raw)
	if raw == "" {
		t.out[a.storageKey] = ""
		n.Status, n.Written = Translated, []string{a.storageKey}
		n.Reason = fmt.Sprintf("empty: Chains makes no %s attestations", a.name)
		return nil, n
	}
	var kept, dropped []string
	for _, b := range strings.Split(raw, ",") {
		b = strings.TrimSpace(b)
		switch {
		case slices.Contains(kept, b):
		case !slices.Contains(chainsStorages, b):
			dropped = append(dropped, fmt.Sprintf("%q (Chains refuses it too)", b))
		case a.kind == kindOCI && b == config.StorageTekton:
			dropped = append(dropped, "tekton (chainseal keeps attestations in annotations, not image signatures: they go to OCI)")
		case !slices.Contains(t.o.Backends, b):
			dropped = append(dropped, fmt.Sprintf("%s (not built into this chainseal, which has %s)", b, strings.Join(t.o.Backends, ", ")))
		default:
			kept = append(kept, b)
		}
	}
	t.out[a.storageKey] = strings.Join(kept, ",")
	n.Written = []string{a.storageKey}
	if len(dropped) > 0 {
		n.Status = Changed
		n.Reason = "dropped " + strings.Join(dropped, ", ")
		if len(kept) > 0 {
			n.Reason = "kept " + strings.Join(kept, ",") + "; " + n.Reason
		}
		n.Todo = fmt.Sprintf("verifiers that read %s attestations from the dropped backends find no new ones", a.name)
	}
	if len(kept) == 0 {
		return nil, n
	}
	return kept, n
}

// rule translates one chains-config key other than the artifact keys.
type rule func(t *translator, k, v string)

var rules = map[string]rule{
	config.KeyPipelineRunDeepInspection: boolean,
	config.KeyOCIRepository:             carried,
	config.KeyOCIRepositoryInsecure:     boolean,
	config.KeyOCIEncodingFormat:         oneOf(config.EncodingDSSE, config.EncodingSigstoreBundle),
	config.KeyGCSBucket:                 backendKey(config.StorageGCS, ""),
	config.KeyDocDBURL:                  backendKey(config.StorageDocDB, ""),
	config.KeyDocDBMongoServerURL:       backendKey(config.StorageDocDB, ""),
	config.KeyDocDBMongoServerURLDir: backendKey(config.StorageDocDB,
		"a directory in the Chains controller's pod: mount the Secret holding MONGO_SERVER_URL there in the chainseal Task"),
	config.KeyDocDBMongoServerURLPath: backendKey(config.StorageDocDB,
		"a file in the Chains controller's pod: mount the Secret holding the URL there in the chainseal Task"),
	config.KeyArchivistaURL:    backendKey(config.StorageArchivista, ""),
	config.KeyGrafeasProjectID: backendKey(config.StorageGrafeas, ""),
	config.KeyGrafeasNoteID:    backendKey(config.StorageGrafeas, ""),
	config.KeyGrafeasNoteHint:  backendKey(config.StorageGrafeas, ""),
	chainsPubSubProvider:       pubsubProvider,
	chainsPubSubTopic:          backendKey(config.StorageKafka, ""),
	chainsPubSubKafkaBootstrap: backendKey(config.StorageKafka, ""),

	config.KeyKMSRef:           kmsKey,
	config.KeyKMSAuthAddress:   kmsKey,
	config.KeyKMSAuthToken:     kmsKey,
	config.KeyKMSAuthTokenPath: kmsKey,
	config.KeyKMSAuthOIDCPath:  kmsKey,
	config.KeyKMSAuthOIDCRole:  kmsKey,
	chainsKMSAuthOIDCTokenPath: kmsKey,
	config.KeyKMSSpireSock:     kmsKey,
	config.KeyKMSSpireAudience: kmsKey,

	config.KeyFulcioEnabled: func(t *translator, k, v string) {
		b, err := strconv.ParseBool(v)
		switch {
		case err != nil:
			t.drop(k, fmt.Sprintf("Chains ignores %q, not a boolean, and keeps its default false, as chainseal does", v))
		case b && t.uses(config.SignerX509):
			t.out[k] = v
			t.add(Note{Key: k, Status: Changed, Written: []string{k}, Blocking: true,
				Reason: fmt.Sprintf("chainseal signs keylessly with the chainseal Task's projected ServiceAccount token (audience sigstore), and checks Fulcio's certificate against a trusted root that Chains' config does not have (%s); it takes no roots from a TUF mirror", config.KeyFulcioTrustedRoot),
				Todo:   fmt.Sprintf("set %s to your Sigstore deployment's trusted_root.json (cosign trusted-root create), %s to the cluster's ServiceAccount token issuer, and remove %s", config.KeyFulcioTrustedRoot, config.KeyFulcioIssuer, config.KeyTUFMirrorURL)})
		default:
			t.carry(k, v, "")
		}
	},
	config.KeyFulcioAddress:  carried,
	config.KeyFulcioIssuer:   carried,
	config.KeyFulcioProvider: carried,
	config.KeyIdentityTokenFile: func(t *translator, k, v string) {
		t.carry(k, v, "")
		if b, _ := strconv.ParseBool(t.value(config.KeyFulcioEnabled)); b {
			t.notes[len(t.notes)-1].Todo = "a file in the Chains controller's pod (Chains mounts a projected token at /var/run/sigstore/cosign): mount one at that path in the chainseal Task"
		}
	},
	config.KeyTUFMirrorURL: carried,
	config.KeyBuilderID:    carried,
	config.KeyBuildType:    oneOf(config.BuildTypeSLSA, config.BuildTypeSLSATekton),
	config.KeyTransparencyEnabled: func(t *translator, k, v string) {
		// Chains: "true" or "manual" turn it on, any other value off.
		// chainseal reads manual as Chains does: only the runs annotated
		// chains.tekton.dev/transparency-upload: "true" are logged.
		switch v {
		case "true", "false", "manual":
			t.carry(k, v, "")
		default:
			t.out[k] = "false"
			t.add(Note{Key: k, Status: Translated, Written: []string{k},
				Reason: fmt.Sprintf("Chains reads %q as false (only true and manual turn it on)", v)})
		}
	},
	config.KeyTransparencyURL: carried,
	chainsFilterManagedBy:     dropped("no per-namespace meaning: Chains' controller skipped runs managed by other controllers; chainseal seals exactly the runs whose pipeline has the chainseal finally task"),
	knativeExample:            dropped("knative's example block: documentation, not configuration"), config.KeyCompat: func(t *translator, k, v string) {
		if v != config.CompatChains {
			t.drop(k, fmt.Sprintf("migrate writes %s=%s: the keys not set keep the defaults Chains gave them", k, config.CompatChains))
			return
		}
		t.add(Note{Key: k, Status: Carried, Written: []string{k}})
	},
}

// key translates one chains-config key by its rule.
func (t *translator) key(k, v string) {
	if r, ok := rules[k]; ok {
		r(t, k, v)
		return
	}
	if slices.Contains(config.Keys(), k) {
		t.carry(k, v, "a chainseal key (Chains ignored it)")
		return
	}
	t.drop(k, "neither Tekton Chains v0.26-v0.29 nor chainseal reads this key (Chains ignored it too)")
}

func carried(t *translator, k, v string) { t.carry(k, v, "") }

// pubsubProvider carries Chains' kafka provider to the kafka backend;
// Chains' inmemory topic lived inside its controller's process, which
// chainseal does not have.
func pubsubProvider(t *translator, k, v string) {
	if v != config.PubSubProviderKafka {
		t.drop(k, fmt.Sprintf("the %q provider is a topic inside the Chains controller's process, gone with it; chainseal publishes only to Kafka (kafka)", v))
		return
	}
	backendKey(config.StorageKafka, "")(t, k, v)
}

func dropped(reason string) rule {
	return func(t *translator, k, _ string) { t.drop(k, reason) }
}

func boolean(t *translator, k, v string) {
	if _, err := strconv.ParseBool(v); err != nil {
		t.drop(k, fmt.Sprintf("Chains ignores %q, not a boolean, and keeps its default, as chainseal does", v))
		return
	}
	t.carry(k, v, "")
}

func oneOf(allowed ...string) rule {
	return func(t *translator, k, v string) {
		if !slices.Contains(allowed, v) {
			t.drop(k, fmt.Sprintf("Chains refuses %q too (it accepts %s); Chains' default applies", v, strings.Join(allowed, ", ")))
			return
		}
		t.carry(k, v, "")
	}
}

// backendKey carries a key of a storage backend when chainseal stores
// something there, and drops it otherwise. todo is what a path key needs.
func backendKey(backend, todo string) rule {
	return func(t *translator, k, v string) {
		if !slices.Contains(t.o.Backends, backend) {
			t.drop(k, fmt.Sprintf("the %s backend is not built into this chainseal, so no artifact is stored there", backend))
			return
		}
		t.carry(k, v, "")
		if todo != "" {
			t.notes[len(t.notes)-1].Todo = todo
			t.notes[len(t.notes)-1].Blocking = t.stores(kindPipelineRun, backend) || t.stores(kindTaskRun, backend) || t.stores(kindOCI, backend)
		}
	}
}
