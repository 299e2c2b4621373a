// Package config holds chainseal's configuration: one Config struct, parsed
// from chains-config keys (a ConfigMap's data, --config flags) with defaults,
// and validated with errors that name the key and the accepted values.
package config

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Artifact configures one kind of artifact (pipelinerun, taskrun, oci).
type Artifact struct {
	Format  string
	Storage []string
	Signer  string
}

// Enabled reports whether this kind of artifact is signed at all.
func (a Artifact) Enabled() bool { return a.Signer != SignerNone && a.Signer != "" }

// Config is everything a run of chainseal is configured with.
type Config struct {
	PipelineRun    Artifact
	TaskRun        Artifact
	OCI            Artifact
	DeepInspection bool

	OCIStorage struct {
		Repository     string
		Insecure       bool
		EncodingFormat string
	}
	GCS   struct{ Bucket string }
	DocDB struct {
		URL, MongoServerURL, MongoServerURLDir, MongoServerURLPath string
	}
	Grafeas struct {
		ProjectID, NoteID, NoteHint, Endpoint string
	}
	Archivista struct{ URL string }
	PubSub     struct {
		Provider, Topic, KafkaBootstrapServers string
	}
	File struct{ Dir string }

	KMS struct {
		Ref, AuthAddress, AuthToken, AuthTokenPath string
		OIDCPath, OIDCRole                         string
		SpireSock, SpireAudience                   string
		KubernetesRole, KubernetesPath             string
		KubernetesTokenPath                        string
	}
	Fulcio struct {
		Enabled                         bool
		Address, Issuer, Provider       string
		IdentityTokenFile, TUFMirrorURL string
		// TrustedRoot is the trusted_root.json (signers.x509.fulcio.trusted-root).
		TrustedRoot string
	}

	BuilderID string
	BuildType string

	Transparency struct {
		Enabled bool
		// Manual is transparency.enabled: manual, as Tekton Chains reads
		// it: only the runs annotated chains.tekton.dev/transparency-upload:
		// "true" are logged.
		Manual bool
		URL    string
		// PublicKey is the log's PEM public key (transparency.publickey).
		PublicKey string
	}

	AllowFailedTasks bool
	StrictDigests    bool
	// NoArtifacts is chainseal.no-artifacts: succeed or fail.
	NoArtifacts string
	// Compat is chainseal.compat: whose defaults the keys not set took.
	Compat string

	// AllowedRepositories (chainseal.allowed-repositories) are the
	// repository prefixes whose artifacts may be subjects; empty: any.
	AllowedRepositories []string
	// SubjectProducers (chainseal.subject-producers) are the task
	// reference prefixes whose tasks may name subjects; empty: any.
	SubjectProducers []string
	// CheckImagesExist (chainseal.check-images-exist): every image subject
	// must exist in its registry before anything is signed.
	CheckImagesExist bool

	// Platform names where the platform's settings came from (e.g.
	// "ConfigMap chainseal-system/chainseal-platform") when they govern the
	// run's namespace; "" otherwise. Not a key: the caller that applied
	// Platform.Apply sets it.
	Platform string
}

// DefaultIdentityTokenFile is where keyless signing reads its OIDC token
// unless signers.x509.identity.token.file says otherwise: cosign's
// filesystem token path, where the chainseal Task mounts a projected
// ServiceAccount token for the audience sigstore.
const DefaultIdentityTokenFile = "/var/run/sigstore/cosign/oidc-token"

// DefaultBuilderID names chainseal as the builder unless builder.id says otherwise.
const DefaultBuilderID = "https://github.com/chainseal/chainseal"

