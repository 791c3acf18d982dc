package audit

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/modseal/modseal/graph"
	"github.com/modseal/modseal/internal/gocmd"
	"github.com/modseal/modseal/verify"
)

// TestClassifyFailures: what each failed check means, as a pure function of
// the failures and the findings. The go command's messages are go 1.26's.
func TestClassifyFailures(t *testing.T) {
	const mismatch = `go: downloading example.com/b v1.0.0
verifying example.com/b@v1.0.0: checksum mismatch
	downloaded: h1:39Z2nMyp254fr37e0mt49i4PiK3oogxePn04pu8d4ik=
	go.sum:     h1:AAAAnMyp254fr37e0mt49i4PiK3oogxePn04pu8d4ik=

SECURITY ERROR
This download does NOT match an earlier download recorded in go.sum.
The bits may have been replaced on the origin server, or an attacker may
have intercepted the download attempt.

For more information, see 'go help module-auth'.
`
	const missing = `go: example.com/unused@v1.0.0: missing go.sum entry for go.mod file; to add it:
	go mod download example.com/unused
`
	const forbidden = `go: example.com/b@v1.0.0: reading http://127.0.0.1:8080/example.com/b/@v/v1.0.0.mod: 403 Forbidden
`
	const notFound = `go: example.com/e@v0.0.0-20231302030405-abcdef123456: reading http://127.0.0.1:8080/example.com/e/@v/v0.0.0-20231302030405-abcdef123456.mod: 404 Not Found
	server response: 404 page not found
`
	goErr := func(stderr string) error {
		return &gocmd.Error{Args: []string{"list", "-m", "all"}, Dir: ".", ExitCode: 1, Stderr: stderr, Err: errors.New("exit status 1")}
	}
	finding := func(rule, module, version string) verify.Finding {
		f := verify.NewFinding(rule, "go.sum", 3, "%s", rule)
		f.Module, f.Version = module, version
		return f
	}
	sums := []*verify.SumFile{{Name: "go.sum", Lines: []verify.SumLine{
		{Path: "example.com/b", Version: "v1.0.0", Hash: "h1:AAAAnMyp254fr37e0mt49i4PiK3oogxePn04pu8d4ik=", Line: 3},
		{Path: "example.com/b", Version: "v1.0.0/go.mod", Hash: "h1:rjc9Jkp/xiv8OktC5V16OuYntMeTjs1dkvTkFbgnZKw=", Line: 4},
	}}}
	requires := map[string]requireLoc{"example.com/unused": {"go.mod", 9}}

	tests := []struct {
		name     string
		failures []failure
		findings []verify.Finding
		skip     map[string]bool
		err      string   // in the error; "" for none
		added    []string // "rule file:line module@version want=W got=G" of the findings added
		skipped  []string // "check: reason prefix"
	}{
		{
			name:     "the checksum database is required",
			failures: []failure{{"sumdb", &networkError{errors.New("checksum database sum.golang.org: dial tcp: refused")}}},
			err:      "pass --offline",
		},
		{
			name:     "offline: one skip for every check it held up",
			failures: []failure{{"graph", fmt.Errorf("%w: go mod graph", graph.ErrOffline)}, {"build-list", fmt.Errorf("%w: go list", graph.ErrOffline)}},
			skipped:  []string{"build-list,graph: the go command needs modules"},
		},
		{
			name:     "a refusal a finding explains is listed once",
			failures: []failure{{"tidy", goErr(mismatch)}, {"build-list", goErr(mismatch)}},
			findings: []verify.Finding{finding(verify.RuleSumDBMismatch, "example.com/b", "v1.0.0")},
			skipped:  []string{"build-list,tidy: the go command refused the files for the reasons reported: verifying example.com/b@v1.0.0: checksum mismatch"},
		},
		{
			name:     "a refusal no finding reports becomes one, at its go.sum line",
			failures: []failure{{"tidy", goErr(mismatch)}},
			added:    []string{"hash-mismatch go.sum:3 example.com/b@v1.0.0 want=h1:AAAAnMyp254fr37e0mt49i4PiK3oogxePn04pu8d4ik= got=h1:39Z2nMyp254fr37e0mt49i4PiK3oogxePn04pu8d4ik="},
			skipped:  []string{"tidy: the go command refused"},
		},
		{
			name:     "missing go.sum entry at the require line",
			failures: []failure{{"build-list", goErr(missing)}},
			added:    []string{"gosum-missing go.mod:9 example.com/unused@v1.0.0 want= got="},
			skipped:  []string{"build-list: the go command refused the files for the reasons reported: go: example.com/unused@v1.0.0: missing go.sum entry for go.mod file"},
		},
		{
			name:     "a skipped rule explains, but adds nothing",
			failures: []failure{{"build-list", goErr(missing)}},
			skip:     map[string]bool{verify.RuleGoSumMissing: true},
			skipped:  []string{"build-list: the go command refused"},
		},
		{
			name:     "an unrelated failure is not hidden behind an error finding",
			failures: []failure{{"build-list", goErr(forbidden)}},
			findings: []verify.Finding{finding(verify.RuleGoSumConflict, "example.com/a", "v1.0.0"), finding(verify.RuleHashMismatch, "example.com/c", "v1.0.0")},
			err:      "403 Forbidden",
		},
		{
			name:     "explained and unexplained together fail",
			failures: []failure{{"build-list", goErr(missing + forbidden)}},
			err:      "403 Forbidden",
		},
		{
			name:     "a version no proxy can serve, already reported invalid",
			failures: []failure{{"graph", goErr(notFound)}},
			findings: []verify.Finding{finding(verify.RulePseudoVersion, "example.com/e", "v0.0.0-20231302030405-abcdef123456")},
			skipped:  []string{"graph: the go command could not load the module versions reported above"},
		},
		{
			name:     "the same 404 with the finding about another module fails",
			failures: []failure{{"graph", goErr(notFound)}},
			findings: []verify.Finding{finding(verify.RulePseudoVersion, "example.com/f", "v0.0.0-20231302030405-abcdef123456")},
			err:      "404 Not Found",
		},
		{
			name: "a module the hash check found altered, which the go command cannot load",
			failures: []failure{{"tidy", goErr(`go: downloading example.com/a v1.0.0
go: example.com/app imports
	example.com/a: zip for example.com/a@v1.0.0 has unexpected file example.com/b@v1.0.0/b.go
`)}},
			findings: []verify.Finding{finding(verify.RuleHashMismatch, "example.com/a", "v1.0.0")},
			skipped:  []string{"tidy: the go command could not load the module versions reported above"},
		},
		{
			name:     "a failure with no stderr is a failure",
			failures: []failure{{"graph", goErr("")}},
			err:      "exit status 1",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			added, skipped, err := classifyFailures(tt.failures, tt.findings, tt.skip, sums, requires)
			switch {
			case tt.err == "" && err != nil:
				t.Fatalf("error %v, want none", err)
			case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
				t.Fatalf("error %v, want one containing %q", err, tt.err)
			case tt.err != "":
				return
			}
			var got []string
			for _, f := range added {
				got = append(got, fmt.Sprintf("%s %s:%d %s@%s want=%s got=%s", f.Rule, f.File, f.Line, f.Module, f.Version, f.Want, f.Got))
			}
			if strings.Join(got, "\n") != strings.Join(tt.added, "\n") {
				t.Errorf("added:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.added, "\n"))
			}
			if len(skipped) != len(tt.skipped) {
				t.Fatalf("skipped %v, want %d entries like %v", skipped, len(tt.skipped), tt.skipped)
			}
			for i, s := range skipped {
				if line := s.Check + ": " + s.Reason; !strings.HasPrefix(line, tt.skipped[i]) {
					t.Errorf("skipped %q, want it to start %q", line, tt.skipped[i])
				}
			}
		})
	}
}
