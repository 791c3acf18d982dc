package verify

// Checks of a vendor directory: vendor-inconsistent (vendor/modules.txt
// against go.mod, go.work and the build list; this file) and
// vendor-tampered (the vendored files against the go.sum-verified module
// zips; vendorfiles.go).
//
// `go build -mod=vendor` trusts vendor/ and `go mod verify` ignores it
// (golang/go#27348), so both checks mirror the go command (Go 1.26) instead:
//
//   - modules.txt is read as cmd/go/internal/modload.readVendorList reads it
//     (verify/internal/modulestxt), and compared with go.mod as
//     modload.checkVendorConsistency compares them.
//   - The files go mod vendor would write are computed as
//     cmd/go/internal/modcmd.vendorPkg computes them: copyDir with
//     matchPotentialSourceFile (imports.ReadImports and imports.ShouldBuild
//     with AnyTags), copyMetadata with metaPrefixes, and the //go:embed files
//     of go/build's ImportDir (UseAllFiles) resolved as
//     cmd/go/internal/load.ResolveEmbed resolves them (verify/internal/gobuild),
//     on the files of the verified module zip (verify/internal/modtree).

import (
	"errors"
	"fmt"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"

	"github.com/modseal/modseal/verify/internal/modulestxt"
)

// A Vendor is a vendor directory to check, and what it must agree with: the
// go.mod of the module it is in, or, for a workspace's vendor directory (go
// work vendor writes it next to go.work), go.work and the go.mod of every
// module the workspace uses.
type Vendor struct {
	// Dir is the directory vendor/ is in. Rel is Dir relative to the
	// audited directory ("." or "app"): findings name vendor/modules.txt,
	// the vendored files, go.mod and go.work relative to the audited
	// directory through it.
	Dir, Rel string
	// ModulesTxt is vendor/modules.txt, empty for a vendor/ without one
	// (the go command builds from it all the same).
	ModulesTxt []byte
	// Module is the module Dir is the root of (its Dir "."), nil if none.
	Module *MainModule
	// Work is go.work if Dir is its directory, and WorkModules the modules
	// it uses, in go.work's order. A vendor directory there is the
	// workspace's, unless it is also a module's and go work vendor did not
	// write it (modules.txt does not start "## workspace"): the go command
	// builds from it by default in the mode it was written for, and with
	// -mod=vendor in either.
	Work        *modfile.WorkFile
	WorkModules []MainModule
	// Selected maps each module path of the build list the vendor
	// directory is built with (go list -m all) to its selected version,
	// the Version field, not a replacement's; main modules may be left
	// out. nil: the versions are not compared with it. It is the
	// workspace's build list if Work is set (and not used if the vendor
	// directory turns out to be the module's), else the module's own.
	Selected map[string]string
	// Zips are the module zips whose hash matched go.sum (the caller
	// verifies them: CheckModule), by module version. Sums are the go.sum
	// files: a vendored module version none of them has an h1 zip hash of
	// is a vendor-tampered finding at its modules.txt line (no verified
	// zip of it can exist); one they have a hash of but that Zips lacks
	// (offline, in no cache) is skipped.
	Zips map[module.Version]string
	Sums []*SumFile
}

// A MainModule is a main module's go.mod: its directory relative to the
// vendor directory's parent, slash-separated (for a workspace, as a relative
// use directive names it; make an absolute one relative first), and the
// parsed file, nil if it does not parse.
type MainModule struct {
	Dir  string
	File *modfile.File
}

