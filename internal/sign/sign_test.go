package sign

import (
	"bytes"
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"
	"github.com/secure-systems-lab/go-securesystemslib/encrypted"
	"github.com/sigstore/sigstore/pkg/signature/dsse"
)

var writeVector = flag.Bool("write-vector", false, "regenerate the test-only key and the signed vector in testdata (a new key each time)")

// The fixed test vector: a cosign-encrypted key, its public key, and a
// module directory with graph.json.sig made by this package (see
// TestWriteVector). The key is a test-only key; its password is in the
// open below.
const (
	vectorKey      = "testdata/test-only.key"
	vectorPub      = "testdata/test-only.pub"
	vectorArchive  = "testdata/vector.txtar"
	vectorPassword = "test-password"
	vectorSig      = ".modseal/graph.json.sig"
)

var vectorPredicate = Predicate{
	GraphDigest:   "sha256:" + hexSum("graph"),
	ContentDigest: "sha256:" + hexSum("content"),
	Checkpoint:    "go.sum database tree\n36741829\nq4mE1bqOdc0kNHZ3Ytui5xmHTY3dZI3YUR/NOBj2mwM=\n\n— sum.golang.org Az3grldlbfJz7J0PDnGqDmfpdxkQk14DpNSR+pBh7JvsWBudcs0E6Zdmv3H1Mw6XgLLQNUNHUmv9Yw1PXJZ97ZG2HAs=\n",
	Audit:         json.RawMessage(`{"errors":0,"warnings":1,"notes":2}`),
}

// allNames is the subject list the CLI passes: the go files and the snapshot.
var allNames = []string{"go.mod", "go.sum", "go.work", "go.work.sum", ".modseal/graph.json"}

func hexSum(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// keyPair is a PEM private key, its PEM public key and the password to pass
// to LoadSigner.
type keyPair struct {
	priv, pub []byte
	password  []byte
}

func pemBlock(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

func pkixPEM(t testing.TB, pub crypto.PublicKey) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return pemBlock("PUBLIC KEY", der)
}

func pkcs8PEM(t testing.TB, priv crypto.Signer) keyPair {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return keyPair{priv: pemBlock("PRIVATE KEY", der), pub: pkixPEM(t, priv.Public())}
}

// cosignPEM encrypts priv as cosign's marshalKeyPair does
// (sigstore/cosign pkg/cosign/keys.go): PKCS #8 DER, encrypted.Encrypt with
// the password, PEM type "ENCRYPTED SIGSTORE PRIVATE KEY" (or the legacy
// "ENCRYPTED COSIGN PRIVATE KEY"); the public key is PKIX "PUBLIC KEY".
func cosignPEM(t testing.TB, priv crypto.Signer, password []byte, pemType string) keyPair {
	t.Helper()
	return cosignPEMWith(t, priv, password, pemType, encrypted.Encrypt)
}

// legacyEncrypt encrypts with the scrypt parameters of older cosign releases
// (N=2^15; encrypted.Encrypt now uses 2^16), which also halves the cost of
// the tests that decrypt many times under the race detector.
func legacyEncrypt(plaintext, password []byte) ([]byte, error) {
	return encrypted.EncryptWithCustomKDFParameters(plaintext, password, encrypted.Legacy)
}

func cosignPEMWith(t testing.TB, priv crypto.Signer, password []byte, pemType string, encrypt func(plaintext, password []byte) ([]byte, error)) keyPair {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := encrypt(der, password)
	if err != nil {
		t.Fatal(err)
	}
	return keyPair{priv: pemBlock(pemType, enc), pub: pkixPEM(t, priv.Public()), password: password}
}

func newECDSA(t testing.TB, c elliptic.Curve) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(c, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func ecdhX25519() (*ecdh.PrivateKey, error) { return ecdh.X25519().GenerateKey(rand.Reader) }

func newEd25519(t testing.TB) ed25519.PrivateKey {
	t.Helper()
	_, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

var (
	rsaOnce sync.Once
	rsaKeys [2]*rsa.PrivateKey
)

// rsaKey returns one of two RSA-2048 keys, generated once per test binary.
func rsaKey(t testing.TB, i int) *rsa.PrivateKey {
	t.Helper()
	rsaOnce.Do(func() {
		for j := range rsaKeys {
			k, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				panic(err)
			}
			rsaKeys[j] = k
		}
	})
	return rsaKeys[i]
}

// keyKinds makes a key pair of each supported kind; second selects a
// different key of the same kind.
var keyKinds = []struct {
	name string
	make func(t testing.TB, second bool) keyPair
}{
	{"ecdsa-p256", func(t testing.TB, _ bool) keyPair { return pkcs8PEM(t, newECDSA(t, elliptic.P256())) }},
	{"ed25519", func(t testing.TB, _ bool) keyPair { return pkcs8PEM(t, newEd25519(t)) }},
	{"rsa-2048", func(t testing.TB, second bool) keyPair {
		i := 0
		if second {
			i = 1
		}
		return pkcs8PEM(t, rsaKey(t, i))
	}},
	{"ec-private-key", func(t testing.TB, _ bool) keyPair {
		k := newECDSA(t, elliptic.P256())
		der, err := x509.MarshalECPrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		return keyPair{priv: pemBlock("EC PRIVATE KEY", der), pub: pkixPEM(t, k.Public())}
	}},
	{"rsa-private-key", func(t testing.TB, second bool) keyPair {
		i := 0
		if second {
			i = 1
		}
		k := rsaKey(t, i)
		return keyPair{priv: pemBlock("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(k)), pub: pkixPEM(t, k.Public())}
	}},
	{"cosign-ecdsa", func(t testing.TB, _ bool) keyPair {
		return cosignPEM(t, newECDSA(t, elliptic.P256()), []byte("correct horse"), PEMSigstoreEncrypted)
	}},
	{"cosign-legacy-ed25519", func(t testing.TB, _ bool) keyPair {
		return cosignPEMWith(t, newEd25519(t), []byte("battery staple"), PEMCosignEncrypted, legacyEncrypt)
	}},
}

// writeModule lays out a module directory with go.mod, go.sum and a snapshot.
func writeModule(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"go.mod":              "module example.com/m\n\ngo 1.26\n\nrequire golang.org/x/mod v0.43.0\n",
		"go.sum":              "golang.org/x/mod v0.43.0 h1:MFuq5J6s35W9D3IjkwyWc9vHh0nENOrt5K8Iof4ofmg=\ngolang.org/x/mod v0.43.0/go.mod h1:4ec1JnuyBz5+FIVhg86UsA39YG8BpnrZdJYSNHmGzHY=\n",
		".modseal/graph.json": "{\n  \"schema\": \"modseal/graph/v1\",\n  \"module\": \"example.com/m\"\n}\n",
	}
	for name, data := range files {
		writeFile(t, dir, name, data)
	}
	return dir
}

func writeFile(t testing.TB, dir, name, data string) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(data), 0o666); err != nil {
		t.Fatal(err)
	}
}

func loadPair(t testing.TB, kp keyPair) (*Signer, *Verifier) {
	t.Helper()
	s, err := LoadSigner(kp.priv, kp.password)
	if err != nil {
		t.Fatalf("LoadSigner: %v", err)
	}
	v, err := LoadVerifier(kp.pub)
	if err != nil {
		t.Fatalf("LoadVerifier: %v", err)
	}
	return s, v
}

func signDir(t testing.TB, s *Signer, dir string) []byte {
	t.Helper()
	subjects, err := Subjects(dir, allNames)
	if err != nil {
		t.Fatalf("Subjects: %v", err)
	}
	env, err := Sign(s, subjects, vectorPredicate)
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}
	return env
}