// Defaults are the values of every key nobody set. They follow Tekton Chains
// except where chainseal's job differs: SLSA v1.0 is the default format,
// deep inspection is on, PipelineRun provenance goes to OCI, and TaskRuns are
// not signed separately unless asked.
func Defaults() map[string]string {
	return map[string]string{
		KeyPipelineRunFormat:          FormatSLSAv2alpha4,
		KeyPipelineRunStorage:         StorageOCI,
		KeyPipelineRunSigner:          SignerX509,
		KeyPipelineRunDeepInspection:  "true",
		KeyTaskRunFormat:              FormatSLSAv2alpha4,
		KeyTaskRunStorage:             StorageTekton,
		KeyTaskRunSigner:              SignerNone,
		KeyOCIFormat:                  FormatSimpleSigning,
		KeyOCIStorage:                 StorageOCI,
		KeyOCISigner:                  SignerX509,
		KeyOCIEncodingFormat:          EncodingDSSE,
		KeyBuilderID:                  DefaultBuilderID,
		KeyBuildType:                  BuildTypeSLSA,
		KeyTransparencyEnabled:        "false",
		KeyTransparencyURL:            "https://rekor.sigstore.dev",
		KeyKMSAuthKubernetesPath:      "kubernetes",
		KeyKMSAuthKubernetesTokenPath: "/var/run/secrets/kubernetes.io/serviceaccount/token",
		KeyFulcioAddress:              "https://fulcio.sigstore.dev",
		KeyFulcioIssuer:               "https://oauth2.sigstore.dev/auth",
		KeyIdentityTokenFile:          DefaultIdentityTokenFile,
		KeyCompat:                     CompatNone,
		KeyNoArtifacts:                NoArtifactsSucceed,
	}
}

// Parse builds a Config from key/value pairs laid over the defaults of
// their chainseal.compat mode (DefaultsFor). Every problem is reported (not
// just the first), each naming the key.
func Parse(values map[string]string) (Config, error) {
	merged := DefaultsFor(strings.TrimSpace(values[KeyCompat]))
	for k, v := range values {
		merged[k] = strings.TrimSpace(v)
	}
	var c Config
	var errs []error
	keys := make([]string, 0, len(merged))
	for k := range merged {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		f, ok := fields[k]
		if !ok {
			errs = append(errs, unknownKey(k))
			continue
		}
		if err := f.set(&c, merged[k]); err != nil {
			errs = append(errs, fmt.Errorf("config key %q: %w", k, err))
		}
	}
	if err := c.validate(); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return Config{}, errors.Join(errs...)
	}
	return c, nil
}

func (c Config) validate() error {
	var errs []error
	if c.PipelineRun.Signer == SignerKMS || c.TaskRun.Signer == SignerKMS || c.OCI.Signer == SignerKMS {
		if c.KMS.Ref == "" {
			errs = append(errs, fmt.Errorf("config key %q is empty but a signer is %q: set it to a KMS URI such as hashivault://<key>", KeyKMSRef, SignerKMS))
		}
	}
	type stored struct {
		key string
		a   Artifact
	}
	withStorage := []stored{{KeyPipelineRunStorage, c.PipelineRun}, {KeyTaskRunStorage, c.TaskRun}}
	if c.OCI.Enabled() {
		// image signatures need their backends' keys as much
		withStorage = append(withStorage, stored{KeyOCIStorage, c.OCI})
	}
	for _, a := range withStorage {
		if slices.Contains(a.a.Storage, StorageFile) && c.File.Dir == "" {
			errs = append(errs, fmt.Errorf("config key %q names %q but %q is empty: set it to a directory", a.key, StorageFile, KeyFileDir))
		}
		if slices.Contains(a.a.Storage, StorageGCS) && c.GCS.Bucket == "" {
			errs = append(errs, fmt.Errorf("config key %q names %q but %q is empty: set it to a bucket name", a.key, StorageGCS, KeyGCSBucket))
		}
		if slices.Contains(a.a.Storage, StorageDocDB) && c.DocDB.URL == "" {
			errs = append(errs, fmt.Errorf("config key %q names %q but %q is empty: set it to a gocloud docstore URL such as mongo://db/collection", a.key, StorageDocDB, KeyDocDBURL))
		}
		if slices.Contains(a.a.Storage, StorageKafka) && (c.PubSub.Provider != PubSubProviderKafka || c.PubSub.Topic == "" || c.PubSub.KafkaBootstrapServers == "") {
			errs = append(errs, fmt.Errorf("config key %q names %q: set %q to %s, %q to the topic and %q to the brokers (host:port, comma-separated)", a.key, StorageKafka, KeyPubSubProvider, PubSubProviderKafka, KeyPubSubTopic, KeyPubSubKafkaBootstrapServers))
		}
		if slices.Contains(a.a.Storage, StorageArchivista) && c.Archivista.URL == "" {
			errs = append(errs, fmt.Errorf("config key %q names %q but %q is empty: set it to the Archivista server's URL, e.g. https://archivista.example.com", a.key, StorageArchivista, KeyArchivistaURL))
		}
		if slices.Contains(a.a.Storage, StorageGrafeas) && c.Grafeas.ProjectID == "" {
			errs = append(errs, fmt.Errorf("config key %q names %q but %q is empty: set it to the Grafeas project", a.key, StorageGrafeas, KeyGrafeasProjectID))
		}
	}
	if c.OCI.Enabled() && slices.Contains(c.OCI.Storage, StorageArchivista) {
		errs = append(errs, fmt.Errorf("config key %q names %q, which stores DSSE envelopes only, and image signatures are simplesigning payloads signed raw (Chains fails storing them there too): use %s", KeyOCIStorage, StorageArchivista, StorageOCI))
	}
	return errors.Join(errs...)
}

