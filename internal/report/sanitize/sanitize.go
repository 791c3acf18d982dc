// Package sanitize makes text that came from outside modseal safe to print.
//
// modseal runs on untrusted pull requests and prints text that others wrote:
// module authors' deprecation notices and retraction rationales, file names
// from module zips and vendor directories, module paths, the go command's and
// servers' error messages. Printed raw, such text can drive a terminal (ESC
// sequences that set the window title, clear the screen or recolour output),
// start a GitHub Actions workflow command (a line break followed by
// "::error::" or "::add-mask::"), or, in the Markdown of the job summary and
// the pull-request comment, add links, images, HTML and @mentions that
// notify people.
//
// There is one function per sink:
//
//   - Text, for a terminal or a log, one line: every control character (C0,
//     DEL, C1), Unicode format character (bidirectional overrides, zero-width
//     characters), line and paragraph separator, and invalid UTF-8 byte is
//     written as a visible Go-style escape (\n, \t, \x1b, \u202e). A line
//     break in a single-line field becomes the two characters \n. Text is
//     idempotent and leaves printable text, backslashes included, as it is.
//   - WorkflowData and WorkflowProperty, for the data and the property
//     values of a GitHub Actions workflow command: Text's escapes, except
//     that line breaks are kept and encoded as the runner requires (%0A,
//     %0D), so a multi-line notice stays multi-line in the annotation and
//     still cannot end the command.
//   - Markdown and MarkdownCell, for GitHub Flavored Markdown: the text as
//     code spans (one per line, joined by <br>), where GitHub renders no
//     emphasis, link, image, HTML, autolink, @mention or #reference. As a
//     second line of defence (renderers of the raw Markdown, such as
//     plain-text notification e-mail, autolink by themselves), "://", "www."
//     and an "@" that could start a mention are broken by a zero-width joiner
//     (U+200D). MarkdownCell also escapes "|" for a table cell.
//
// The JSON and SARIF reports are data for programs, not text for a reader:
// they keep the strings as they are (encoding/json escapes control
// characters).
package sanitize

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

const hexDigits = "0123456789abcdef"

// Text returns s with every character that is not safe to print on a
// terminal in one line written as a visible escape: \n, \r and \t for line
// breaks and tabs, \xNN for other ASCII control characters and for bytes
// that are not valid UTF-8, \uNNNN (or \UNNNNNNNN) for C1 controls, Unicode
// format characters (category Cf: bidirectional controls, zero-width
// characters, ...) and the line and paragraph separators. Everything else,
// backslashes included, is kept: Text(Text(s)) == Text(s).
func Text(s string) string {
	// The Actions runner reads the legacy "##[command]" form anywhere in a
	// line of a step's output (ActionCommand.TryParse): its "[" is escaped.
	return strings.ReplaceAll(escape(s, false), "##[", `##\x5b`)
}

