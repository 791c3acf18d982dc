package audit

import (
	"fmt"
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
	// n is the finding about another go.sum line, of another module.
	n := func(f verify.Finding) verify.Finding {
		f.Line, f.Module, f.Version = 4, "example.com/n", "v2.0.0"
		return f
	}

	tests := []struct {
		name      string
		in        []verify.Finding
		dbChecked bool
		kept      []string // "rule module@version file:line want=W got=G" of the findings left, in order
		says      string   // in the first finding's message
	}{
		{"go.sum changed: zip, dir and database agree", []verify.Finding{hash(real), dir(real), sumdb(real)}, true,
			[]string{"sumdb-mismatch example.com/m@v1.0.0 go.sum:3 want=h1:REAL got=h1:GOSUM"},
			"go.sum's line was changed: the checksum database, the module file in the cache, the extracted module directory agree on h1:REAL"},
		{"go.sum changed: only the directory at hand", []verify.Finding{dir(real), sumdb(real)}, true,
			[]string{"sumdb-mismatch example.com/m@v1.0.0 go.sum:3 want=h1:REAL got=h1:GOSUM"}, "go.sum's line was changed"},
		{"database alone disagrees (files not at hand)", []verify.Finding{sumdb(real)}, true,
			[]string{"sumdb-mismatch example.com/m@v1.0.0 go.sum:3 want=h1:REAL got=h1:GOSUM"}, "sumdb-mismatch"},
		{"cache altered consistently, database vouches for go.sum", []verify.Finding{hash(other), dir(other)}, true,
			[]string{"hash-mismatch example.com/m@v1.0.0 go.sum:3 want=h1:GOSUM got=h1:ALTERED"}, "the module cache was altered"},
		{"cache and go.sum disagree offline", []verify.Finding{hash(other), dir(other)}, false,
			[]string{"hash-mismatch example.com/m@v1.0.0 go.sum:3 want=h1:GOSUM got=h1:ALTERED"}, "either go.sum's line or the module cache changed"},
		{"only the directory altered", []verify.Finding{dir(other)}, true,
			[]string{"cache-tampered example.com/m@v1.0.0 go.sum:3 want=h1:GOSUM got=h1:ALTERED"}, "the module cache was altered or corrupted"},
		{"zip and directory altered differently", []verify.Finding{hash(other), dir("h1:THIRD")}, false,
			[]string{
				"hash-mismatch example.com/m@v1.0.0 go.sum:3 want=h1:GOSUM got=h1:ALTERED",
				"cache-tampered example.com/m@v1.0.0 go.sum:3 want=h1:GOSUM got=h1:THIRD",
			}, "the checksum database does not vouch"},
		{"go.sum changed and the cache holds a third thing", []verify.Finding{hash(other), dir(real), sumdb(real)}, true,
			[]string{
				"hash-mismatch example.com/m@v1.0.0 go.sum:3 want=h1:GOSUM got=h1:ALTERED",
				"cache-tampered example.com/m@v1.0.0 go.sum:3 want=h1:GOSUM got=h1:REAL",
				"sumdb-mismatch example.com/m@v1.0.0 go.sum:3 want=h1:REAL got=h1:GOSUM",
			}, "hash-mismatch"},
		{"two go.sum lines are two problems", []verify.Finding{hash(other), n(dir(other)), n(sumdb(real))}, true,
			[]string{
				"hash-mismatch example.com/m@v1.0.0 go.sum:3 want=h1:GOSUM got=h1:ALTERED",
				"cache-tampered example.com/n@v2.0.0 go.sum:4 want=h1:GOSUM got=h1:ALTERED",
				"sumdb-mismatch example.com/n@v2.0.0 go.sum:4 want=h1:REAL got=h1:GOSUM",
			}, "the module cache was altered or corrupted"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := triage(tt.in, func(verify.Finding) bool { return tt.dbChecked })
			var kept []string
			for _, f := range out {
				kept = append(kept, fmt.Sprintf("%s %s@%s %s:%d want=%s got=%s", f.Rule, f.Module, f.Version, f.File, f.Line, f.Want, f.Got))
			}
			if strings.Join(kept, "\n") != strings.Join(tt.kept, "\n") {
				t.Fatalf("kept:\n%s\nwant:\n%s", strings.Join(kept, "\n"), strings.Join(tt.kept, "\n"))
			}
			if !strings.Contains(out[0].Message, tt.says) {
				t.Errorf("message %q does not say %q", out[0].Message, tt.says)
			}
		})
	}
}
