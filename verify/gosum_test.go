package verify

import (
	"strings"
	"testing"
)

const (
	hA  = "h1:QUOLiTYaT3sns40kU17eKMQv5jKau946ieUPxIy6Ek8="
	hAm = "h1:Iz4LqFwWPTXGh7fB4pLUjv0WBm2F5Au27mBiQgYnuU8="
)

func TestParseSum(t *testing.T) {
	tests := []struct {
		name, sum string
		lines     int    // well-formed lines returned
		want      string // findings as rule@line
	}{
		{"ok", "example.com/a v1.0.0 " + hA + "\nexample.com/a v1.0.0/go.mod " + hAm + "\n", 2, ""},
		{"crlf", "example.com/a v1.0.0 " + hA + "\r\nexample.com/a v1.0.0/go.mod " + hAm + "\r\n", 2, ""},
		{"no final newline", "example.com/a v1.0.0 " + hA + "\nexample.com/a v1.0.0/go.mod " + hAm, 2, ""},
		{"blank lines and tabs", "\n\n\texample.com/a\tv1.0.0\t" + hA + "  \n\n", 1, ""},
		{"non-ASCII space separates fields like strings.Fields", "example.com/a\u00a0v1.0.0 " + hA + "\n", 1, ""},
		{"empty go.mod hash dropped like cmd/go", "example.com/a v1.0.0/go.mod h1:G7mAYYxgmS0lVkHyy2hEOLQCFB0DlQFTMLWggykrydY=\n", 0, ""},
		{"fields", "example.com/a v1.0.0\n", 0, "gosum-syntax@1"},
		{"h1 too short", "example.com/a v1.0.0 h1:QUOL\n", 0, "gosum-syntax@1"},
		{"h1 no padding", "example.com/a v1.0.0 h1:QUOLiTYaT3sns40kU17eKMQv5jKau946ieUPxIy6Ek8A\n", 0, "gosum-syntax@1"},
		{"h1 nonzero pad bits", "example.com/a v1.0.0 h1:QUOLiTYaT3sns40kU17eKMQv5jKau946ieUPxIy6Ek9=\n", 0, "gosum-syntax@1"},
		{"h1 bad alphabet", "example.com/a v1.0.0 h1:QUOLiTYaT3sns40kU17eKMQv5jKau946ieUPxIy6E-8=\n", 0, "gosum-syntax@1"},
		{"unknown alg kept", "example.com/a v1.0.0 h9:whatever\n", 1, "gosum-unknown-algorithm@1"},
		{"empty alg", "example.com/a v1.0.0 :abc\n", 0, "gosum-syntax@1"},
		{"bad version", "example.com/a v1.0 " + hA + "\n", 0, "gosum-syntax@1"},
		{"bad go.mod suffix", "example.com/a v1.0.0/go.sum " + hA + "\n", 0, "gosum-syntax@1"},
		{"major mismatch", "example.com/a/v2 v1.0.0 " + hA + "\n", 0, "gosum-syntax@1"},
		{"incompatible ok", "example.com/a v2.0.0+incompatible " + hA + "\n", 1, ""},
		{"duplicate", "example.com/a v1.0.0 " + hA + "\nexample.com/a v1.0.0 " + hA + "\n", 2, "gosum-duplicate@2"},
		{"conflict", "example.com/a v1.0.0 " + hA + "\nexample.com/a v1.0.0 " + hAm + "\n", 2, "gosum-conflict@2"},
		{"zip and go.mod are different entries", "example.com/a v1.0.0 " + hA + "\nexample.com/a v1.0.0/go.mod " + hA + "\n", 2, ""},
		{"other algorithm is no conflict", "example.com/a v1.0.0 " + hA + "\nexample.com/a v1.0.0 h2:xyz\n", 2, "gosum-unknown-algorithm@2"},
		{"merge markers", "<<<<<<< HEAD\nexample.com/a v1.0.0 " + hA + "\n=======\n>>>>>>> b\n", 1, "gosum-merge-conflict@1 gosum-merge-conflict@3 gosum-merge-conflict@4"},
		{"not a marker", "<<<<<<<x\n", 0, "gosum-syntax@1"},
		{"NUL byte", "example.com/a v1.0.0 " + hA + "\n\x00\x01\n", 0, "gosum-syntax@2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, fs := ParseSum("go.sum", []byte(tt.sum))
			if got := ruleLines(fs); got != tt.want {
				t.Errorf("findings:\n got %s\nwant %s", got, tt.want)
				for _, f := range fs {
					t.Logf("  %s", f)
				}
			}
			if len(f.Lines) != tt.lines {
				t.Errorf("got %d lines, want %d: %+v", len(f.Lines), tt.lines, f.Lines)
			}
		})
	}
}

func TestParseSumBoundsSyntaxFindings(t *testing.T) {
	_, fs := ParseSum("go.sum", []byte(strings.Repeat("garbage\n", 1000)))
	if len(fs) != maxSyntaxFindings+1 {
		t.Fatalf("got %d findings, want %d", len(fs), maxSyntaxFindings+1)
	}
	if last := fs[len(fs)-1]; !strings.Contains(last.Message, "950 more malformed lines") {
		t.Errorf("last finding = %q", last.Message)
	}
}

func TestSumLine(t *testing.T) {
	f, _ := ParseSum("go.sum", []byte("example.com/a v1.0.0/go.mod "+hAm+"\n"))
	l := f.Lines[0]
	if !l.GoMod() || l.Module().Version != "v1.0.0" || l.Module().Path != "example.com/a" {
		t.Errorf("SumLine %+v: GoMod=%v Module=%v", l, l.GoMod(), l.Module())
	}
	if got := f.Lookup("example.com/a", "v1.0.0/go.mod"); len(got) != 1 || got[0].Hash != hAm {
		t.Errorf("Lookup = %+v", got)
	}
}

func TestRulesComplete(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range Rules {
		if seen[r.ID] {
			t.Errorf("rule %s listed twice", r.ID)
		}
		seen[r.ID] = true
		if r.Severity.Rank() == 0 || r.Summary == "" {
			t.Errorf("rule %s: severity %q, summary %q", r.ID, r.Severity, r.Summary)
		}
	}
	if len(Rules) != 35 {
		t.Errorf("%d rules, the contract names 35", len(Rules))
	}
}
