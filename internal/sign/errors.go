package sign

import "errors"

// Reason classifies a *VerifyError.
type Reason string

const (
	// ReasonMalformed: the envelope is empty, truncated, not JSON, or lacks
	// a payloadType, payload or signature, or one of them is not base64.
	ReasonMalformed Reason = "malformed-envelope"
	// ReasonPayloadType: the envelope's payloadType is not PayloadType.
	ReasonPayloadType Reason = "payload-type"
	// ReasonBadSignature: no signature of the envelope verifies with the key.
	ReasonBadSignature Reason = "bad-signature"
	// ReasonStatement: the signed payload is not an in-toto Statement v1 as
	// modseal writes it (bad JSON, _type, subject or predicate).
	ReasonStatement Reason = "malformed-statement"
	// ReasonPredicateType: the statement's predicateType is not PredicateType.
	ReasonPredicateType Reason = "predicate-type"
	// ReasonMissingFile: a subject file does not exist.
	ReasonMissingFile Reason = "missing-file"
	// ReasonUnreadableFile: a subject file exists but cannot be read (a
	// directory, a symbolic link out of the directory, no permission).
	ReasonUnreadableFile Reason = "unreadable-file"
	// ReasonDigestMismatch: a subject file's SHA-256 differs from the signed one.
	ReasonDigestMismatch Reason = "digest-mismatch"
	// ReasonUnsignedFile: go.mod, go.sum, go.work or go.work.sum is present
	// but is not a subject.
	ReasonUnsignedFile Reason = "unsigned-file"
	// ReasonMissingSubject: a file the caller requires (RequireSubjects) is
	// not a subject.
	ReasonMissingSubject Reason = "missing-subject"
)

// A VerifyError says what is wrong with a signature: it becomes a
// snapshot-signature finding. File is the subject's slash path when the
// problem is one file's; Want and Got are the signed and found values where
// there are two to compare ("sha256:HEX" digests for digest-mismatch; Got is
// empty for a missing file).
type VerifyError struct {
	Reason  Reason
	File    string
	Want    string
	Got     string
	Message string // the whole message; Error returns it
	Err     error  // the underlying error, if any
}

func (e *VerifyError) Error() string { return e.Message }

func (e *VerifyError) Unwrap() error { return e.Err }

// VerifyErrors returns the *VerifyError values err holds: err itself, or
// each one joined by Verify when several files fail. It returns nil when err
// holds none (an operational error).
func VerifyErrors(err error) []*VerifyError {
	if err == nil {
		return nil
	}
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		var out []*VerifyError
		for _, e := range joined.Unwrap() {
			out = append(out, VerifyErrors(e)...)
		}
		return out
	}
	var ve *VerifyError
	if errors.As(err, &ve) {
		return []*VerifyError{ve}
	}
	return nil
}

func malformed(msg string, err error) *VerifyError {
	return &VerifyError{Reason: ReasonMalformed, Message: "malformed envelope: " + msg, Err: err}
}

func badStatement(file, msg string, err error) *VerifyError {
	return &VerifyError{Reason: ReasonStatement, File: file, Message: "malformed statement: " + msg, Err: err}
}
