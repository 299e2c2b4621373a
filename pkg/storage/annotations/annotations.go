// Package annotations is the "tekton" storage backend: it stores signed
// payloads as annotations on the PipelineRun or TaskRun they describe, with
// the keys Tekton Chains uses, so tools written for Chains read them
// unchanged.
package annotations

import (
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/chainseal/chainseal/pkg/storage"
)

// Annotation keys, as Tekton Chains names them.
const (
	Prefix                 = "chains.tekton.dev/"
	SignedAnnotation       = Prefix + "signed"
	TransparencyAnnotation = Prefix + "transparency"
)

// MaxAnnotationBytes is the API server's limit on the total size of an
// object's annotations (keys plus values).
const MaxAnnotationBytes = 256 * 1024

// ShortKey is Chains' key for an object: "pipelinerun-<uid>" or "taskrun-<uid>".
func ShortKey(o storage.Object) string {
	return strings.ToLower(o.Kind) + "-" + o.UID
}

// PayloadKey and the others name the annotations that hold one object's
// signed payload.
func PayloadKey(o storage.Object) string   { return Prefix + "payload-" + ShortKey(o) }
func SignatureKey(o storage.Object) string { return Prefix + "signature-" + ShortKey(o) }
func CertKey(o storage.Object) string      { return Prefix + "cert-" + ShortKey(o) }
func ChainKey(o storage.Object) string     { return Prefix + "chain-" + ShortKey(o) }

// annotationsFor is what Chains writes for one attestation: the payload, and
// as the signature the DSSE envelope (for in-toto formats) or the raw
// signature (tekton, pgp), each base64-encoded.
func annotationsFor(a storage.Attestation) map[string]string {
	sig := a.StoredSignature()
	enc := base64.StdEncoding.EncodeToString
	return map[string]string{
		PayloadKey(a.Object):   enc(a.Payload),
		SignatureKey(a.Object): enc(sig),
		CertKey(a.Object):      enc(a.Cert),
		ChainKey(a.Object):     enc(a.Chain),
	}
}

// checkSize fails when the object's annotations would pass the API server's
// limit, naming the object and what to do instead.
func checkSize(o storage.Object, existing, add map[string]string) error {
	total := 0
	for k, v := range existing {
		if _, replaced := add[k]; !replaced {
			total += len(k) + len(v)
		}
	}
	for k, v := range add {
		total += len(k) + len(v)
	}
	if total > MaxAnnotationBytes {
		return fmt.Errorf("the signed payload of %s needs %d bytes of annotations, over the API server's limit of %d: "+
			"store it with the oci or file backend instead (artifacts.pipelinerun.storage)", o, total, MaxAnnotationBytes)
	}
	return nil
}
