package report

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/modseal/modseal/internal/report/sanitize"
	"github.com/modseal/modseal/verify"
)

// GitHub writes the report for a GitHub Actions job.
//
// On w it writes one workflow command per finding, which the runner turns
// into an annotation (::error, ::warning or ::notice, located at the file and
// line), one ::warning per skipped check, and the text report's summary line.
// Every string from the report is escaped as the runner requires, so a
// message (a deprecation notice, a retraction rationale: text chosen by
// module authors) cannot end the command and start another, and its other
// control characters are shown as visible escapes (sanitize.WorkflowData).
//
// If SummaryFile is set (the caller passes $GITHUB_STEP_SUMMARY) it appends a
// Markdown summary to it; if OutputFile is set ($GITHUB_OUTPUT) it appends the
// step outputs result, findings, errors, graph-digest and drift. Files are located
// as in SARIF: relative to the current directory when the audited directory
// is a relative path below it.
type GitHub struct {
	SummaryFile string // append the Markdown summary here; "" for none
	OutputFile  string // append the step outputs here; "" for none
	// FailOn is the lowest severity rank (verify.Severity.Rank) that makes
	// the result output "fail"; 0 means error. Pass the --fail-on rank so the
	// output agrees with the exit status.
	FailOn int
}

func (g *GitHub) Write(w io.Writer, r *Report) error {
	bw := bufio.NewWriter(w)
	for _, f := range r.Findings {
		var props []string
		if file := locationPath(r.Dir, f.File); file != "" {
			props = append(props, "file="+escapeProperty(file))
			if f.Line > 0 {
				props = append(props, "line="+strconv.Itoa(f.Line))
			}
		}
		props = append(props, "title="+escapeProperty(f.Rule))
		fmt.Fprintf(bw, "::%s %s::%s\n", workflowCommand(f.Severity), strings.Join(props, ","), escapeData(messageWithHashes(f)))
	}
	for _, s := range r.Skipped {
		fmt.Fprintf(bw, "::warning title=%s::%s\n", escapeProperty("modseal skipped "+s.Check), escapeData(s.Reason))
	}
	fmt.Fprintln(bw, summaryLine(r))
	err := bw.Flush()
	if g.SummaryFile != "" {
		if e := appendFile(g.SummaryFile, stepSummary(r, g.failed(r)), true); e != nil {
			err = errors.Join(err, fmt.Errorf("writing the step summary: %w", e))
		}
	}
	if g.OutputFile != "" {
		if e := appendFile(g.OutputFile, stepOutputs(r, g.failed(r)), false); e != nil {
			err = errors.Join(err, fmt.Errorf("writing the step outputs: %w", e))
		}
	}
	return err
}

// failed reports whether r has a finding at or above g.FailOn.
func (g *GitHub) failed(r *Report) bool { return r.Fails(g.FailOn) }

func workflowCommand(s verify.Severity) string {
	switch s {
	case verify.SeverityError:
		return "error"
	case verify.SeverityWarning:
		return "warning"
	}
	return "notice"
}

// WorkflowCommand returns one workflow command line, without the line
// break: "::command title=TITLE::MESSAGE", escaped as the runner requires,
// so no message can end the command and start another. title may be empty.
func WorkflowCommand(command, title, message string) string {
	props := ""
	if title != "" {
		props = " title=" + escapeProperty(title)
	}
	return "::" + command + props + "::" + escapeData(message)
}

// escapeData escapes the data of a workflow command (after the second ::),
// as the runner's toolkit does (actions/toolkit, command.ts), and makes its
// control characters visible.
func escapeData(s string) string {
	return sanitize.WorkflowData(s)
}

// escapeProperty escapes a workflow command property value.
func escapeProperty(s string) string {
	return sanitize.WorkflowProperty(s)
}

// summaryLine is the text report's last line, e.g.
// "modseal: 1 error, 0 warnings, 0 notes in 12 modules (10 of them hash-verified)".
func summaryLine(r *Report) string {
	s := r.Summary
	line := fmt.Sprintf("modseal: %s, %s, %s", Plural(s.Errors, "error"), Plural(s.Warnings, "warning"), Plural(s.Notes, "note"))
	switch {
	case !r.skipped("build-list"):
		line += fmt.Sprintf(" in %s (%d of them hash-verified)", Plural(s.Modules, "module"), s.Verified)
	case s.Verified > 0:
		line += fmt.Sprintf("; %s hash-verified", Plural(s.Verified, "module"))
	}
	if n := len(r.Skipped); n > 0 {
		line += fmt.Sprintf("; %s skipped", Plural(n, "check"))
	}
	return line
}

