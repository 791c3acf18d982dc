package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/modseal/modseal/verify"
)

// The drift table quotes module paths and replacement directories from the
// snapshot and go.mod under review: escaped, one row per finding, and no
// line a workflow command.
func TestDriftTableSanitized(t *testing.T) {
	r := New("v0.9.0", &verify.Report{Module: "example.com/app", GraphDigest: "sha256:0", Findings: []verify.Finding{
		verify.NewFinding(verify.RuleDriftModuleAdded, "go.mod", 3,
			"example.com/\u009b2Jevil\u202e@v1.0.0 is new: replaced by the directory ./a\tb\x1b]0;title\x07\n::error::pwned"),
		verify.NewFinding(verify.RuleDriftVersionChanged, "sub\x1b[31m/go.mod", 0, "##[error]x"),
	}})
	var b bytes.Buffer
	if err := (&Drift{Source: "snap\x1b[2J.json"}).Write(&b, r); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if m := rawControl.FindString(out); m != "" {
		t.Errorf("raw %q in the table:\n%s", m, out)
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "::") || strings.Contains(line, "##[") {
			t.Errorf("workflow command line %q in:\n%s", line, out)
		}
	}
	for _, want := range []string{
		`example.com/\u009b2Jevil\u202e@v1.0.0 is new: replaced by the directory ./a\tb\x1b]0;title\x07\n::error::pwned`,
		`sub\x1b[31m/go.mod`,
		`##\x5berror]x`,
		`modseal: 0 errors, 2 warnings, 0 notes of drift from snap\x1b[2J.json`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if n := strings.Count(out, "\n"); n != 5 {
		t.Errorf("%d lines, want 5 (header, 2 rows, blank, summary):\n%s", n, out)
	}
}

// No drift: the module count and the graph digest, no table.
func TestDriftNone(t *testing.T) {
	var b bytes.Buffer
	if err := (&Drift{Source: ".modseal/graph.json"}).Write(&b, emptyReport()); err != nil {
		t.Fatal(err)
	}
	want := "modseal: no drift from .modseal/graph.json: 3 modules, graph " + emptyReport().GraphDigest + "\n"
	if b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
}

// Fails is --fail-on: the lowest severity rank that fails the run, 0 for
// error, and a rank above error (never) that nothing reaches.
func TestFails(t *testing.T) {
	warn := New("v", &verify.Report{Findings: []verify.Finding{verify.NewFinding(verify.RuleReplaceLocal, "go.mod", 1, "x")}})
	for _, tc := range []struct {
		r      *Report
		failOn int
		want   bool
	}{
		{emptyReport(), verify.SeverityNote.Rank(), false},
		{warn, 0, false},
		{warn, verify.SeverityError.Rank(), false},
		{warn, verify.SeverityWarning.Rank(), true},
		{warn, verify.SeverityNote.Rank(), true},
		{warn, 99, false},
	} {
		if got := tc.r.Fails(tc.failOn); got != tc.want {
			t.Errorf("%d findings, failOn %d: Fails = %v, want %v", len(tc.r.Findings), tc.failOn, got, tc.want)
		}
	}
}
