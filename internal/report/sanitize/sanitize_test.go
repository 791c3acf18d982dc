package sanitize

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// hostile is what a module author can put in a deprecation notice or a
// retraction rationale, or a file name in a module zip.
const hostile = "use v2\n::error file=main.go::pwned\r\n\x1b]0;title\x07\x1b[2J\x1b[31mred\u009b31m\u202egnp.exe https://evil.example @evil-org/team <img src=x> | `x` \xff"

func TestText(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"plain text: example.com/m@v1.0.0 100% \\n", "plain text: example.com/m@v1.0.0 100% \\n"},
		{"über naïve 日本", "über naïve 日本"},
		{"a\nb\r\nc\td", `a\nb\r\nc\td`},
		{"\x1b]0;title\x07", `\x1b]0;title\x07`},
		{"\x1b[2J\x1b[31mred\x1b[0m", `\x1b[2J\x1b[31mred\x1b[0m`},
		{"\x00\x7f", `\x00\x7f`},
		{"c1 \u009b31m \u0085", `c1 \u009b31m \u0085`},
		{"bidi \u202eexe.txt\u202c \u2066x\u2069", `bidi \u202eexe.txt\u202c \u2066x\u2069`},
		{"zw\u200b\u200d\ufeff", `zw\u200b\u200d\ufeff`},
		{"sep\u2028\u2029", `sep\u2028\u2029`},
		{"tag\U000E0041", `tag\U000e0041`},
		{"bad \xff\xc3", `bad \xff\xc3`},
	} {
		if got := Text(tc.in); got != tc.want {
			t.Errorf("Text(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	got := Text(hostile)
	checkPrintable(t, "Text", got, false)
	if strings.Contains(got, "\n") {
		t.Errorf("Text kept a line break: %q", got)
	}
}

func TestWorkflow(t *testing.T) {
	for _, tc := range []struct{ in, data, prop string }{
		{"plain text", "plain text", "plain text"},
		{"100% sure", "100%25 sure", "100%25 sure"},
		{"%0A is not a newline", "%250A is not a newline", "%250A is not a newline"},
		{"line 1\nline 2\r\n", "line 1%0Aline 2%0D%0A", "line 1%0Aline 2%0D%0A"},
		{"a:b,c", "a:b,c", "a%3Ab%2Cc"},
		{"::x,y::", "::x,y::", "%3A%3Ax%2Cy%3A%3A"},
		{"\x1b[31mred\x07\tx", `\x1b[31mred\x07\tx`, `\x1b[31mred\x07\tx`},
		{"d\n::error::x\u0085", `d%0A::error::x\u0085`, `d%0A%3A%3Aerror%3A%3Ax\u0085`},
	} {
		if got := WorkflowData(tc.in); got != tc.data {
			t.Errorf("WorkflowData(%q) = %q, want %q", tc.in, got, tc.data)
		}
		if got := WorkflowProperty(tc.in); got != tc.prop {
			t.Errorf("WorkflowProperty(%q) = %q, want %q", tc.in, got, tc.prop)
		}
	}
	checkPrintable(t, "WorkflowData", WorkflowData(hostile), false)
	checkPrintable(t, "WorkflowProperty", WorkflowProperty(hostile), false)
}

func TestMarkdown(t *testing.T) {
	for _, tc := range []struct{ in, md, cell string }{
		{"", "", ""},
		{"example.com/mod", "`example.com/mod`", "`example.com/mod`"},
		{"a | b", "`a | b`", "`a \\| b`"},
		{"line 1\nline 2\r\n\nline 3\n", "`line 1`<br>`line 2`<br>`line 3`", "`line 1`<br>`line 2`<br>`line 3`"},
		{"<img src=x> [l](u) *e* _e_ ~s~ # & \\", "`<img src=x> [l](u) *e* _e_ ~s~ # & \\`", "`<img src=x> [l](u) *e* _e_ ~s~ # & \\`"},
		{"a `b` c", "``a `b` c``", "``a `b` c``"},
		{"`b` ``c", "``` `b` ``c ```", "``` `b` ``c ```"},
		{" x ", "`  x  `", "`  x  `"},
		{"see https://evil.example and WWW.evil.example", "`see https:\u200d//evil.example and WWW\u200d.evil.example`", "`see https:\u200d//evil.example and WWW\u200d.evil.example`"},
		{"cc @evil-org/team,@x (@y) m@v1.0.0", "`cc @\u200devil-org/team,@\u200dx (@\u200dy) m@v1.0.0`", "`cc @\u200devil-org/team,@\u200dx (@\u200dy) m@v1.0.0`"},
		{"\x1b[2J", "`\\x1b[2J`", "`\\x1b[2J`"},
	} {
		if got := Markdown(tc.in); got != tc.md {
			t.Errorf("Markdown(%q) = %q, want %q", tc.in, got, tc.md)
		}
		if got := MarkdownCell(tc.in); got != tc.cell {
			t.Errorf("MarkdownCell(%q) = %q, want %q", tc.in, got, tc.cell)
		}
	}
	for _, md := range []string{Markdown(hostile), MarkdownCell(hostile)} {
		checkMarkdown(t, hostile, md)
	}
}

// checkPrintable fails unless s is valid UTF-8 without control characters
// (except line breaks, with breaks), format characters or separators.
func checkPrintable(t *testing.T, what, s string, breaks bool) {
	t.Helper()
	if !utf8.ValidString(s) {
		t.Errorf("%s: invalid UTF-8: %q", what, s)
	}
	for _, r := range s {
		if breaks && r == '\n' {
			continue
		}
		if r < 0x20 || r == 0x7f || r >= 0x80 && r <= 0x9f || unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp) {
			t.Errorf("%s: %U in %q", what, r, s)
			return
		}
	}
}

// checkMarkdown fails unless md is Markdown(in) or MarkdownCell(in) by its
// shape: code spans joined by <br>, nothing else, no autolinkable text, and
// in a cell no unescaped "|".
func checkMarkdown(t *testing.T, in, md string) {
	t.Helper()
	// The zero-width joiners are Markdown's own.
	checkPrintable(t, "Markdown", strings.ReplaceAll(md, zwj, ""), false)
	if strings.Contains(md, "://") || strings.Contains(strings.ToLower(md), "www.") {
		t.Errorf("Markdown(%q) = %q has a link", in, md)
	}
	for i := 0; i < len(md); i++ {
		if md[i] == '@' && (i == 0 || !isWordByte(md[i-1])) && !strings.HasPrefix(md[i+1:], zwj) {
			t.Errorf("Markdown(%q) = %q has a bare @ at %d", in, md, i)
			break
		}
	}
	rest := md
	for rest != "" {
		n := len(rest) - len(strings.TrimLeft(rest, "`"))
		if n == 0 {
			t.Errorf("Markdown(%q) = %q: text outside a code span at %q", in, md, rest)
			return
		}
		delim := rest[:n]
		body := rest[n:]
		end := -1
		for j := 0; j < len(body); {
			k := strings.Index(body[j:], delim)
			if k < 0 {
				break
			}
			k += j
			m := len(body[k:]) - len(strings.TrimLeft(body[k:], "`"))
			if m == n && k > 0 {
				end = k
				break
			}
			j = k + m
		}
		if end < 0 {
			t.Errorf("Markdown(%q) = %q: unterminated code span", in, md)
			return
		}
		rest = body[end+n:]
		if rest != "" {
			if !strings.HasPrefix(rest, "<br>`") {
				t.Errorf("Markdown(%q) = %q: %q after a code span", in, md, rest)
				return
			}
			rest = rest[len("<br>"):]
		}
	}
}

func FuzzSanitize(f *testing.F) {
	for _, s := range []string{"", "plain", hostile, "a\nb", "`", "``a`", " ", "\u200d@", "www.", ":://", "\xff\xfe", "|\\|"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		txt := Text(s)
		checkPrintable(t, "Text", txt, false)
		if strings.Contains(txt, "##[") {
			t.Errorf("Text(%q) = %q keeps a legacy workflow command", s, txt)
		}
		if Text(txt) != txt {
			t.Errorf("Text is not idempotent: Text(%q) = %q, Text of that = %q", s, txt, Text(txt))
		}
		if checkClean(s) && !strings.Contains(s, "##[") && txt != s {
			t.Errorf("Text(%q) = %q changed printable text", s, txt)
		}
		for name, w := range map[string]string{"WorkflowData": WorkflowData(s), "WorkflowProperty": WorkflowProperty(s)} {
			checkPrintable(t, name, w, false)
			// The runner's decoding gives back s with Text's escapes, line breaks kept.
			dec := strings.NewReplacer("%0D", "\r", "%0A", "\n", "%3A", ":", "%2C", ",", "%25", "%").Replace(w)
			if want := escape(s, true); dec != want {
				t.Errorf("%s(%q) = %q decodes to %q, want %q", name, s, w, dec, want)
			}
			if name == "WorkflowProperty" && strings.ContainsAny(w, ":,") {
				t.Errorf("%s(%q) = %q has : or ,", name, s, w)
			}
		}
		checkMarkdown(t, s, Markdown(s))
		cell := MarkdownCell(s)
		checkMarkdown(t, s, cell)
		if strings.Count(cell, "|") != strings.Count(cell, `\|`) {
			t.Errorf("MarkdownCell(%q) = %q has an unescaped |", s, cell)
		}
	})
}

// checkClean reports whether Text must leave s as it is.
func checkClean(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r >= 0x80 && r <= 0x9f || unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp) {
			return false
		}
	}
	return true
}
