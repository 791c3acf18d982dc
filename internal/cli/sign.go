package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/modseal/modseal/internal/sign"
	"github.com/modseal/modseal/verify"
)

// maxEnvelope bounds how much of a .sig file is read: a snapshot envelope
// is a few KiB.
const maxEnvelope = 4 << 20

// maxKey bounds how much of a --key or --sign-key file is read: a PEM key
// is a few KiB.
const maxKey = 1 << 20

// signedFiles are the files a snapshot signature covers besides the snapshot.
var signedFiles = []string{"go.mod", "go.sum", "go.work", "go.work.sum"}

// signSnapshot signs the snapshot at signed[0] (a slash path relative to
// dir), with go.mod, go.sum (go.work, go.work.sum) and the rest of signed
// (the checkpoint), with the private key in keyFile (COSIGN_PASSWORD for an
// encrypted one) and writes the DSSE envelope next to the snapshot as
// signed[0]+".sig", atomically. It returns the envelope's path.
func signSnapshot(dir string, signed []string, keyFile string, e env, p sign.Predicate) (string, error) {
	snapshotRel := signed[0]
	keyPEM, err := verify.ReadFileLimited(keyFile, maxKey)
	if err != nil {
		return "", fmt.Errorf("--sign-key: %v", err)
	}
	signer, err := sign.LoadSigner(keyPEM, []byte(e.get("COSIGN_PASSWORD")))
	if err != nil {
		if errors.Is(err, sign.ErrWrongPassword) {
			return "", fmt.Errorf("--sign-key %s: %v: set COSIGN_PASSWORD to the key's password", keyFile, err)
		}
		return "", fmt.Errorf("--sign-key %s: %v", keyFile, err)
	}
	subjects, err := sign.Subjects(dir, append(append([]string(nil), signedFiles...), signed...))
	if err != nil {
		return "", err
	}
	env, err := sign.Sign(signer, subjects, p)
	if err != nil {
		return "", err
	}
	out := filepath.Join(dir, filepath.FromSlash(snapshotRel)) + ".sig"
	if err := atomicWrite(out, env, 0o644); err != nil {
		return "", err
	}
	return out, nil
}

// checkSignature verifies snapshotRel+".sig" in dir with the public key in
// keyFile: the signature, and every signed file's digest against the files
// on disk. What is wrong with the signature comes back as
// snapshot-signature findings; an unusable key is an error.
func checkSignature(dir, snapshotRel, keyFile string) ([]verify.Finding, *sign.Predicate, error) {
	pubPEM, err := verify.ReadFileLimited(keyFile, maxKey)
	if err != nil {
		return nil, nil, fmt.Errorf("--key: %v", err)
	}
	v, err := sign.LoadVerifier(pubPEM)
	if err != nil {
		return nil, nil, fmt.Errorf("--key %s: %v", keyFile, err)
	}
	sigRel := snapshotRel + ".sig"
	finding := func(file, format string, args ...any) verify.Finding {
		return verify.NewFinding(verify.RuleSnapshotSignature, file, 0, format, args...)
	}
	f, err := os.Open(filepath.Join(dir, filepath.FromSlash(sigRel)))
	if errors.Is(err, fs.ErrNotExist) {
		return []verify.Finding{finding(sigRel, "the snapshot is not signed: %s is missing; run modseal snapshot --sign-key KEY", sigRel)}, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	data, err := io.ReadAll(io.LimitReader(f, maxEnvelope+1))
	f.Close()
	if err != nil {
		return nil, nil, err
	}
	if len(data) > maxEnvelope {
		return []verify.Finding{finding(sigRel, "%s is larger than %d bytes: not a snapshot signature", sigRel, maxEnvelope)}, nil, nil
	}
	pred, subjects, err := sign.Verify(v, data, dir)
	if err == nil {
		err = sign.RequireSubjects(subjects, snapshotRel)
	}
	if err == nil {
		return nil, pred, nil
	}
	ves := sign.VerifyErrors(err)
	if len(ves) == 0 {
		return nil, nil, err
	}
	var out []verify.Finding
	for _, ve := range ves {
		file := ve.File
		if file == "" {
			file = sigRel
		}
		fd := finding(file, "snapshot signature (%s): %s", ve.Reason, ve.Message)
		fd.Want, fd.Got = ve.Want, ve.Got
		out = append(out, fd)
	}
	return out, nil, nil
}

// requireSignedSnapshot verifies the committed snapshot's signature for
// --key: a missing snapshot is a finding too, since --key asks for one.
// With a valid signature it returns the checkpoint the signed statement
// records (nil if none), by what names it: a tree head the checksum
// database's latest must be consistent with.
func requireSignedSnapshot(dir, keyFile string) ([]verify.Finding, map[string][]byte, error) {
	if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(defaultSnapshot))); errors.Is(err, fs.ErrNotExist) {
		return []verify.Finding{verify.NewFinding(verify.RuleSnapshotSignature, defaultSnapshot, 0,
			"--key requires a signed snapshot, and there is none: run modseal snapshot --sign-key KEY and commit %s and %s.sig", defaultSnapshot, defaultSnapshot)}, nil, nil
	}
	fs, pred, err := checkSignature(dir, defaultSnapshot, keyFile)
	return fs, signedCheckpoint(pred), err
}

// signedCheckpoint is the checkpoint a valid signature's predicate
// records, by what names it, or nil.
func signedCheckpoint(pred *sign.Predicate) map[string][]byte {
	if pred == nil || pred.Checkpoint == "" {
		return nil
	}
	return map[string][]byte{"the signed snapshot's checkpoint": []byte(pred.Checkpoint)}
}

// auditSummary is the audit result a signature records.
func auditSummary(errs, warnings, notes int) json.RawMessage {
	b, _ := json.Marshal(map[string]int{"errors": errs, "warnings": warnings, "notes": notes})
	return b
}
