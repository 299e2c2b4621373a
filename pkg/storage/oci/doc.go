// Package oci stores attestations and image signatures next to the image in
// its OCI registry, the way cosign does, so that `cosign verify-attestation`
// and `cosign verify` find and check them:
//
//   - a DSSE attestation is a layer (mediaType application/vnd.dsse.envelope.v1+json,
//     annotation predicateType) of the image tagged sha256-<digest>.att;
//   - a simplesigning signature is a layer of the image tagged
//     sha256-<digest>.sig, with the base64 signature in the
//     dev.cosignproject.cosign/signature annotation;
//   - both carry the Rekor bundle (dev.sigstore.cosign/bundle) when the
//     transparency log recorded them, so cosign can verify offline.
//
// The tags live in the image's repository, or in storage.oci.repository
// (cosign's COSIGN_REPOSITORY). Storing is idempotent: a layer that already
// holds the same signed payload is not added again.
//
// The backend registers itself as "oci".
package oci
