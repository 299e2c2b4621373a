package config

// Key names. Those Tekton Chains defines keep Chains' names, so a Chains user
// can copy their chains-config over; chainseal's own keys are marked.
const (
	KeyTaskRunFormat  = "artifacts.taskrun.format"
	KeyTaskRunStorage = "artifacts.taskrun.storage"
	KeyTaskRunSigner  = "artifacts.taskrun.signer"

	KeyPipelineRunFormat         = "artifacts.pipelinerun.format"
	KeyPipelineRunStorage        = "artifacts.pipelinerun.storage"
	KeyPipelineRunSigner         = "artifacts.pipelinerun.signer"
	KeyPipelineRunDeepInspection = "artifacts.pipelinerun.enable-deep-inspection"

	KeyOCIFormat  = "artifacts.oci.format"
	KeyOCIStorage = "artifacts.oci.storage"
	KeyOCISigner  = "artifacts.oci.signer"

	KeyOCIRepository         = "storage.oci.repository"
	KeyOCIRepositoryInsecure = "storage.oci.repository.insecure"
	// chainseal: dsse (the .att tag, as Chains) or sigstore-bundle (OCI 1.1 referrers).
	KeyOCIEncodingFormat = "storage.oci.encoding-format"

	KeyGCSBucket = "storage.gcs.bucket"

	KeyDocDBURL                = "storage.docdb.url"
	KeyDocDBMongoServerURL     = "storage.docdb.mongo-server-url"
	KeyDocDBMongoServerURLDir  = "storage.docdb.mongo-server-url-dir"
	KeyDocDBMongoServerURLPath = "storage.docdb.mongo-server-url-path"

	// The Archivista server (in-toto): its base URL, as Chains.
	KeyArchivistaURL = "storage.archivista.url"

	// Chains' experimental pubsub backend: the provider (kafka), the topic
	// and the brokers (comma-separated host:port).
	KeyPubSubProvider              = "storage.pubsub.provider"
	KeyPubSubTopic                 = "storage.pubsub.topic"
	KeyPubSubKafkaBootstrapServers = "storage.pubsub.kafka.bootstrap.servers"

	KeyGrafeasProjectID = "storage.grafeas.projectid"
	KeyGrafeasNoteID    = "storage.grafeas.noteid"
	KeyGrafeasNoteHint  = "storage.grafeas.notehint"
	// chainseal: Chains hard-codes Google's Container Analysis endpoint.
	KeyGrafeasEndpoint = "storage.grafeas.endpoint"

	// chainseal: the directory of the file backend.
	KeyFileDir = "storage.file.dir"

	KeyKMSRef           = "signers.kms.kmsref"
	KeyKMSAuthAddress   = "signers.kms.auth.address"
	KeyKMSAuthToken     = "signers.kms.auth.token"
	KeyKMSAuthTokenPath = "signers.kms.auth.token-path"
	KeyKMSAuthOIDCPath  = "signers.kms.auth.oidc.path"
	KeyKMSAuthOIDCRole  = "signers.kms.auth.oidc.role"
	KeyKMSSpireSock     = "signers.kms.auth.spire.sock"
	KeyKMSSpireAudience = "signers.kms.auth.spire.audience"
	// chainseal: Vault's kubernetes auth method with the pod's ServiceAccount
	// token, the production path (no long-lived token in the namespace).
	KeyKMSAuthKubernetesRole      = "signers.kms.auth.kubernetes.role"
	KeyKMSAuthKubernetesPath      = "signers.kms.auth.kubernetes.path"
	KeyKMSAuthKubernetesTokenPath = "signers.kms.auth.kubernetes.token-path"

	KeyFulcioEnabled     = "signers.x509.fulcio.enabled"
	KeyFulcioAddress     = "signers.x509.fulcio.address"
	KeyFulcioIssuer      = "signers.x509.fulcio.issuer"
	KeyFulcioProvider    = "signers.x509.fulcio.provider"
	KeyIdentityTokenFile = "signers.x509.identity.token.file"
	KeyTUFMirrorURL      = "signers.x509.tuf.mirror.url"
	// chainseal: the Sigstore trusted root (trusted_root.json, as `cosign
	// trusted-root create` writes it) that Fulcio's certificates are
	// checked against when signing keylessly: its certificate authorities,
	// and its CT logs' keys for the certificate's SCT.
	KeyFulcioTrustedRoot = "signers.x509.fulcio.trusted-root"

	KeyBuilderID = "builder.id"
	KeyBuildType = "builddefinition.buildtype"

	KeyTransparencyEnabled = "transparency.enabled"
	KeyTransparencyURL     = "transparency.url"
	// chainseal: the PEM public key of the log at transparency.url, which
	// its entries are checked against (never fetched from the log itself).
	KeyTransparencyPublicKey = "transparency.publickey"

	// chainseal: sign the artifacts of the tasks that succeeded even when a
	// non-finally task failed (default: refuse to sign).
	KeyAllowFailedTasks = "chainseal.allow-failed-tasks"
	// chainseal: an invalid digest in a type-hinted result is an error
	// instead of a reported, unsigned artifact.
	KeyStrictDigests = "chainseal.strict-digests"
	// chainseal: what a run that names no artifacts (or whose signers are
	// all none) does: succeed (exit 0, nothing signed) or fail (exit 3).
	KeyNoArtifacts = "chainseal.no-artifacts"
	// chainseal: whose defaults the keys not set take: none (chainseal's)
	// or chains (Tekton Chains', for verifiers of a migrated namespace).
	KeyCompat = "chainseal.compat"
	// chainseal, platform: the repositories (prefixes, space- or
	// comma-separated) whose artifacts may be named subjects; empty: any.
	KeyAllowedRepositories = "chainseal.allowed-repositories"
	// chainseal, platform: the task references (Tekton's resolved
	// refSource URIs, prefixes) whose tasks may name subjects; empty: any.
	KeySubjectProducers = "chainseal.subject-producers"
	// chainseal, platform: before signing, ask each image subject's
	// registry for its digest and refuse the run if one is not there.
	KeyCheckImagesExist = "chainseal.check-images-exist"
)

