// Package sign makes and checks the signature of a modseal snapshot,
// graph.json.sig: a DSSE envelope (payloadType "application/vnd.in-toto+json")
// whose payload is an in-toto Statement v1. The statement's subjects are the
// files the snapshot describes (go.mod, go.sum, go.work and go.work.sum where
// present, and the snapshot itself), each with its SHA-256; its predicate
// (type PredicateType) records the snapshot's graph and content digests, the
// checksum-database checkpoint that was verified, and the audit result.
//
// Envelopes are made and checked by sigstore's signature and dsse packages;
// this is the only package of modseal that imports sigstore. The envelope is
// plain DSSE (one signature, empty keyid) over an in-toto statement, so other
// DSSE tooling can check it too. Ed25519 signatures are pure Ed25519, as DSSE
// and in-toto use them, not the Ed25519ph that cosign defaults to for
// hashedrekord entries.
//
// Subject names are slash-separated paths relative to the module (or
// workspace) directory and may not leave it: no "..", no absolute paths, and
// files are opened through an os.Root, so a symbolic link that points outside
// the directory is refused rather than followed.
package sign

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/sigstore/sigstore/pkg/signature/dsse"
)

const (
	// PayloadType is the DSSE payload type of the envelope.
	PayloadType = "application/vnd.in-toto+json"
	// StatementType is the in-toto statement's _type.
	StatementType = "https://in-toto.io/Statement/v1"
	// PredicateType is the statement's predicateType.
	PredicateType = "https://github.com/modseal/modseal/graph/v1"
)

// coveredFiles are the files that, when present in the verified directory,
// must be subjects of the signature.
var coveredFiles = []string{"go.mod", "go.sum", "go.work", "go.work.sum"}

// A Subject is a signed file: its slash-separated path relative to the
// directory and the lower-case hex of its SHA-256.
type Subject struct {
	Name   string
	SHA256 string
}

// Predicate is the statement's predicate. GraphDigest and ContentDigest are
// the snapshot's ("sha256:" and 64 hex digits); Checkpoint is the checksum
// database's signed tree note that was verified, if any; Audit is the audit
// result, an opaque JSON value such as {"errors": 0, "warnings": 1, "notes": 2}.
type Predicate struct {
	GraphDigest   string          `json:"graph_digest"`
	ContentDigest string          `json:"content_digest"`
	Checkpoint    string          `json:"checkpoint,omitempty"`
	Audit         json.RawMessage `json:"audit,omitempty"`
}

type statement struct {
	Type          string          `json:"_type"`
	Subject       []subjectJSON   `json:"subject"`
	PredicateType string          `json:"predicateType"`
	Predicate     json.RawMessage `json:"predicate"`
}

type subjectJSON struct {
	Name   string            `json:"name"`
	Digest map[string]string `json:"digest"`
}

// envelope is the DSSE envelope as Verify reads it before handing it to
// sigstore; pointers tell a missing field from an empty one.
type envelope struct {
	PayloadType *string `json:"payloadType"`
	Payload     *string `json:"payload"`
	Signatures  []struct {
		KeyID string `json:"keyid"`
		Sig   string `json:"sig"`
	} `json:"signatures"`
}

// Subjects hashes the named files (slash paths relative to dir) that exist and
// skips the ones that do not. A name that is not a clean relative path inside
// dir, a name listed twice, or a file that exists but cannot be read (a
// directory, a link out of dir) is an error.
func Subjects(dir string, names []string) ([]Subject, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	seen := make(map[string]bool)
	var subjects []Subject
	for _, name := range names {
		if err := checkName(name); err != nil {
			return nil, err
		}
		if seen[name] {
			return nil, fmt.Errorf("subject %s listed twice", name)
		}
		seen[name] = true
		sum, err := hashFile(root, name)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		subjects = append(subjects, Subject{Name: name, SHA256: sum})
	}
	return subjects, nil
}

// Sign returns the DSSE envelope (JSON, with a final newline) of the
// statement of subjects and p, signed by s. Before returning it, Sign checks
// the envelope with s's public key.
func Sign(s *Signer, subjects []Subject, p Predicate) ([]byte, error) {
	if s == nil {
		return nil, errors.New("sign: no signer")
	}
	if len(subjects) == 0 {
		return nil, errors.New("sign: no subjects")
	}
	st := statement{Type: StatementType, PredicateType: PredicateType}
	seen := make(map[string]bool)
	for _, sub := range subjects {
		if err := checkName(sub.Name); err != nil {
			return nil, fmt.Errorf("sign: %w", err)
		}
		if seen[sub.Name] {
			return nil, fmt.Errorf("sign: subject %s listed twice", sub.Name)
		}
		seen[sub.Name] = true
		if !isHexSHA256(sub.SHA256) {
			return nil, fmt.Errorf("sign: subject %s: sha256 %q is not 64 lower-case hex digits", sub.Name, sub.SHA256)
		}
		st.Subject = append(st.Subject, subjectJSON{Name: sub.Name, Digest: map[string]string{"sha256": sub.SHA256}})
	}
	if err := checkPredicate(&p); err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	pred, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("sign: predicate: %w", err)
	}
	st.Predicate = pred
	payload, err := json.Marshal(st)
	if err != nil {
		return nil, fmt.Errorf("sign: statement: %w", err)
	}
	env, err := dsse.WrapSigner(s.s, PayloadType).SignMessage(bytes.NewReader(payload))
	if err != nil {
		return nil, fmt.Errorf("sign: %s: %w", s.algo, err)
	}
	v, err := s.Verifier()
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	got, err := openEnvelope(v, env)
	if err != nil {
		return nil, fmt.Errorf("sign: the new signature does not verify: %w", err)
	}
	if !bytes.Equal(got, payload) {
		return nil, errors.New("sign: the new envelope does not carry the statement")
	}
	return append(env, '\n'), nil
}