// CheckVendor checks a vendor directory: vendor/modules.txt against go.mod
// (or go.work and the workspace's go.mod files) exactly where the go command
// refuses it as "inconsistent vendoring", and beyond (see
// vendorConsistency), and against the build list (Selected); these are
// vendor-inconsistent. Then every vendored file against the file go mod
// vendor (go work vendor) would copy from the verified module zip (see
// vendorFiles): vendor-tampered. Call it only when the vendor directory
// exists: the go command ignores go.mod's requirements otherwise.
//
// A vendored module that could not be compared (its zip not verified, a
// replacement directory missing) is named in the one Skipped it returns; so
// is a workspace's vendor directory whose modules' go.mod files do not all
// parse (the go command cannot load the workspace then: no consistency
// finding), and a module's whose go.mod does not parse (nothing checked).
// The error is for an unreadable vendor directory or module source file.
func CheckVendor(v Vendor) ([]Finding, []Skipped, error) {
	rel := filepath.ToSlash(v.Rel)
	var findings []Finding
	var skipped []Skipped
	workspace := v.Work != nil && (v.Module == nil || modulestxt.IsForWorkspace(v.ModulesTxt))
	selected := v.Selected
	goVersion, tool := "", "go mod vendor"
	switch {
	case workspace:
		var broken []string
		for _, m := range v.WorkModules {
			if m.File == nil || m.File.Module == nil {
				broken = append(broken, path.Join(rel, filepath.ToSlash(m.Dir), "go.mod"))
			}
		}
		if len(broken) > 0 {
			skipped = append(skipped, Skipped{Check: "vendor", Reason: path.Join(rel, "vendor/modules.txt") + " not checked against the workspace: " + strings.Join(broken, ", ") + " does not parse"})
		} else {
			findings = workVendorConsistency(rel, v.Work, v.WorkModules, v.ModulesTxt)
		}
		goVersion, tool = "1.18", "go work vendor"
		if v.Work.Go != nil {
			goVersion = v.Work.Go.Version
		}
	case v.Module == nil:
		return nil, nil, fmt.Errorf("%s: neither a module's nor a workspace's", path.Join(rel, "vendor"))
	case v.Module.File == nil:
		return nil, []Skipped{{Check: "vendor", Reason: path.Join(rel, "vendor") + " not checked: " + path.Join(rel, "go.mod") + " does not parse"}}, nil
	default:
		mf := v.Module.File
		findings = vendorConsistency(rel, mf, v.ModulesTxt)
		if v.Work != nil {
			selected = nil // the workspace's, not the one the module's vendor/ is used with (GOWORK=off)
		}
		// MainModules.GoVersion for a single main module: go.mod's go line
		// (1.16 without one).
		goVersion = "1.16"
		if mf.Go != nil {
			goVersion = mf.Go.Version
		}
	}
	findings = append(findings, vendorSelected(rel, v.ModulesTxt, selected, workspace)...)
	files, skips, err := vendorFiles(v.Dir, rel, goVersion, tool, v.ModulesTxt, v.zipFor())
	if err != nil {
		return nil, nil, err
	}
	findings = append(findings, files...)
	if len(skips) > 0 {
		names := make([]string, len(skips))
		for i, s := range skips {
			names[i] = s.Module.String() + " (" + s.Reason + ")"
		}
		slices.Sort(names)
		skipped = append(skipped, Skipped{Check: "vendor", Reason: fmt.Sprintf("%d vendored module(s) not compared: %s", len(names), strings.Join(names, "; "))})
	}
	return findings, skipped, nil
}

// vendorConsistency compares vendor/modules.txt (data) with the main module's parsed go.mod.
// rel is the module directory relative to the audited directory ("." or "app"), used for finding file names
// ("vendor/modules.txt" or "app/vendor/modules.txt", "go.mod" or "app/go.mod").
//
// It reports vendor-inconsistent exactly where cmd/go's checkVendorConsistency
// (src/cmd/go/internal/modload/vendor.go) refuses the vendor directory with
// "inconsistent vendoring", for a single main module:
//
//   - a go.mod requirement whose module version is not marked "## explicit"
//     in modules.txt (missing, listed at another version, or unmarked); with
//     a go line before 1.14 (or none), only a version that differs from the
//     one packages were vendored from;
//   - a module version marked "## explicit" that provides packages but that
//     go.mod does not require (an explicit module without packages is
//     accepted, as the go command accepts it);
//   - a go.mod replacement modules.txt does not record, or records with
//     another target (before go 1.14, only for a vendored version);
//   - a replacement modules.txt records that go.mod does not make.
//
// Two more checks go beyond today's go command, because the vendored code and
// vendorFiles depend on them: a modules.txt replacement that differs
// from the one go.mod applies to that module version (older go commands
// reported it as "is marked as replaced by X in vendor/modules.txt, but
// replaced by Y in go.mod"; today's checks only replacements keyed exactly
// as in go.mod, which misses a versioned modules.txt line under a wildcard
// replace, so the vendored code could claim another module's version
// unnoticed), and a malformed modules.txt: lines the go command silently
// ignores (which can re-attribute the packages below them) and package lines
// go mod vendor never writes.
//
// The "## go 1.N" annotations are not compared here: the go command only
// refuses one newer than itself (a toolchain error, not inconsistency);
// vendorFiles compares them with the vendored module's own go.mod.
// A workspace's vendor directory (go work vendor) is workVendorConsistency's.
// Findings about a modules.txt line carry that line; findings about
// something modules.txt lacks carry the go.mod line of the requirement or
// replacement. Call it only when the vendor directory exists: the go command
// ignores go.mod's requirements otherwise.
func vendorConsistency(rel string, mf *modfile.File, modulesTxt []byte) []Finding {
	if mf == nil || mf.Module == nil {
		return nil
	}
	rel = filepath.ToSlash(rel)
	goVersion := ""
	if mf.Go != nil {
		goVersion = mf.Go.Version
	}
	return checkVendorConsistency(&mainModules{
		txtName: path.Join(rel, "vendor/modules.txt"),
		mods:    []mainModule{{name: path.Join(rel, "go.mod"), dir: ".", mf: mf}},
		pre114:  modulestxt.GoCompare(goVersion, "1.14") < 0,
	}, modulestxt.Parse(modulesTxt))
}