// wantVerifyError asserts that err is a single *VerifyError of reason (and
// file, when not empty) whose message contains each of msgs.
func wantVerifyError(t *testing.T, err error, reason Reason, file string, msgs ...string) *VerifyError {
	t.Helper()
	if err == nil {
		t.Fatalf("Verify succeeded, want %s error", reason)
	}
	ves := VerifyErrors(err)
	if len(ves) != 1 {
		t.Fatalf("Verify error %q: %d *VerifyError, want 1 (%s)", err, len(ves), reason)
	}
	ve := ves[0]
	if ve.Reason != reason || ve.File != file {
		t.Fatalf("Verify error %q: reason %q file %q, want reason %q file %q", err, ve.Reason, ve.File, reason, file)
	}
	for _, m := range msgs {
		if !strings.Contains(err.Error(), m) {
			t.Errorf("Verify error %q does not say %q", err, m)
		}
	}
	return ve
}

func TestRoundTrip(t *testing.T) {
	for _, kind := range keyKinds {
		t.Run(kind.name, func(t *testing.T) {
			t.Parallel()
			s, v := loadPair(t, kind.make(t, false))
			dir := writeModule(t)
			env := signDir(t, s, dir)
			p, subjects, err := Verify(v, env, dir)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if !reflect.DeepEqual(*p, vectorPredicate) {
				t.Errorf("predicate:\n got %+v\nwant %+v", *p, vectorPredicate)
			}
			var names []string
			for _, sub := range subjects {
				names = append(names, sub.Name)
				data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(sub.Name)))
				if err != nil {
					t.Fatal(err)
				}
				if want := hexSum(string(data)); sub.SHA256 != want {
					t.Errorf("subject %s sha256 %s, want %s", sub.Name, sub.SHA256, want)
				}
			}
			if want := []string{"go.mod", "go.sum", ".modseal/graph.json"}; !reflect.DeepEqual(names, want) {
				t.Errorf("subjects %q, want %q", names, want)
			}
			if err := RequireSubjects(subjects, ".modseal/graph.json", "go.mod"); err != nil {
				t.Error(err)
			}

			// A signer's own verifier and the PEM public key agree.
			sv, err := s.Verifier()
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := Verify(sv, env, dir); err != nil {
				t.Errorf("Verify with Signer.Verifier: %v", err)
			}
			if sv.KeyID() != v.KeyID() || s.Algorithm() != v.Algorithm() {
				t.Errorf("signer key %s %s, verifier key %s %s", sv.KeyID(), s.Algorithm(), v.KeyID(), v.Algorithm())
			}

			// The envelope and statement have the contract's shape.
			checkShape(t, env, subjects)
		})
	}
}

