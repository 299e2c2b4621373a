package signing

import (
	"bytes"
	"context"
	"crypto"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/chainseal/chainseal/pkg/config"
)

// loadPGP reads pgp.private-key (armored or binary, as `gpg --export-secret-keys`
// writes) and unlocks it with pgp.passphrase when it is protected.
func loadPGP(ctx context.Context, _ config.Config, o *loadOptions) (Signer, error) {
	source := fmt.Sprintf("pgp key %s from %s", FilePGPPrivateKey, o.secrets)
	keyBytes, err := readSecret(ctx, o.secrets, source, FilePGPPrivateKey)
	if err != nil {
		return nil, err
	}
	entities, err := openpgp.ReadArmoredKeyRing(bytes.NewReader(keyBytes))
	if err != nil {
		entities, err = openpgp.ReadKeyRing(bytes.NewReader(keyBytes))
	}
	if err != nil || len(entities) == 0 || entities[0].PrivateKey == nil {
		if err == nil {
			err = errors.New("no private key in the key ring")
		}
		return nil, &Error{Op: "loading", Source: source, Err: scrub(err, keyBytes),
			Fix: fmt.Sprintf("%s must hold the output of gpg --armor --export-secret-keys <id>", FilePGPPrivateKey)}
	}
	e := entities[0]
	if encryptedKeys(e) {
		pass, err := o.secrets.Read(ctx, FilePGPPassphrase)
		if err != nil {
			fix := fmt.Sprintf("the key is passphrase-protected: put %s in %s", FilePGPPassphrase, o.secrets)
			if !errors.Is(err, fs.ErrNotExist) {
				fix = fmt.Sprintf("make %s in %s readable by chainseal", FilePGPPassphrase, o.secrets)
			}
			return nil, &Error{Op: "loading", Source: source, Err: err, Fix: fix}
		}
		err = e.DecryptPrivateKeys(pass)
		if err != nil {
			if trimmed := bytes.TrimRight(pass, "\r\n"); len(trimmed) != len(pass) {
				err = e.DecryptPrivateKeys(trimmed)
			}
		}
		if err != nil {
			return nil, &Error{Op: "loading", Source: source, Err: fmt.Errorf("unlocking: %w", ErrWrongPassword),
				Fix: fmt.Sprintf("%s in %s does not unlock %s", FilePGPPassphrase, o.secrets, FilePGPPrivateKey)}
		}
	}
	var pub bytes.Buffer
	w, err := armor.Encode(&pub, openpgp.PublicKeyType, nil)
	if err == nil {
		err = e.Serialize(w)
		if cerr := w.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return nil, &Error{Op: "loading", Source: source, Err: fmt.Errorf("exporting the public key: %w", err)}
	}
	fp := strings.ToUpper(fmt.Sprintf("%x", e.PrimaryKey.Fingerprint))
	return &pgpSigner{entity: e, pub: pub.Bytes(), keyID: fp, desc: fmt.Sprintf("pgp key %s from %s", fp, o.secrets)}, nil
}

func encryptedKeys(e *openpgp.Entity) bool {
	if e.PrivateKey != nil && e.PrivateKey.Encrypted {
		return true
	}
	for _, sk := range e.Subkeys {
		if sk.PrivateKey != nil && sk.PrivateKey.Encrypted {
			return true
		}
	}
	return false
}

type pgpSigner struct {
	entity *openpgp.Entity
	pub    []byte
	keyID  string
	desc   string
}

// SignBlob returns an armored detached signature: `gpg --verify sig payload`.
func (p *pgpSigner) SignBlob(_ context.Context, payload []byte) ([]byte, error) {
	var out bytes.Buffer
	if err := openpgp.ArmoredDetachSign(&out, p.entity, bytes.NewReader(payload), &packet.Config{DefaultHash: crypto.SHA256}); err != nil {
		return nil, &Error{Op: "signing with", Source: p.desc, Err: err,
			Fix: fmt.Sprintf("%s needs a usable signing key that has not expired", FilePGPPrivateKey)}
	}
	return out.Bytes(), nil
}

// SignEnvelope is refused: DSSE has no PGP signature scheme that in-toto or
// cosign verifies. PGP signs the tekton format's raw JSON.
func (p *pgpSigner) SignEnvelope(context.Context, string, []byte) (*Envelope, error) {
	return nil, &Error{Op: "signing a DSSE envelope with", Source: p.desc, Err: ErrUnsupported,
		Fix: fmt.Sprintf("the pgp signer only makes detached signatures: set the format to %s, or use the x509 or kms signer", config.FormatTekton)}
}

func (p *pgpSigner) PublicKeyPEM() []byte { return bytes.Clone(p.pub) }
func (p *pgpSigner) KeyID() string        { return p.keyID }
func (p *pgpSigner) Description() string  { return p.desc }
