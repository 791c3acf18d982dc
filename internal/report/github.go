package report

import (
	"bufio"
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/modseal/modseal/internal/report/sanitize"
	"github.com/modseal/modseal/verify"
)

// GitHub writes the report for a GitHub Actions job.
//
// On w it writes workflow commands, which the runner turns into annotations
// (::error, ::warning or ::notice, located at the file and line), and the
// text report's summary line. GitHub shows at most 10 annotations of each
// level per step and drops the rest silently, so the handler chooses: the
// findings of each level ordered by weight (their rule's security-severity,
// then the rule catalogue's order, then the report's: tampering first), the
// first 10 errors and 10 warnings, and as many notes as fit beside one
// notice "N more findings: see the job summary" when any were left out and
// one notice listing every skipped check. Every string from the report is
// escaped as the runner requires, so a message (a deprecation notice, a
// retraction rationale: text chosen by module authors) cannot end the
// command and start another, and its other control characters are shown as
// visible escapes (sanitize.WorkflowData).
//
// If SummaryFile is set (the caller passes $GITHUB_STEP_SUMMARY) it appends a
// Markdown summary to it, every finding in the same order, the table inside
// <details> when it is long, and the whole kept under SummaryLimit bytes
// (and under GitHub's 1 MiB per step, counting what the step already
// wrote). If OutputFile is set ($GITHUB_OUTPUT) it appends the step outputs
// result, findings, errors, graph-digest and drift. Files are located as in
// SARIF: relative to the repository root.
type GitHub struct {
	SummaryFile string // append the Markdown summary here; "" for none
	OutputFile  string // append the step outputs here; "" for none
	// FailOn is the lowest severity rank (verify.Severity.Rank) that makes
	// the result output "fail"; 0 means error. Pass the --fail-on rank so the
	// output agrees with the exit status.
	FailOn int
	// MaxAnnotations is the most annotations of one level written; 0 means
	// 10, GitHub's limit per step. A caller that writes other annotations
	// in the same step lowers it.
	MaxAnnotations int
	// SummaryLimit is the most bytes appended to SummaryFile; 0 means
	// DefaultSummaryLimit.
	SummaryLimit int
}

const (
	// annotationsPerLevel is how many annotations of one level GitHub
	// shows per step.
	annotationsPerLevel = 10
	// maxStepSummary is GitHub's limit on a step's summary: larger, it is
	// not shown at all.
	maxStepSummary = 1 << 20
	// DefaultSummaryLimit is the default most bytes of one report's job
	// summary: half of GitHub's limit per step, so two reports (the
	// action's cache check and its run) and the action's own lines fit.
	DefaultSummaryLimit = 512 << 10
	// detailsRows is the most findings shown in an open table; a longer
	// table goes inside <details>.
	detailsRows = 20
)

func (g *GitHub) Write(w io.Writer, r *Report) error {
	bw := bufio.NewWriter(w)
	ordered := byWeight(r.Findings)
	shown := g.annotated(ordered, len(r.Skipped) > 0)
	for _, f := range shown {
		var props []string
		if file := r.repoPath(f.File); file != "" {
			props = append(props, "file="+escapeProperty(file))
			if f.Line > 0 {
				props = append(props, "line="+strconv.Itoa(f.Line))
			}
		}
		props = append(props, "title="+escapeProperty(f.Rule))
		fmt.Fprintf(bw, "::%s %s::%s\n", workflowCommand(f.Severity), strings.Join(props, ","), escapeData(messageWithHashes(f)))
	}
	if n := len(ordered) - len(shown); n > 0 {
		fmt.Fprintln(bw, WorkflowCommand("notice", "modseal", Plural(n, "more finding")+": see the job summary"))
	}
	if len(r.Skipped) > 0 {
		reasons := make([]string, 0, len(r.Skipped))
		for _, s := range r.Skipped {
			reasons = append(reasons, s.Check+": "+s.Reason)
		}
		fmt.Fprintln(bw, WorkflowCommand("notice", "modseal skipped "+Plural(len(r.Skipped), "check"),
			"these checks did not run, so they did not pass either:\n"+strings.Join(reasons, "\n")))
	}
	fmt.Fprintln(bw, summaryLine(r))
	err := bw.Flush()
	if g.SummaryFile != "" {
		if e := appendSummary(g.SummaryFile, func(limit int) []byte { return stepSummary(r, g.failed(r), limit) }, g.summaryLimit()); e != nil {
			err = errors.Join(err, fmt.Errorf("writing the step summary: %w", e))
		}
	}
	if g.OutputFile != "" {
		if e := AppendFile(g.OutputFile, stepOutputs(r, g.failed(r)), false); e != nil {
			err = errors.Join(err, fmt.Errorf("writing the step outputs: %w", e))
		}
	}
	return err
}

func (g *GitHub) summaryLimit() int {
	if g.SummaryLimit > 0 {
		return g.SummaryLimit
	}
	return DefaultSummaryLimit
}