// stepSummary renders the Markdown for $GITHUB_STEP_SUMMARY.
func stepSummary(r *Report, failed bool) []byte {
	var b bytes.Buffer
	result := "pass"
	if failed {
		result = "fail"
	}
	fmt.Fprintf(&b, "## modseal: %s\n\n", result)
	if r.Module != "" {
		fmt.Fprintf(&b, "Module %s\n\n", sanitize.Markdown(r.Module))
	}
	s := r.Summary
	modules, verified := strconv.Itoa(s.Modules), strconv.Itoa(s.Verified)
	// The hash check needs no build list: without one, the modules are
	// unknown, but what was verified was verified.
	if r.skipped("build-list") {
		modules = "unknown"
	}
	if r.skipped("hash") && s.Verified == 0 {
		verified = "skipped"
	}
	b.WriteString("| errors | warnings | notes | modules | hash-verified |\n")
	b.WriteString("|---:|---:|---:|---:|---:|\n")
	fmt.Fprintf(&b, "| %d | %d | %d | %s | %s |\n\n", s.Errors, s.Warnings, s.Notes, modules, verified)
	if len(r.Findings) == 0 {
		b.WriteString("No findings.\n")
	} else {
		b.WriteString("| severity | rule | location | message |\n")
		b.WriteString("|---|---|---|---|\n")
		for _, f := range r.Findings {
			loc := "—"
			if file := locationPath(r.Dir, f.File); file != "" {
				if f.Line > 0 {
					file += ":" + strconv.Itoa(f.Line)
				}
				loc = sanitize.MarkdownCell(file)
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", severityCell(f.Severity), sanitize.MarkdownCell(f.Rule), loc, sanitize.MarkdownCell(messageWithHashes(f)))
		}
	}
	if len(r.Skipped) > 0 {
		b.WriteString("\n### Skipped checks\n\n")
		b.WriteString("These checks did not run, so they did not pass either:\n\n")
		for _, sk := range r.Skipped {
			fmt.Fprintf(&b, "- %s: %s\n", sanitize.Markdown(sk.Check), sanitize.Markdown(sk.Reason))
		}
	}
	return b.Bytes()
}

// severityCell is the Markdown of a severity: the word itself for the three
// that exist.
func severityCell(s verify.Severity) string {
	switch s {
	case verify.SeverityError, verify.SeverityWarning, verify.SeverityNote:
		return string(s)
	}
	return sanitize.MarkdownCell(string(s))
}

// stepOutputs renders the lines for $GITHUB_OUTPUT.
func stepOutputs(r *Report, failed bool) []byte {
	var b bytes.Buffer
	result := "pass"
	if failed {
		result = "fail"
	}
	writeOutput(&b, "result", result)
	writeOutput(&b, "findings", strconv.Itoa(len(r.Findings)))
	writeOutput(&b, "errors", strconv.Itoa(r.Summary.Errors))
	writeOutput(&b, "graph-digest", r.GraphDigest)
	writeOutput(&b, "drift", strconv.FormatBool(hasDrift(r)))
	return b.Bytes()
}

// hasDrift reports whether r has a finding of a drift-* rule: the module
// graph differs from the snapshot (audit) or from the base (diff).
func hasDrift(r *Report) bool {
	for _, f := range r.Findings {
		if strings.HasPrefix(f.Rule, "drift-") {
			return true
		}
	}
	return false
}

// writeOutput writes one output in the $GITHUB_OUTPUT format: name=value, or
// for a value with a line break the heredoc form name<<DELIM, value, DELIM,
// with a delimiter that does not occur in the value.
func writeOutput(b *bytes.Buffer, name, value string) {
	if !strings.ContainsAny(value, "\r\n") {
		fmt.Fprintf(b, "%s=%s\n", name, value)
		return
	}
	sum := sha256.Sum256([]byte(value))
	delim := "ghadelimiter_" + hex.EncodeToString(sum[:8])
	for strings.Contains(value, delim) {
		delim += "_"
	}
	fmt.Fprintf(b, "%s<<%s\n%s\n%s\n", name, delim, value, delim)
}

// appendFile appends data to file in one write, creating it if need be.
// Earlier steps may have written to the file: if its content does not end in
// a line break, one is added first, so the two are not run together; with
// blankLine, an empty line is made to separate them (a Markdown block break).
func appendFile(file string, data []byte, blankLine bool) error {
	f, err := os.OpenFile(file, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	if fi, err := f.Stat(); err == nil && fi.Size() > 0 {
		last := make([]byte, 1)
		if _, err := f.ReadAt(last, fi.Size()-1); err == nil {
			var sep []byte
			if last[0] != '\n' {
				sep = append(sep, '\n')
			}
			if blankLine {
				sep = append(sep, '\n')
			}
			data = append(sep, data...)
		}
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