// archivistaURL is storage.archivista.url: the server's base URL, http or
// https, with a host and nothing after the path.
var archivistaURL = field{func(c *Config, v string) error {
	if v != "" {
		u, err := url.Parse(v)
		switch {
		case err == nil && u.User != nil:
			return errors.New("the URL holds credentials: Archivista takes none in its URL; remove them")
		case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "":
			return errors.New("not the http(s) URL of an Archivista server: use e.g. https://archivista.example.com")
		}
	}
	c.Archivista.URL = strings.TrimRight(v, "/")
	return nil
}}

// pubsubProvider is storage.pubsub.provider: kafka. Chains' inmemory is
// refused: its topic lives in the process that publishes, and chainseal
// exits when the seal ends, so nothing would keep the attestation.
var pubsubProvider = field{func(c *Config, v string) error {
	switch v {
	case "", PubSubProviderKafka:
		c.PubSub.Provider = v
		return nil
	case "inmemory":
		return errors.New("inmemory is a topic inside the publishing process, gone when chainseal exits, so nothing would keep the attestation: use kafka")
	}
	return fmt.Errorf("%q is not a pubsub provider: use kafka", v)
}}

// chainsOnly are Tekton Chains' chains-config keys chainseal does not read,
// with why and what to do: a Chains config copied as-is is refused with a
// reason, not as an unknown key.
var chainsOnly = map[string]string{
	"signers.kms.auth.oidc.token-path": "chainseal logs in to Vault with the pod's projected ServiceAccount token (" + KeyKMSAuthKubernetesRole + ", " + KeyKMSAuthKubernetesTokenPath + ") or a token (" + KeyKMSAuthTokenPath + "): use those instead",
	"filter.managed-by":                "it selects the runs Chains' controller watches; chainseal signs the run whose finally task (or last step) it is, so there is nothing to filter: remove the key",
}

func unknownKey(k string) error {
	if why, ok := chainsOnly[k]; ok {
		return fmt.Errorf("config key %q is Tekton Chains' and chainseal does not read it: %s", k, why)
	}
	var near []string
	prefix := k
	if i := strings.LastIndex(k, "."); i > 0 {
		prefix = k[:i+1]
	}
	for name := range fields {
		if strings.HasPrefix(name, prefix) {
			near = append(near, name)
		}
	}
	sort.Strings(near)
	if len(near) == 0 {
		return fmt.Errorf("unknown config key %q: see docs/config.md for the accepted keys", k)
	}
	return fmt.Errorf("unknown config key %q: keys with that prefix are %s", k, strings.Join(near, ", "))
}

// Keys lists every accepted key, sorted.
func Keys() []string {
	out := make([]string, 0, len(fields))
	for k := range fields {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// field sets one Config field from a string.
type field struct{ set func(*Config, string) error }

func str(p func(*Config) *string) field {
	return field{func(c *Config, v string) error { *p(c) = v; return nil }}
}

func boolean(p func(*Config) *bool) field {
	return field{func(c *Config, v string) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("%q is not a boolean: use true or false", v)
		}
		*p(c) = b
		return nil
	}}
}

func oneOf(p func(*Config) *string, allowed ...string) field {
	return field{func(c *Config, v string) error {
		if !slices.Contains(allowed, v) {
			return fmt.Errorf("%q is not accepted: use one of %s", v, strings.Join(allowed, ", "))
		}
		*p(c) = v
		return nil
	}}
}