// annotated returns the findings of ordered (byWeight) that get an
// annotation: the first MaxAnnotations of each level, fewer notes where the
// notices "N more findings" and, with skipped, the skipped checks take
// their place.
func (g *GitHub) annotated(ordered []verify.Finding, skipped bool) []verify.Finding {
	per := g.MaxAnnotations
	if per <= 0 {
		per = annotationsPerLevel
	}
	count := make(map[string]int)
	for _, f := range ordered {
		count[workflowCommand(f.Severity)]++
	}
	notes := per
	if skipped {
		notes--
	}
	if count["error"] > per || count["warning"] > per || count["notice"] > notes {
		notes-- // room for "N more findings"
	}
	limit := map[string]int{"error": per, "warning": per, "notice": max(notes, 0)}
	var out []verify.Finding
	used := make(map[string]int)
	for _, f := range ordered {
		level := workflowCommand(f.Severity)
		if used[level] < limit[level] {
			used[level]++
			out = append(out, f)
		}
	}
	return out
}

// byWeight returns the findings ordered for a reader in a hurry: by
// severity (error, warning, note), then by their rule's security-severity
// (tampering first), then by the rule catalogue's order, then as reported.
func byWeight(fs []verify.Finding) []verify.Finding {
	order := make(map[string]int, len(verify.Rules))
	weight := make(map[string]float64, len(verify.Rules))
	for i, rule := range verify.Rules {
		order[rule.ID] = i
		weight[rule.ID], _ = strconv.ParseFloat(rule.SecuritySeverity, 64)
	}
	rank := func(id string) int {
		if i, ok := order[id]; ok {
			return i
		}
		return len(verify.Rules)
	}
	out := slices.Clone(fs)
	slices.SortStableFunc(out, func(a, b verify.Finding) int {
		if c := cmp.Compare(b.Severity.Rank(), a.Severity.Rank()); c != 0 {
			return c
		}
		if c := cmp.Compare(weight[b.Rule], weight[a.Rule]); c != 0 {
			return c
		}
		return cmp.Compare(rank(a.Rule), rank(b.Rule))
	})
	return out
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

// stepSummary renders the Markdown for $GITHUB_STEP_SUMMARY: the counts,
// the findings (in byWeight order) in a table, inside
// <details> when it has more than detailsRows rows, and the skipped checks;
// at most limit bytes. Rows that do not fit are left out and counted.
func stepSummary(r *Report, failed bool, limit int) []byte {
	ordered := byWeight(r.Findings)
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

	var tail bytes.Buffer
	if len(r.Skipped) > 0 {
		tail.WriteString("\n### Skipped checks\n\n")
		tail.WriteString("These checks did not run, so they did not pass either:\n\n")
		for _, sk := range r.Skipped {
			fmt.Fprintf(&tail, "- %s: %s\n", sanitize.Markdown(sk.Check), sanitize.Markdown(sk.Reason))
		}
	}

	if len(ordered) == 0 {
		b.WriteString("No findings.\n")
	} else {
		open, closing := "", ""
		if len(ordered) > detailsRows {
			open = fmt.Sprintf("<details><summary>%s, most severe first</summary>\n\n", Plural(len(ordered), "finding"))
			closing = "\n</details>\n"
		}
		b.WriteString(open)
		b.WriteString("| severity | rule | location | message |\n")
		b.WriteString("|---|---|---|---|\n")
		// Room for the closing tag, the skipped checks and the note on
		// what was left out.
		const notePad = 200
		budget := limit - tail.Len() - len(closing) - notePad
		left := 0
		for i, f := range ordered {
			loc := "—"
			if file := r.repoPath(f.File); file != "" {
				if f.Line > 0 {
					file += ":" + strconv.Itoa(f.Line)
				}
				loc = sanitize.MarkdownCell(file)
			}
			row := fmt.Sprintf("| %s | %s | %s | %s |\n", severityCell(f.Severity), sanitize.MarkdownCell(f.Rule), loc, sanitize.MarkdownCell(messageWithHashes(f)))
			if b.Len()+len(row) > budget {
				left = len(ordered) - i
				break
			}
			b.WriteString(row)
		}
		if left > 0 {
			fmt.Fprintf(&b, "\n%s not shown: the job summary is limited to %d KiB. `--json FILE` writes every finding.\n", Plural(left, "more finding"), limit>>10)
		}
		b.WriteString(closing)
	}
	b.Write(tail.Bytes())
	out := b.Bytes()
	if len(out) > limit {
		// The header and skipped checks alone are too long (a limit far
		// below the default): cut at a line break, never inside a
		// character.
		out = out[:max(bytes.LastIndexByte(out[:limit], '\n')+1, 0)]
	}
	return out
}

// appendSummary appends the summary render(limit) returns to file, limit
// lowered so the file stays under GitHub's 1 MiB per step with what the
// step wrote to it before. When less than a line's worth of room is left,
// nothing is written.
func appendSummary(file string, render func(limit int) []byte, limit int) error {
	if fi, err := os.Stat(file); err == nil {
		limit = min(limit, maxStepSummary-1-int(fi.Size())-2) // 2: the blank line before
	}
	if limit < 256 {
		return nil
	}
	return AppendFile(file, render(limit), true)
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

// AppendFile appends data to file in one write, creating it if need be.
// Earlier steps may have written to the file: if its content does not end in
// a line break, one is added first, so the two are not run together; with
// blankLine, an empty line is made to separate them (a Markdown block break).
func AppendFile(file string, data []byte, blankLine bool) error {
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
