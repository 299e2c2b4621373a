// Package verify answers the question a deploy gate asks of an image: was it
// built by our pipeline, from our source, and sealed by our key?
//
// A Verifier finds the attestations chainseal stored for an image (the
// cosign .att tag, Sigstore bundles among the image's OCI 1.1 referrers, or
// bundle files when offline) and runs named checks on each:
//
//   - signature: the DSSE signature verifies with the given key;
//   - transparency-log: the Rekor entry records this envelope, signed by this
//     key, and its signed entry timestamp, inclusion proof and checkpoint
//     verify with the log's public key;
//   - subject: the image digest is a subject of the statement;
//   - the policy checks that were asked for (builder-id, namespace,
//     pipeline, source, max-age, tasks-succeeded, hermetic, policy); those
//     about the pipeline pass on a PipelineRun's statement only.
//
// After a failed signature every later check is skipped, the log's too. A
// malformed stored layer is one failed attestation, not an unverifiable
// image. Each registry and log request is bounded (WithCallTimeout); the
// caller's context bounds the whole.
//
// The image verifies when at least one attestation passes every check. A
// check that cannot be evaluated (a log that cannot be reached) is an error,
// not a failure: the Report's Outcome tells "failed" from "could not
// verify", and every failure to even start (no attestation, a registry
// that refuses, an unreadable key or policy) wraps ErrInconclusive.
package verify