func listOf(p func(*Config) *[]string, allowed ...string) field {
	return field{func(c *Config, v string) error {
		var out []string
		for _, s := range strings.Split(v, ",") {
			s = strings.TrimSpace(s)
			if s == "" || slices.Contains(out, s) {
				continue
			}
			if slices.Contains(chainsOnlyStorages, s) {
				return fmt.Errorf("%q is a Tekton Chains storage backend that is not built into chainseal: use a comma-separated list of %s", s, strings.Join(allowed, ", "))
			}
			if !slices.Contains(allowed, s) {
				return fmt.Errorf("%q is not a storage backend: use a comma-separated list of %s", s, strings.Join(allowed, ", "))
			}
			out = append(out, s)
		}
		*p(c) = out
		return nil
	}}
}

// ProvenanceFormats lists the names artifacts.pipelinerun.format and
// artifacts.taskrun.format accept. It is the one list of format names:
// pkg/provenance has a builder for each, and its tests check they agree
// (this package cannot import it).
func ProvenanceFormats() []string { return slices.Clone(provenanceFormats) }

// Storages lists the backend names artifacts.*.storage accept: exactly the
// backends built into chainseal (cmd/chainseal's tests check that it and
// storage.Names agree), so a name is refused when the config is read, not
// when the run gets to storing.
func Storages() []string { return slices.Clone(storages) }

var (
	provenanceFormats = []string{FormatInToto, FormatSLSAv02, FormatSLSAv2alpha3, FormatSLSAv2alpha4, FormatTekton}
	signers           = []string{SignerX509, SignerKMS, SignerPGP, SignerNone}
	storages          = []string{StorageTekton, StorageOCI, StorageFile, StorageGCS, StorageDocDB, StorageGrafeas, StorageArchivista, StorageKafka}
	// chainsOnlyStorages are Tekton Chains' backends chainseal does not
	// build (yet): refused with a message that says so.
	chainsOnlyStorages = []string{"pubsub"}
)

