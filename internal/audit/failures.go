package audit

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"golang.org/x/mod/module"

	"github.com/modseal/modseal/graph"
	"github.com/modseal/modseal/internal/gocmd"
	"github.com/modseal/modseal/verify"
)

// A failure is a check that could not give its answer.
type failure struct {
	check string // tidy, build-list, graph, drift, origin, sumdb
	err   error
}

// explainedBy lists, for each rule the go command can refuse the files
// for, the findings that already report the same problem with a module.
var explainedBy = map[string][]string{
	verify.RuleHashMismatch: {verify.RuleHashMismatch, verify.RuleSumDBMismatch, verify.RuleCacheTampered, verify.RuleGoSumConflict, verify.RuleGoSumSyntax},
	verify.RuleGoSumMissing: {verify.RuleGoSumMissing, verify.RuleGoSumSyntax, verify.RuleGoSumMergeConflict},
	verify.RuleGoSumSyntax:  {verify.RuleGoSumSyntax, verify.RuleGoSumMergeConflict, verify.RuleGoSumConflict},
	verify.RuleGoModSyntax:  {verify.RuleGoModSyntax, verify.RuleGoSumMergeConflict},
}

// classifyFailures decides what each failed check means, as a pure
// function of the failures and the findings the audit has made:
//   - a required service that could not be reached (the checksum
//     database) fails the audit: no finding explains it;
//   - a go command that needed the network under --offline is a skip;
//   - a go command that refused the files is read line by line
//     (graph.Refusals): each reason a rule names becomes a finding at its
//     line, unless a finding already reports it or the rule is skipped; a
//     reason no rule names fails the audit, even when other reasons were
//     explained, so an unrelated failure is never hidden behind a finding.
//
// It returns the findings to add and the skipped checks, each go command
// error listed once with the checks it held up.
func classifyFailures(failures []failure, findings []verify.Finding, skip map[string]bool, sums []*verify.SumFile, requires map[string]requireLoc) ([]verify.Finding, []verify.Skipped, error) {
	var added []verify.Finding
	type held struct {
		checks []string
		reason string
	}
	var helds []*held
	byText := make(map[string]*held)
	hold := func(check, text, reason string) {
		h := byText[text]
		if h == nil {
			h = &held{reason: reason}
			byText[text] = h
			helds = append(helds, h)
		}
		if !slices.Contains(h.checks, check) {
			h.checks = append(h.checks, check)
		}
	}
	for _, f := range failures {
		var ne *networkError
		if errors.As(f.err, &ne) {
			return nil, nil, fmt.Errorf("%v\n(to audit without the network, pass --offline; to leave one check out, --skip its rules: %s)", f.err, strings.Join(checkRules[f.check], ","))
		}
		if errors.Is(f.err, graph.ErrOffline) {
			hold(f.check, graph.ErrOffline.Error(), graph.ErrOffline.Error())
			continue
		}
		stderr := f.err.Error()
		var ge *gocmd.Error
		if errors.As(f.err, &ge) && strings.TrimSpace(ge.Stderr) != "" {
			stderr = ge.Stderr
		}
		explained, unexplained := graph.Refusals(stderr)
		n := len(unexplained)
		unexplained = slices.DeleteFunc(unexplained, func(u graph.Unexplained) bool { return aboutInvalid(u.Modules, findings) })
		if len(unexplained) > 0 || len(explained) == 0 && len(unexplained) == n {
			return nil, nil, f.err
		}
		if len(explained) == 0 {
			hold(f.check, stderr, "the go command could not load the module versions reported above: "+oneLine(errors.New(stderr)))
			continue
		}
		for _, r := range explained {
			if skip[r.Rule] || reported(r, findings) || reported(r, added) {
				continue
			}
			added = append(added, refusalFinding(r, sums, requires))
		}
		first := strings.TrimSuffix(explained[0].Text, "; to add it:")
		hold(f.check, first, "the go command refused the files for the reasons reported: "+oneLine(errors.New(first)))
	}
	var skipped []verify.Skipped
	for _, h := range helds {
		slices.Sort(h.checks)
		skipped = append(skipped, verify.Skipped{Check: strings.Join(h.checks, ","), Reason: h.reason})
	}
	return added, skipped, nil
}

