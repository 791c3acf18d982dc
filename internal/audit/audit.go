// Package audit runs every modseal check on a module or workspace and
// collects the findings into one result: Run (run.go) loads the module's
// files once (load.go), runs the checks concurrently (hash.go, tidy.go,
// gosum.go, origin.go, drift.go, sumdb.go, then vendor.go), and classifies
// what the go command refused (failures.go) and what the hash checks and the
// checksum database disagree on (triage.go), as pure functions of the
// checks' results.
package audit

import (
	"net/http"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"

	"github.com/modseal/modseal/graph"
	"github.com/modseal/modseal/verify"
)

// Options configure an audit.
type Options struct {
	Dir      string   // module or workspace directory
	Environ  []string // environment for the go command
	Offline  bool
	CacheDir string
	GoBin    string
	Skip     map[string]bool // rule ids to leave out
	Jobs     int             // parallel hashing (at least 1)
	NoCache  bool            // inflate every zip instead of trusting the verification cache
	HTTP     *http.Client    // for the checksum database and the module proxy; nil: modproxy.DefaultClient
	// ChangedSince, a git revision, limits hash verification to the modules
	// whose go.sum (go.work.sum) lines differ from the files at that
	// revision: what a commit can have tampered with. The others are listed
	// as skipped. "" verifies every module.
	ChangedSince string
	// Checkpoints are more signed tree heads of the checksum database seen
	// before, by what names them in messages (the signed snapshot's, with
	// --key): the database's latest is proved consistent with each, as with
	// the committed checkpoint (CheckpointFile), which Run reads itself.
	Checkpoints map[string][]byte
	// Progress, if set, is called as module hashes are checked.
	Progress func(done, total int, bytes int64)
}

// Checks that the go command answers, with the rules they report.
var (
	checkTidy   = []string{verify.RuleGoSumMissing, verify.RuleGoSumUnused}
	checkHash   = []string{verify.RuleHashMismatch, verify.RuleCacheTampered, verify.RuleIncompatibleWithGoMod}
	checkSumDB  = []string{verify.RuleSumDBMismatch, verify.RuleSumDBMissing}
	checkVendor = []string{verify.RuleVendorInconsistent, verify.RuleVendorTampered}
)

// checkRules names the rules of each check that needs the network.
var checkRules = map[string][]string{"sumdb": checkSumDB, "origin": checkOrigin}

// A networkError is a required service (checksum database, module proxy)
// that could not be reached or answered wrongly.
type networkError struct{ err error }

func (e *networkError) Error() string { return e.err.Error() }
func (e *networkError) Unwrap() error { return e.err }

// selectedVersions maps each module path of the build list to its selected
// version.
func selectedVersions(list []graph.Module) map[string]string {
	sel := make(map[string]string, len(list))
	for _, m := range list {
		if !m.Main {
			sel[m.Path] = m.Version
		}
	}
	return sel
}

// countModules counts the build list's modules (main modules excluded) and
// those of them whose files, or whose replacement's, matched go.sum.
func countModules(list []graph.Module, verified map[module.Version]bool) (modules, hashed int) {
	for _, m := range list {
		if m.Main {
			continue
		}
		modules++
		mv := module.Version{Path: m.Path, Version: m.Version}
		if m.Replace != nil {
			mv = module.Version{Path: m.Replace.Path, Version: m.Replace.Version}
		}
		if verified[mv] {
			hashed++
		}
	}
	return modules, hashed
}

// dropRedundantUnused reports a go.sum line once, by its most specific rule:
// go mod tidy would also remove a duplicate, malformed or non-h1 line, but
// gosum-duplicate, gosum-syntax and gosum-unknown-algorithm say why.
func dropRedundantUnused(fs []verify.Finding) []verify.Finding {
	explained := make(map[fileLine]bool)
	for _, f := range fs {
		switch f.Rule {
		case verify.RuleGoSumDuplicate, verify.RuleGoSumSyntax, verify.RuleGoSumUnknownAlgorithm, verify.RuleGoSumMergeConflict:
			explained[fileLine{f.File, f.Line}] = true
		}
	}
	return slices.DeleteFunc(fs, func(f verify.Finding) bool {
		return f.Rule == verify.RuleGoSumUnused && explained[fileLine{f.File, f.Line}]
	})
}

func lineOf(l *modfile.Line) int {
	if l == nil {
		return 0
	}
	return l.Start.Line
}

func allSkipped(skip map[string]bool, rules []string) bool {
	for _, r := range rules {
		if !skip[r] {
			return false
		}
	}
	return true
}

// oneLine folds a (go command) error message onto one line of bounded length.
func oneLine(err error) string {
	s := strings.Join(strings.Fields(err.Error()), " ")
	if len(s) > 400 {
		s = s[:400] + "..."
	}
	return s
}

// joinRel joins slash paths, dropping a leading ".".
func joinRel(dir, name string) string {
	if dir == "." || dir == "" {
		return strings.TrimPrefix(name, "./")
	}
	return strings.TrimPrefix(dir+"/"+strings.TrimPrefix(name, "./"), "./")
}

// relSlash returns name relative to dir, slash-separated (the absolute path
// if it has no relative form).
func relSlash(dir, name string) string {
	base, err1 := filepath.Abs(dir)
	target, err2 := filepath.Abs(name)
	if err1 != nil || err2 != nil {
		return filepath.ToSlash(name)
	}
	r, err := filepath.Rel(base, target)
	if err != nil {
		return filepath.ToSlash(target)
	}
	return filepath.ToSlash(r)
}