// checkShape decodes the envelope and statement by hand, as a third-party
// DSSE / in-toto verifier would.
func checkShape(t *testing.T, env []byte, subjects []Subject) {
	t.Helper()
	var e struct {
		PayloadType string `json:"payloadType"`
		Payload     string `json:"payload"`
		Signatures  []struct {
			Sig string `json:"sig"`
		} `json:"signatures"`
	}
	if err := json.Unmarshal(env, &e); err != nil {
		t.Fatal(err)
	}
	if e.PayloadType != "application/vnd.in-toto+json" || len(e.Signatures) != 1 {
		t.Fatalf("envelope payloadType %q with %d signatures", e.PayloadType, len(e.Signatures))
	}
	payload, err := base64.StdEncoding.DecodeString(e.Payload)
	if err != nil {
		t.Fatal(err)
	}
	var st struct {
		Type    string `json:"_type"`
		Subject []struct {
			Name   string            `json:"name"`
			Digest map[string]string `json:"digest"`
		} `json:"subject"`
		PredicateType string         `json:"predicateType"`
		Predicate     map[string]any `json:"predicate"`
	}
	if err := json.Unmarshal(payload, &st); err != nil {
		t.Fatal(err)
	}
	if st.Type != "https://in-toto.io/Statement/v1" || st.PredicateType != "https://github.com/modseal/modseal/graph/v1" {
		t.Errorf("statement _type %q predicateType %q", st.Type, st.PredicateType)
	}
	if len(st.Subject) != len(subjects) {
		t.Fatalf("statement has %d subjects, want %d", len(st.Subject), len(subjects))
	}
	for i, s := range st.Subject {
		if s.Name != subjects[i].Name || len(s.Digest) != 1 || s.Digest["sha256"] != subjects[i].SHA256 {
			t.Errorf("statement subject %d: %+v, want %+v", i, s, subjects[i])
		}
	}
	for _, k := range []string{"graph_digest", "content_digest", "checkpoint", "audit"} {
		if _, ok := st.Predicate[k]; !ok {
			t.Errorf("predicate lacks %s: %v", k, st.Predicate)
		}
	}
	audit, _ := st.Predicate["audit"].(map[string]any)
	if audit["warnings"] != 1.0 {
		t.Errorf("predicate audit %v", st.Predicate["audit"])
	}
}