// escape implements Text; with keepBreaks, \n and \r are left as they are.
func escape(s string, keepBreaks bool) string {
	i := 0
	for i < len(s) {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f {
				if keepBreaks && (c == '\n' || c == '\r') {
					i++
					continue
				}
				break
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 || unsafeRune(r) {
			break
		}
		i += n
	}
	if i == len(s) {
		return s // the common case: nothing to escape
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	b.WriteString(s[:i])
	for i < len(s) {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case keepBreaks && (c == '\n' || c == '\r'):
				b.WriteByte(c)
			case c == '\n':
				b.WriteString(`\n`)
			case c == '\r':
				b.WriteString(`\r`)
			case c == '\t':
				b.WriteString(`\t`)
			case c < 0x20 || c == 0x7f:
				b.WriteString(`\x`)
				b.WriteByte(hexDigits[c>>4])
				b.WriteByte(hexDigits[c&0xf])
			default:
				b.WriteByte(c)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			b.WriteString(`\x`)
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&0xf])
		case unsafeRune(r):
			writeU(&b, r)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// unsafeRune reports whether r (not ASCII) must be escaped: a C1 control, a
// format character, or a line or paragraph separator.
func unsafeRune(r rune) bool {
	return r >= 0x80 && r <= 0x9f || unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp)
}

func writeU(b *strings.Builder, r rune) {
	digits := 4
	if r > 0xffff {
		b.WriteString(`\U`)
		digits = 8
	} else {
		b.WriteString(`\u`)
	}
	for shift := 4 * (digits - 1); shift >= 0; shift -= 4 {
		b.WriteByte(hexDigits[(r>>shift)&0xf])
	}
}

// WorkflowData returns s escaped as the data of a GitHub Actions workflow
// command (the text after the second "::"): Text's escapes, except that line
// breaks are kept, and then "%", "\r" and "\n" encoded as the runner's
// toolkit does (actions/toolkit, command.ts). The result is one line.
func WorkflowData(s string) string {
	return dataEscaper.Replace(escape(s, true))
}

// WorkflowProperty returns s escaped as a workflow command property value
// (file=, title=): WorkflowData's escapes and also ":" and ",".
func WorkflowProperty(s string) string {
	return propertyEscaper.Replace(escape(s, true))
}

var (
	dataEscaper     = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A")
	propertyEscaper = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C")
)

// zwj is the zero-width joiner that Markdown puts into "://", "www." and
// "@" so that nothing autolinks them.
const zwj = "\u200d"

// Markdown returns s as inline GitHub Flavored Markdown that renders as the
// text of s and nothing else: one code span per line of s (after Text's
// escapes), joined by <br>; "" for "". Inside a code span GitHub renders no
// emphasis, link, image, HTML, autolink, @mention, #reference or emoji.
// Besides, "://", "www." and an "@" that is not after a letter, digit or
// underscore get a zero-width joiner (U+200D), so a renderer of the raw
// Markdown does not autolink them either.
//
// The result is one line, safe in a paragraph or a list item; in a table
// cell, use MarkdownCell.
func Markdown(s string) string {
	return markdown(s, false)
}

// MarkdownCell is Markdown for a cell of a GFM table: "|", which would end
// the cell even inside a code span, is escaped as "\|" (which GFM turns back
// into "|" inside the code span).
func MarkdownCell(s string) string {
	return markdown(s, true)
}

func markdown(s string, cell bool) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	lines := strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' })
	var b strings.Builder
	for _, line := range lines {
		line = breakLinks(Text(line))
		if strings.TrimSpace(line) == "" {
			continue
		}
		if cell {
			line = strings.ReplaceAll(line, "|", `\|`)
		}
		if b.Len() > 0 {
			b.WriteString("<br>")
		}
		codeSpan(&b, line)
	}
	return b.String()
}

// breakLinks puts a zero-width joiner into every "://", "www." (any case) and
// "@" that could start a mention (not after a letter, digit or underscore,
// so module@version stays as it is) of s.
func breakLinks(s string) string {
	if !strings.Contains(s, "://") && !strings.Contains(s, "@") && !strings.Contains(strings.ToLower(s), "www.") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		b.WriteByte(c)
		switch {
		case c == '@' && (i == 0 || !isWordByte(s[i-1])):
			b.WriteString(zwj)
		case c == ':' && strings.HasPrefix(s[i+1:], "//"):
			b.WriteString(zwj)
		case (c == 'w' || c == 'W') && i+3 < len(s) && s[i+3] == '.' && strings.EqualFold(s[i:i+3], "www"):
			b.WriteString(s[i+1 : i+3])
			b.WriteString(zwj)
			i += 2
		}
	}
	return b.String()
}

// isWordByte reports whether c is an ASCII letter, digit or underscore:
// an "@" after one does not start a mention (example.com/m@v1.0.0).
func isWordByte(c byte) bool {
	return c == '_' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// codeSpan writes s (one line, not all spaces) as a code span: delimited by
// a run of backticks longer than any in s, padded with a space on each side
// when s starts or ends with a backtick or a space (CommonMark strips one
// such space from each side).
func codeSpan(b *strings.Builder, s string) {
	longest, run := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	delim := strings.Repeat("`", longest+1)
	pad := ""
	if s[0] == '`' || s[0] == ' ' || s[len(s)-1] == '`' || s[len(s)-1] == ' ' {
		pad = " "
	}
	b.WriteString(delim)
	b.WriteString(pad)
	b.WriteString(s)
	b.WriteString(pad)
	b.WriteString(delim)
}