// fields is the one table of accepted keys.
var fields = map[string]field{
	KeyPipelineRunFormat:         oneOf(func(c *Config) *string { return &c.PipelineRun.Format }, provenanceFormats...),
	KeyPipelineRunStorage:        listOf(func(c *Config) *[]string { return &c.PipelineRun.Storage }, storages...),
	KeyPipelineRunSigner:         oneOf(func(c *Config) *string { return &c.PipelineRun.Signer }, signers...),
	KeyPipelineRunDeepInspection: boolean(func(c *Config) *bool { return &c.DeepInspection }),
	KeyTaskRunFormat:             oneOf(func(c *Config) *string { return &c.TaskRun.Format }, provenanceFormats...),
	KeyTaskRunStorage:            listOf(func(c *Config) *[]string { return &c.TaskRun.Storage }, storages...),
	KeyTaskRunSigner:             oneOf(func(c *Config) *string { return &c.TaskRun.Signer }, signers...),
	KeyOCIFormat:                 oneOf(func(c *Config) *string { return &c.OCI.Format }, FormatSimpleSigning),
	KeyOCIStorage:                listOf(func(c *Config) *[]string { return &c.OCI.Storage }, storages...),
	KeyOCISigner:                 oneOf(func(c *Config) *string { return &c.OCI.Signer }, signers...),

	KeyOCIRepository:               str(func(c *Config) *string { return &c.OCIStorage.Repository }),
	KeyOCIRepositoryInsecure:       boolean(func(c *Config) *bool { return &c.OCIStorage.Insecure }),
	KeyOCIEncodingFormat:           oneOf(func(c *Config) *string { return &c.OCIStorage.EncodingFormat }, EncodingDSSE, EncodingSigstoreBundle),
	KeyGCSBucket:                   str(func(c *Config) *string { return &c.GCS.Bucket }),
	KeyDocDBURL:                    str(func(c *Config) *string { return &c.DocDB.URL }),
	KeyDocDBMongoServerURL:         str(func(c *Config) *string { return &c.DocDB.MongoServerURL }),
	KeyDocDBMongoServerURLDir:      str(func(c *Config) *string { return &c.DocDB.MongoServerURLDir }),
	KeyDocDBMongoServerURLPath:     str(func(c *Config) *string { return &c.DocDB.MongoServerURLPath }),
	KeyGrafeasProjectID:            str(func(c *Config) *string { return &c.Grafeas.ProjectID }),
	KeyGrafeasNoteID:               str(func(c *Config) *string { return &c.Grafeas.NoteID }),
	KeyGrafeasNoteHint:             str(func(c *Config) *string { return &c.Grafeas.NoteHint }),
	KeyGrafeasEndpoint:             str(func(c *Config) *string { return &c.Grafeas.Endpoint }),
	KeyFileDir:                     str(func(c *Config) *string { return &c.File.Dir }),
	KeyArchivistaURL:               archivistaURL,
	KeyPubSubProvider:              pubsubProvider,
	KeyPubSubTopic:                 str(func(c *Config) *string { return &c.PubSub.Topic }),
	KeyPubSubKafkaBootstrapServers: str(func(c *Config) *string { return &c.PubSub.KafkaBootstrapServers }),

	KeyKMSRef:                     str(func(c *Config) *string { return &c.KMS.Ref }),
	KeyKMSAuthAddress:             str(func(c *Config) *string { return &c.KMS.AuthAddress }),
	KeyKMSAuthToken:               str(func(c *Config) *string { return &c.KMS.AuthToken }),
	KeyKMSAuthTokenPath:           str(func(c *Config) *string { return &c.KMS.AuthTokenPath }),
	KeyKMSAuthOIDCPath:            str(func(c *Config) *string { return &c.KMS.OIDCPath }),
	KeyKMSAuthOIDCRole:            str(func(c *Config) *string { return &c.KMS.OIDCRole }),
	KeyKMSSpireSock:               str(func(c *Config) *string { return &c.KMS.SpireSock }),
	KeyKMSSpireAudience:           str(func(c *Config) *string { return &c.KMS.SpireAudience }),
	KeyKMSAuthKubernetesRole:      str(func(c *Config) *string { return &c.KMS.KubernetesRole }),
	KeyKMSAuthKubernetesPath:      str(func(c *Config) *string { return &c.KMS.KubernetesPath }),
	KeyKMSAuthKubernetesTokenPath: str(func(c *Config) *string { return &c.KMS.KubernetesTokenPath }),

	KeyFulcioEnabled:     boolean(func(c *Config) *bool { return &c.Fulcio.Enabled }),
	KeyFulcioAddress:     str(func(c *Config) *string { return &c.Fulcio.Address }),
	KeyFulcioIssuer:      str(func(c *Config) *string { return &c.Fulcio.Issuer }),
	KeyFulcioProvider:    str(func(c *Config) *string { return &c.Fulcio.Provider }),
	KeyIdentityTokenFile: str(func(c *Config) *string { return &c.Fulcio.IdentityTokenFile }),
	KeyTUFMirrorURL:      str(func(c *Config) *string { return &c.Fulcio.TUFMirrorURL }),
	KeyFulcioTrustedRoot: str(func(c *Config) *string { return &c.Fulcio.TrustedRoot }),

	KeyBuilderID: str(func(c *Config) *string { return &c.BuilderID }),
	KeyBuildType: oneOf(func(c *Config) *string { return &c.BuildType }, BuildTypeSLSA, BuildTypeSLSATekton),

	KeyTransparencyEnabled: field{func(c *Config, v string) error {
		// "manual", as in Chains: log only the runs annotated
		// chains.tekton.dev/transparency-upload: "true".
		c.Transparency.Enabled, c.Transparency.Manual = false, false
		switch strings.ToLower(v) {
		case "true":
			c.Transparency.Enabled = true
		case "manual":
			c.Transparency.Enabled, c.Transparency.Manual = true, true
		case "false":
		default:
			return fmt.Errorf("%q is not accepted: use true, false or manual", v)
		}
		return nil
	}},
	KeyTransparencyURL:       str(func(c *Config) *string { return &c.Transparency.URL }),
	KeyTransparencyPublicKey: str(func(c *Config) *string { return &c.Transparency.PublicKey }),

	KeyAllowFailedTasks: boolean(func(c *Config) *bool { return &c.AllowFailedTasks }),
	KeyStrictDigests:    boolean(func(c *Config) *bool { return &c.StrictDigests }),
	KeyCompat:           oneOf(func(c *Config) *string { return &c.Compat }, CompatNone, CompatChains),
	KeyNoArtifacts:      oneOf(func(c *Config) *string { return &c.NoArtifacts }, NoArtifactsSucceed, NoArtifactsFail),

	KeyCheckImagesExist:    boolean(func(c *Config) *bool { return &c.CheckImagesExist }),
	KeyAllowedRepositories: field{func(c *Config, v string) error { c.AllowedRepositories = SplitList(v); return nil }},
	KeySubjectProducers:    field{func(c *Config, v string) error { c.SubjectProducers = SplitList(v); return nil }},
}
