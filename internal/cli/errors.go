package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"unicode"

	"github.com/modseal/modseal/internal/report"
	"github.com/modseal/modseal/verify"
)

// This file is the one place where an outcome becomes an exit status.
// Commands return plain errors; Main prints them and maps them to a status
// with exitStatus.

// Exit statuses, as the contract fixes them for every format.
const (
	ExitOK       = 0 // no finding at or above --fail-on; help asked for and given
	ExitFindings = 1 // at least one finding at or above --fail-on
	ExitFailure  = 2 // usage error or operational failure
)

var (
	// errFindings: the report has a finding at or above --fail-on. The
	// report says which, so nothing more is printed.
	errFindings = errors.New("findings at or above --fail-on")

	// errHelp: -h, -help or --help; the help was printed.
	errHelp = flag.ErrHelp

	// errReported: a failure already reported on standard error (modseal
	// without a command prints the usage): exit 2, nothing more printed.
	errReported = errors.New("failed (reported above)")
)

// exitWith is the error for an exit status a command decided by running
// others through Main (which printed their messages): nil, errFindings or
// errReported.
func exitWith(status int) error {
	switch status {
	case ExitOK:
		return nil
	case ExitFindings:
		return errFindings
	}
	return errReported
}

// A usageError is a command line modseal cannot run: a bad flag value, a
// missing or extra argument.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func usageErr(format string, args ...any) error {
	return &usageError{fmt.Errorf(format, args...)}
}

// flagErr is the error of a failed flag.FlagSet.Parse: the help, when it
// was asked for, else a usage error.
func flagErr(err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return errHelp
	}
	return usageErr("%v", err)
}

// failOn returns errFindings when r has a finding at or above the --fail-on
// rank, nil otherwise.
func failOn(r *report.Report, rank int) error {
	if r.Fails(rank) {
		return errFindings
	}
	return nil
}

// exitStatus maps the error a command returned to modseal's exit status:
// nil and help 0, findings at or above --fail-on 1, anything else 2 (a
// usage error, or an operational failure: an error from audit.Run, the go
// command, git, the checksum database, a file that cannot be written).
func exitStatus(err error) int {
	switch {
	case err == nil, errors.Is(err, errHelp):
		return ExitOK
	case errors.Is(err, errFindings):
		return ExitFindings
	}
	return ExitFailure
}

// printError prints what went wrong on standard error, if the error is one
// to print: the findings are in the report, the help and the usage are
// already printed.
func printError(stderr io.Writer, err error) {
	se, security := err.(*verify.SecurityError)
	switch {
	case err == nil, errors.Is(err, errHelp), errors.Is(err, errFindings), errors.Is(err, errReported):
	case security:
		// Loud, and first on the line: a forked or lying checksum
		// database. (Only as returned, unwrapped: wrapped, as audit.Run
		// returns it, it is printed as any error, after "modseal: ".)
		writeError(stderr, "", se.Error())
	default:
		writeError(stderr, "modseal: ", err.Error())
	}
}

// writeError prints an error message on standard error: prefix, then msg.
//
// Error messages quote what others wrote: the go command's and servers'
// error text, file and module names from the repository under audit. Each
// line of msg is printed with its control characters, format characters
// and invalid UTF-8 escaped (sanitize.Text), so nothing in it can drive a
// terminal. Line breaks ("\n", "\r\n") stay line breaks, and a line's
// leading tabs and spaces stay indentation: modseal's own multi-line
// messages (a hint on the next line, the go command's indented checksum
// mismatch) keep their layout. A lone "\r" is escaped. A GitHub Actions
// runner reads a workflow command from any line of a step's output that
// starts with "::" after white space, and from "##[" anywhere in a line: a
// continuation line that would start with "::" has that first colon
// written as \x3a, and every "##[" is written as ##\x5b, so no line of an
// error can be a workflow command.
func writeError(w io.Writer, prefix, msg string) {
	var b strings.Builder
	msg = strings.TrimRight(strings.ReplaceAll(msg, "\r\n", "\n"), "\n")
	for i, line := range strings.Split(msg, "\n") {
		if i == 0 {
			b.WriteString(prefix)
		}
		b.WriteString(safeErrorLine(line))
		b.WriteByte('\n')
	}
	io.WriteString(w, b.String())
}

// safeErrorLine is one line of an error message, safe to print on its own
// line: see writeError.
func safeErrorLine(line string) string {
	rest := strings.TrimLeft(line, " \t")
	indent := line[:len(line)-len(rest)]
	rest = safeText(rest)
	if strings.HasPrefix(strings.TrimLeftFunc(rest, unicode.IsSpace), "::") {
		// The runner trims Unicode white space (which Text leaves) too.
		j := strings.Index(rest, ":")
		rest = rest[:j] + `\x3a` + rest[j+1:]
	}
	return indent + rest
}
