// Package report renders an audit's findings. One Report model, one handler
// per output format, each in its own file.
package report

import (
	"fmt"
	"io"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/modseal/modseal/verify"
)

// Schema is the JSON report's schema id.
const Schema = "modseal/report/v1"

// A Report is everything a handler renders.
type Report struct {
	Schema      string           `json:"schema"`
	Tool        Tool             `json:"tool"`
	Dir         string           `json:"dir"`
	Module      string           `json:"module"`
	Findings    []verify.Finding `json:"findings"`
	Skipped     []verify.Skipped `json:"skipped"`
	Summary     Summary          `json:"summary"`
	GraphDigest string           `json:"graph_digest,omitempty"`

	// RepoDir is Dir relative to the repository root (slash-separated, "."
	// for the root itself), set by the caller that found the root; "" when
	// it is unknown. SARIF URIs and GitHub annotation paths are relative to
	// the repository root, as code scanning and the runner resolve them;
	// the JSON report's file stays relative to Dir.
	RepoDir string `json:"-"`
	// Command is the modseal command that made the report ("audit",
	// "diff"; "" means audit): SARIF's automationDetails.id names it.
	Command string `json:"-"`
}

// Tool names the program that made the report.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Summary counts the findings by severity.
type Summary struct {
	Modules  int `json:"modules"`
	Verified int `json:"verified"`
	Errors   int `json:"errors"`
	Warnings int `json:"warnings"`
	Notes    int `json:"notes"`
}

// New builds the report of an audit result.
func New(version string, res *verify.Report) *Report {
	r := &Report{
		Schema:      Schema,
		Tool:        Tool{Name: "modseal", Version: version},
		Dir:         res.Dir,
		Module:      res.Module,
		Findings:    res.Findings,
		Skipped:     res.Skipped,
		GraphDigest: res.GraphDigest,
		Summary:     Summary{Modules: res.Modules, Verified: res.Verified},
	}
	if r.Findings == nil {
		r.Findings = []verify.Finding{}
	}
	if r.Skipped == nil {
		r.Skipped = []verify.Skipped{}
	}
	for _, f := range r.Findings {
		switch f.Severity {
		case verify.SeverityError:
			r.Summary.Errors++
		case verify.SeverityWarning:
			r.Summary.Warnings++
		case verify.SeverityNote:
			r.Summary.Notes++
		}
	}
	return r
}

// Fails reports whether r has a finding at or above the severity rank
// failOn (verify.Severity.Rank; 0 means error): whether the run fails under
// --fail-on. It is the one place that rule is computed.
func (r *Report) Fails(failOn int) bool {
	if failOn <= 0 {
		failOn = verify.SeverityError.Rank()
	}
	for _, f := range r.Findings {
		if f.Severity.Rank() >= failOn {
			return true
		}
	}
	return false
}

// skipped reports whether the check named check was skipped.
func (r *Report) skipped(check string) bool {
	for _, s := range r.Skipped {
		// One go command failure is listed once, with every check it held
		// up: "build-list,graph,tidy".
		if slices.Contains(strings.Split(s.Check, ","), check) {
			return true
		}
	}
	return false
}

// repoPath is file (relative to Dir) as a slash path relative to the
// repository root: RepoDir joined with file. When RepoDir is unknown, it is
// relative to the current directory where Dir is a relative path below it,
// else file itself. It returns "" for an empty file.
func (r *Report) repoPath(file string) string {
	if file == "" {
		return ""
	}
	if r.RepoDir != "" {
		return path.Join(r.RepoDir, filepath.ToSlash(file))
	}
	return locationPath(r.Dir, file)
}

// repoDir is Dir relative to the repository root as repoPath places files:
// RepoDir, or Dir where it is a relative path below the current directory,
// else ".".
func (r *Report) repoDir() string {
	if r.RepoDir != "" {
		return path.Clean(r.RepoDir)
	}
	if r.Dir != "" && filepath.IsLocal(r.Dir) {
		return path.Clean(filepath.ToSlash(r.Dir))
	}
	return "."
}

// A Handler writes a report in one format.
type Handler interface {
	Write(w io.Writer, r *Report) error
}

// Formats lists the output formats, for flag help and validation.
var Formats = []string{"text", "json", "sarif", "github"}

// Options configure a handler. The zero value gives every format its
// defaults.
type Options struct {
	Color bool // text: ANSI colors
	// FailOn is the lowest severity rank (verify.Severity.Rank) at which the
	// run fails, 0 meaning error; github reports it as the result output.
	FailOn int
	// SummaryFile and OutputFile are the files GitHub Actions names in
	// $GITHUB_STEP_SUMMARY and $GITHUB_OUTPUT; github appends to them.
	// The caller reads the environment, so tests stay hermetic.
	SummaryFile string
	OutputFile  string
}

// NewHandler returns the handler for format. color applies to text only.
// It is NewHandlerWith(format, Options{Color: color}): the github handler it
// returns writes workflow commands only, no step summary or outputs.
func NewHandler(format string, color bool) (Handler, error) {
	return NewHandlerWith(format, Options{Color: color})
}

// NewHandlerWith returns the handler for format, configured by opts.
func NewHandlerWith(format string, opts Options) (Handler, error) {
	switch format {
	case "text":
		return &Text{Color: opts.Color}, nil
	case "json":
		return JSON{}, nil
	case "sarif":
		return SARIF{}, nil
	case "github":
		return &GitHub{SummaryFile: opts.SummaryFile, OutputFile: opts.OutputFile, FailOn: opts.FailOn}, nil
	}
	return nil, fmt.Errorf("unknown format %q (want one of %v)", format, Formats)
}