// workVendorConsistency is vendorConsistency for the vendor
// directory of a workspace (go work vendor writes it next to go.work, its
// modules.txt starting "## workspace"): modules.txt against the go.mod of
// every workspace module and go.work's replacements, as cmd/go's
// checkVendorConsistency checks them in workspace mode. A requirement of
// any module must be marked explicit; an explicit module must be required
// by some module; replacements are the workspace's: go.work's first, then
// the modules' (a local path in a module's go.mod counts relative to
// go.work's directory, as modules.txt records it); a workspace module's own
// path is never replaced. rel is go.work's directory relative to the
// audited directory; findings name go.work, the modules' go.mod files and
// vendor/modules.txt relative to it.
//
// The go command uses the workspace's vendor directory by default when
// go.work's go line is 1.14 or later and modules.txt starts "## workspace",
// and with -mod=vendor whatever they say: check it whenever it exists. It
// gives no finding when a module's go.mod did not parse (nil File): the go
// command cannot load the workspace then.
func workVendorConsistency(rel string, wf *modfile.WorkFile, mods []MainModule, modulesTxt []byte) []Finding {
	if wf == nil {
		return nil
	}
	rel = filepath.ToSlash(rel)
	v := &mainModules{
		txtName:  path.Join(rel, "vendor/modules.txt"),
		work:     wf,
		workName: path.Join(rel, "go.work"),
	}
	for _, m := range mods {
		if m.File == nil || m.File.Module == nil {
			return nil // the go command cannot load the workspace either
		}
		dir := path.Clean(filepath.ToSlash(m.Dir))
		v.mods = append(v.mods, mainModule{name: path.Join(rel, dir, "go.mod"), dir: dir, mf: m.File})
	}
	if len(v.mods) == 0 {
		return nil
	}
	return checkVendorConsistency(v, modulestxt.Parse(modulesTxt))
}

// mainModules is what a vendor directory must agree with: one main module, or
// a workspace's modules and go.work.
type mainModules struct {
	txtName  string       // vendor/modules.txt, as findings name it
	mods     []mainModule // the main modules, in go.work's order
	work     *modfile.WorkFile
	workName string
	pre114   bool // a single main module whose go line is before 1.14 (or missing)
}

type mainModule struct {
	name string // its go.mod, as findings name it
	dir  string // its directory relative to the vendor directory's parent, slash-separated
	mf   *modfile.File
}

// src is how messages name the file that says something: "go.mod" for a
// single main module, as the go command says it, else the file's name.
func (v *mainModules) src(file string) string {
	if v.work == nil {
		return "go.mod"
	}
	return file
}

// A activeRepl is a replacement in effect, and the directive that makes it.
type activeRepl struct {
	new  module.Version
	file string
	line int
}

