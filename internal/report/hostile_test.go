package report

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/modseal/modseal/verify"
)

// hostileText is what a module author controls: a deprecation notice, a
// retraction rationale, a file name in a module zip.
const hostileText = "use v2\n::error file=main.go::pwned\r\n::add-mask::x\x1b]0;title\x07\x1b[2J\x1b[31mred\u009b0m\u202e see https://evil.example/x and www.evil.example, cc @evil-org/team <img src=x> | `code` [l](https://evil.example)"

func hostileReport() *Report {
	return New("v0", &verify.Report{
		Dir:    ".",
		Module: "example.com/app\x1b[2J @owner",
		Findings: []verify.Finding{
			{Rule: verify.RuleDeprecated, Severity: verify.SeverityNote, Message: "example.com/h is deprecated: " + hostileText, File: "go.mod", Line: 3},
			{Rule: verify.RuleVendorTampered, Severity: verify.SeverityError, Message: "vendored file differs", File: "vendor/x/\n::error file=main.go::f\x1b[31m.go", Got: "h1:x\x1b[2J", Want: "h1:y\n::warning::w"},
			{Rule: verify.RuleRetracted, Severity: verify.SeverityWarning, Message: "retracted: " + hostileText, File: "::error::x", Line: 1},
		},
		Skipped: []verify.Skipped{{Check: "origin", Reason: "proxy said: " + hostileText}},
	})
}

// rawControl matches any control byte but the line break (and, for the
// GitHub output, nothing else either).
var rawControl = regexp.MustCompile("[\x00-\x09\x0b-\x1f\x7f\u0080-\u009f\u202e]")

func TestTextHostile(t *testing.T) {
	for _, color := range []bool{false, true} {
		var buf bytes.Buffer
		if err := (&Text{Color: color}).Write(&buf, hostileReport()); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		if color {
			// modseal's own colours are the only escape sequences.
			out = regexp.MustCompile("\x1b\\[[0-9;]*m").ReplaceAllString(out, "")
		}
		// Tabs: modseal's own, before have and want.
		if m := rawControl.FindString(strings.ReplaceAll(out, "\n\t", "\n")); m != "" {
			t.Errorf("color=%v: text output has raw %q:\n%s", color, m, out)
		}
		for _, line := range strings.Split(out, "\n") {
			if strings.HasPrefix(line, "::") || strings.HasPrefix(line, "##") {
				t.Errorf("color=%v: a line is a workflow command: %q", color, line)
			}
		}
		for _, want := range []string{
			`go.mod:3: deprecated (note): example.com/h is deprecated: use v2\n::error file=main.go::pwned\r\n::add-mask::x\x1b]0;title\x07\x1b[2J\x1b[31mred\u009b0m\u202e see`,
			`vendor/x/\n::error file=main.go::f\x1b[31m.go: vendor-tampered: vendored file differs`,
			`	have h1:x\x1b[2J`,
			`	want h1:y\n::warning::w`,
			`./::error::x:1: retracted (warning): retracted: use v2\n`,
			`skipped origin: proxy said: use v2\n::error`,
		} {
			if !strings.Contains(out, want) {
				t.Errorf("color=%v: text output lacks %q:\n%s", color, want, out)
			}
		}
	}
}

func TestGitHubHostile(t *testing.T) {
	stdout, summary, _ := runGitHub(t, &GitHub{}, hostileReport())
	lines := strings.Split(strings.TrimSuffix(string(stdout), "\n"), "\n")
	if len(lines) != 5 {
		t.Errorf("want 3 findings, 1 skipped check and the summary line, got:\n%s", stdout)
	}
	for _, line := range lines {
		if m := rawControl.FindString(line); m != "" {
			t.Errorf("workflow command has raw %q: %q", m, line)
		}
	}
	// Annotations come errors first, then warnings, then notices.
	if want := `::notice file=go.mod,line=3,title=deprecated::example.com/h is deprecated: use v2%0A::error file=main.go::pwned%0D%0A::add-mask::x\x1b]0;title\x07\x1b[2J\x1b[31mred\u009b0m\u202e see`; !strings.HasPrefix(lines[2], want) {
		t.Errorf("got  %s\nwant %s...", lines[2], want)
	}
	if want := `::error file=vendor/x/%0A%3A%3Aerror file=main.go%3A%3Af\x1b[31m.go,title=vendor-tampered::vendored file differs%0Ahave h1:x\x1b[2J%0Awant h1:y%0A::warning::w`; lines[0] != want {
		t.Errorf("got  %s\nwant %s", lines[0], want)
	}

	md := string(summary)
	if m := rawControl.FindString(md); m != "" {
		t.Errorf("summary has raw %q:\n%s", m, md)
	}
	for _, bad := range []string{"://", "www.", "@evil", "@owner", "\n::"} {
		if strings.Contains(md, bad) {
			t.Errorf("summary has %q:\n%s", bad, md)
		}
	}
	// Every table row has its 4 cells: no "|" of an author's ends a cell.
	for _, line := range strings.Split(md, "\n") {
		if strings.HasPrefix(line, "| note |") || strings.HasPrefix(line, "| error |") || strings.HasPrefix(line, "| warning |") {
			if n := strings.Count(line, "|") - strings.Count(line, `\|`); n != 5 {
				t.Errorf("table row with %d cell separators: %s", n, line)
			}
		}
	}
	for _, want := range []string{
		"Module `example.com/app\\x1b[2J @\u200downer`\n",
		"| note | `deprecated` | `go.mod:3` | `example.com/h is deprecated: use v2`<br>`::error file=main.go::pwned`<br>``::add-mask::x\\x1b]0;title\\x07\\x1b[2J\\x1b[31mred\\u009b0m\\u202e see https:\u200d//evil.example/x and www\u200d.evil.example, cc @\u200devil-org/team <img src=x> \\| `code` [l](https:\u200d//evil.example)`` |\n",
		"- `origin`: `proxy said: use v2`<br>`::error file=main.go::pwned`",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("summary lacks %q:\n%s", want, md)
		}
	}
}

// The JSON report is data: it keeps the strings as they are.
func TestJSONHostileFaithful(t *testing.T) {
	var buf bytes.Buffer
	if err := (JSON{}).Write(&buf, hostileReport()); err != nil {
		t.Fatal(err)
	}
	if m := regexp.MustCompile("[\x00-\x09\x0b-\x1f\x7f]").FindString(buf.String()); m != "" {
		t.Errorf("JSON has raw %q", m)
	}
	var r Report
	if err := json.Unmarshal(buf.Bytes(), &r); err != nil {
		t.Fatal(err)
	}
	if got, want := r.Findings[0].Message, "example.com/h is deprecated: "+hostileText; got != want {
		t.Errorf("JSON message = %q, want %q", got, want)
	}
}
