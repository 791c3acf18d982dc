package sign

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"

	"github.com/secure-systems-lab/go-securesystemslib/encrypted"
	"github.com/sigstore/sigstore/pkg/signature"
)

// PEM block types of private keys LoadSigner reads.
const (
	// PEMPrivateKey is a PKCS #8 private key (ECDSA, Ed25519 or RSA).
	PEMPrivateKey = "PRIVATE KEY"
	// PEMECPrivateKey is a SEC 1 ECDSA private key (openssl ecparam -genkey).
	PEMECPrivateKey = "EC PRIVATE KEY"
	// PEMRSAPrivateKey is a PKCS #1 RSA private key (openssl genrsa).
	PEMRSAPrivateKey = "RSA PRIVATE KEY"
	// PEMSigstoreEncrypted is what cosign generate-key-pair and
	// import-key-pair write: a go-securesystemslib "encrypted" JSON blob
	// (scrypt + nacl/secretbox) whose plaintext is a PKCS #8 private key.
	PEMSigstoreEncrypted = "ENCRYPTED SIGSTORE PRIVATE KEY"
	// PEMCosignEncrypted is the same format under the name cosign used
	// before v2.
	PEMCosignEncrypted = "ENCRYPTED COSIGN PRIVATE KEY"
	// PEMPublicKey is a PKIX public key, as cosign writes cosign.pub.
	PEMPublicKey = "PUBLIC KEY"
	// PEMRSAPublicKey is a PKCS #1 RSA public key.
	PEMRSAPublicKey = "RSA PUBLIC KEY"
)

// ErrWrongPassword is returned (wrapped) by LoadSigner when an encrypted key
// does not decrypt. nacl/secretbox cannot tell a wrong password from a
// corrupted key.
var ErrWrongPassword = errors.New("wrong password (or the encrypted key is corrupted)")

// A Signer signs statements with a private key. Make one with LoadSigner.
type Signer struct {
	s    signature.Signer
	pub  crypto.PublicKey
	algo string
}

// A Verifier checks signatures with a public key. Make one with LoadVerifier
// or Signer.Verifier.
type Verifier struct {
	v    signature.Verifier
	pub  crypto.PublicKey
	algo string
}

// Algorithm names the key and signature scheme, e.g. "ECDSA P-256 SHA-256".
func (s *Signer) Algorithm() string { return s.algo }

// PublicKey is the signer's public key.
func (s *Signer) PublicKey() crypto.PublicKey { return s.pub }

// Verifier returns a Verifier for the signer's public key.
func (s *Signer) Verifier() (*Verifier, error) { return newVerifier(s.pub) }

// PublicKeyPEM returns the signer's public key as a PEM "PUBLIC KEY" block,
// the form LoadVerifier reads.
func (s *Signer) PublicKeyPEM() ([]byte, error) { return marshalPublicKey(s.pub) }

// Algorithm names the key and signature scheme, e.g. "ECDSA P-256 SHA-256".
func (v *Verifier) Algorithm() string { return v.algo }

// PublicKey is the verifier's public key.
func (v *Verifier) PublicKey() crypto.PublicKey { return v.pub }

// KeyID is "SHA256:" and the unpadded base64 of the SHA-256 of the public
// key's PKIX DER encoding: it tells keys apart in messages.
func (v *Verifier) KeyID() string { return keyID(v.pub) }

// LoadSigner reads the first PEM block of pemData as a private key:
// PKCS #8 "PRIVATE KEY", "EC PRIVATE KEY", "RSA PRIVATE KEY", or a
// cosign-encrypted key ("ENCRYPTED SIGSTORE PRIVATE KEY" or the older
// "ENCRYPTED COSIGN PRIVATE KEY"), which password decrypts; password is used
// only for those, and an empty (or nil) password is allowed, as cosign allows
// it. Accepted keys are the ones sigstore's algorithm registry knows: ECDSA
// P-256, P-384 or P-521 (with SHA-256, SHA-384, SHA-512), Ed25519 (pure
// Ed25519, as DSSE uses it, not cosign's Ed25519ph) and RSA of 2048, 3072 or
// 4096 bits (PKCS #1 v1.5 with SHA-256).
func LoadSigner(pemData []byte, password []byte) (*Signer, error) {
	block, err := decodePEM(pemData)
	if err != nil {
		return nil, err
	}
	var der []byte
	switch block.Type {
	case PEMPrivateKey, PEMECPrivateKey, PEMRSAPrivateKey:
		der = block.Bytes
	case PEMSigstoreEncrypted, PEMCosignEncrypted:
		if password == nil {
			password = []byte{}
		}
		der, err = encrypted.Decrypt(block.Bytes, password)
		if err != nil {
			if err.Error() == "encrypted: decryption failed" {
				err = ErrWrongPassword
			}
			return nil, fmt.Errorf("decrypting %s: %w", block.Type, err)
		}
	case "ENCRYPTED PRIVATE KEY":
		return nil, errors.New(`PKCS #8 encrypted keys ("ENCRYPTED PRIVATE KEY") are not supported: decrypt the key, or convert it with cosign import-key-pair`)
	case PEMPublicKey, PEMRSAPublicKey:
		return nil, fmt.Errorf("PEM block is a public key (%q); signing needs the private key", block.Type)
	default:
		return nil, fmt.Errorf("PEM block %q is not a private key modseal reads", block.Type)
	}
	var priv any
	switch block.Type {
	case PEMECPrivateKey:
		priv, err = x509.ParseECPrivateKey(der)
	case PEMRSAPrivateKey:
		priv, err = x509.ParsePKCS1PrivateKey(der)
	default:
		priv, err = x509.ParsePKCS8PrivateKey(der)
	}
	if err != nil {
		return nil, fmt.Errorf("parsing %s: %w", block.Type, err)
	}
	cs, ok := priv.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("unsupported private key type %T", priv)
	}
	pub := cs.Public()
	algo, err := algorithm(pub)
	if err != nil {
		return nil, err
	}
	s, err := signature.LoadDefaultSigner(priv)
	if err != nil {
		return nil, fmt.Errorf("loading %s key: %w", algo, err)
	}
	return &Signer{s: s, pub: pub, algo: algo}, nil
}

