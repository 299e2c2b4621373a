// Package deps pins modules that chainseal is built on before every package
// that uses them exists. It is removed once each is imported for real.
package deps

import (
	_ "github.com/google/go-containerregistry/pkg/v1/remote"
	_ "github.com/hashicorp/vault/api"
	_ "github.com/in-toto/attestation/go/predicates/provenance/v1"
	_ "github.com/in-toto/attestation/go/v1"
	_ "github.com/in-toto/in-toto-golang/in_toto"
	_ "github.com/sigstore/cosign/v2/pkg/oci/remote"
	_ "github.com/sigstore/rekor/pkg/client"
	_ "github.com/sigstore/sigstore/pkg/signature"
	_ "github.com/sigstore/sigstore/pkg/signature/dsse"
	_ "github.com/sigstore/sigstore/pkg/signature/kms/aws"
	_ "github.com/sigstore/sigstore/pkg/signature/kms/azure"
	_ "github.com/sigstore/sigstore/pkg/signature/kms/gcp"
	_ "github.com/sigstore/sigstore/pkg/signature/kms/hashivault"
	_ "github.com/spf13/cobra"
	_ "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	_ "github.com/tektoncd/pipeline/pkg/client/clientset/versioned"
	_ "k8s.io/client-go/kubernetes"
	_ "sigs.k8s.io/yaml"
)
