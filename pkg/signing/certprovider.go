package signing

import "fmt"

// CertificateProvider is a Signer whose key is vouched for by a
// certificate: keyless signing, where Fulcio certifies a short-lived key
// for the workload's identity. A Signer without it is verified with its
// bare public key.
type CertificateProvider interface {
	// Certificate is the PEM signing certificate, whose key is the
	// Signer's public key, and the PEM chain that issued it, leaf first.
	Certificate() (cert, chain []byte)
}

// MaterialOf is what s's signatures verify with: its certificate and chain
// when s is a CertificateProvider, else its public key. A PGP key has none:
// gpg verifies its signatures.
func MaterialOf(s Signer) (*Material, error) {
	if _, ok := s.(*pgpSigner); ok {
		return nil, &Error{Op: "reading the verification material of", Source: s.Description(), Err: fmt.Errorf("%w: a PGP key is neither a PEM public key nor a certificate", ErrUnsupported)}
	}
	var m *Material
	var err error
	if cp, ok := s.(CertificateProvider); ok {
		cert, chain := cp.Certificate()
		if len(cert) == 0 {
			err = fmt.Errorf("the certificate provider gave no certificate: %w", ErrNoMaterial)
		} else {
			m, err = MaterialFrom(s.PublicKeyPEM(), cert, chain)
		}
	} else {
		m, err = NewKeyMaterial(s.PublicKeyPEM())
	}
	if err != nil {
		return nil, &Error{Op: "reading the verification material of", Source: s.Description(), Err: err}
	}
	return m, nil
}
