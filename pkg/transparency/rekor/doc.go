// Package rekor records signed attestations and image signatures in a Rekor
// v1 transparency log and checks what the log returns (inclusion proof,
// signed checkpoint and signed entry timestamp) against the log's public key
// before reporting an entry.
//
// DSSE attestations are uploaded as "dsse" v0.0.1 entries, the type `cosign
// attest` uses by default: Rekor indexes the in-toto subjects' digests of a
// dsse entry (so `rekor-cli search --sha <image digest>` finds it), the entry
// body holds the envelope's SHA-256 (which is what `cosign verify-attestation`
// compares with the .att layer when it checks the bundle offline), and the
// log does not keep a copy of the whole envelope. Image signatures and
// payloads signed raw are uploaded as "hashedrekord" v0.0.1, as `cosign sign`
// does.
package rekor
