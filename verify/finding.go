package verify

import (
	"fmt"
	"slices"
	"strings"
)

// Severity orders findings: error > warning > note.
type Severity string

const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
	SeverityNote    Severity = "note"
)

// Rank orders severities: note 1, warning 2, error 3, anything else 0.
func (s Severity) Rank() int {
	switch s {
	case SeverityError:
		return 3
	case SeverityWarning:
		return 2
	case SeverityNote:
		return 1
	}
	return 0
}

// A Finding is one problem found by a check.
// File is slash-separated and relative to the audited directory; Line is
// 1-based, 0 when the finding has no line.
type Finding struct {
	Rule     string   `json:"rule"`
	Severity Severity `json:"severity"`
	Message  string   `json:"message"`
	Module   string   `json:"module,omitempty"`
	Version  string   `json:"version,omitempty"`
	File     string   `json:"file,omitempty"`
	Line     int      `json:"line,omitempty"`
	Want     string   `json:"want,omitempty"`
	Got      string   `json:"got,omitempty"`
}

// String formats f as "file:line: rule: message".
func (f Finding) String() string {
	switch {
	case f.File != "" && f.Line > 0:
		return fmt.Sprintf("%s:%d: %s: %s", f.File, f.Line, f.Rule, f.Message)
	case f.File != "":
		return fmt.Sprintf("%s: %s: %s", f.File, f.Rule, f.Message)
	}
	return fmt.Sprintf("%s: %s", f.Rule, f.Message)
}

// NewFinding returns a finding of the given rule at file:line with the rule's
// severity. It panics if rule is not one of Rules: rule ids are constants.
func NewFinding(rule, file string, line int, format string, args ...any) Finding {
	r, ok := LookupRule(rule)
	if !ok {
		panic("verify: unknown rule " + rule)
	}
	return Finding{Rule: rule, Severity: r.Severity, File: file, Line: line, Message: fmt.Sprintf(format, args...)}
}

// A Skipped check could not run; it is never a pass.
type Skipped struct {
	Check  string `json:"check"`
	Reason string `json:"reason"`
}

// A Report is what an audit of one module or workspace found: the input of
// every output format.
type Report struct {
	Dir         string
	Module      string // main module path, or the workspace's modules joined by ","
	Findings    []Finding
	Skipped     []Skipped
	Modules     int // modules in the build list, main modules excluded
	Verified    int // modules whose hashes were recomputed and matched
	GraphDigest string
	// Checkpoint is the checksum database's signed tree head the audit
	// verified go.sum against, "" if it did not.
	Checkpoint string
}

// Sort orders findings by file, line, rule and message: the report order.
func Sort(fs []Finding) {
	slices.SortStableFunc(fs, func(a, b Finding) int {
		if c := strings.Compare(a.File, b.File); c != 0 {
			return c
		}
		if a.Line != b.Line {
			return a.Line - b.Line
		}
		if c := strings.Compare(a.Rule, b.Rule); c != 0 {
			return c
		}
		return strings.Compare(a.Message, b.Message)
	})
}