// invalidRules are the findings that make a module version one no proxy can
// serve: the go command's failure to fetch it (404, 410, "invalid version")
// follows from them and says nothing new.
var invalidRules = []string{verify.RuleModulePath, verify.RuleNoncanonicalVersion, verify.RulePseudoVersion, verify.RuleMajorVersionSuffix}

// alteredRules are the findings of a module version whose files in the
// module cache were altered: the go command's failure to load it (a zip
// with unexpected files, say) follows from them too.
var alteredRules = []string{verify.RuleHashMismatch, verify.RuleCacheTampered}

// aboutInvalid reports whether a finding already reports one of the module
// versions a go command error line names as invalid or altered.
func aboutInvalid(named []module.Version, fs []verify.Finding) bool {
	for _, m := range named {
		for _, f := range fs {
			if (slices.Contains(invalidRules, f.Rule) || slices.Contains(alteredRules, f.Rule)) && f.Module == m.Path && (f.Version == "" || f.Version == m.Version) {
				return true
			}
		}
	}
	return false
}

// reported reports whether a finding in fs already says what r says.
func reported(r graph.Refusal, fs []verify.Finding) bool {
	rules := explainedBy[r.Rule]
	if rules == nil {
		rules = []string{r.Rule}
	}
	for _, f := range fs {
		if !slices.Contains(rules, f.Rule) {
			continue
		}
		if r.Module.Path == "" || f.Module == r.Module.Path && (r.Module.Version == "" || f.Version == r.Module.Version) {
			return true
		}
	}
	return false
}

// refusalFinding places r at the line it is about: go.sum's line for the
// module version (hash-mismatch), the go.mod line that requires the module,
// or the file and line the go command named.
func refusalFinding(r graph.Refusal, sums []*verify.SumFile, requires map[string]requireLoc) verify.Finding {
	file, line := r.File, r.Line
	if r.Module.Path != "" {
		version := r.Module.Version
		if r.GoMod {
			version += "/go.mod"
		}
		found := false
		if r.Rule == verify.RuleHashMismatch {
			for _, sf := range sums {
				for _, l := range sf.Lines {
					if !found && l.Path == r.Module.Path && l.Version == version {
						file, line, found = sf.Name, l.Line, true
					}
				}
			}
		}
		if loc, ok := requires[r.Module.Path]; ok && !found {
			file, line = loc.file, loc.line
		}
	}
	if file == "" {
		file = "go.mod"
		if len(sums) > 0 && (r.Rule == verify.RuleGoSumMissing || r.Rule == verify.RuleHashMismatch) {
			file = sums[len(sums)-1].Name
		}
	}
	fd := verify.NewFinding(r.Rule, file, line, "the go command refuses the module files: %s%s", r.Text, refusalAdvice[r.Rule])
	fd.Module, fd.Version = r.Module.Path, r.Module.Version
	fd.Want, fd.Got = r.Want, r.Got // a checksum mismatch's: go.sum's (or the database's) and the download's
	return fd
}

// refusalAdvice is what to do about each kind of refusal.
var refusalAdvice = map[string]string{
	verify.RuleGoSumMissing:          " (run go mod tidy, or go mod download for the module, and commit go.sum)",
	verify.RuleHashMismatch:          " (go.sum and the downloaded files disagree: find out which changed before building)",
	verify.RulePseudoVersion:         " (use the pseudo-version the go command computes for that commit: go get module@commit)",
	verify.RuleIncompatibleWithGoMod: " (require the module by its /vN path instead)",
}