func TestWorkspaceFilesAreSubjects(t *testing.T) {
	s, v := loadPair(t, keyKinds[0].make(t, false))
	dir := writeModule(t)
	writeFile(t, dir, "go.work", "go 1.26\n\nuse .\n")
	writeFile(t, dir, "go.work.sum", "")
	env := signDir(t, s, dir)
	_, subjects, err := Verify(v, env, dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(subjects) != 5 || subjects[2].Name != "go.work" || subjects[3].Name != "go.work.sum" {
		t.Errorf("subjects %+v, want go.mod go.sum go.work go.work.sum .modseal/graph.json", subjects)
	}
	if subjects[3].SHA256 != hexSum("") {
		t.Errorf("empty go.work.sum digest %s", subjects[3].SHA256)
	}
}

// decodeEnv and encodeEnv take an envelope apart and put it back together.
func decodeEnv(t *testing.T, env []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(env, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func encodeEnv(t *testing.T, m map[string]any) []byte {
	t.Helper()
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// signRaw signs an arbitrary payload with s as Sign would.
func signRaw(t *testing.T, s *Signer, payloadType string, payload []byte) []byte {
	t.Helper()
	env, err := dsse.WrapSigner(s.s, payloadType).SignMessage(bytes.NewReader(payload))
	if err != nil {
		t.Fatal(err)
	}
	return env
}

func TestVerifyEnvelopeErrors(t *testing.T) {
	s, v := loadPair(t, keyKinds[0].make(t, false))
	dir := writeModule(t)
	env := signDir(t, s, dir)
	if _, _, err := Verify(v, env, dir); err != nil {
		t.Fatalf("untouched envelope: %v", err)
	}

	t.Run("tampered-payload", func(t *testing.T) {
		m := decodeEnv(t, env)
		payload, _ := base64.StdEncoding.DecodeString(m["payload"].(string))
		// Point go.sum's subject at another digest, as someone hiding a
		// go.sum change would.
		sum := hexSum(readFile(t, dir, "go.sum"))
		tampered := bytes.Replace(payload, []byte(sum), []byte(hexSum("evil")), 1)
		if bytes.Equal(tampered, payload) {
			t.Fatal("go.sum digest not in payload")
		}
		m["payload"] = base64.StdEncoding.EncodeToString(tampered)
		_, _, err := Verify(v, encodeEnv(t, m), dir)
		wantVerifyError(t, err, ReasonBadSignature, "", "bad signature", v.KeyID())
	})
	t.Run("tampered-signature", func(t *testing.T) {
		m := decodeEnv(t, env)
		sigs := m["signatures"].([]any)
		sig0 := sigs[0].(map[string]any)
		raw, _ := base64.StdEncoding.DecodeString(sig0["sig"].(string))
		raw[len(raw)/2] ^= 0x01
		sig0["sig"] = base64.StdEncoding.EncodeToString(raw)
		_, _, err := Verify(v, encodeEnv(t, m), dir)
		wantVerifyError(t, err, ReasonBadSignature, "", "bad signature")
	})
	t.Run("no-signatures", func(t *testing.T) {
		m := decodeEnv(t, env)
		m["signatures"] = []any{}
		_, _, err := Verify(v, encodeEnv(t, m), dir)
		wantVerifyError(t, err, ReasonMalformed, "", "no signatures")
	})
	t.Run("other-payload-type", func(t *testing.T) {
		m := decodeEnv(t, env)
		m["payloadType"] = "application/vnd.dsse.envelope.v1+json"
		_, _, err := Verify(v, encodeEnv(t, m), dir)
		ve := wantVerifyError(t, err, ReasonPayloadType, "", "wrong payload type", "application/vnd.dsse.envelope.v1+json")
		if ve.Got != "application/vnd.dsse.envelope.v1+json" || ve.Want != PayloadType {
			t.Errorf("want %q got %q", ve.Want, ve.Got)
		}
	})
	t.Run("other-payload-type-signed", func(t *testing.T) {
		m := decodeEnv(t, env)
		payload, _ := base64.StdEncoding.DecodeString(m["payload"].(string))
		_, _, err := Verify(v, signRaw(t, s, "text/plain", payload), dir)
		wantVerifyError(t, err, ReasonPayloadType, "", `"text/plain"`)
	})
	t.Run("truncated", func(t *testing.T) {
		_, _, err := Verify(v, env[:len(env)/2], dir)
		wantVerifyError(t, err, ReasonMalformed, "", "truncated")
	})
	for name, data := range map[string]string{
		"empty":          "",
		"null":           "null",
		"array":          "[]",
		"no-fields":      "{}",
		"trailing":       string(bytes.TrimSpace(env)) + "{}",
		"payload-number": `{"payloadType":"application/vnd.in-toto+json","payload":5,"signatures":[{"sig":"AA=="}]}`,
		"payload-b64":    `{"payloadType":"application/vnd.in-toto+json","payload":"!!","signatures":[{"sig":"AA=="}]}`,
		"sig-b64":        `{"payloadType":"application/vnd.in-toto+json","payload":"e30=","signatures":[{"sig":"!!"}]}`,
		"no-payload":     `{"payloadType":"application/vnd.in-toto+json","signatures":[{"sig":"AA=="}]}`,
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := Verify(v, []byte(data), dir)
			wantVerifyError(t, err, ReasonMalformed, "", "malformed envelope")
		})
	}
}

func TestVerifyWrongKey(t *testing.T) {
	dir := writeModule(t)
	for _, kind := range keyKinds {
		if strings.HasPrefix(kind.name, "cosign-") {
			continue // the same ECDSA and Ed25519 keys once decrypted; scrypt is slow
		}
		t.Run(kind.name, func(t *testing.T) {
			t.Parallel()
			s, _ := loadPair(t, kind.make(t, false))
			_, other := loadPair(t, kind.make(t, true))
			env := signDir(t, s, dir)
			_, _, err := Verify(other, env, dir)
			wantVerifyError(t, err, ReasonBadSignature, "", "bad signature", other.Algorithm(), other.KeyID())
		})
	}
	t.Run("key-type", func(t *testing.T) {
		s, _ := loadPair(t, keyKinds[0].make(t, false)) // ECDSA
		env := signDir(t, s, dir)
		for _, kind := range []int{1, 2} { // Ed25519, RSA
			_, other := loadPair(t, keyKinds[kind].make(t, false))
			_, _, err := Verify(other, env, dir)
			wantVerifyError(t, err, ReasonBadSignature, "", "bad signature", other.Algorithm())
		}
	})
}

func readFile(t *testing.T, dir, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestVerifyFiles(t *testing.T) {
	s, v := loadPair(t, keyKinds[1].make(t, false))

	t.Run("go.sum-changed", func(t *testing.T) {
		dir := writeModule(t)
		env := signDir(t, s, dir)
		old := readFile(t, dir, "go.sum")
		b := []byte(old)
		b[len(b)-2] ^= 0x01 // one byte of the last hash
		writeFile(t, dir, "go.sum", string(b))
		_, _, err := Verify(v, env, dir)
		ve := wantVerifyError(t, err, ReasonDigestMismatch, "go.sum", "go.sum: digest mismatch", hexSum(string(b)), hexSum(old))
		if ve.Want != "sha256:"+hexSum(old) || ve.Got != "sha256:"+hexSum(string(b)) {
			t.Errorf("want %s got %s", ve.Want, ve.Got)
		}
	})
	t.Run("go.sum-deleted", func(t *testing.T) {
		dir := writeModule(t)
		env := signDir(t, s, dir)
		if err := os.Remove(filepath.Join(dir, "go.sum")); err != nil {
			t.Fatal(err)
		}
		_, _, err := Verify(v, env, dir)
		wantVerifyError(t, err, ReasonMissingFile, "go.sum", "go.sum: signed file is missing")
	})
	t.Run("two-files", func(t *testing.T) {
		dir := writeModule(t)
		env := signDir(t, s, dir)
		writeFile(t, dir, "go.mod", "module example.com/m\n\ngo 1.26\n")
		if err := os.Remove(filepath.Join(dir, ".modseal", "graph.json")); err != nil {
			t.Fatal(err)
		}
		_, _, err := Verify(v, env, dir)
		ves := VerifyErrors(err)
		if len(ves) != 2 || ves[0].Reason != ReasonDigestMismatch || ves[0].File != "go.mod" ||
			ves[1].Reason != ReasonMissingFile || ves[1].File != ".modseal/graph.json" {
			t.Fatalf("Verify: %v; want go.mod digest mismatch and missing .modseal/graph.json", err)
		}
	})
	t.Run("go.work-added", func(t *testing.T) {
		dir := writeModule(t)
		env := signDir(t, s, dir)
		writeFile(t, dir, "go.work", "go 1.26\n\nuse .\n")
		_, _, err := Verify(v, env, dir)
		wantVerifyError(t, err, ReasonUnsignedFile, "go.work", "go.work: present but not a subject")
	})
	t.Run("subject-is-directory", func(t *testing.T) {
		dir := writeModule(t)
		env := signDir(t, s, dir)
		p := filepath.Join(dir, ".modseal", "graph.json")
		if err := os.Remove(p); err != nil {
			t.Fatal(err)
		}
		if err := os.Mkdir(p, 0o777); err != nil {
			t.Fatal(err)
		}
		_, _, err := Verify(v, env, dir)
		wantVerifyError(t, err, ReasonUnreadableFile, ".modseal/graph.json", "not a regular file")
	})
	t.Run("symlink-out", func(t *testing.T) {
		if runtime.GOOS == "windows" {
			t.Skip("symlinks")
		}
		dir := writeModule(t)
		env := signDir(t, s, dir)
		outside := filepath.Join(t.TempDir(), "go.sum")
		if err := os.WriteFile(outside, []byte(readFile(t, dir, "go.sum")), 0o666); err != nil {
			t.Fatal(err)
		}
		if err := os.Remove(filepath.Join(dir, "go.sum")); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(outside, filepath.Join(dir, "go.sum")); err != nil {
			t.Fatal(err)
		}
		_, _, err := Verify(v, env, dir)
		wantVerifyError(t, err, ReasonUnreadableFile, "go.sum", "go.sum: signed file cannot be read")
	})
	t.Run("require-subjects", func(t *testing.T) {
		err := RequireSubjects([]Subject{{Name: "go.mod", SHA256: hexSum("")}}, "go.mod", ".modseal/graph.json")
		wantVerifyError(t, err, ReasonMissingSubject, ".modseal/graph.json", "not a subject")
	})
}

// TestVerifyStatementErrors signs statements modseal would never write and
// checks that Verify refuses them after the signature checks out.
func TestVerifyStatementErrors(t *testing.T) {
	s, v := loadPair(t, keyKinds[0].make(t, false))
	dir := writeModule(t)
	good := map[string]any{
		"_type":         StatementType,
		"subject":       []any{map[string]any{"name": "go.mod", "digest": map[string]any{"sha256": hexSum(readFile(t, dir, "go.mod"))}}},
		"predicateType": PredicateType,
		"predicate":     map[string]any{"graph_digest": vectorPredicate.GraphDigest, "content_digest": vectorPredicate.ContentDigest},
	}
	verifyStatement := func(t *testing.T, edit func(m map[string]any)) error {
		t.Helper()
		m := make(map[string]any)
		for k, v := range good {
			m[k] = v
		}
		edit(m)
		payload, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = Verify(v, signRaw(t, s, PayloadType, payload), dir)
		return err
	}
	// go.sum is on disk but not a subject of this statement.
	err := verifyStatement(t, func(map[string]any) {})
	wantVerifyError(t, err, ReasonUnsignedFile, "go.sum")
	if err := os.Remove(filepath.Join(dir, "go.sum")); err != nil {
		t.Fatal(err)
	}
	if err := verifyStatement(t, func(map[string]any) {}); err != nil {
		t.Fatalf("hand-made statement: %v", err)
	}

	t.Run("predicate-type", func(t *testing.T) {
		err := verifyStatement(t, func(m map[string]any) { m["predicateType"] = "https://slsa.dev/provenance/v1" })
		wantVerifyError(t, err, ReasonPredicateType, "", "wrong predicate type", "https://slsa.dev/provenance/v1")
	})
	t.Run("statement-type", func(t *testing.T) {
		err := verifyStatement(t, func(m map[string]any) { m["_type"] = "https://in-toto.io/Statement/v0.1" })
		wantVerifyError(t, err, ReasonStatement, "", "_type", "v0.1")
	})
	t.Run("not-json", func(t *testing.T) {
		_, _, err := Verify(v, signRaw(t, s, PayloadType, []byte("hello")), dir)
		wantVerifyError(t, err, ReasonStatement, "", "not an in-toto statement")
	})
	t.Run("no-subjects", func(t *testing.T) {
		err := verifyStatement(t, func(m map[string]any) { m["subject"] = []any{} })
		wantVerifyError(t, err, ReasonStatement, "", "no subjects")
	})
	for _, name := range []string{"../go.mod", "/etc/passwd", "./go.mod", "a//b", "a\\b", ""} {
		t.Run("subject-name-"+name, func(t *testing.T) {
			err := verifyStatement(t, func(m map[string]any) {
				m["subject"] = []any{map[string]any{"name": name, "digest": map[string]any{"sha256": hexSum("")}}}
			})
			wantVerifyError(t, err, ReasonStatement, name, "not a clean relative slash path")
		})
	}
	t.Run("subject-twice", func(t *testing.T) {
		err := verifyStatement(t, func(m map[string]any) { m["subject"] = append(m["subject"].([]any), m["subject"].([]any)[0]) })
		wantVerifyError(t, err, ReasonStatement, "go.mod", "listed twice")
	})
	t.Run("subject-sha512-only", func(t *testing.T) {
		err := verifyStatement(t, func(m map[string]any) {
			m["subject"] = []any{map[string]any{"name": "go.mod", "digest": map[string]any{"sha512": hexSum("") + hexSum("")}}}
		})
		wantVerifyError(t, err, ReasonStatement, "go.mod", "no sha256 digest")
	})
	t.Run("subject-bad-hex", func(t *testing.T) {
		err := verifyStatement(t, func(m map[string]any) {
			m["subject"] = []any{map[string]any{"name": "go.mod", "digest": map[string]any{"sha256": strings.ToUpper(hexSum(""))}}}
		})
		wantVerifyError(t, err, ReasonStatement, "go.mod", "not 64 lower-case hex")
	})
	t.Run("no-predicate", func(t *testing.T) {
		err := verifyStatement(t, func(m map[string]any) { delete(m, "predicate") })
		wantVerifyError(t, err, ReasonStatement, "", "no predicate")
	})
	t.Run("predicate-digest", func(t *testing.T) {
		err := verifyStatement(t, func(m map[string]any) {
			m["predicate"] = map[string]any{"graph_digest": "md5:00", "content_digest": vectorPredicate.ContentDigest}
		})
		wantVerifyError(t, err, ReasonStatement, "", "graph_digest")
	})
}

func TestLoadKeyErrors(t *testing.T) {
	ec := pkcs8PEM(t, newECDSA(t, elliptic.P256()))
	for _, tc := range []struct {
		name string
		pem  []byte
		want string
	}{
		{"garbage", []byte("this is not a key\n"), "no PEM block"},
		{"empty", nil, "no PEM block"},
		{"garbage-der", pemBlock("PRIVATE KEY", []byte("garbage")), "parsing PRIVATE KEY"},
		{"public-key", ec.pub, "public key"},
		{"certificate", pemBlock("CERTIFICATE", []byte{0}), `"CERTIFICATE" is not a private key`},
		{"pkcs8-encrypted", pemBlock("ENCRYPTED PRIVATE KEY", []byte{0}), "not supported"},
		{"rfc1423", pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Headers: map[string]string{"Proc-Type": "4,ENCRYPTED"}, Bytes: []byte{0}}), "legacy RFC 1423"},
		{"p224", pkcs8PEM(t, newECDSA(t, elliptic.P224())).priv, "unsupported ECDSA curve P-224"},
		{"x25519", func() []byte {
			k, err := ecdhX25519()
			if err != nil {
				t.Fatal(err)
			}
			der, err := x509.MarshalPKCS8PrivateKey(k)
			if err != nil {
				t.Fatal(err)
			}
			return pemBlock("PRIVATE KEY", der)
		}(), "unsupported"},
		{"cosign-garbage", pemBlock(PEMSigstoreEncrypted, []byte("{}")), "decrypting ENCRYPTED SIGSTORE PRIVATE KEY"},
	} {
		t.Run("signer-"+tc.name, func(t *testing.T) {
			_, err := LoadSigner(tc.pem, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("LoadSigner: %v, want an error saying %q", err, tc.want)
			}
		})
	}
	for _, tc := range []struct {
		name string
		pem  []byte
		want string
	}{
		{"garbage", []byte("-----BEGIN PUBLIC KEY-----\nnot base64\n"), "no PEM block"},
		{"garbage-der", pemBlock("PUBLIC KEY", []byte("garbage")), "parsing PUBLIC KEY"},
		{"private-key", ec.priv, "private key"},
		{"p224", pkixPEM(t, newECDSA(t, elliptic.P224()).Public()), "unsupported ECDSA curve"},
	} {
		t.Run("verifier-"+tc.name, func(t *testing.T) {
			_, err := LoadVerifier(tc.pem)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("LoadVerifier: %v, want an error saying %q", err, tc.want)
			}
		})
	}
	t.Run("rsa-1024", func(t *testing.T) {
		k, err := rsa.GenerateKey(rand.Reader, 1024)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := LoadSigner(pkcs8PEM(t, k).priv, nil); err == nil || !strings.Contains(err.Error(), "RSA key size 1024") {
			t.Errorf("LoadSigner(RSA-1024): %v", err)
		}
	})
}

