package config

import (
	"maps"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func configDoc(t *testing.T) string {
	t.Helper()
	doc, err := os.ReadFile("../../docs/config.md")
	if err != nil {
		t.Fatal(err)
	}
	return string(doc)
}

// The reference in docs/config.md lists every key chainseal accepts.
func TestDocsListEveryKey(t *testing.T) {
	doc := configDoc(t)
	for _, k := range Keys() {
		if !strings.Contains(doc, "`"+k+"`") {
			t.Errorf("docs/config.md does not document %s", k)
		}
	}
}

// effects holds, for every key, a value unlike its default (with the keys
// it needs beside it to be valid). TestEveryKeyHasAnEffect fails for a key
// that is accepted and then dropped, and for a new key without an entry.
var effects = map[string]map[string]string{
	KeyPipelineRunFormat:           {KeyPipelineRunFormat: FormatInToto},
	KeyPipelineRunStorage:          {KeyPipelineRunStorage: "oci,tekton"},
	KeyPipelineRunSigner:           {KeyPipelineRunSigner: SignerNone},
	KeyPipelineRunDeepInspection:   {KeyPipelineRunDeepInspection: "false"},
	KeyTaskRunFormat:               {KeyTaskRunFormat: FormatInToto},
	KeyTaskRunStorage:              {KeyTaskRunStorage: "oci"},
	KeyTaskRunSigner:               {KeyTaskRunSigner: SignerX509},
	KeyOCIStorage:                  {KeyOCIStorage: "oci,tekton"},
	KeyOCISigner:                   {KeyOCISigner: SignerNone},
	KeyOCIRepository:               {KeyOCIRepository: "registry.example/signatures"},
	KeyOCIRepositoryInsecure:       {KeyOCIRepositoryInsecure: "true"},
	KeyOCIEncodingFormat:           {KeyOCIEncodingFormat: EncodingSigstoreBundle},
	KeyGCSBucket:                   {KeyGCSBucket: "attestations"},
	KeyDocDBURL:                    {KeyDocDBURL: "mongo://db/attestations?id_field=name"},
	KeyDocDBMongoServerURL:         {KeyDocDBMongoServerURL: "mongodb://db:27017"},
	KeyDocDBMongoServerURLDir:      {KeyDocDBMongoServerURLDir: "/etc/mongo"},
	KeyDocDBMongoServerURLPath:     {KeyDocDBMongoServerURLPath: "/etc/mongo/url"},
	KeyGrafeasProjectID:            {KeyGrafeasProjectID: "builds"},
	KeyGrafeasNoteID:               {KeyGrafeasNoteID: "release"},
	KeyGrafeasNoteHint:             {KeyGrafeasNoteHint: "release images"},
	KeyGrafeasEndpoint:             {KeyGrafeasEndpoint: "grafeas.example:443"},
	KeyFileDir:                     {KeyFileDir: "/attestations"},
	KeyArchivistaURL:               {KeyArchivistaURL: "https://archivista.example"},
	KeyPubSubProvider:              {KeyPubSubProvider: PubSubProviderKafka},
	KeyPubSubTopic:                 {KeyPubSubTopic: "chains"},
	KeyPubSubKafkaBootstrapServers: {KeyPubSubKafkaBootstrapServers: "kafka-0:9092,kafka-1:9092"},
	KeyKMSRef:                      {KeyKMSRef: "hashivault://release"},
	KeyKMSAuthAddress:              {KeyKMSAuthAddress: "https://vault.example"},
	KeyKMSAuthToken:                {KeyKMSAuthToken: "s.token"},
	KeyKMSAuthTokenPath:            {KeyKMSAuthTokenPath: "/var/run/vault/token"},
	KeyKMSAuthOIDCPath:             {KeyKMSAuthOIDCPath: "jwt"},
	KeyKMSAuthOIDCRole:             {KeyKMSAuthOIDCRole: "chainseal"},
	KeyKMSSpireSock:                {KeyKMSSpireSock: "unix:///spire/agent.sock"},
	KeyKMSSpireAudience:            {KeyKMSSpireAudience: "vault"},
	KeyKMSAuthKubernetesRole:       {KeyKMSAuthKubernetesRole: "chainseal"},
	KeyKMSAuthKubernetesPath:       {KeyKMSAuthKubernetesPath: "k8s"},
	KeyKMSAuthKubernetesTokenPath:  {KeyKMSAuthKubernetesTokenPath: "/var/run/token"},
	KeyFulcioEnabled:               {KeyFulcioEnabled: "true"},
	KeyFulcioAddress:               {KeyFulcioAddress: "https://fulcio.example"},
	KeyFulcioIssuer:                {KeyFulcioIssuer: "https://kubernetes.default.svc"},
	KeyFulcioProvider:              {KeyFulcioProvider: "filesystem"},
	KeyIdentityTokenFile:           {KeyIdentityTokenFile: "/var/run/token"},
	KeyTUFMirrorURL:                {KeyTUFMirrorURL: "https://tuf.example"},
	KeyFulcioTrustedRoot:           {KeyFulcioTrustedRoot: `{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1"}`},
	KeyBuilderID:                   {KeyBuilderID: "https://ci.example/builder"},
	KeyBuildType:                   {KeyBuildType: BuildTypeSLSATekton},
	KeyTransparencyEnabled:         {KeyTransparencyEnabled: "manual"},
	KeyTransparencyURL:             {KeyTransparencyURL: "https://rekor.example"},
	KeyTransparencyPublicKey:       {KeyTransparencyPublicKey: "-----BEGIN PUBLIC KEY-----"},
	KeyAllowFailedTasks:            {KeyAllowFailedTasks: "true"},
	KeyStrictDigests:               {KeyStrictDigests: "true"},
	KeyCompat:                      {KeyCompat: CompatChains},
	KeyNoArtifacts:                 {KeyNoArtifacts: NoArtifactsFail},
	KeyCheckImagesExist:            {KeyCheckImagesExist: "true"},
	KeyAllowedRepositories:         {KeyAllowedRepositories: "registry.example/team-a"},
	KeySubjectProducers:            {KeySubjectProducers: "git+https://git.example/tasks"},
}

// onlyTheDefault are keys whose one accepted value is the default: they
// are read so that a Chains config setting them is taken, and any other
// value is refused.
var onlyTheDefault = map[string]bool{KeyOCIFormat: true}

// Each documented key changes the parsed configuration: set to a value
// unlike its default, the Config differs from the one without it.
func TestEveryKeyHasAnEffect(t *testing.T) {
	for _, k := range Keys() {
		if _, ok := onlyTheDefault[k]; ok {
			if _, err := Parse(map[string]string{k: "not-" + k}); err == nil {
				t.Errorf("%s takes only its default, yet another value is accepted", k)
			}
			continue
		}
		set, ok := effects[k]
		if !ok {
			t.Errorf("%s: no entry in effects: add a value that is not its default, so this test shows the key does something", k)
			continue
		}
		without := maps.Clone(set)
		delete(without, k)
		a, err := Parse(set)
		if err != nil {
			t.Errorf("%s: %v", k, err)
			continue
		}
		b, err := Parse(without)
		if err != nil {
			t.Errorf("%s: without it: %v", k, err)
			continue
		}
		if reflect.DeepEqual(a, b) {
			t.Errorf("%s=%s is accepted and changes nothing", k, set[k])
		}
	}
}

var backticked = regexp.MustCompile("`([^`]+)`")

// docRow is the cells of the row of key in docs/config.md's tables.
func docRow(t *testing.T, doc, key string) []string {
	t.Helper()
	for _, line := range strings.Split(doc, "\n") {
		if strings.HasPrefix(line, "| `"+key+"` |") {
			// | key | default | accepted | what: cells[3] is accepted
			return strings.Split(line, "|")
		}
	}
	t.Fatalf("docs/config.md has no row for %s", key)
	return nil
}

// The values docs/config.md gives as accepted are the ones the config
// accepts, for the keys that take a fixed set: each documented one parses,
// and each accepted one is documented.
func TestDocsAcceptedValuesAreAccepted(t *testing.T) {
	doc := configDoc(t)
	for key, accepted := range map[string][]string{
		KeyPipelineRunFormat:  provenanceFormats,
		KeyPipelineRunStorage: storages,
		KeyPipelineRunSigner:  signers,
		KeyOCIEncodingFormat:  {EncodingDSSE, EncodingSigstoreBundle},
		KeyPubSubProvider:     {PubSubProviderKafka},
		KeyNoArtifacts:        {NoArtifactsSucceed, NoArtifactsFail},
		KeyCompat:             {CompatNone, CompatChains},
	} {
		var documented []string
		for _, m := range backticked.FindAllStringSubmatch(docRow(t, doc, key)[3], -1) {
			documented = append(documented, m[1])
		}
		for _, v := range documented {
			if !slices.Contains(accepted, v) {
				t.Errorf("%s: docs/config.md gives %q as accepted; the config takes %v", key, v, accepted)
			}
		}
		for _, v := range accepted {
			if !slices.Contains(documented, v) {
				t.Errorf("%s: the config accepts %q, which docs/config.md does not list (it lists %v)", key, v, documented)
			}
		}
	}
	// Chains' pubsub provider kept in a process is refused, as the row says.
	if _, err := Parse(map[string]string{KeyPubSubProvider: "inmemory"}); err == nil {
		t.Error("storage.pubsub.provider inmemory accepted")
	}
}

// Chains' keys chainseal does not read are refused with a reason, never
// accepted and ignored.
func TestChainsOnlyKeysRefusedWithTheReason(t *testing.T) {
	for k, why := range chainsOnly {
		_, err := Parse(map[string]string{k: "x"})
		if err == nil || !strings.Contains(err.Error(), why) {
			t.Errorf("%s: %v, want the reason %q", k, err, why)
		}
	}
}
