package migrate

import (
	"slices"

	"github.com/chainseal/chainseal/pkg/config"
)

// Names in a Tekton Chains installation. chainseal's pkg/config keeps
// Chains' names for the chains-config keys it shares; the keys it lacks are
// named here only.
const (
	chainsPubSubProvider           = "storage.pubsub.provider"
	chainsPubSubTopic              = "storage.pubsub.topic"
	chainsPubSubKafkaBootstrap     = "storage.pubsub.kafka.bootstrap.servers"
	chainsKMSAuthOIDCTokenPath     = "signers.kms.auth.oidc.token-path" // v0.28 on
	chainsFilterManagedBy          = "filter.managed-by"                // after v0.29
	knativeExample                 = "_example"
	chainsConfigMapName            = "chains-config"
	chainsSecretName               = "signing-secrets"
	chainsControllerServiceAccount = "tekton-chains-controller"
)

// DefaultChainsNamespace is where Tekton Chains keeps chains-config and
// signing-secrets.
const DefaultChainsNamespace = "tekton-chains"

// chainsKeys lists every key a full chains-config of Tekton Chains v0.26
// to v0.29 can hold, in the order of Chains' pkg/config (all of v0.26 reads
// them, except signers.kms.auth.oidc.token-path, v0.28 on, and
// storage.oci.encoding-format, v0.29 on), and filter.managed-by, which
// Chains reads after v0.29.
var chainsKeys = []string{
	config.KeyTaskRunFormat,
	config.KeyTaskRunStorage,
	config.KeyTaskRunSigner,
	config.KeyPipelineRunFormat,
	config.KeyPipelineRunStorage,
	config.KeyPipelineRunSigner,
	config.KeyPipelineRunDeepInspection,
	config.KeyOCIFormat,
	config.KeyOCIStorage,
	config.KeyOCISigner,
	config.KeyGCSBucket,
	config.KeyOCIRepository,
	config.KeyOCIRepositoryInsecure,
	config.KeyOCIEncodingFormat,
	config.KeyDocDBURL,
	config.KeyDocDBMongoServerURL,
	config.KeyDocDBMongoServerURLDir,
	config.KeyDocDBMongoServerURLPath,
	config.KeyArchivistaURL,
	config.KeyGrafeasProjectID,
	config.KeyGrafeasNoteID,
	config.KeyGrafeasNoteHint,
	chainsPubSubProvider,
	chainsPubSubTopic,
	chainsPubSubKafkaBootstrap,
	config.KeyKMSRef,
	config.KeyKMSAuthAddress,
	config.KeyKMSAuthToken,
	config.KeyKMSAuthTokenPath,
	config.KeyKMSAuthOIDCPath,
	config.KeyKMSAuthOIDCRole,
	chainsKMSAuthOIDCTokenPath,
	config.KeyKMSSpireSock,
	config.KeyKMSSpireAudience,
	config.KeyFulcioEnabled,
	config.KeyFulcioAddress,
	config.KeyFulcioIssuer,
	config.KeyFulcioProvider,
	config.KeyIdentityTokenFile,
	config.KeyTUFMirrorURL,
	config.KeyBuilderID,
	config.KeyBuildType,
	config.KeyTransparencyEnabled,
	config.KeyTransparencyURL,
	chainsFilterManagedBy,
}

// ChainsKeys lists the chains-config keys migrate knows Tekton Chains
// reads, in the order of Chains' pkg/config.
func ChainsKeys() []string { return slices.Clone(chainsKeys) }

// The values Chains v0.26 to v0.29 accept.
var (
	chainsProvenanceFormats = []string{"in-toto", "slsa/v1", "slsa/v2alpha3", "slsa/v2alpha4"}
	chainsSigners           = []string{"x509", "kms", "none"}
	chainsStorages          = []string{"tekton", "oci", "gcs", "docdb", "grafeas", "kafka", "archivista"}
)