func TestEncryptedKeyPassword(t *testing.T) {
	t.Parallel()
	k := newECDSA(t, elliptic.P256())
	kp := cosignPEMWith(t, k, []byte("right"), PEMSigstoreEncrypted, legacyEncrypt)
	for _, pw := range [][]byte{[]byte("wrong"), nil} {
		_, err := LoadSigner(kp.priv, pw)
		if !errors.Is(err, ErrWrongPassword) {
			t.Errorf("LoadSigner with password %q: %v, want ErrWrongPassword", pw, err)
		}
	}
	// cosign allows an empty password; nil and empty are the same.
	empty := cosignPEMWith(t, k, []byte{}, PEMSigstoreEncrypted, legacyEncrypt)
	for _, pw := range [][]byte{nil, {}} {
		s, err := LoadSigner(empty.priv, pw)
		if err != nil {
			t.Fatalf("LoadSigner(empty password): %v", err)
		}
		if !s.PublicKey().(*ecdsa.PublicKey).Equal(k.Public()) {
			t.Error("decrypted the wrong key")
		}
	}
	if _, err := LoadSigner(empty.priv, []byte("x")); !errors.Is(err, ErrWrongPassword) {
		t.Errorf("password for an unencrypted-password key: %v", err)
	}
}

func TestSubjects(t *testing.T) {
	dir := writeModule(t)
	subjects, err := Subjects(dir, allNames)
	if err != nil {
		t.Fatal(err)
	}
	want := []Subject{
		{"go.mod", hexSum(readFile(t, dir, "go.mod"))},
		{"go.sum", hexSum(readFile(t, dir, "go.sum"))},
		{".modseal/graph.json", hexSum(readFile(t, dir, ".modseal/graph.json"))},
	}
	if !reflect.DeepEqual(subjects, want) {
		t.Errorf("Subjects:\n got %+v\nwant %+v", subjects, want)
	}
	for _, names := range [][]string{{"../go.mod"}, {"/go.mod"}, {"go.mod", "go.mod"}, {"."}, {".modseal//graph.json"}} {
		if _, err := Subjects(dir, names); err == nil {
			t.Errorf("Subjects(%q) succeeded", names)
		}
	}
	if _, err := Subjects(filepath.Join(dir, "nope"), allNames); err == nil {
		t.Error("Subjects of a missing directory succeeded")
	}
}

