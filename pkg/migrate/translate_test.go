package migrate

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/chainseal/chainseal/pkg/config"
)

// builtIn are the backends cmd/chainseal has.
var builtIn = []string{config.StorageFile, config.StorageOCI, config.StorageTekton}

func opts() TranslateOptions {
	return TranslateOptions{VaultRole: "chainseal-team-a", Backends: builtIn}
}

// kms is what a key needs around it to be signed with kms through Vault.
var kms = map[string]string{
	config.KeyPipelineRunSigner: "kms", config.KeyTaskRunSigner: "kms", config.KeyOCISigner: "kms",
	config.KeyKMSRef: "hashivault://release", config.KeyKMSAuthAddress: "https://vault.example:8200",
}

func with(base map[string]string, kv ...string) map[string]string {
	out := maps.Clone(base)
	if out == nil {
		out = map[string]string{}
	}
	for i := 0; i < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

// TestEveryChainsKey: each row sets one chains-config key (and the keys it
// needs around it) and says what becomes of it. Every key of Chains v0.26
// to v0.29 has at least one row (TestTableCoversEveryChainsKey).
type translateCase struct {
	name   string
	config map[string]string
	key    string
	opts   func(*TranslateOptions)
	status Status
	// written are chainseal-config entries that must be there; "" as a
	// value means the key must not be written.
	written  map[string]string
	reason   string // a part of the note's reason or todo
	blocking bool
}

var translateCases = []translateCase{
	{name: "taskrun format in-toto", key: config.KeyTaskRunFormat, config: with(nil, config.KeyTaskRunFormat, "in-toto"),
		status: Carried, written: map[string]string{config.KeyTaskRunFormat: "in-toto"}},
	{name: "taskrun format slsa/v2alpha3", key: config.KeyTaskRunFormat, config: with(nil, config.KeyTaskRunFormat, "slsa/v2alpha3"),
		status: Carried, written: map[string]string{config.KeyTaskRunFormat: "slsa/v2alpha3"}},
	{name: "taskrun format tekton (gone from Chains)", key: config.KeyTaskRunFormat, config: with(nil, config.KeyTaskRunFormat, "tekton"),
		status: Dropped, written: map[string]string{config.KeyTaskRunFormat: ""}, reason: "refuse"},
	{name: "taskrun storage", key: config.KeyTaskRunStorage, config: with(nil, config.KeyTaskRunStorage, "tekton, oci"),
		status: Carried, written: map[string]string{config.KeyTaskRunStorage: "tekton,oci"}},
	{name: "taskrun storage empty turns TaskRuns off", key: config.KeyTaskRunStorage, config: with(nil, config.KeyTaskRunStorage, ""),
		status: Translated, written: map[string]string{config.KeyTaskRunStorage: "", config.KeyTaskRunSigner: "none"}, reason: "none are signed"},
	{name: "taskrun storage kafka", key: config.KeyTaskRunStorage, config: with(nil, config.KeyTaskRunStorage, "tekton,kafka"),
		status: Changed, written: map[string]string{config.KeyTaskRunStorage: "tekton"}, reason: "kafka (not built into this chainseal"},
	{name: "taskrun signer", key: config.KeyTaskRunSigner, config: with(kms),
		status: Carried, written: map[string]string{config.KeyTaskRunSigner: "kms"}},
	{name: "taskrun signer none", key: config.KeyTaskRunSigner, config: with(nil, config.KeyTaskRunSigner, "none"),
		status: Carried, written: map[string]string{config.KeyTaskRunSigner: "none"}},
	{name: "pipelinerun format slsa/v1", key: config.KeyPipelineRunFormat, config: with(nil, config.KeyPipelineRunFormat, "slsa/v1"),
		status: Carried, written: map[string]string{config.KeyPipelineRunFormat: "slsa/v1"}, reason: "SLSA v0.2"},
	{name: "pipelinerun format slsa/v2alpha4", key: config.KeyPipelineRunFormat, config: with(nil, config.KeyPipelineRunFormat, "slsa/v2alpha4"),
		status: Carried, written: map[string]string{config.KeyPipelineRunFormat: "slsa/v2alpha4"}},
	{name: "pipelinerun storage archivista only", key: config.KeyPipelineRunStorage, config: with(nil, config.KeyPipelineRunStorage, "archivista"),
		status: Changed, written: map[string]string{config.KeyPipelineRunStorage: "", config.KeyPipelineRunSigner: "none"}, reason: "archivista"},
	{name: "pipelinerun storage gcs, not built in", key: config.KeyPipelineRunStorage, config: with(nil, config.KeyPipelineRunStorage, "oci,gcs", config.KeyGCSBucket, "b"),
		status: Changed, written: map[string]string{config.KeyPipelineRunStorage: "oci", config.KeyGCSBucket: ""}, reason: "not built into this chainseal"},
	{name: "pipelinerun signer", key: config.KeyPipelineRunSigner, config: with(nil, config.KeyPipelineRunSigner, "x509"),
		status: Carried, written: map[string]string{config.KeyPipelineRunSigner: "x509"}},
	{name: "pipelinerun signer pgp (older Chains)", key: config.KeyPipelineRunSigner, config: with(nil, config.KeyPipelineRunSigner, "pgp"),
		status: Changed, written: map[string]string{config.KeyPipelineRunSigner: "pgp"}, reason: "before v0.26"},
	{name: "pipelinerun signer unknown", key: config.KeyPipelineRunSigner, config: with(nil, config.KeyPipelineRunSigner, "gpg"),
		status: Dropped, written: map[string]string{config.KeyPipelineRunSigner: ""}, reason: "refuse"},
	{name: "deep inspection", key: config.KeyPipelineRunDeepInspection, config: with(nil, config.KeyPipelineRunDeepInspection, "true"),
		status: Carried, written: map[string]string{config.KeyPipelineRunDeepInspection: "true"}},
	{name: "deep inspection not a boolean", key: config.KeyPipelineRunDeepInspection, config: with(nil, config.KeyPipelineRunDeepInspection, "yes"),
		status: Dropped, written: map[string]string{config.KeyPipelineRunDeepInspection: ""}, reason: "not a boolean"},
	{name: "oci format", key: config.KeyOCIFormat, config: with(nil, config.KeyOCIFormat, "simplesigning"),
		status: Carried, written: map[string]string{config.KeyOCIFormat: "simplesigning"}},
	{name: "oci storage empty (Chains' getting-started tutorial)", key: config.KeyOCIStorage, config: with(nil, config.KeyOCIStorage, ""),
		status: Translated, written: map[string]string{config.KeyOCIStorage: "", config.KeyOCISigner: "none"}},
	{name: "oci storage tekton", key: config.KeyOCIStorage, config: with(nil, config.KeyOCIStorage, "oci,tekton"),
		status: Changed, written: map[string]string{config.KeyOCIStorage: "oci"}, reason: "not image signatures"},
	{name: "oci signer", key: config.KeyOCISigner, config: with(nil, config.KeyOCISigner, "none"),
		status: Carried, written: map[string]string{config.KeyOCISigner: "none"}},
	{name: "gcs bucket, not built in", key: config.KeyGCSBucket, config: with(nil, config.KeyGCSBucket, "provenance"),
		status: Dropped, written: map[string]string{config.KeyGCSBucket: ""}, reason: "not built into this chainseal"},
	{name: "gcs bucket, built in", key: config.KeyGCSBucket, config: with(nil, config.KeyGCSBucket, "provenance"),
		opts:   func(o *TranslateOptions) { o.Backends = append(slices.Clone(builtIn), config.StorageGCS) },
		status: Carried, written: map[string]string{config.KeyGCSBucket: "provenance"}},
	{name: "oci repository", key: config.KeyOCIRepository, config: with(nil, config.KeyOCIRepository, "registry.example/attestations"),
		status: Carried, written: map[string]string{config.KeyOCIRepository: "registry.example/attestations"}},
	{name: "oci repository insecure", key: config.KeyOCIRepositoryInsecure, config: with(nil, config.KeyOCIRepositoryInsecure, "true"),
		status: Carried, written: map[string]string{config.KeyOCIRepositoryInsecure: "true"}},
	{name: "oci encoding format", key: config.KeyOCIEncodingFormat, config: with(nil, config.KeyOCIEncodingFormat, "sigstore-bundle"),
		status: Carried, written: map[string]string{config.KeyOCIEncodingFormat: "sigstore-bundle"}},
	{name: "docdb url", key: config.KeyDocDBURL, config: with(nil, config.KeyDocDBURL, "mongo://db/att"),
		status: Dropped, written: map[string]string{config.KeyDocDBURL: ""}, reason: "docdb backend is not built"},
	{name: "docdb mongo url", key: config.KeyDocDBMongoServerURL, config: with(nil, config.KeyDocDBMongoServerURL, "mongodb://u:p@db:27017"),
		status: Dropped, written: map[string]string{config.KeyDocDBMongoServerURL: ""}},
	{name: "docdb mongo url dir", key: config.KeyDocDBMongoServerURLDir, config: with(nil, config.KeyDocDBMongoServerURLDir, "/mnt/mongo"),
		status: Dropped, written: map[string]string{config.KeyDocDBMongoServerURLDir: ""}},
	{name: "docdb mongo url dir, built in", key: config.KeyDocDBMongoServerURLDir,
		config: with(nil, config.KeyDocDBMongoServerURLDir, "/mnt/mongo", config.KeyDocDBURL, "mongo://db/att", config.KeyPipelineRunStorage, "docdb"),
		opts:   func(o *TranslateOptions) { o.Backends = append(slices.Clone(builtIn), config.StorageDocDB) },
		status: Carried, written: map[string]string{config.KeyDocDBMongoServerURLDir: "/mnt/mongo"}, reason: "Chains controller's pod", blocking: true},
	{name: "docdb mongo url path", key: config.KeyDocDBMongoServerURLPath, config: with(nil, config.KeyDocDBMongoServerURLPath, "/mnt/mongo/url"),
		status: Dropped, written: map[string]string{config.KeyDocDBMongoServerURLPath: ""}},
	{name: "archivista url, not built in", key: config.KeyArchivistaURL, config: with(nil, config.KeyArchivistaURL, "https://archivista.example"),
		status: Dropped, written: map[string]string{config.KeyArchivistaURL: ""}, reason: "archivista backend is not built into this chainseal"},
	{name: "archivista url, built in", key: config.KeyArchivistaURL,
		config: with(nil, config.KeyArchivistaURL, "https://archivista.example", config.KeyPipelineRunStorage, "oci,archivista"),
		opts:   func(o *TranslateOptions) { o.Backends = append(slices.Clone(builtIn), config.StorageArchivista) },
		status: Carried, written: map[string]string{config.KeyArchivistaURL: "https://archivista.example", config.KeyPipelineRunStorage: "oci,archivista"}},
	{name: "grafeas project", key: config.KeyGrafeasProjectID, config: with(nil, config.KeyGrafeasProjectID, "p"),
		status: Dropped, written: map[string]string{config.KeyGrafeasProjectID: ""}, reason: "grafeas"},
	{name: "grafeas note", key: config.KeyGrafeasNoteID, config: with(nil, config.KeyGrafeasNoteID, "n"),
		status: Dropped, written: map[string]string{config.KeyGrafeasNoteID: ""}},
	{name: "grafeas note hint", key: config.KeyGrafeasNoteHint, config: with(nil, config.KeyGrafeasNoteHint, "h"),
		status: Dropped, written: map[string]string{config.KeyGrafeasNoteHint: ""}},
	{name: "pubsub provider", key: chainsPubSubProvider, config: with(nil, chainsPubSubProvider, "kafka"),
		status: Dropped, reason: "kafka backend is not built"},
	{name: "pubsub topic", key: chainsPubSubTopic, config: with(nil, chainsPubSubTopic, "chains"),
		status: Dropped, reason: "kafka backend is not built"},
	{name: "kafka servers", key: chainsPubSubKafkaBootstrap, config: with(nil, chainsPubSubKafkaBootstrap, "kafka:9092"),
		status: Dropped, reason: "kafka backend is not built"},
	{name: "pubsub inmemory", key: chainsPubSubProvider, config: with(nil, chainsPubSubProvider, "inmemory"),
		status: Dropped, reason: "inside the Chains controller's process"},
	{name: "kmsref without a kms signer", key: config.KeyKMSRef, config: with(nil, config.KeyKMSRef, "hashivault://release"),
		status: Dropped, written: map[string]string{config.KeyKMSRef: ""}, reason: "no artifacts.*.signer is kms"},
	{name: "kmsref Vault", key: config.KeyKMSRef, config: with(kms),
		status: Carried, written: map[string]string{config.KeyKMSRef: "hashivault://release", config.KeyKMSAuthKubernetesRole: "chainseal-team-a"}},
	{name: "kmsref Vault: the role to create", key: config.KeyKMSAuthKubernetesRole, config: with(kms),
		status: Added, reason: "bound_service_account_namespaces=team-a policies=chainseal-team-a", blocking: true},
	{name: "kmsref GCP", key: config.KeyKMSRef, config: with(kms, config.KeyKMSRef, "gcpkms://projects/p/locations/l/keyRings/r/cryptoKeys/k"),
		status: Carried, written: map[string]string{config.KeyKMSAuthKubernetesRole: ""}, reason: "ServiceAccount team-a/chainseal", blocking: true},
	{name: "Vault address", key: config.KeyKMSAuthAddress, config: with(kms),
		status: Carried, written: map[string]string{config.KeyKMSAuthAddress: "https://vault.example:8200"}},
	{name: "Vault address missing", key: config.KeyKMSAuthAddress, config: with(kms, config.KeyKMSAuthAddress, ""),
		status: Needed, reason: "VAULT_ADDR", blocking: true},
	{name: "Vault address with a GCP key", key: config.KeyKMSAuthAddress, config: with(kms, config.KeyKMSRef, "gcpkms://k"),
		status: Dropped, written: map[string]string{config.KeyKMSAuthAddress: ""}, reason: "only Vault"},
	{name: "Vault token replaced by the kubernetes role", key: config.KeyKMSAuthToken, config: with(kms, config.KeyKMSAuthToken, "hvs.secret"),
		status: Dropped, written: map[string]string{config.KeyKMSAuthToken: ""}, reason: "replaced by signers.kms.auth.kubernetes.role=chainseal-team-a"},
	{name: "Vault token kept without --vault-role", key: config.KeyKMSAuthToken, config: with(kms, config.KeyKMSAuthToken, "hvs.secret"),
		opts:   func(o *TranslateOptions) { o.VaultRole = "" },
		status: Carried, written: map[string]string{config.KeyKMSAuthToken: "hvs.secret", config.KeyKMSAuthKubernetesRole: ""}, reason: "long-lived Vault token"},
	{name: "Vault token path replaced", key: config.KeyKMSAuthTokenPath, config: with(kms, config.KeyKMSAuthTokenPath, "/etc/kms/token"),
		status: Dropped, written: map[string]string{config.KeyKMSAuthTokenPath: ""}, reason: "replaced"},
	{name: "Vault token path kept", key: config.KeyKMSAuthTokenPath, config: with(kms, config.KeyKMSAuthTokenPath, "/etc/kms/token"),
		opts:   func(o *TranslateOptions) { o.VaultRole = "" },
		status: Carried, written: map[string]string{config.KeyKMSAuthTokenPath: "/etc/kms/token"}, reason: "Chains controller's pod", blocking: true},
	{name: "Vault oidc path replaced", key: config.KeyKMSAuthOIDCPath, config: with(kms, config.KeyKMSAuthOIDCPath, "jwt"),
		status: Dropped, written: map[string]string{config.KeyKMSAuthOIDCPath: ""}, reason: "replaced"},
	{name: "Vault oidc role kept", key: config.KeyKMSAuthOIDCRole, config: with(kms, config.KeyKMSAuthOIDCRole, "chains"),
		opts:   func(o *TranslateOptions) { o.VaultRole = "" },
		status: Carried, written: map[string]string{config.KeyKMSAuthOIDCRole: "chains"}, reason: "must accept the token of ServiceAccount team-a/chainseal", blocking: true},
	{name: "Vault oidc token path translated", key: chainsKMSAuthOIDCTokenPath, config: with(kms, config.KeyKMSAuthOIDCRole, "chains", chainsKMSAuthOIDCTokenPath, defaultServiceAccountTokenPath),
		opts:   func(o *TranslateOptions) { o.VaultRole = "" },
		status: Translated, written: map[string]string{config.KeyKMSAuthKubernetesTokenPath: defaultServiceAccountTokenPath}},
	{name: "Vault oidc token path replaced", key: chainsKMSAuthOIDCTokenPath, config: with(kms, chainsKMSAuthOIDCTokenPath, "/var/run/oidc/token"),
		status: Dropped, written: map[string]string{config.KeyKMSAuthKubernetesTokenPath: ""}, reason: "replaced"},
	{name: "SPIRE socket", key: config.KeyKMSSpireSock, config: with(kms, config.KeyKMSSpireSock, "unix:///spire/agent.sock"),
		status: Dropped, written: map[string]string{config.KeyKMSSpireSock: ""}, reason: "SPIRE"},
	{name: "SPIRE audience", key: config.KeyKMSSpireAudience, config: with(kms, config.KeyKMSSpireAudience, "vault"),
		status: Dropped, written: map[string]string{config.KeyKMSSpireAudience: ""}, reason: "SPIRE"},
	{name: "Fulcio on", key: config.KeyFulcioEnabled, config: with(nil, config.KeyFulcioEnabled, "true"),
		status: Changed, written: map[string]string{config.KeyFulcioEnabled: "true"}, reason: "keyless", blocking: true},
	{name: "Fulcio off", key: config.KeyFulcioEnabled, config: with(nil, config.KeyFulcioEnabled, "false"),
		status: Carried, written: map[string]string{config.KeyFulcioEnabled: "false"}},
	{name: "Fulcio address", key: config.KeyFulcioAddress, config: with(nil, config.KeyFulcioAddress, "https://fulcio.example"),
		status: Carried, written: map[string]string{config.KeyFulcioAddress: "https://fulcio.example"}},
	{name: "Fulcio issuer", key: config.KeyFulcioIssuer, config: with(nil, config.KeyFulcioIssuer, "https://issuer.example"),
		status: Carried, written: map[string]string{config.KeyFulcioIssuer: "https://issuer.example"}},
	{name: "Fulcio provider", key: config.KeyFulcioProvider, config: with(nil, config.KeyFulcioProvider, "filesystem"),
		status: Carried, written: map[string]string{config.KeyFulcioProvider: "filesystem"}},
	{name: "identity token file", key: config.KeyIdentityTokenFile, config: with(nil, config.KeyIdentityTokenFile, "/var/run/sigstore/cosign/oidc-token", config.KeyFulcioEnabled, "true"),
		status: Carried, written: map[string]string{config.KeyIdentityTokenFile: "/var/run/sigstore/cosign/oidc-token"}, reason: "Chains controller's pod"},
	{name: "TUF mirror", key: config.KeyTUFMirrorURL, config: with(nil, config.KeyTUFMirrorURL, "https://tuf.example"),
		status: Carried, written: map[string]string{config.KeyTUFMirrorURL: "https://tuf.example"}},
	{name: "builder id", key: config.KeyBuilderID, config: with(nil, config.KeyBuilderID, "https://ci.example/builder"),
		status: Carried, written: map[string]string{config.KeyBuilderID: "https://ci.example/builder"}},
	{name: "build type", key: config.KeyBuildType, config: with(nil, config.KeyBuildType, config.BuildTypeSLSATekton),
		status: Carried, written: map[string]string{config.KeyBuildType: config.BuildTypeSLSATekton}},
	{name: "build type unknown", key: config.KeyBuildType, config: with(nil, config.KeyBuildType, "https://example/build"),
		status: Dropped, written: map[string]string{config.KeyBuildType: ""}},
	{name: "transparency on", key: config.KeyTransparencyEnabled, config: with(nil, config.KeyTransparencyEnabled, "true"),
		status: Carried, written: map[string]string{config.KeyTransparencyEnabled: "true", config.KeyTransparencyPublicKey: ""}},
	{name: "transparency on needs the log's key", key: config.KeyTransparencyPublicKey, config: with(nil, config.KeyTransparencyEnabled, "true"),
		status: Needed, reason: "--rekor-public-key", blocking: true},
	{name: "transparency on with the log's key", key: config.KeyTransparencyPublicKey, config: with(nil, config.KeyTransparencyEnabled, "true"),
		opts:   func(o *TranslateOptions) { o.RekorPublicKey = []byte("-----BEGIN PUBLIC KEY-----\n") },
		status: Added, written: map[string]string{config.KeyTransparencyPublicKey: "-----BEGIN PUBLIC KEY-----\n"}},
	{name: "transparency manual", key: config.KeyTransparencyEnabled, config: with(nil, config.KeyTransparencyEnabled, "manual"),
		status: Carried, written: map[string]string{config.KeyTransparencyEnabled: "manual"}},
	{name: "transparency True (off for Chains)", key: config.KeyTransparencyEnabled, config: with(nil, config.KeyTransparencyEnabled, "True"),
		status: Translated, written: map[string]string{config.KeyTransparencyEnabled: "false"}},
	{name: "transparency url", key: config.KeyTransparencyURL, config: with(nil, config.KeyTransparencyURL, "https://rekor.example"),
		status: Carried, written: map[string]string{config.KeyTransparencyURL: "https://rekor.example"}},
	{name: "filter managed-by", key: chainsFilterManagedBy, config: with(nil, chainsFilterManagedBy, "tekton.dev/pipeline"),
		status: Dropped, reason: "no per-namespace meaning"},
	{name: "knative example", key: knativeExample, config: with(nil, knativeExample, "# docs"),
		status: Dropped, reason: "knative"},
	{name: "unknown key", key: "artifacts.pipelinerun.formt", config: with(nil, "artifacts.pipelinerun.formt", "in-toto"),
		status: Dropped, written: map[string]string{"artifacts.pipelinerun.formt": ""}, reason: "neither"},
	{name: "a chainseal key", key: config.KeyStrictDigests, config: with(nil, config.KeyStrictDigests, "true"),
		status: Carried, written: map[string]string{config.KeyStrictDigests: "true"}},
	{name: "compat always chains", key: config.KeyCompat, config: with(nil, config.KeyCompat, "none"),
		status: Dropped, written: map[string]string{config.KeyCompat: config.CompatChains}},
}

func TestEveryChainsKey(t *testing.T) {
	for _, tc := range translateCases {
		t.Run(tc.name, func(t *testing.T) {
			o := opts()
			if tc.opts != nil {
				tc.opts(&o)
			}
			tr, err := Translate(Source{Config: tc.config, ConfigFrom: "test"}, "team-a", o)
			if err != nil {
				t.Fatal(err)
			}
			var notes []Note
			for _, n := range tr.Notes {
				if n.Key == tc.key {
					notes = append(notes, n)
				}
			}
			i := slices.IndexFunc(notes, func(n Note) bool { return n.Status == tc.status })
			if i < 0 {
				t.Fatalf("no %s note for %s; notes: %+v", tc.status, tc.key, notes)
			}
			n := notes[i]
			if tc.reason != "" && !strings.Contains(n.Reason+" "+n.Todo, tc.reason) {
				t.Errorf("note %+v does not say %q", n, tc.reason)
			}
			if n.Blocking != tc.blocking {
				t.Errorf("blocking = %v, want %v: %+v", n.Blocking, tc.blocking, n)
			}
			for k, want := range tc.written {
				got, ok := tr.Config[k]
				switch {
				case want == "" && ok && tc.status != Translated && tc.status != Changed:
					t.Errorf("%s is written (%q); it must not be", k, got)
				case want != "" && got != want:
					t.Errorf("%s = %q, want %q", k, got, want)
				}
			}
			if tr.Config[config.KeyCompat] != config.CompatChains {
				t.Errorf("chainseal.compat = %q", tr.Config[config.KeyCompat])
			}
		})
	}
}

// The table has a row for every key Chains v0.26 to v0.29 read.
func TestTableCoversEveryChainsKey(t *testing.T) {
	for _, k := range ChainsKeys() {
		if !slices.ContainsFunc(translateCases, func(c translateCase) bool {
			return c.key == k
		}) {
			t.Errorf("no translate case for Chains key %s", k)
		}
	}
}

// Chains' own list: every key of Chains' pkg/config in v0.26 to v0.29 (and
// filter.managed-by, after), so a key Chains adds is noticed here.
func TestChainsKeysAreChains(t *testing.T) {
	want := []string{
		"artifacts.oci.format", "artifacts.oci.signer", "artifacts.oci.storage", "artifacts.pipelinerun.enable-deep-inspection",
		"artifacts.pipelinerun.format", "artifacts.pipelinerun.signer", "artifacts.pipelinerun.storage", "artifacts.taskrun.format",
		"artifacts.taskrun.signer", "artifacts.taskrun.storage", "builddefinition.buildtype", "builder.id", "filter.managed-by",
		"signers.kms.auth.address", "signers.kms.auth.oidc.path", "signers.kms.auth.oidc.role", "signers.kms.auth.oidc.token-path",
		"signers.kms.auth.spire.audience", "signers.kms.auth.spire.sock", "signers.kms.auth.token", "signers.kms.auth.token-path",
		"signers.kms.kmsref", "signers.x509.fulcio.address", "signers.x509.fulcio.enabled", "signers.x509.fulcio.issuer",
		"signers.x509.fulcio.provider", "signers.x509.identity.token.file", "signers.x509.tuf.mirror.url", "storage.archivista.url",
		"storage.docdb.mongo-server-url", "storage.docdb.mongo-server-url-dir", "storage.docdb.mongo-server-url-path", "storage.docdb.url",
		"storage.gcs.bucket", "storage.grafeas.notehint", "storage.grafeas.noteid", "storage.grafeas.projectid",
		"storage.oci.encoding-format", "storage.oci.repository", "storage.oci.repository.insecure",
		"storage.pubsub.kafka.bootstrap.servers", "storage.pubsub.provider", "storage.pubsub.topic",
		"transparency.enabled", "transparency.url",
	}
	if got := slices.Sorted(slices.Values(ChainsKeys())); !slices.Equal(got, want) {
		t.Errorf("ChainsKeys() = %v\nwant %v", got, want)
	}
}

// fullChainsConfig sets every key Chains v0.26 to v0.29 read, as one
// installation would (a Vault key; every backend named somewhere).
func fullChainsConfig() map[string]string {
	return map[string]string{
		"artifacts.taskrun.format": "in-toto", "artifacts.taskrun.storage": "tekton,oci,kafka", "artifacts.taskrun.signer": "kms",
		"artifacts.pipelinerun.format": "slsa/v2alpha3", "artifacts.pipelinerun.storage": "tekton,oci,gcs,docdb,grafeas,archivista",
		"artifacts.pipelinerun.signer": "kms", "artifacts.pipelinerun.enable-deep-inspection": "true",
		"artifacts.oci.format": "simplesigning", "artifacts.oci.storage": "oci", "artifacts.oci.signer": "kms",
		"storage.gcs.bucket": "provenance", "storage.oci.repository": "registry.example/att", "storage.oci.repository.insecure": "false",
		"storage.oci.encoding-format": "dsse", "storage.docdb.url": "mongo://chains/att", "storage.docdb.mongo-server-url": "mongodb://db:27017",
		"storage.docdb.mongo-server-url-dir": "/mnt/mongo", "storage.docdb.mongo-server-url-path": "/mnt/mongo/url",
		"storage.archivista.url": "https://archivista.example", "storage.grafeas.projectid": "p", "storage.grafeas.noteid": "n",
		"storage.grafeas.notehint": "h", "storage.pubsub.provider": "kafka", "storage.pubsub.topic": "chains",
		"storage.pubsub.kafka.bootstrap.servers": "kafka:9092", "signers.kms.kmsref": "hashivault://release",
		"signers.kms.auth.address": "https://vault.example:8200", "signers.kms.auth.token": "hvs.secret",
		"signers.kms.auth.token-path": "/etc/kms/token", "signers.kms.auth.oidc.path": "jwt", "signers.kms.auth.oidc.role": "chains",
		"signers.kms.auth.oidc.token-path": defaultServiceAccountTokenPath, "signers.kms.auth.spire.sock": "unix:///spire.sock",
		"signers.kms.auth.spire.audience": "vault", "signers.x509.fulcio.enabled": "false",
		"signers.x509.fulcio.address": "https://fulcio.sigstore.dev", "signers.x509.fulcio.issuer": "https://oauth2.sigstore.dev/auth",
		"signers.x509.fulcio.provider": "filesystem", "signers.x509.identity.token.file": "/var/run/sigstore/cosign/oidc-token",
		"signers.x509.tuf.mirror.url": "https://tuf-repo-cdn.sigstore.dev", "builder.id": "https://tekton.dev/chains/v2",
		"builddefinition.buildtype": "https://tekton.dev/chains/v2/slsa", "transparency.enabled": "manual",
		"transparency.url": "https://rekor.sigstore.dev", "filter.managed-by": "tekton.dev/pipeline",
	}
}

// Nothing is dropped silently: with every Chains key set, every key gets a
// note, and every key written is a key chainseal accepts.
func TestFullConfigEveryKeyNoted(t *testing.T) {
	src := Source{Config: fullChainsConfig(), ConfigFrom: "test"}
	if got := slices.Sorted(maps.Keys(src.Config)); !slices.Equal(got, slices.Sorted(slices.Values(ChainsKeys()))) {
		t.Fatalf("fullChainsConfig does not set every Chains key: %v", got)
	}
	for _, role := range []string{"chainseal-team-a", ""} {
		o := opts()
		o.VaultRole = role
		tr, err := Translate(src, "team-a", o)
		if err != nil {
			t.Fatal(err)
		}
		for k := range src.Config {
			if !slices.ContainsFunc(tr.Notes, func(n Note) bool { return n.Key == k }) {
				t.Errorf("vault role %q: Chains key %s has no note", role, k)
			}
		}
		for _, n := range tr.Notes {
			if n.Status == Dropped && n.Reason == "" {
				t.Errorf("%s dropped without a reason", n.Key)
			}
		}
		keys := config.Keys()
		for k := range tr.Config {
			if !slices.Contains(keys, k) {
				t.Errorf("wrote %s, which chainseal does not accept", k)
			}
		}
	}
}

// A config chainseal would refuse is an error, not a written ConfigMap:
// here a kms signer without a key, which Chains could not sign with either.
// With the kafka backend built in (as in cmd/chainseal), Chains' pubsub
// keys and its kafka storage name are carried, and chainseal reads the
// result as a kafka backend.
func TestPubSubCarriedToTheKafkaBackend(t *testing.T) {
	o := opts()
	o.Backends = append(slices.Clone(builtIn), config.StorageKafka)
	tr, err := Translate(Source{Config: map[string]string{
		config.KeyTaskRunStorage: "tekton,kafka", chainsPubSubProvider: "kafka", chainsPubSubTopic: "chains",
		chainsPubSubKafkaBootstrap: "kafka-0:9092,kafka-1:9092"}, ConfigFrom: "test"}, "team-a", o)
	if err != nil {
		t.Fatal(err)
	}
	p := tr.Parsed.PubSub
	if !slices.Contains(tr.Parsed.TaskRun.Storage, config.StorageKafka) || p.Provider != "kafka" || p.Topic != "chains" || p.KafkaBootstrapServers != "kafka-0:9092,kafka-1:9092" {
		t.Errorf("parsed taskrun storage %v, pubsub %+v: want kafka with Chains' topic and brokers", tr.Parsed.TaskRun.Storage, p)
	}
}

func TestTranslateRefusesWhatChainsealRefuses(t *testing.T) {
	_, err := Translate(Source{Config: with(nil, config.KeyPipelineRunSigner, "kms"), ConfigFrom: "ConfigMap tekton-chains/chains-config"}, "team-a", opts())
	if err == nil || !strings.Contains(err.Error(), config.KeyKMSRef) || !strings.Contains(err.Error(), "team-a") {
		t.Fatalf("err = %v, want one naming %s and the namespace", err, config.KeyKMSRef)
	}
}

// An empty chains-config (Chains as installed) migrates to chainseal with
// Chains' defaults: in-toto for PipelineRuns and TaskRuns, in annotations,
// image signatures in OCI, all with x509.
func TestEmptyConfigIsChainsDefaults(t *testing.T) {
	tr, err := Translate(Source{Config: map[string]string{}, ConfigFrom: "test"}, "team-a", opts())
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.Config) != 1 {
		t.Errorf("config = %v, want only chainseal.compat", tr.Config)
	}
	c := tr.Parsed
	if c.PipelineRun.Format != config.FormatInToto || c.TaskRun.Format != config.FormatInToto || !c.TaskRun.Enabled() ||
		c.BuilderID != config.ChainsBuilderID || c.DeepInspection {
		t.Errorf("parsed = %+v, want Chains' defaults", c)
	}
	if !tr.AnnotatePipelineRuns || !tr.AnnotateTaskRuns {
		t.Errorf("annotate roles: pipelineruns %v, taskruns %v; Chains' default storage is tekton for both", tr.AnnotatePipelineRuns, tr.AnnotateTaskRuns)
	}
}

// A Chains config copied as-is into a namespace: every key Chains reads is
// accepted by chainseal's config, or refused with a reason naming the key,
// never as an unknown key.
func TestEveryChainsKeyAcceptedOrRefusedWithAReason(t *testing.T) {
	for _, k := range ChainsKeys() {
		_, err := config.Parse(map[string]string{k: "x"})
		if err == nil {
			continue
		}
		if msg := err.Error(); strings.Contains(msg, "unknown config key") || !strings.Contains(msg, `"`+k+`"`) {
			t.Errorf("%s: %v", k, err)
		}
	}
}