// replacement is modload.replacementFrom with canonicalizeReplacePath: the
// replacement of m in effect, or the zero activeRepl: go.work's, else the
// last module's.
func (v *mainModules) replacement(m module.Version) activeRepl {
	if m.Version == "" {
		for _, mm := range v.mods {
			if mm.mf.Module.Mod.Path == m.Path {
				return activeRepl{} // a main module is not replaced
			}
		}
	}
	find := func(reps []*modfile.Replace) *modfile.Replace {
		var wild *modfile.Replace
		for _, r := range reps {
			if r.Old == m {
				return r
			}
			if r.Old.Path == m.Path && r.Old.Version == "" && wild == nil {
				wild = r
			}
		}
		return wild
	}
	if v.work != nil {
		if r := find(v.work.Replace); r != nil {
			return activeRepl{r.New, v.workName, lineOf(r.Syntax)}
		}
	}
	// Every module's replacement, the last one winning, as in
	// replacementFrom (which keeps the earlier one, and fails, only when a
	// later module replaces the exact version otherwise).
	var found activeRepl
	var foundRaw module.Version // replacementFrom compares them as written
	for _, mm := range v.mods {
		r := find(mm.mf.Replace)
		if r == nil {
			continue
		}
		if found.file != "" && r.Old.Version != "" && foundRaw != r.New {
			break
		}
		foundRaw = r.New
		n := r.New
		if v.work != nil && n.Version == "" && !filepath.IsAbs(n.Path) {
			// Relative to go.work's directory, as canonicalizeReplacePath
			// and modload.ToDirectoryPath write it.
			rel := filepath.Join(filepath.FromSlash(mm.dir), n.Path)
			if modfile.IsDirectoryPath(rel) {
				n.Path = rel
			} else {
				n.Path = "./" + filepath.ToSlash(filepath.Clean(rel))
			}
		}
		found = activeRepl{n, mm.name, lineOf(r.Syntax)}
	}
	return found
}