func TestSignRejects(t *testing.T) {
	s, _ := loadPair(t, keyKinds[0].make(t, false))
	sub := []Subject{{"go.mod", hexSum("x")}}
	for name, tc := range map[string]struct {
		subjects []Subject
		p        Predicate
	}{
		"no-subjects":   {nil, vectorPredicate},
		"bad-hex":       {[]Subject{{"go.mod", "abc"}}, vectorPredicate},
		"bad-name":      {[]Subject{{"../go.mod", hexSum("x")}}, vectorPredicate},
		"twice":         {append(sub, sub...), vectorPredicate},
		"graph-digest":  {sub, Predicate{GraphDigest: "abc", ContentDigest: vectorPredicate.ContentDigest}},
		"content-empty": {sub, Predicate{GraphDigest: vectorPredicate.GraphDigest}},
		"audit-json":    {sub, Predicate{GraphDigest: vectorPredicate.GraphDigest, ContentDigest: vectorPredicate.ContentDigest, Audit: json.RawMessage("{")}},
	} {
		if _, err := Sign(s, tc.subjects, tc.p); err == nil {
			t.Errorf("Sign %s succeeded", name)
		}
	}
	if _, err := Sign(nil, sub, vectorPredicate); err == nil {
		t.Error("Sign(nil) succeeded")
	}
	if _, _, err := Verify(nil, nil, "."); err == nil || VerifyErrors(err) != nil {
		t.Errorf("Verify(nil): %v, want an operational error", err)
	}
}

