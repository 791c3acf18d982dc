package audit

import (
	"os"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"

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