// checkVendorConsistency is cmd/go's checkVendorConsistency over v.
func checkVendorConsistency(v *mainModules, vl *modulestxt.List) []Finding {
	txtName := v.txtName
	remedy := "run go mod vendor"
	if v.work != nil {
		remedy = "run go work vendor"
	}

	var findings []Finding
	add := func(file string, line int, m module.Version, want, got, format string, args ...any) {
		fd := NewFinding(RuleVendorInconsistent, file, line, format, args...)
		fd.Module, fd.Version, fd.Want, fd.Got = m.Path, m.Version, want, got
		findings = append(findings, fd)
	}

	for _, p := range vl.Problems {
		add(txtName, p.Line, p.Mod, "", "", "%s: %s", p.Msg, remedy)
	}
	pre114 := v.pre114

	// Requirements, in go.work's order of modules and go.mod order.
	type req struct {
		file string
		line int
	}
	required := make(map[module.Version]req)
	requiredVersion := make(map[string]module.Version)
	for _, mm := range v.mods {
		for _, r := range mm.mf.Require {
			if _, ok := required[r.Mod]; !ok {
				required[r.Mod] = req{mm.name, lineOf(r.Syntax)}
			}
			if _, ok := requiredVersion[r.Mod.Path]; !ok {
				requiredVersion[r.Mod.Path] = r.Mod
			}
		}
	}
	for _, mm := range v.mods {
		modName, src := mm.name, v.src(mm.name)
		for _, r := range mm.mf.Require {
			line := lineOf(r.Syntax)
			meta := vl.Meta[r.Mod]
			if meta != nil && meta.Explicit {
				continue
			}
			vv, vendored := vl.Version[r.Mod.Path]
			if pre114 {
				if vendored && vv != r.Mod.Version {
					add(modName, line, r.Mod, r.Mod.Version, vv,
						"%s is required in %s, but vendor/modules.txt vendors %s@%s: have %s, want %s; %s",
						modulestxt.Describe(r.Mod), src, r.Mod.Path, vv, vv, r.Mod.Version, remedy)
				}
				continue
			}
			if meta != nil {
				add(txtName, meta.Line, r.Mod, "## explicit", "",
					"%s is explicitly required in %s (%s:%d), but not marked \"## explicit\" in vendor/modules.txt: %s",
					modulestxt.Describe(r.Mod), src, modName, line, remedy)
				continue
			}
			if other := vl.OtherVersion(r.Mod.Path); other != "" {
				add(modName, line, r.Mod, r.Mod.Version, other,
					"%s is explicitly required in %s, but vendor/modules.txt has %s@%s: have %s, want %s; %s",
					modulestxt.Describe(r.Mod), src, r.Mod.Path, other, other, r.Mod.Version, remedy)
				continue
			}
			add(modName, line, r.Mod, r.Mod.Version, "",
				"%s is explicitly required in %s, but missing from vendor/modules.txt: %s", modulestxt.Describe(r.Mod), src, remedy)
		}
	}

	// Replacements: every replace directive of the modules, then go.work's,
	// against the replacement in effect for its module version.
	reportedLine := make(map[int]bool)
	seenrep := make(map[module.Version]bool)
	checkReplace := func(file string, reps []*modfile.Replace) {
		for _, r := range reps {
			if seenrep[r.Old] {
				continue
			}
			seenrep[r.Old] = true
			eff := v.replacement(r.Old)
			rNew := eff.new
			var vr module.Version
			meta := vl.Meta[r.Old]
			if meta != nil {
				vr = meta.Replacement
			}
			switch {
			case vr == (module.Version{}):
				if rNew == (module.Version{}) {
					// Not actually replaced (a main module).
				} else if pre114 && (r.Old.Version == "" || vl.Version[r.Old.Path] != r.Old.Version) {
					// Before 1.14, modules.txt omitted wildcard replacements and
					// replacements of modules without vendored packages.
				} else {
					add(eff.file, eff.line, r.Old, "=> "+modulestxt.Describe(rNew), "",
						"%s is replaced by %s in %s, but vendor/modules.txt does not record the replacement: %s",
						modulestxt.Describe(r.Old), modulestxt.Describe(rNew), v.src(eff.file), remedy)
				}
			case vr != rNew:
				reportedLine[meta.ReplaceLine] = true
				add(txtName, meta.ReplaceLine, r.Old, "=> "+modulestxt.Describe(rNew), "=> "+modulestxt.Describe(vr),
					"%s is replaced by %s in %s (%s:%d), but vendor/modules.txt records %s: have %s, want %s; %s",
					modulestxt.Describe(r.Old), modulestxt.Describe(rNew), v.src(eff.file), eff.file, eff.line, modulestxt.Describe(vr), modulestxt.Describe(vr), modulestxt.Describe(rNew), remedy)
			}
		}
	}
	for _, mm := range v.mods {
		checkReplace(mm.name, mm.mf.Replace)
	}
	if v.work != nil {
		checkReplace(v.workName, v.work.Replace)
	}

	// Explicit modules that provide packages must be required.
	notRequired := "go.mod does not require it"
	notReplaced := "go.mod does not replace it"
	if v.work != nil {
		notRequired = "no go.mod of the workspace requires it"
		notReplaced = "the workspace does not replace it"
	}
	for _, m := range vl.Modules {
		meta := vl.Meta[m]
		if meta == nil || !meta.Explicit {
			continue
		}
		if _, ok := required[m]; ok {
			continue
		}
		if want, ok := requiredVersion[m.Path]; ok {
			rq := required[want]
			add(txtName, meta.ExplicitLine, m, want.Version, m.Version,
				"%s is marked \"## explicit\" in vendor/modules.txt, but %s requires %s (%s:%d): have %s, want %s; %s",
				modulestxt.Describe(m), v.src(rq.file), modulestxt.Describe(want), rq.file, rq.line, m.Version, want.Version, remedy)
			continue
		}
		add(txtName, meta.ExplicitLine, m, "", m.Version,
			"%s is marked \"## explicit\" in vendor/modules.txt, but %s: %s", modulestxt.Describe(m), notRequired, remedy)
	}

	// Replacements recorded in modules.txt must be the ones in effect.
	for _, vr := range vl.Replaced {
		eff := v.replacement(vr.Mod)
		r := eff.new
		if r == (module.Version{}) && !reportedLine[vr.Line] {
			reportedLine[vr.Line] = true
			add(txtName, vr.Line, vr.Mod, "", "=> "+modulestxt.Describe(vr.Repl),
				"%s is marked as replaced by %s in vendor/modules.txt, but %s: %s",
				modulestxt.Describe(vr.Mod), modulestxt.Describe(vr.Repl), notReplaced, remedy)
			continue
		}
		if r != (module.Version{}) && r != vr.Repl && !reportedLine[vr.Line] {
			reportedLine[vr.Line] = true
			add(txtName, vr.Line, vr.Mod, "=> "+modulestxt.Describe(r), "=> "+modulestxt.Describe(vr.Repl),
				"%s is marked as replaced by %s in vendor/modules.txt, but %s replaces it by %s: have %s, want %s; %s",
				modulestxt.Describe(vr.Mod), modulestxt.Describe(vr.Repl), v.src(eff.file), modulestxt.Describe(r), modulestxt.Describe(vr.Repl), modulestxt.Describe(r), remedy)
		}
	}

	Sort(findings)
	return findings
}