// Verify checks envelope: that it is a DSSE envelope of PayloadType signed by
// v's key, that its payload is an in-toto Statement v1 of PredicateType,
// that every subject file in dir has the signed SHA-256, and that each of
// go.mod, go.sum, go.work and go.work.sum present in dir is a subject. It
// returns the predicate and the subjects.
//
// A problem with the envelope or the files is reported as a *VerifyError;
// when several files fail, the error is the errors.Join of one *VerifyError
// per file (VerifyErrors lists them). Other errors (v is nil, dir cannot be
// opened) are operational.
func Verify(v *Verifier, envelope []byte, dir string) (*Predicate, []Subject, error) {
	if v == nil {
		return nil, nil, errors.New("verify: no verifier")
	}
	payload, err := openEnvelope(v, envelope)
	if err != nil {
		return nil, nil, err
	}
	p, subjects, err := parseStatement(payload)
	if err != nil {
		return nil, nil, err
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, nil, err
	}
	defer root.Close()
	var errs []error
	signed := make(map[string]bool)
	for _, sub := range subjects {
		signed[sub.Name] = true
		have, err := hashFile(root, sub.Name)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			errs = append(errs, &VerifyError{
				Reason: ReasonMissingFile, File: sub.Name, Want: "sha256:" + sub.SHA256, Err: err,
				Message: fmt.Sprintf("%s: signed file is missing", sub.Name),
			})
		case err != nil:
			errs = append(errs, &VerifyError{
				Reason: ReasonUnreadableFile, File: sub.Name, Want: "sha256:" + sub.SHA256, Err: err,
				Message: fmt.Sprintf("%s: signed file cannot be read: %v", sub.Name, err),
			})
		case have != sub.SHA256:
			errs = append(errs, &VerifyError{
				Reason: ReasonDigestMismatch, File: sub.Name, Want: "sha256:" + sub.SHA256, Got: "sha256:" + have,
				Message: fmt.Sprintf("%s: digest mismatch: have sha256:%s on disk, want sha256:%s as signed", sub.Name, have, sub.SHA256),
			})
		}
	}
	for _, name := range coveredFiles {
		if signed[name] {
			continue
		}
		if _, err := root.Lstat(name); err == nil {
			errs = append(errs, &VerifyError{
				Reason: ReasonUnsignedFile, File: name,
				Message: fmt.Sprintf("%s: present but not a subject of the signature", name),
			})
		}
	}
	switch len(errs) {
	case 0:
		return p, subjects, nil
	case 1:
		return nil, nil, errs[0]
	}
	return nil, nil, errors.Join(errs...)
}

// RequireSubjects returns a *VerifyError (reason missing-subject) naming the
// first of names that subjects lacks, or nil. The CLI uses it to insist that
// the snapshot itself is signed.
func RequireSubjects(subjects []Subject, names ...string) error {
	have := make(map[string]bool, len(subjects))
	for _, s := range subjects {
		have[s.Name] = true
	}
	for _, name := range names {
		if !have[name] {
			return &VerifyError{
				Reason: ReasonMissingSubject, File: name,
				Message: fmt.Sprintf("%s: not a subject of the signature", name),
			}
		}
	}
	return nil
}

// openEnvelope checks envelope's shape, payload type and signature and
// returns the payload that the signature covers.
func openEnvelope(v *Verifier, data []byte) ([]byte, error) {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return nil, malformed("empty envelope", nil)
	}
	if trimmed[0] != '{' {
		return nil, malformed("envelope is not a JSON object", nil)
	}
	var env envelope
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	if err := dec.Decode(&env); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, malformed("truncated (unexpected end of JSON)", err)
		}
		return nil, malformed("envelope is not valid DSSE JSON: "+err.Error(), err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, malformed("data after the envelope's JSON object", nil)
	}
	if env.PayloadType == nil {
		return nil, malformed("envelope has no payloadType", nil)
	}
	if *env.PayloadType != PayloadType {
		return nil, &VerifyError{
			Reason: ReasonPayloadType, Want: PayloadType, Got: *env.PayloadType,
			Message: fmt.Sprintf("wrong payload type %q, want %q", *env.PayloadType, PayloadType),
		}
	}
	if env.Payload == nil {
		return nil, malformed("envelope has no payload", nil)
	}
	if _, err := decodeBase64(*env.Payload); err != nil {
		return nil, malformed("envelope payload is not base64", err)
	}
	if len(env.Signatures) == 0 {
		return nil, malformed("envelope has no signatures", nil)
	}
	for i, s := range env.Signatures {
		if _, err := decodeBase64(s.Sig); err != nil {
			return nil, malformed(fmt.Sprintf("signature %d is not base64", i+1), err)
		}
	}
	var payload []byte
	w := dsse.WrapVerifier(v.v, dsse.WithExpectedPayloadType(PayloadType), dsse.WithDecodedPayload(&payload))
	if err := w.VerifySignature(bytes.NewReader(trimmed), nil); err != nil {
		return nil, &VerifyError{
			Reason: ReasonBadSignature, Err: err,
			Message: fmt.Sprintf("bad signature: the envelope is not signed by the %s key %s", v.algo, v.KeyID()),
		}
	}
	if payload == nil {
		// VerifySignature succeeded, so it decoded the payload.
		return nil, malformed("envelope payload missing after verification", nil)
	}
	return payload, nil
}

