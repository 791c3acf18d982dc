package audit

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"

	"github.com/modseal/modseal/graph"
	"github.com/modseal/modseal/verify"
)

// missingGoModSums reports, at the require line, every module a main
// module's go.mod requires whose go.mod hash no go.sum (or go.work.sum) line
// holds. Every go command that loads the module graph reads the go.mod of
// each direct requirement, so it fails with "missing go.sum entry for go.mod
// file", even when go mod tidy would rather drop the requirement (no
// package imports it) and so reports no line to add. This needs neither the
// go command nor the network. A module built from vendor/ (the go command's
// default where vendor/modules.txt exists) does not read go.sum, and a
// requirement replaced by a directory or by a workspace module has no hash.
func missingGoModSums(dir string, ld *loaded) []verify.Finding {
	have := make(map[string]bool)
	for _, sf := range ld.sums {
		for _, l := range sf.Lines {
			if strings.HasSuffix(l.Version, "/go.mod") {
				have[l.Path+" "+l.Version] = true
			}
		}
	}
	workMods := make(map[string]bool)
	for _, m := range ld.mods {
		if m.mf != nil && m.mf.Module != nil {
			workMods[m.mf.Module.Mod.Path] = true
		}
	}
	var workReplace []*modfile.Replace
	if ld.work != nil {
		workReplace = ld.work.wf.Replace
	}
	var out []verify.Finding
	for _, m := range ld.mods {
		if m.mf == nil || m.mf.Module == nil {
			continue
		}
		if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(m.rel), "vendor", "modules.txt")); err == nil && ld.work == nil {
			continue
		}
		excluded := make(map[module.Version]bool)
		for _, x := range m.mf.Exclude {
			excluded[x.Mod] = true
		}
		for _, r := range m.mf.Require {
			if excluded[r.Mod] || workMods[r.Mod.Path] || module.Check(r.Mod.Path, r.Mod.Version) != nil {
				continue // an invalid path or version has its own finding
			}
			target, ok := replacement(r.Mod, workReplace)
			if !ok {
				target, ok = replacement(r.Mod, m.mf.Replace)
			}
			if !ok {
				target = r.Mod
			}
			if target.Version == "" || modfile.IsDirectoryPath(target.Path) {
				continue
			}
			if have[target.Path+" "+target.Version+"/go.mod"] {
				continue
			}
			name := joinRel(m.rel, "go.mod")
			via := ""
			if target != r.Mod {
				via = " (replaced by " + target.String() + ")"
			}
			fd := verify.NewFinding(verify.RuleGoSumMissing, name, lineOf(r.Syntax),
				"go.mod requires %s %s%s, but no go.sum line holds the hash of its go.mod: every go command that loads the module graph fails "+
					"(\"missing go.sum entry for go.mod file\"); run go mod tidy (or go mod download %s) and commit go.sum",
				r.Mod.Path, r.Mod.Version, via, target.Path)
			fd.Module, fd.Version = target.Path, target.Version
			out = append(out, fd)
		}
	}
	return out
}

// replacement applies replace directives to m as the go command does within
// one file: a replacement of the exact version wins over one of every
// version. ok is false when none applies.
func replacement(m module.Version, replaces []*modfile.Replace) (module.Version, bool) {
	var best *modfile.Replace
	for _, r := range replaces {
		if r.Old.Path != m.Path {
			continue
		}
		if r.Old.Version == m.Version || (r.Old.Version == "" && best == nil) {
			best = r
		}
	}
	if best == nil {
		return module.Version{}, false
	}
	return best.New, true
}

// dropRepeatedMissing drops a gosum-missing finding of missingGoModSums
// (at a go.mod line) when go mod tidy reports the same go.mod hash missing
// (at its go.sum line), or when the version is one no go.sum line could
// hold (the go command refuses it as invalid): one cause, one finding.
func dropRepeatedMissing(fs []verify.Finding) []verify.Finding {
	tidy := make(map[module.Version]bool)
	for _, f := range fs {
		switch {
		case f.Rule == verify.RuleGoSumMissing && strings.Contains(f.Message, "/go.mod h1:"),
			slices.Contains(invalidRules, f.Rule), f.Rule == verify.RuleIncompatibleWithGoMod:
			tidy[module.Version{Path: f.Module, Version: f.Version}] = true
		}
	}
	out := fs[:0]
	for _, f := range fs {
		if f.Rule == verify.RuleGoSumMissing && strings.HasSuffix(f.File, "go.mod") && tidy[module.Version{Path: f.Module, Version: f.Version}] {
			continue
		}
		out = append(out, f)
	}
	return out
}