// vendorSelected compares the versions vendor/modules.txt vendors
// packages from with the build list the go command computes from go.mod
// (selected: module path → selected version, as `go list -m all` lists it,
// the Version field, not a replacement's; main modules may be left out). rel
// is the directory of the vendor directory relative to the audited
// directory; workspace says it is a workspace's (go work vendor writes it).
//
// Each module line of modules.txt that packages are listed under must name
// the selected version of its module: go mod vendor writes no other, but the
// go command's consistency check compares only go.mod's own requirements, so
// the version of a module go.mod does not list (an implicit dependency of a
// go.mod before 1.17, or an untidy one) may be edited unnoticed, and the
// vendored files made to match a version that never existed. Such a line is
// vendor-inconsistent, at its line. Call it only with the build list of the
// mode the vendor directory is used in: a workspace's for the workspace's
// vendor directory, the module's own for a module's.
func vendorSelected(rel string, modulesTxt []byte, selected map[string]string, workspace bool) []Finding {
	if selected == nil {
		return nil
	}
	vl := modulestxt.Parse(modulesTxt)
	txtName := path.Join(filepath.ToSlash(rel), "vendor/modules.txt")
	remedy, list := "run go mod vendor", "the build list of go.mod"
	if workspace {
		remedy, list = "run go work vendor", "the workspace's build list"
	}
	var findings []Finding
	seen := make(map[module.Version]bool)
	for _, p := range vl.Pkgs {
		m := p.Mod
		if seen[m] || !modulestxt.InModule(p.Path, m.Path) {
			continue // modulestxt.Parse's problems cover a package outside its module
		}
		seen[m] = true
		line := p.Line
		if meta := vl.Meta[m]; meta != nil {
			line = meta.Line
		}
		want, ok := selected[m.Path]
		var fd Finding
		switch {
		case !ok:
			fd = NewFinding(RuleVendorInconsistent, txtName, line,
				"vendor/modules.txt vendors packages from %s (%s, line %d), but %s (go list -m all) has no module %s: %s",
				modulestxt.Describe(m), p.Path, p.Line, list, m.Path, remedy)
			fd.Got = m.Version
		case want != m.Version:
			fd = NewFinding(RuleVendorInconsistent, txtName, line,
				"vendor/modules.txt vendors packages from %s (%s, line %d), but %s (go list -m all) selects %s: have %s, want %s; %s",
				modulestxt.Describe(m), p.Path, p.Line, list, modulestxt.Describe(module.Version{Path: m.Path, Version: want}), m.Version, want, remedy)
			fd.Want, fd.Got = want, m.Version
		default:
			continue
		}
		fd.Module, fd.Version = m.Path, m.Version
		findings = append(findings, fd)
	}
	Sort(findings)
	return findings
}

// zipFor returns the verified zip of a module version, an error wrapping
// errNoSum if go.sum has no hash of it.
func (v *Vendor) zipFor() func(module.Version) (string, error) {
	hasSum := make(map[module.Version]bool)
	for _, sf := range v.Sums {
		for _, l := range sf.Lines {
			if strings.HasPrefix(l.Hash, "h1:") && !l.GoMod() {
				hasSum[l.Module()] = true
			}
		}
	}
	return func(m module.Version) (string, error) {
		if z, ok := v.Zips[m]; ok {
			return z, nil
		}
		if !hasSum[m] {
			return "", errNoSum
		}
		return "", errors.New("go.sum has its hash, but no zip of it was verified against that hash")
	}
}