// Format names accepted by artifacts.*.format.
const (
	FormatInToto = "in-toto" // SLSA v0.2 (Chains' default)
	// FormatSLSAv02 is spelled "slsa/v1" (Chains' name, after its formatter's
	// version), yet it makes SLSA v0.2, as in-toto does: SLSA v1.0 is
	// slsa/v2alpha3 and slsa/v2alpha4.
	FormatSLSAv02       = "slsa/v1"
	FormatSLSAv2alpha3  = "slsa/v2alpha3" // SLSA v1.0
	FormatSLSAv2alpha4  = "slsa/v2alpha4" // SLSA v1.0 (chainseal's default)
	FormatTekton        = "tekton"        // the raw object as JSON
	FormatSimpleSigning = "simplesigning" // cosign's image signature payload
)

// Signer names accepted by artifacts.*.signer.
const (
	SignerX509 = "x509"
	SignerKMS  = "kms"
	SignerPGP  = "pgp"
	SignerNone = "none"
)

// Storage backend names accepted by artifacts.*.storage.
const (
	StorageTekton  = "tekton"
	StorageOCI     = "oci"
	StorageGCS     = "gcs"
	StorageDocDB   = "docdb"
	StorageGrafeas = "grafeas"
	StorageFile    = "file"
	// StorageArchivista stores DSSE envelopes in an in-toto Archivista server.
	StorageArchivista = "archivista"
	// StorageKafka publishes to a Kafka topic (Chains' pubsub backend, which
	// Chains' config names kafka in artifacts.*.storage).
	StorageKafka = "kafka"
)

// PubSubProviderKafka is the one storage.pubsub.provider chainseal takes.
const PubSubProviderKafka = "kafka"

// Build types for SLSA v1.0 (builddefinition.buildtype).
const (
	BuildTypeSLSA       = "https://tekton.dev/chains/v2/slsa"
	BuildTypeSLSATekton = "https://tekton.dev/chains/v2/slsa-tekton"
)

// OCI encodings (storage.oci.encoding-format).
const (
	EncodingDSSE           = "dsse"
	EncodingSigstoreBundle = "sigstore-bundle"
)

// What a run with nothing to sign does (chainseal.no-artifacts).
const (
	NoArtifactsSucceed = "succeed"
	NoArtifactsFail    = "fail"
)