// TestVector checks the committed vector: the test-only cosign key decrypts
// with its password to the committed public key, and the committed envelope,
// made by an earlier build, still verifies.
func TestVector(t *testing.T) {
	t.Parallel()
	if *writeVector {
		t.Skip("-write-vector")
	}
	keyPEM, err := os.ReadFile(vectorKey)
	if err != nil {
		t.Fatal(err)
	}
	pubPEM, err := os.ReadFile(vectorPub)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := pem.Decode(keyPEM); b == nil || b.Type != "ENCRYPTED SIGSTORE PRIVATE KEY" {
		t.Fatalf("%s is not an ENCRYPTED SIGSTORE PRIVATE KEY", vectorKey)
	}
	s, err := LoadSigner(keyPEM, []byte(vectorPassword))
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.PublicKeyPEM()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, pubPEM) {
		t.Errorf("public key of %s:\n%s\nwant %s:\n%s", vectorKey, got, vectorPub, pubPEM)
	}
	v, err := LoadVerifier(pubPEM)
	if err != nil {
		t.Fatal(err)
	}
	if v.Algorithm() != "ECDSA P-256 SHA-256" {
		t.Errorf("vector key is %s", v.Algorithm())
	}
	dir := vectorDir(t)
	env := []byte(readFile(t, dir, vectorSig))
	p, subjects, err := Verify(v, env, dir)
	if err != nil {
		t.Fatalf("committed envelope: %v", err)
	}
	if !reflect.DeepEqual(*p, vectorPredicate) {
		t.Errorf("predicate:\n got %+v\nwant %+v", *p, vectorPredicate)
	}
	if len(subjects) != 3 {
		t.Errorf("subjects %+v", subjects)
	}
	// A fresh signature with the decrypted key verifies too.
	if _, _, err := Verify(v, signDir(t, s, dir), dir); err != nil {
		t.Errorf("new envelope: %v", err)
	}
}