// tidyFindings reports what go mod tidy -diff would change: the go.sum
// lines (gosum-missing, gosum-unused), and the go.mod half, which changes
// what the go.sum half means (a go.sum line becomes unused only once tidy
// drops the requirement that needs it). Only requirements count: a line
// tidy removes and adds again (moved between require blocks, marked
// // indirect) is formatting. When tidy would drop or add a requirement,
// every finding says so, and each requirement it would drop is a
// gosum-unused note at its go.mod line (the contract's "a line go mod tidy
// would remove"); go mod tidy fixes both halves at once.
func tidyFindings(sumName, modName string, sum, mod []graph.SumEdit) []verify.Finding {
	fs := graph.TidyFindings(sumName, sum)
	removed := make(map[string]graph.SumEdit)
	added := make(map[string]string)
	var order []string
	for _, e := range mod {
		path, version, ok := requireLine(e.Text)
		if !ok {
			continue
		}
		if e.Add {
			added[path] = path + " " + version
			order = append(order, path)
		} else {
			removed[path] = e
		}
	}
	var adds []string
	for _, p := range order {
		if _, moved := removed[p]; !moved {
			adds = append(adds, added[p])
		}
	}
	var drops []graph.SumEdit
	for _, e := range mod {
		if path, _, ok := requireLine(e.Text); ok && !e.Add {
			if _, moved := added[path]; !moved {
				drops = append(drops, e)
			}
		}
	}
	if len(adds) == 0 && len(drops) == 0 {
		return fs
	}
	also := fmt.Sprintf("; go mod tidy also changes the requirements in %s", modName)
	if len(adds) > 0 {
		also += ", adding " + listSome(adds, 3)
	}
	if len(drops) > 0 {
		also += fmt.Sprintf(", dropping %d", len(drops))
	}
	also += ": run go mod tidy to fix go.mod and go.sum together"
	for i := range fs {
		fs[i].Message += also
	}
	for _, e := range drops {
		path, version, _ := requireLine(e.Text)
		fd := verify.NewFinding(verify.RuleGoSumUnused, modName, e.Line, "go mod tidy would drop the requirement %s %s: no package needs it%s", path, version, also)
		fd.Module, fd.Version = path, version
		fs = append(fs, fd)
	}
	return fs
}

// requireLine reads a go.mod line of tidy's diff as a requirement: "require
// M V" or, inside a require block, "M V", either with a comment.
func requireLine(text string) (path, version string, ok bool) {
	f := strings.Fields(text)
	if len(f) > 0 && f[0] == "require" {
		f = f[1:]
	}
	if len(f) < 2 || f[0] == "(" || module.CheckPath(f[0]) != nil || !semver.IsValid(f[1]) {
		return "", "", false
	}
	return f[0], f[1], true
}

// tidyResult is what the go mod tidy check found, kept apart from the rest
// of the audit until its goroutines are done, so that it can be asked
// again (startTidy with a graph.Command that distrusts tampered modules).
type tidyResult struct {
	mu       sync.Mutex
	findings []verify.Finding
	skipped  []verify.Skipped
	failures []failure
}

func (t *tidyResult) add(fs []verify.Finding, skipped ...verify.Skipped) {
	t.mu.Lock()
	t.findings = append(t.findings, fs...)
	t.skipped = append(t.skipped, skipped...)
	t.mu.Unlock()
}

func (t *tidyResult) fail(err error) {
	t.mu.Lock()
	t.failures = append(t.failures, failure{"tidy", err})
	t.mu.Unlock()
}

// startTidy starts, in wg, what go mod tidy says of each module (and, in a
// workspace, what the workspace needs): gosum-missing and gosum-unused.
// The result is complete once wg is done.
func startTidy(ctx context.Context, g *graph.Command, dir string, ld *loaded, wg *sync.WaitGroup) *tidyResult {
	t := &tidyResult{}
	// tidyWG counts the modules' tidy checks: the workspace's go.work.sum
	// check reports only lines no module's go.sum is reported to lack.
	var tidyWG sync.WaitGroup
	var moduleEdits []graph.SumEdit
	tidyWG.Add(len(ld.mods))
	for _, m := range ld.mods {
		wg.Go(func() {
			defer tidyWG.Done()
			moddir := filepath.Join(dir, filepath.FromSlash(m.rel))
			tr, err := g.Tidy(ctx, moddir, m.sumLines)
			var edits []graph.SumEdit
			if tr != nil {
				edits = tr.Sum
			}
			if se := (*graph.SiblingError)(nil); errors.As(err, &se) {
				t.add(nil, verify.Skipped{Check: "tidy", Reason: joinRel(m.rel, "go.mod") + ": " + se.Error()})
				return
			}
			if err != nil {
				t.fail(err)
				return
			}
			if ld.work == nil {
				// A requirement no package imports: tidy would drop it,
				// go list -m all refuses without its go.sum lines.
				more, err := g.ListMissing(ctx, moddir, m.sumLines)
				if err != nil {
					t.fail(err)
					return
				}
				edits = graph.MergeSumEdits(edits, more)
			}
			t.mu.Lock()
			moduleEdits = append(moduleEdits, edits...)
			t.mu.Unlock()
			t.add(tidyFindings(joinRel(m.rel, "go.sum"), joinRel(m.rel, "go.mod"), edits, tr.Mod))
		})
	}
	if ld.work != nil {
		name := joinRel(ld.work.rel, "go.work.sum")
		lines := 0
		for _, sf := range ld.sums {
			if sf.Name == name {
				lines = len(sf.Lines)
			}
		}
		wg.Go(func() {
			_, edits, err := g.WorkSumMissing(ctx, lines)
			if err != nil {
				t.fail(err)
				return
			}
			tidyWG.Wait()
			t.mu.Lock()
			n := len(moduleEdits)
			edits = graph.MergeSumEdits(moduleEdits, edits)[n:]
			t.mu.Unlock()
			t.add(graph.TidyFindings(name, edits))
		})
	}
	return t
}

// tamperedVersions returns the module versions the hash check found
// altered in the module cache (their zip, .mod file or directory).
func tamperedVersions(fs []verify.Finding) map[module.Version]bool {
	var out map[module.Version]bool
	for _, f := range fs {
		if (f.Rule == verify.RuleCacheTampered || f.Rule == verify.RuleHashMismatch) && f.Module != "" && f.Version != "" {
			if out == nil {
				out = make(map[module.Version]bool)
			}
			out[module.Version{Path: f.Module, Version: f.Version}] = true
		}
	}
	return out
}
