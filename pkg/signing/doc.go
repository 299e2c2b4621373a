// Package signing turns a payload into a signature or a DSSE envelope with a
// key chainseal never writes down: an x509.pem or cosign.key from the signing
// secret, a PGP key, or a KMS key (Vault transit, AWS, GCP, Azure) reached
// with the pod's own identity.
//
// The flow is: a Secrets source (a mounted directory or a Secret read through
// the API) and a config.Config go into Load (or a Loader, which keeps one
// Signer per signer name for the life of the process); the Signer signs blobs
// and DSSE envelopes and exports its public key as PEM for `cosign verify`.
// A Material is what signatures verify with, a public key or a certificate
// and its chain (MaterialOf a Signer, MaterialFrom a stored record,
// ParseMaterial of a --key file); VerifyEnvelope checks an envelope with its
// Verifier, or with a KMS key's.
//
// Errors name the key source and the config key or secret file that fixes
// them; they never contain key material, passwords or tokens.
package signing