// vectorDir extracts the vector module into a temporary directory. (It is a
// txtar archive because a directory holding a go.mod would be left out of
// modseal's own module zip.)
func vectorDir(t testing.TB) string {
	t.Helper()
	a, err := txtar.ParseFile(vectorArchive)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := txtar.Write(a, dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestWriteVector regenerates the vector with -write-vector: a new test-only
// key, encrypted as cosign encrypts it, and a module signed with it.
func TestWriteVector(t *testing.T) {
	if !*writeVector {
		t.Skip("regenerates testdata with -write-vector")
	}
	kp := cosignPEM(t, newECDSA(t, elliptic.P256()), []byte(vectorPassword), PEMSigstoreEncrypted)
	s, _ := loadPair(t, kp)
	dir := writeModule(t)
	env := signDir(t, s, dir)
	a := &txtar.Archive{Comment: []byte("A module signed with the test-only key testdata/test-only.key (password\n\"test-password\"), by this package; regenerate with go test -write-vector.\n")}
	for _, name := range []string{"go.mod", "go.sum", ".modseal/graph.json"} {
		a.Files = append(a.Files, txtar.File{Name: name, Data: []byte(readFile(t, dir, name))})
	}
	a.Files = append(a.Files, txtar.File{Name: vectorSig, Data: env})
	for name, data := range map[string][]byte{vectorKey: kp.priv, vectorPub: kp.pub, vectorArchive: txtar.Format(a)} {
		if err := os.WriteFile(name, data, 0o666); err != nil {
			t.Fatal(err)
		}
	}
}

// FuzzVerify feeds arbitrary bytes to Verify as the envelope: it must never
// panic, must report every rejection as a *VerifyError, and may accept only
// a genuinely signed statement.
func FuzzVerify(f *testing.F) {
	pubPEM, err := os.ReadFile(vectorPub)
	if err != nil {
		f.Fatal(err)
	}
	v, err := LoadVerifier(pubPEM)
	if err != nil {
		f.Fatal(err)
	}
	dir := vectorDir(f)
	env, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(vectorSig)))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(env)
	f.Add(env[:len(env)/2])
	f.Add(bytes.Replace(env, []byte(PayloadType), []byte("text/plain"), 1))
	f.Add([]byte(`{"payloadType":"application/vnd.in-toto+json","payload":"e30=","signatures":[{"keyid":"","sig":"MEUCIQ=="}]}`))
	f.Add([]byte("{}"))
	f.Add([]byte("null"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, subjects, err := Verify(v, data, dir)
		if err != nil {
			if VerifyErrors(err) == nil {
				t.Fatalf("Verify error %q is not a *VerifyError", err)
			}
			if p != nil || subjects != nil {
				t.Fatal("Verify returned results with an error")
			}
			return
		}
		if p == nil || len(subjects) == 0 {
			t.Fatal("Verify succeeded without a predicate or subjects")
		}
	})
}
