package report

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/modseal/modseal/internal/report/sanitize"
	"github.com/modseal/modseal/verify"
)

// Text writes findings for a person at a terminal: "file:line: rule: message",
// grouped by file (the findings arrive sorted), then the skipped checks and a
// one-line summary.
//
// Every string of the report goes through sanitize.Text: module authors
// write messages and file names, and a control character or a line break in
// them must neither drive the terminal nor start a line of its own (which
// GitHub Actions would run as a workflow command). A line break shows as \n.
type Text struct {
	Color bool
}

const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiRed    = "\x1b[31m"
	ansiYellow = "\x1b[33m"
	ansiCyan   = "\x1b[36m"
	ansiDim    = "\x1b[2m"
)

func (t *Text) paint(code, s string) string {
	if !t.Color {
		return s
	}
	return code + s + ansiReset
}

func (t *Text) Write(w io.Writer, r *Report) error {
	bw := bufio.NewWriter(w)
	prevFile := ""
	for i, f := range r.Findings {
		if i > 0 && f.File != prevFile {
			fmt.Fprintln(bw)
		}
		prevFile = f.File
		loc := textLocation(f.File)
		if f.Line > 0 {
			loc = fmt.Sprintf("%s:%d", loc, f.Line)
		}
		rule := sanitize.Text(f.Rule)
		switch f.Severity {
		case verify.SeverityError:
			rule = t.paint(ansiRed+ansiBold, rule)
		case verify.SeverityWarning:
			rule = t.paint(ansiYellow, rule) + " (warning)"
		case verify.SeverityNote:
			rule = t.paint(ansiCyan, rule) + " (note)"
		}
		fmt.Fprintf(bw, "%s: %s: %s\n", t.paint(ansiBold, loc), rule, sanitize.Text(f.Message))
		if f.Got != "" {
			fmt.Fprintf(bw, "\thave %s\n", sanitize.Text(f.Got))
		}
		if f.Want != "" {
			fmt.Fprintf(bw, "\twant %s\n", sanitize.Text(f.Want))
		}
	}
	if len(r.Findings) > 0 {
		fmt.Fprintln(bw)
	}
	for _, s := range r.Skipped {
		fmt.Fprintf(bw, "%s %s: %s\n", t.paint(ansiDim, "skipped"), sanitize.Text(s.Check), sanitize.Text(s.Reason))
	}
	s := r.Summary
	fmt.Fprintf(bw, "modseal: %s, %s, %s", Plural(s.Errors, "error"), Plural(s.Warnings, "warning"), Plural(s.Notes, "note"))
	switch {
	case !r.skipped("build-list"):
		fmt.Fprintf(bw, " in %s (%d of them hash-verified)", Plural(s.Modules, "module"), s.Verified)
	case s.Verified > 0:
		fmt.Fprintf(bw, "; %s hash-verified", Plural(s.Verified, "module"))
	}
	if n := len(r.Skipped); n > 0 {
		fmt.Fprintf(bw, "; %s skipped", Plural(n, "check"))
	}
	fmt.Fprintln(bw)
	return bw.Flush()
}

// textLocation is the sanitised file name that starts a finding's line,
// "modseal" for none. A name that starts with "::" or "##" gets a "./" in
// front: a line of modseal's output that starts so would be a workflow
// command in GitHub Actions.
func textLocation(file string) string {
	if file == "" {
		return "modseal"
	}
	file = sanitize.Text(file)
	if strings.HasPrefix(file, "::") || strings.HasPrefix(file, "##") {
		file = "./" + file
	}
	return file
}

// Plural is "1 noun" or "N nouns": modseal's counts, in every format.
func Plural(n int, noun string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
