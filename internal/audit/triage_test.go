package audit

import (
	"strings"
	"testing"

	"github.com/modseal/modseal/verify"
)

func TestTriage(t *testing.T) {
	const (
		sum   = "h1:GOSUM"   // go.sum's line
		real  = "h1:REAL"    // what the database and honest files say
		other = "h1:ALTERED" // what an altered cache holds
	)
	finding := func(rule, want, got string) verify.Finding {
		f := verify.NewFinding(rule, "go.sum", 3, "%s", rule)
		f.Module, f.Version, f.Want, f.Got = "example.com/m", "v1.0.0", want, got
		return f
	}
	sumdb := func(want string) verify.Finding { return finding(verify.RuleSumDBMismatch, want, sum) }
	hash := func(got string) verify.Finding { return finding(verify.RuleHashMismatch, sum, got) }
	dir := func(got string) verify.Finding { return finding(verify.RuleCacheTampered, sum, got) }

	tests := []struct {
		name      string
		in        []verify.Finding
		dbChecked bool
		rules     []string // the rules left, in order
		says      string   // in the first finding's message
	}{
		{"go.sum changed: zip, dir and database agree", []verify.Finding{hash(real), dir(real), sumdb(real)}, true,
			[]string{verify.RuleSumDBMismatch}, "go.sum's line was changed: the checksum database, the module file in the cache, the extracted module directory agree on h1:REAL"},
		{"go.sum changed: only the directory at hand", []verify.Finding{dir(real), sumdb(real)}, true,
			[]string{verify.RuleSumDBMismatch}, "go.sum's line was changed"},
		{"database alone disagrees (files not at hand)", []verify.Finding{sumdb(real)}, true,
			[]string{verify.RuleSumDBMismatch}, "sumdb-mismatch"},
		{"cache altered consistently, database vouches for go.sum", []verify.Finding{hash(other), dir(other)}, true,
			[]string{verify.RuleHashMismatch}, "the module cache was altered"},
		{"cache and go.sum disagree offline", []verify.Finding{hash(other), dir(other)}, false,
			[]string{verify.RuleHashMismatch}, "either go.sum's line or the module cache changed"},
		{"only the directory altered", []verify.Finding{dir(other)}, true,
			[]string{verify.RuleCacheTampered}, "the module cache was altered or corrupted"},
		{"zip and directory altered differently", []verify.Finding{hash(other), dir("h1:THIRD")}, false,
			[]string{verify.RuleHashMismatch, verify.RuleCacheTampered}, "the checksum database does not vouch"},
		{"go.sum changed and the cache holds a third thing", []verify.Finding{hash(other), dir(real), sumdb(real)}, true,
			[]string{verify.RuleHashMismatch, verify.RuleCacheTampered, verify.RuleSumDBMismatch}, "hash-mismatch"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := triage(tt.in, func(verify.Finding) bool { return tt.dbChecked })
			var rules []string
			for _, f := range out {
				rules = append(rules, f.Rule)
			}
			if strings.Join(rules, " ") != strings.Join(tt.rules, " ") {
				t.Fatalf("rules = %v, want %v", rules, tt.rules)
			}
			if !strings.Contains(out[0].Message, tt.says) {
				t.Errorf("message %q does not say %q", out[0].Message, tt.says)
			}
			for _, f := range out {
				if f.Rule == verify.RuleSumDBMismatch && (f.Want != real || f.Got != sum) {
					t.Errorf("sumdb-mismatch want/got = %s/%s, want %s/%s: got is what go.sum holds", f.Want, f.Got, real, sum)
				}
				if f.Module != "example.com/m" || f.Version != "v1.0.0" || f.File != "go.sum" || f.Line != 3 {
					t.Errorf("finding lost its place: %+v", f)
				}
			}
		})
	}
}