// parseStatement reads a verified payload as the statement modseal signs.
func parseStatement(payload []byte) (*Predicate, []Subject, error) {
	var st statement
	if err := json.Unmarshal(payload, &st); err != nil {
		return nil, nil, badStatement("", "payload is not an in-toto statement: "+err.Error(), err)
	}
	if st.Type != StatementType {
		return nil, nil, &VerifyError{
			Reason: ReasonStatement, Want: StatementType, Got: st.Type,
			Message: fmt.Sprintf("malformed statement: _type %q, want %q", st.Type, StatementType),
		}
	}
	if st.PredicateType != PredicateType {
		return nil, nil, &VerifyError{
			Reason: ReasonPredicateType, Want: PredicateType, Got: st.PredicateType,
			Message: fmt.Sprintf("wrong predicate type %q, want %q", st.PredicateType, PredicateType),
		}
	}
	if len(st.Subject) == 0 {
		return nil, nil, badStatement("", "no subjects", nil)
	}
	subjects := make([]Subject, 0, len(st.Subject))
	seen := make(map[string]bool)
	for _, s := range st.Subject {
		if err := checkName(s.Name); err != nil {
			return nil, nil, badStatement(s.Name, err.Error(), err)
		}
		if seen[s.Name] {
			return nil, nil, badStatement(s.Name, fmt.Sprintf("subject %s listed twice", s.Name), nil)
		}
		seen[s.Name] = true
		sum, ok := s.Digest["sha256"]
		if !ok {
			return nil, nil, badStatement(s.Name, fmt.Sprintf("subject %s has no sha256 digest", s.Name), nil)
		}
		if !isHexSHA256(sum) {
			return nil, nil, badStatement(s.Name, fmt.Sprintf("subject %s: sha256 %q is not 64 lower-case hex digits", s.Name, sum), nil)
		}
		subjects = append(subjects, Subject{Name: s.Name, SHA256: sum})
	}
	if len(st.Predicate) == 0 || string(st.Predicate) == "null" {
		return nil, nil, badStatement("", "no predicate", nil)
	}
	var p Predicate
	if err := json.Unmarshal(st.Predicate, &p); err != nil {
		return nil, nil, badStatement("", "predicate: "+err.Error(), err)
	}
	if err := checkPredicate(&p); err != nil {
		return nil, nil, badStatement("", err.Error(), err)
	}
	return &p, subjects, nil
}

func checkPredicate(p *Predicate) error {
	if !isDigest(p.GraphDigest) {
		return fmt.Errorf("predicate graph_digest %q is not sha256: and 64 hex digits", p.GraphDigest)
	}
	if !isDigest(p.ContentDigest) {
		return fmt.Errorf("predicate content_digest %q is not sha256: and 64 hex digits", p.ContentDigest)
	}
	if len(p.Audit) > 0 && !json.Valid(p.Audit) {
		return errors.New("predicate audit is not valid JSON")
	}
	return nil
}

// checkName accepts a clean, relative, slash-separated path that stays
// inside its directory.
func checkName(name string) error {
	if name == "." || !fs.ValidPath(name) || strings.ContainsAny(name, "\\\x00") || !filepath.IsLocal(filepath.FromSlash(name)) {
		return fmt.Errorf("subject name %q is not a clean relative slash path inside the directory", name)
	}
	return nil
}

// hashFile returns the hex SHA-256 of the regular file name in root.
func hashFile(root *os.Root, name string) (string, error) {
	f, err := root.Open(filepath.FromSlash(name))
	if err != nil {
		return "", err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", err
	}
	if !fi.Mode().IsRegular() {
		return "", fmt.Errorf("%s is not a regular file", name)
	}
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func isHexSHA256(s string) bool {
	if len(s) != 2*sha256.Size {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

func isDigest(s string) bool {
	hexPart, ok := strings.CutPrefix(s, "sha256:")
	return ok && isHexSHA256(hexPart)
}

// decodeBase64 decodes as DSSE does: standard, then URL-safe base64.
func decodeBase64(s string) ([]byte, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		b, err = base64.URLEncoding.DecodeString(s)
	}
	return b, err
}