// LoadVerifier reads the first PEM block of pemData as a public key: a PKIX
// "PUBLIC KEY" (what cosign writes to cosign.pub) or a PKCS #1 "RSA PUBLIC
// KEY". The accepted key types are LoadSigner's.
func LoadVerifier(pemData []byte) (*Verifier, error) {
	block, err := decodePEM(pemData)
	if err != nil {
		return nil, err
	}
	var pub any
	switch block.Type {
	case PEMPublicKey:
		pub, err = x509.ParsePKIXPublicKey(block.Bytes)
	case PEMRSAPublicKey:
		pub, err = x509.ParsePKCS1PublicKey(block.Bytes)
	case PEMPrivateKey, PEMECPrivateKey, PEMRSAPrivateKey, PEMSigstoreEncrypted, PEMCosignEncrypted, "ENCRYPTED PRIVATE KEY":
		return nil, fmt.Errorf("PEM block is a private key (%q); verifying needs the public key", block.Type)
	default:
		return nil, fmt.Errorf("PEM block %q is not a public key modseal reads", block.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("parsing %s: %w", block.Type, err)
	}
	return newVerifier(pub)
}

func newVerifier(pub crypto.PublicKey) (*Verifier, error) {
	algo, err := algorithm(pub)
	if err != nil {
		return nil, err
	}
	v, err := signature.LoadDefaultVerifier(pub)
	if err != nil {
		return nil, fmt.Errorf("loading %s key: %w", algo, err)
	}
	return &Verifier{v: v, pub: pub, algo: algo}, nil
}

func decodePEM(data []byte) (*pem.Block, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("no PEM block found")
	}
	if len(block.Headers) > 0 {
		// RFC 1423 "Proc-Type: 4,ENCRYPTED" keys use a broken cipher mode;
		// other headers mean a format modseal does not know either.
		return nil, fmt.Errorf("PEM block %q has headers (legacy RFC 1423 encryption?): not supported", block.Type)
	}
	return block, nil
}

// algorithm names the scheme sigstore's default algorithm registry uses for
// pub, or says why pub is not accepted.
func algorithm(pub crypto.PublicKey) (string, error) {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256():
			return "ECDSA P-256 SHA-256", nil
		case elliptic.P384():
			return "ECDSA P-384 SHA-384", nil
		case elliptic.P521():
			return "ECDSA P-521 SHA-512", nil
		}
		return "", fmt.Errorf("unsupported ECDSA curve %s: use P-256", k.Curve.Params().Name)
	case ed25519.PublicKey:
		return "Ed25519", nil
	case *rsa.PublicKey:
		switch bits := k.Size() * 8; bits { // as sigstore's registry measures it
		case 2048, 3072, 4096:
			return fmt.Sprintf("RSA-%d PKCS#1 v1.5 SHA-256", bits), nil
		default:
			return "", fmt.Errorf("unsupported RSA key size %d bits: use 2048, 3072 or 4096", bits)
		}
	}
	return "", fmt.Errorf("unsupported key type %T: use ECDSA P-256, Ed25519 or RSA", pub)
}

func marshalPublicKey(pub crypto.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: PEMPublicKey, Bytes: der}), nil
}

func keyID(pub crypto.PublicKey) string {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "unknown"
	}
	sum := sha256.Sum256(der)
	return "SHA256:" + base64.RawStdEncoding.EncodeToString(sum[:])
}
