package verify

// Checks of a vendor directory: vendor-inconsistent (vendor/modules.txt
// against go.mod) and vendor-tampered (the vendored files against the
// go.sum-verified module zips).
//
// `go build -mod=vendor` trusts vendor/ and `go mod verify` ignores it
// (golang/go#27348), so both checks mirror the go command (Go 1.26) instead:
//
//   - modules.txt is read as cmd/go/internal/modload.readVendorList reads it,
//     and compared with go.mod as modload.checkVendorConsistency compares them
//     (single-module mode; see CheckVendorConsistency).
//   - The files go mod vendor would write are computed as
//     cmd/go/internal/modcmd.vendorPkg computes them: copyDir with
//     matchPotentialSourceFile (imports.ReadImports and imports.ShouldBuild
//     with AnyTags), copyMetadata with metaPrefixes, and the //go:embed files
//     of go/build's ImportDir (UseAllFiles) resolved as
//     cmd/go/internal/load.ResolveEmbed resolves them.

import (
	"archive/zip"
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"go/build"
	"go/build/constraint"
	"go/version"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
	modzip "golang.org/x/mod/zip"
)

// ---------------------------------------------------------------------------
// vendor/modules.txt, as readVendorList reads it.

// vendList is vendor/modules.txt as cmd/go's readVendorList reads it, with
// the line of every fact, and the lines the go command ignores.
type vendList struct {
	list     []module.Version             // vendorList: modules that provide packages, in order of appearance
	version  map[string]string            // vendorVersion: module path → selected version
	meta     map[module.Version]*vendMeta // vendorMeta
	replaced []vendReplaced               // vendorReplaced, with each line's own replacement
	pkgs     []vendPkg                    // package lines, in order
	problems []vendProblem                // lines the go command ignores or go mod vendor never writes
}

// vendMeta is the go command's vendorMetadata of one module version, with lines.
type vendMeta struct {
	line         int // first module line
	explicit     bool
	explicitLine int
	replacement  module.Version
	replaceLine  int // the module line that set replacement (the last one)
	goVersion    string
	goLine       int // the annotation line that set goVersion
}

type vendReplaced struct {
	mod, repl module.Version
	line      int
}

type vendPkg struct {
	path string
	mod  module.Version
	line int
}

type vendProblem struct {
	line int
	mod  module.Version // the module the line is about, if any
	msg  string
}

func (vl *vendList) problem(line int, format string, args ...any) {
	vl.problems = append(vl.problems, vendProblem{line: line, msg: fmt.Sprintf(format, args...)})
}

func (vl *vendList) modProblem(line int, m module.Version, format string, args ...any) {
	vl.problems = append(vl.problems, vendProblem{line, m, fmt.Sprintf(format, args...)})
}

func (vl *vendList) metaOf(m module.Version, line int) *vendMeta {
	meta := vl.meta[m]
	if meta == nil {
		meta = &vendMeta{line: line}
		vl.meta[m] = meta
	}
	return meta
}

// parseVendList reads modules.txt exactly as readVendorList does: lines split
// at '\n' and fields at white space (so CRLF is accepted), and every line it
// cannot interpret ignored. Those lines are also recorded as problems, as
// are package lines go mod vendor never writes (a package outside its
// module, a package listed twice); blank lines and unknown "## " annotations
// (reserved for future use) are not problems.
func parseVendList(data []byte) *vendList {
	vl := &vendList{version: make(map[string]string), meta: make(map[module.Version]*vendMeta)}
	var mod module.Version
	badHeader := false // the last module line was ignored; its lines are not reported again
	seenModule := false
	pkgLine := make(map[string]int)
	firstPkgOf := make(map[string]vendPkg) // module path → its first package line
	twice := make(map[module.Version]bool)
	for i, line := range strings.Split(string(data), "\n") {
		n := i + 1
		if strings.HasPrefix(line, "# ") {
			seenModule = true
			f := strings.Fields(line)
			if len(f) < 3 {
				// The go command keeps the previous module: the lines below
				// count as part of it.
				vl.problem(n, "malformed module line %q (fewer than 3 fields): the go command ignores it and counts the lines below it as the previous module's", strings.TrimSpace(line))
				continue
			}
			var rest []string
			switch {
			case semver.IsValid(f[2]):
				mod = module.Version{Path: f[1], Version: f[2]}
				rest = f[3:]
			case f[2] == "=>":
				mod = module.Version{Path: f[1]}
				rest = f[2:]
			default:
				mod = module.Version{}
				badHeader = true
				vl.problem(n, "malformed module line %q: %q is neither a version nor \"=>\"; the go command ignores the module and the lines below it", strings.TrimSpace(line), f[2])
				continue
			}
			badHeader = false
			meta := vl.metaOf(mod, n)
			if len(rest) >= 2 && rest[0] == "=>" {
				var repl module.Version
				switch {
				case len(rest) == 2:
					repl = module.Version{Path: rest[1]}
				case len(rest) == 3 && semver.IsValid(rest[2]):
					repl = module.Version{Path: rest[1], Version: rest[2]}
				default:
					vl.modProblem(n, mod, "malformed replacement in %q: the go command ignores it", strings.TrimSpace(line))
					continue
				}
				meta.replacement, meta.replaceLine = repl, n
				vl.replaced = append(vl.replaced, vendReplaced{mod, repl, n})
			} else if len(rest) > 0 {
				vl.modProblem(n, mod, "malformed module line %q: the go command ignores the text after the version", strings.TrimSpace(line))
			}
			continue
		}
		if mod.Path == "" {
			switch t := strings.TrimSpace(line); {
			case t == "" || badHeader:
			case t == "## workspace" && !seenModule: // go work vendor's first line
			default:
				vl.problem(n, "line %q is not below a module line: the go command ignores it", t)
			}
			continue
		}
		if annotations, ok := strings.CutPrefix(line, "## "); ok {
			meta := vl.metaOf(mod, n)
			for entry := range strings.SplitSeq(annotations, ";") {
				entry = strings.TrimSpace(entry)
				if entry == "explicit" {
					meta.explicit = true
					if meta.explicitLine == 0 {
						meta.explicitLine = n
					}
				}
				if gv, ok := strings.CutPrefix(entry, "go "); ok {
					meta.goVersion, meta.goLine = gv, n
					if !modfile.GoVersionRE.MatchString(gv) {
						vl.modProblem(n, mod, "invalid go version %q for %s", gv, vendDescribe(mod))
					}
				}
			}
			continue
		}
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if len(f) != 1 || module.CheckImportPath(f[0]) != nil {
			vl.problem(n, "line %q is neither a module line, an annotation nor a package path: the go command ignores it", strings.TrimSpace(line))
			continue
		}
		pkg := f[0]
		if first, ok := pkgLine[pkg]; ok {
			vl.modProblem(n, mod, "package %s is listed again (first at line %d): the go command takes it from %s", pkg, first, vendDescribe(mod))
		} else {
			pkgLine[pkg] = n
		}
		if !vendInModule(pkg, mod.Path) {
			vl.modProblem(n, mod, "package %s is listed under module %s, which does not contain it", pkg, mod.Path)
		}
		if first, ok := firstPkgOf[mod.Path]; !ok {
			firstPkgOf[mod.Path] = vendPkg{pkg, mod, n}
		} else if first.mod != mod && !twice[mod] {
			twice[mod] = true
			vl.modProblem(n, mod, "package %s is listed under %s, but packages of %s are also listed under %s (line %d): the go command vendors one version of each module",
				pkg, vendDescribe(mod), mod.Path, vendDescribe(first.mod), first.line)
		}
		vl.pkgs = append(vl.pkgs, vendPkg{pkg, mod, n})
		if v, ok := vl.version[mod.Path]; !ok || vendModCompare(mod.Path, v, mod.Version) < 0 {
			vl.list = append(vl.list, mod)
			vl.version[mod.Path] = mod.Version
		}
	}
	return vl
}

// vendInModule reports whether package pkg lies in module modPath.
func vendInModule(pkg, modPath string) bool {
	return pkg == modPath || strings.HasPrefix(pkg, modPath+"/")
}

// vendModCompare is gover.ModCompare: the go and toolchain pseudo-modules
// have Go versions, every other module semantic versions.
func vendModCompare(p, v, w string) int {
	if p == "go" || p == "toolchain" {
		return vendGoCompare(strings.TrimPrefix(v, "go"), strings.TrimPrefix(w, "go"))
	}
	return semver.Compare(v, w)
}

// vendGoCompare compares Go versions ("1.21", "1.21.0", "1.22rc1") as
// gover.Compare does; an invalid version is lower than any valid one.
func vendGoCompare(v, w string) int {
	return version.Compare("go"+v, "go"+w)
}

// vendDescribe is checkVendorConsistency's describe: path@version, or path.
func vendDescribe(m module.Version) string {
	if m.Version == "" {
		return m.Path
	}
	return m.Path + "@" + m.Version
}

// ---------------------------------------------------------------------------
// vendor-inconsistent

// CheckVendorConsistency compares vendor/modules.txt (data) with the main module's parsed go.mod.
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
// CheckVendorFiles depend on them: a modules.txt replacement that differs
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
// CheckVendorFiles compares them with the vendored module's own go.mod.
// A workspace's vendor directory (go work vendor) is CheckWorkVendorConsistency's.
// Findings about a modules.txt line carry that line; findings about
// something modules.txt lacks carry the go.mod line of the requirement or
// replacement. Call it only when the vendor directory exists: the go command
// ignores go.mod's requirements otherwise.
func CheckVendorConsistency(rel string, mf *modfile.File, modulesTxt []byte) []Finding {
	if mf == nil || mf.Module == nil {
		return nil
	}
	rel = filepath.ToSlash(rel)
	goVersion := ""
	if mf.Go != nil {
		goVersion = mf.Go.Version
	}
	return checkVendorConsistency(&vendMains{
		txtName: path.Join(rel, "vendor/modules.txt"),
		mods:    []vendMainMod{{name: path.Join(rel, "go.mod"), dir: ".", mf: mf}},
		pre114:  vendGoCompare(goVersion, "1.14") < 0,
	}, parseVendList(modulesTxt))
}

// VendorIsForWorkspace reports whether modules.txt was written by go work
// vendor, as cmd/go's modulesTextIsForWorkspace decides it: its first line
// (within the first 512 bytes) is a "## " annotation list with the entry
// "workspace". The go command uses a vendor directory by default only in
// the mode it was written for, and with -mod=vendor in either.
func VendorIsForWorkspace(modulesTxt []byte) bool {
	line, _, _ := strings.Cut(string(modulesTxt[:min(len(modulesTxt), 512)]), "\n")
	annotations, ok := strings.CutPrefix(line, "## ")
	if !ok {
		return false
	}
	for entry := range strings.SplitSeq(annotations, ";") {
		if strings.TrimSpace(entry) == "workspace" {
			return true
		}
	}
	return false
}

// A WorkModule is a module of a go.work workspace: its directory relative to
// go.work's (as a relative use directive names it; make an absolute one
// relative first) and its parsed go.mod.
type WorkModule struct {
	Dir  string
	File *modfile.File
}

// CheckWorkVendorConsistency is CheckVendorConsistency for the vendor
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
func CheckWorkVendorConsistency(rel string, wf *modfile.WorkFile, mods []WorkModule, modulesTxt []byte) []Finding {
	if wf == nil {
		return nil
	}
	rel = filepath.ToSlash(rel)
	v := &vendMains{
		txtName:  path.Join(rel, "vendor/modules.txt"),
		work:     wf,
		workName: path.Join(rel, "go.work"),
	}
	for _, m := range mods {
		if m.File == nil || m.File.Module == nil {
			return nil // the go command cannot load the workspace either
		}
		dir := path.Clean(filepath.ToSlash(m.Dir))
		v.mods = append(v.mods, vendMainMod{name: path.Join(rel, dir, "go.mod"), dir: dir, mf: m.File})
	}
	if len(v.mods) == 0 {
		return nil
	}
	return checkVendorConsistency(v, parseVendList(modulesTxt))
}

// vendMains is what a vendor directory must agree with: one main module, or
// a workspace's modules and go.work.
type vendMains struct {
	txtName  string        // vendor/modules.txt, as findings name it
	mods     []vendMainMod // the main modules, in go.work's order
	work     *modfile.WorkFile
	workName string
	pre114   bool // a single main module whose go line is before 1.14 (or missing)
}

type vendMainMod struct {
	name string // its go.mod, as findings name it
	dir  string // its directory relative to the vendor directory's parent, slash-separated
	mf   *modfile.File
}

// src is how messages name the file that says something: "go.mod" for a
// single main module, as the go command says it, else the file's name.
func (v *vendMains) src(file string) string {
	if v.work == nil {
		return "go.mod"
	}
	return file
}

// A vendRepl is a replacement in effect, and the directive that makes it.
type vendRepl struct {
	new  module.Version
	file string
	line int
}

// replacement is modload.replacementFrom with canonicalizeReplacePath: the
// replacement of m in effect, or the zero vendRepl: go.work's, else the
// last module's.
func (v *vendMains) replacement(m module.Version) vendRepl {
	if m.Version == "" {
		for _, mm := range v.mods {
			if mm.mf.Module.Mod.Path == m.Path {
				return vendRepl{} // a main module is not replaced
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
			return vendRepl{r.New, v.workName, lineOf(r.Syntax)}
		}
	}
	// Every module's replacement, the last one winning, as in
	// replacementFrom (which keeps the earlier one, and fails, only when a
	// later module replaces the exact version otherwise).
	var found vendRepl
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
		found = vendRepl{n, mm.name, lineOf(r.Syntax)}
	}
	return found
}

// checkVendorConsistency is cmd/go's checkVendorConsistency over v.
func checkVendorConsistency(v *vendMains, vl *vendList) []Finding {
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

	for _, p := range vl.problems {
		add(txtName, p.line, p.mod, "", "", "%s: %s", p.msg, remedy)
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
			meta := vl.meta[r.Mod]
			if meta != nil && meta.explicit {
				continue
			}
			vv, vendored := vl.version[r.Mod.Path]
			if pre114 {
				if vendored && vv != r.Mod.Version {
					add(modName, line, r.Mod, r.Mod.Version, vv,
						"%s is required in %s, but vendor/modules.txt vendors %s@%s: have %s, want %s; %s",
						vendDescribe(r.Mod), src, r.Mod.Path, vv, vv, r.Mod.Version, remedy)
				}
				continue
			}
			if meta != nil {
				add(txtName, meta.line, r.Mod, "## explicit", "",
					"%s is explicitly required in %s (%s:%d), but not marked \"## explicit\" in vendor/modules.txt: %s",
					vendDescribe(r.Mod), src, modName, line, remedy)
				continue
			}
			if other := vl.otherVersion(r.Mod.Path); other != "" {
				add(modName, line, r.Mod, r.Mod.Version, other,
					"%s is explicitly required in %s, but vendor/modules.txt has %s@%s: have %s, want %s; %s",
					vendDescribe(r.Mod), src, r.Mod.Path, other, other, r.Mod.Version, remedy)
				continue
			}
			add(modName, line, r.Mod, r.Mod.Version, "",
				"%s is explicitly required in %s, but missing from vendor/modules.txt: %s", vendDescribe(r.Mod), src, remedy)
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
			meta := vl.meta[r.Old]
			if meta != nil {
				vr = meta.replacement
			}
			switch {
			case vr == (module.Version{}):
				if rNew == (module.Version{}) {
					// Not actually replaced (a main module).
				} else if pre114 && (r.Old.Version == "" || vl.version[r.Old.Path] != r.Old.Version) {
					// Before 1.14, modules.txt omitted wildcard replacements and
					// replacements of modules without vendored packages.
				} else {
					add(eff.file, eff.line, r.Old, "=> "+vendDescribe(rNew), "",
						"%s is replaced by %s in %s, but vendor/modules.txt does not record the replacement: %s",
						vendDescribe(r.Old), vendDescribe(rNew), v.src(eff.file), remedy)
				}
			case vr != rNew:
				reportedLine[meta.replaceLine] = true
				add(txtName, meta.replaceLine, r.Old, "=> "+vendDescribe(rNew), "=> "+vendDescribe(vr),
					"%s is replaced by %s in %s (%s:%d), but vendor/modules.txt records %s: have %s, want %s; %s",
					vendDescribe(r.Old), vendDescribe(rNew), v.src(eff.file), eff.file, eff.line, vendDescribe(vr), vendDescribe(vr), vendDescribe(rNew), remedy)
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
	for _, m := range vl.list {
		meta := vl.meta[m]
		if meta == nil || !meta.explicit {
			continue
		}
		if _, ok := required[m]; ok {
			continue
		}
		if want, ok := requiredVersion[m.Path]; ok {
			rq := required[want]
			add(txtName, meta.explicitLine, m, want.Version, m.Version,
				"%s is marked \"## explicit\" in vendor/modules.txt, but %s requires %s (%s:%d): have %s, want %s; %s",
				vendDescribe(m), v.src(rq.file), vendDescribe(want), rq.file, rq.line, m.Version, want.Version, remedy)
			continue
		}
		add(txtName, meta.explicitLine, m, "", m.Version,
			"%s is marked \"## explicit\" in vendor/modules.txt, but %s: %s", vendDescribe(m), notRequired, remedy)
	}

	// Replacements recorded in modules.txt must be the ones in effect.
	for _, vr := range vl.replaced {
		eff := v.replacement(vr.mod)
		r := eff.new
		if r == (module.Version{}) && !reportedLine[vr.line] {
			reportedLine[vr.line] = true
			add(txtName, vr.line, vr.mod, "", "=> "+vendDescribe(vr.repl),
				"%s is marked as replaced by %s in vendor/modules.txt, but %s: %s",
				vendDescribe(vr.mod), vendDescribe(vr.repl), notReplaced, remedy)
			continue
		}
		if r != (module.Version{}) && r != vr.repl && !reportedLine[vr.line] {
			reportedLine[vr.line] = true
			add(txtName, vr.line, vr.mod, "=> "+vendDescribe(r), "=> "+vendDescribe(vr.repl),
				"%s is marked as replaced by %s in vendor/modules.txt, but %s replaces it by %s: have %s, want %s; %s",
				vendDescribe(vr.mod), vendDescribe(vr.repl), v.src(eff.file), vendDescribe(r), vendDescribe(vr.repl), vendDescribe(r), remedy)
		}
	}

	vendSortFindings(findings)
	return findings
}

// otherVersion returns a version of modPath that modules.txt lists: the one
// packages are vendored from, else the first module line's.
func (vl *vendList) otherVersion(modPath string) string {
	if v, ok := vl.version[modPath]; ok {
		return v
	}
	first, firstLine := "", 0
	for m, meta := range vl.meta {
		if m.Path == modPath && m.Version != "" && (firstLine == 0 || meta.line < firstLine) {
			first, firstLine = m.Version, meta.line
		}
	}
	return first
}

func vendSortFindings(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Message < b.Message
	})
}

// ---------------------------------------------------------------------------
// vendor-tampered

// A VendorSkip is a vendored module that could not be compared.
type VendorSkip struct {
	Module module.Version
	Reason string
}

// CheckVendorFiles compares the files under dir/vendor with the files go mod vendor would copy
// from each vendored module's zip. zipFor returns the path of a module zip whose hash has already been
// verified against go.sum (the caller does that); if it returns an error, the module goes into the skipped list,
// unless the error wraps ErrNoSum: then the module is a vendor-tampered finding at its modules.txt line.
// Zips are untrusted: read them with archive/zip, never extract to disk, stream per-file contents through sha256.
//
// For every package vendor/modules.txt lists, the expected files are those
// cmd/go's vendorPkg (src/cmd/go/internal/modcmd/vendor.go) copies into
// vendor/<import path>/:
//
//   - copyDir with matchPotentialSourceFile: the regular files of the package
//     directory, not its subdirectories; no _test.go file; no go.mod or go.sum
//     when the main module's go version is 1.17 or later; a .go file only if
//     imports.ShouldBuild accepts its header with AnyTags (every build tag
//     but "ignore" counts as both true and false, so GOOS/GOARCH constraints
//     and file names do not matter, "//go:build ignore" does), or if reading
//     its imports fails; every other file, whatever its build constraints.
//   - copyMetadata: files whose names start with one of metaPrefixes
//     (AUTHORS, CONTRIBUTORS, COPYLEFT, COPYING, COPYRIGHT, LEGAL, LICENSE,
//     NOTICE, PATENTS) from each parent directory up to the module root,
//     once per directory, in go mod vendor's order.
//   - the //go:embed files of go/build's ImportDir with UseAllFiles (and
//     test embeds too when the main module's go version is before 1.22),
//     resolved as load.ResolveEmbed resolves them; none for a package
//     without Go files, or whose patterns do not resolve (go mod vendor
//     fails then). As in go mod vendor, the embeds of cgo files count only
//     if cgo is enabled in this process's environment (CGO_ENABLED).
//
// The source is the zip of the module version modules.txt lists, or of its
// replacement ("# path version => newpath newversion": zipFor is asked for
// newpath@newversion); a module replaced by a directory ("=> ./dir") is
// compared with that directory on disk (relative to dir), which no go.sum
// hash covers. CheckVendorConsistency must pass for the listed versions and
// replacements to be go.mod's.
//
// The "## go" annotation of a module that is not replaced must be the one go
// mod vendor writes from its zip's go.mod (checkGoAnnotation): it sets the
// language version the vendored files are compiled at.
//
// A file vendor/ has that go mod vendor would not write is "added", one it
// would write that is absent "missing", one with other bytes (or not a
// regular file) "modified". Files of a skipped module are not judged.
// vendor/modules.txt itself is not compared. The main module's go version is
// read from dir/go.mod (CheckWorkVendorFiles takes go.work's).
// File names in findings are slash paths relative to the audited directory
// (rel joined with vendor/...). The error is for an unreadable vendor
// directory or go.mod; a missing vendor directory counts as empty.
func CheckVendorFiles(dir, rel string, modulesTxt []byte, zipFor func(module.Version) (string, error)) ([]Finding, []VendorSkip, error) {
	goVersion, err := vendModGoVersion(dir)
	if err != nil {
		return nil, nil, err
	}
	return checkVendorFiles(dir, rel, goVersion, "go mod vendor", modulesTxt, zipFor)
}

// CheckWorkVendorFiles is CheckVendorFiles for the vendor directory of a
// workspace (dir is go.work's directory): go work vendor copies the same
// files, with the go version of go.work (wf) as the main modules' go
// version (1.18 without a go line).
func CheckWorkVendorFiles(dir, rel string, wf *modfile.WorkFile, modulesTxt []byte, zipFor func(module.Version) (string, error)) ([]Finding, []VendorSkip, error) {
	goVersion := "1.18"
	if wf != nil && wf.Go != nil {
		goVersion = wf.Go.Version
	}
	return checkVendorFiles(dir, rel, goVersion, "go work vendor", modulesTxt, zipFor)
}

func checkVendorFiles(dir, rel, goVersion, tool string, modulesTxt []byte, zipFor func(module.Version) (string, error)) ([]Finding, []VendorSkip, error) {
	rel = filepath.ToSlash(rel)
	vl := parseVendList(modulesTxt)
	c := &vendCollector{
		dir:       dir,
		txtName:   path.Join(rel, "vendor/modules.txt"),
		vendName:  path.Join(rel, "vendor"),
		goVersion: goVersion,
		toolName:  tool,
		vl:        vl,
		zipFor:    zipFor,
		sources:   make(map[module.Version]*vendSource),
		want:      make(map[string]*vendWant),
		copied:    make(map[string]bool),
		pkgMod:    make(map[string]module.Version),
	}
	defer c.close()

	// The go command takes a package listed twice from its last listing.
	last := make(map[string]int)
	for i, p := range vl.pkgs {
		last[p.path] = i
	}
	for i, p := range vl.pkgs {
		if last[p.path] != i || !vendInModule(p.path, p.mod.Path) {
			continue // CheckVendorConsistency reports these lines
		}
		c.pkgMod[p.path] = p.mod
		s := c.source(p.mod)
		if s.skip != "" {
			continue
		}
		if err := c.vendorPkg(s, p); err != nil {
			s.skip = fmt.Sprintf("reading %s: %v", s.desc, err)
			c.skips = append(c.skips, VendorSkip{Module: p.mod, Reason: s.skip})
		}
	}
	if err := c.compare(); err != nil {
		return nil, nil, err
	}
	vendSortFindings(c.findings)
	sort.Slice(c.skips, func(i, j int) bool {
		a, b := c.skips[i].Module, c.skips[j].Module
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		return semver.Compare(a.Version, b.Version) < 0
	})
	return c.findings, c.skips, nil
}

// vendModGoVersion is MainModules.GoVersion for a single main module:
// go.mod's go line (1.16 without one).
func vendModGoVersion(dir string) (string, error) {
	name := filepath.Join(dir, "go.mod")
	data, err := ReadFileLimited(name, MaxSumFileSize)
	if err != nil {
		return "", err
	}
	mf, err := modfile.ParseLax(name, data, nil)
	if err != nil {
		return "", err
	}
	if mf.Go == nil {
		return "1.16", nil
	}
	return mf.Go.Version, nil
}

// vendSource is where a vendored module's files come from.
type vendSource struct {
	mod    module.Version // as modules.txt lists it
	tree   vendTree
	desc   string // "example.com/a@v1.0.0", "example.com/a@v1.0.0 (replaced by ./dir)"
	skip   string // why it cannot be compared
	closer io.Closer
}

// vendWant is one file go mod vendor would write.
type vendWant struct {
	src  *vendSource
	name string // slash path in src.tree
}

type vendCollector struct {
	dir, txtName, vendName string
	goVersion              string
	toolName               string // go mod vendor, go work vendor
	vl                     *vendList
	zipFor                 func(module.Version) (string, error)
	sources                map[module.Version]*vendSource
	want                   map[string]*vendWant      // vendor-relative path → source
	copied                 map[string]bool           // copiedMetadata: modPath + "\x00" + dst
	pkgMod                 map[string]module.Version // package → the module it is vendored from (last listing)
	findings               []Finding
	skips                  []VendorSkip
}

// tool is the command that writes the vendor directory.
func (c *vendCollector) tool() string { return c.toolName }

func (c *vendCollector) close() {
	for _, s := range c.sources {
		if s.closer != nil {
			s.closer.Close()
		}
	}
}

// source opens the source of module m once.
func (c *vendCollector) source(m module.Version) *vendSource {
	if s := c.sources[m]; s != nil {
		return s
	}
	s := &vendSource{mod: m}
	c.sources[m] = s
	var repl module.Version
	if meta := c.vl.meta[m]; meta != nil {
		repl = meta.replacement
	}
	skip := func(format string, args ...any) *vendSource {
		s.skip = fmt.Sprintf(format, args...)
		c.skips = append(c.skips, VendorSkip{Module: m, Reason: s.skip})
		return s
	}
	if repl.Path != "" && repl.Version == "" {
		s.desc = fmt.Sprintf("%s (replaced by %s)", vendDescribe(m), repl.Path)
		d := filepath.FromSlash(repl.Path)
		if !filepath.IsAbs(d) {
			d = filepath.Join(c.dir, d)
		}
		if fi, err := os.Stat(d); err != nil || !fi.IsDir() {
			if err == nil {
				err = errors.New("not a directory")
			}
			return skip("replacement directory %s: %v", repl.Path, err)
		}
		s.tree = vendDirTree{root: d}
		return s
	}
	from := m
	s.desc = vendDescribe(m)
	if repl.Path != "" {
		from = repl
		s.desc = fmt.Sprintf("%s (replaced by %s)", vendDescribe(m), vendDescribe(repl))
	}
	if from.Version == "" {
		return skip("modules.txt gives no version for %s", from.Path)
	}
	if c.zipFor == nil {
		return skip("no verified zip of %s", vendDescribe(from))
	}
	file, err := c.zipFor(from)
	if errors.Is(err, ErrNoSum) {
		// Not a skip: no verified zip of it can exist.
		s.skip = err.Error()
		line := 0
		if meta := c.vl.meta[m]; meta != nil {
			line = meta.line
		}
		fd := NewFinding(RuleVendorTampered, c.txtName, line,
			"%s is vendored, but no go.sum line has the hash of %s: its vendored files cannot be verified (%s refuses a module without one; go build -mod=vendor builds them unchecked): run %s",
			s.desc, vendDescribe(from), c.tool(), c.tool())
		fd.Module, fd.Version = m.Path, m.Version
		c.findings = append(c.findings, fd)
		return s
	}
	if err != nil {
		return skip("no verified zip of %s: %v", vendDescribe(from), err)
	}
	t, closer, err := vendOpenZip(from, file)
	if err != nil {
		return skip("%v", err)
	}
	s.tree, s.closer = t, closer
	if from == m {
		c.checkGoAnnotation(s)
	}
	return s
}

// vendorPkg adds the files go mod vendor copies for one package.
func (c *vendCollector) vendorPkg(s *vendSource, p vendPkg) error {
	modPath := p.mod.Path
	srcDir := "."
	if p.path != modPath {
		srcDir = p.path[len(modPath)+1:]
	}
	if mode, err := s.tree.stat(srcDir); err != nil || !mode.IsDir() {
		fd := NewFinding(RuleVendorTampered, c.txtName, p.line,
			"package %s is listed under %s, which has no directory %s: %s cannot have written it; run %s",
			p.path, s.desc, srcDir, c.tool(), c.tool())
		fd.Module, fd.Version = p.mod.Path, p.mod.Version
		c.findings = append(c.findings, fd)
		return nil
	}
	// copyDir(dst, src, matchPotentialSourceFile)
	if err := c.copyDir(s, p.path, srcDir, func(e vendEntry) (bool, error) {
		return vendPotentialSource(s.tree, srcDir, e.name, c.goVersion)
	}); err != nil {
		return err
	}
	// copyMetadata(modPath, pkg, dst, src)
	pkg, dst, src := p.path, p.path, srcDir
	for parent := 0; ; parent++ {
		key := modPath + "\x00" + dst
		if c.copied[key] {
			break
		}
		c.copied[key] = true
		if parent > 0 {
			if err := c.copyDir(s, dst, src, func(e vendEntry) (bool, error) { return vendMetadata(e.name), nil }); err != nil {
				return err
			}
		}
		if modPath == pkg {
			break
		}
		pkg, dst, src = path.Dir(pkg), path.Dir(dst), path.Dir(src)
	}
	// Embedded files.
	patterns, err := vendEmbedPatterns(s.tree, srcDir, c.goVersion)
	if err != nil {
		return err
	}
	embeds, err := vendResolveEmbed(s.tree, srcDir, patterns)
	if err != nil {
		return nil // go mod vendor reports the error and copies no embedded file of the package
	}
	for _, e := range embeds {
		c.want[p.path+"/"+e] = &vendWant{s, path.Join(srcDir, e)}
	}
	return nil
}

// copyDir records the regular files of src that match, as files of dst.
func (c *vendCollector) copyDir(s *vendSource, dst, src string, match func(vendEntry) (bool, error)) error {
	entries, err := s.tree.list(src)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.mode.IsDir() || !e.mode.IsRegular() {
			continue
		}
		ok, err := match(e)
		if err != nil {
			return err
		}
		if ok {
			c.want[dst+"/"+e.name] = &vendWant{s, path.Join(src, e.name)}
		}
	}
	return nil
}

// metaPrefixes is cmd/go's list of metadata file prefixes.
var vendMetaPrefixes = []string{
	"AUTHORS",
	"CONTRIBUTORS",
	"COPYLEFT",
	"COPYING",
	"COPYRIGHT",
	"LEGAL",
	"LICENSE",
	"NOTICE",
	"PATENTS",
}

// vendMetadata is matchMetadata.
func vendMetadata(name string) bool {
	for _, p := range vendMetaPrefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// vendPotentialSource is matchPotentialSourceFile.
func vendPotentialSource(t vendTree, dir, name, goVersion string) (bool, error) {
	if strings.HasSuffix(name, "_test.go") {
		return false, nil
	}
	if (name == "go.mod" || name == "go.sum") && vendGoCompare(goVersion, "1.17") >= 0 {
		return false, nil
	}
	if !strings.HasSuffix(name, ".go") {
		return true, nil
	}
	f, err := t.open(path.Join(dir, name))
	if err != nil {
		return false, err
	}
	defer f.Close()
	content, nul, err := vendReadImports(f)
	if err != nil {
		return false, err // an I/O error: the go command stops
	}
	if !nul && !vendShouldBuildAnyTags(content) {
		return false, nil // tagged "ignore": it can't affect the build
	}
	return true, nil
}

// compare walks dir/vendor and reports what differs from c.want.
func (c *vendCollector) compare() error {
	have := make(map[string]fs.FileMode)
	vdir := filepath.Join(c.dir, "vendor")
	root, err := os.OpenRoot(vdir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return err
	default:
		defer root.Close()
		err := fs.WalkDir(root.FS(), ".", func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() || p == "modules.txt" {
				return nil
			}
			have[p] = d.Type()
			return nil
		})
		if err != nil {
			return fmt.Errorf("reading %s: %v", vdir, err)
		}
	}

	names := make([]string, 0, len(have)+len(c.want))
	for p := range have {
		names = append(names, p)
	}
	for p := range c.want {
		if _, ok := have[p]; !ok {
			names = append(names, p)
		}
	}
	slices.Sort(names)

	for _, p := range names {
		file := path.Join(c.vendName, p)
		w := c.want[p]
		mode, inVendor := have[p]
		switch {
		case w != nil && w.src.skip != "":
			// The module's source failed while it was being read.
		case w == nil:
			owner, ok := c.owner(p)
			if s := c.sources[owner]; ok && s != nil && s.skip != "" {
				continue // the module version was not compared: not judged
			}
			c.added(file, p, owner, ok)
		case !inVendor:
			sum, err := w.src.tree.sum(w.name)
			if err != nil {
				c.sourceFailed(w.src, err)
				continue
			}
			fd := NewFinding(RuleVendorTampered, file, 0,
				"missing: %s copies %s from %s: run %s", c.tool(), w.name, w.src.desc, c.tool())
			fd.Module, fd.Version, fd.Want = w.src.mod.Path, w.src.mod.Version, sum
			c.findings = append(c.findings, fd)
		default:
			sum, err := w.src.tree.sum(w.name)
			if err != nil {
				c.sourceFailed(w.src, err)
				continue
			}
			if !mode.IsRegular() {
				fd := NewFinding(RuleVendorTampered, file, 0,
					"modified: not a regular file (%s), but %s copies %s from %s there: run %s",
					vendModeName(mode), c.tool(), w.name, w.src.desc, c.tool())
				fd.Module, fd.Version, fd.Want, fd.Got = w.src.mod.Path, w.src.mod.Version, sum, vendModeName(mode)
				c.findings = append(c.findings, fd)
				continue
			}
			got, err := vendSumFile(root, p)
			if err != nil {
				return fmt.Errorf("reading %s: %v", filepath.Join(vdir, filepath.FromSlash(p)), err)
			}
			if got != sum {
				fd := NewFinding(RuleVendorTampered, file, 0,
					"modified: differs from %s in %s: run %s", w.name, w.src.desc, c.tool())
				fd.Module, fd.Version, fd.Want, fd.Got = w.src.mod.Path, w.src.mod.Version, sum, got
				c.findings = append(c.findings, fd)
			}
		}
	}
	return nil
}

// sourceFailed turns a module whose source could not be read into a skip and
// drops the findings already made about it.
func (c *vendCollector) sourceFailed(s *vendSource, err error) {
	if s.skip != "" {
		return
	}
	s.skip = fmt.Sprintf("reading %s: %v", s.desc, err)
	c.skips = append(c.skips, VendorSkip{Module: s.mod, Reason: s.skip})
	kept := c.findings[:0]
	for _, fd := range c.findings {
		if fd.File == c.txtName || fd.Module != s.mod.Path || fd.Version != s.mod.Version {
			kept = append(kept, fd)
		}
	}
	c.findings = kept
}

// added reports a vendored file go mod vendor would not write.
func (c *vendCollector) added(file, p string, owner module.Version, ok bool) {
	var fd Finding
	switch {
	case !ok:
		fd = NewFinding(RuleVendorTampered, file, 0,
			"added: no module in vendor/modules.txt provides this path: delete it or run %s", c.tool())
	default:
		s := c.sources[owner]
		inMod := "."
		if d := path.Dir(p); d != owner.Path {
			inMod = d[len(owner.Path)+1:]
		}
		name := path.Join(inMod, path.Base(p))
		why := ""
		switch {
		case strings.HasSuffix(p, "_test.go"):
			why = " (_test.go files are never vendored)"
		case s != nil && s.tree != nil:
			if mode, err := s.tree.stat(name); err != nil || mode.IsDir() {
				why = fmt.Sprintf(" (it has no file %s)", name)
			}
		}
		desc := vendDescribe(owner)
		if s != nil && s.desc != "" {
			desc = s.desc
		}
		fd = NewFinding(RuleVendorTampered, file, 0,
			"added: %s does not copy this file from %s%s: delete it or run %s", c.tool(), desc, why, c.tool())
		fd.Module, fd.Version = owner.Path, owner.Version
	}
	c.findings = append(c.findings, fd)
}

// owner returns the module version the vendor-relative file p belongs to:
// the one its directory is listed under as a package, else the vendored
// module whose path is the longest prefix of p, at the version packages are
// vendored from.
func (c *vendCollector) owner(p string) (module.Version, bool) {
	best := ""
	d := path.Dir(p)
	if m, ok := c.pkgMod[d]; ok {
		return m, true
	}
	for modPath := range c.vl.version {
		if vendInModule(d, modPath) && len(modPath) > len(best) {
			best = modPath
		}
	}
	if best == "" {
		return module.Version{}, false
	}
	return module.Version{Path: best, Version: c.vl.version[best]}, true
}

func vendModeName(m fs.FileMode) string {
	if name := modeName(m); name != "irregular file" {
		return "a " + name
	}
	return "an irregular file"
}

// vendSumFile returns "sha256:" and the hex SHA-256 of a file in the vendor root.
func vendSumFile(root *os.Root, name string) (string, error) {
	f, err := root.Open(name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	return vendSum(f)
}

func vendSum(r io.Reader) (string, error) {
	h := sha256.New()
	if _, err := io.Copy(h, r); err != nil {
		return "", err
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

// ---------------------------------------------------------------------------
// Module sources: a module zip (never extracted) or a directory.

// vendTree is a module's file tree; names are slash paths relative to the
// module root ("." is the root).
type vendTree interface {
	// list returns the entries of a directory, sorted by name.
	list(dir string) ([]vendEntry, error)
	// lstat returns the type and permission bits of name, without
	// following a final symbolic link; stat follows it.
	lstat(name string) (fs.FileMode, error)
	stat(name string) (fs.FileMode, error)
	open(name string) (io.ReadCloser, error)
	sum(name string) (string, error)
}

type vendEntry struct {
	name string
	mode fs.FileMode
	size int64
}

// vendZipTree is a module zip, indexed by the file names under its
// "path@version/" prefix. Every file is a regular file, as the go command
// extracts it into the module cache.
type vendZipTree struct {
	files map[string]*zip.File
	dirs  map[string][]string // directory → sorted names of its entries
}

// vendOpenZip checks the zip with golang.org/x/mod/zip's CheckZip (names,
// collisions, sizes) and indexes it.
func vendOpenZip(m module.Version, file string) (*vendZipTree, io.Closer, error) {
	if _, err := modzip.CheckZip(m, file); err != nil {
		return nil, nil, fmt.Errorf("%s: not a valid module zip for %s: %v", file, vendDescribe(m), err)
	}
	z, err := zip.OpenReader(file)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %v", file, err)
	}
	t := &vendZipTree{files: make(map[string]*zip.File), dirs: map[string][]string{".": nil}}
	prefix := m.Path + "@" + m.Version + "/"
	children := make(map[string]map[string]bool)
	addDir := func(d string) {
		for d != "." {
			parent, base := path.Dir(d), path.Base(d)
			if children[parent] == nil {
				children[parent] = make(map[string]bool)
			}
			children[parent][base] = true
			if _, ok := t.dirs[d]; ok {
				return
			}
			t.dirs[d] = nil
			d = parent
		}
	}
	for _, zf := range z.File {
		name, ok := strings.CutPrefix(zf.Name, prefix)
		if !ok {
			z.Close()
			return nil, nil, fmt.Errorf("%s: %q is not under %s", file, zf.Name, prefix)
		}
		if name == "" {
			continue
		}
		if d, ok := strings.CutSuffix(name, "/"); ok {
			addDir(d)
			continue
		}
		t.files[name] = zf
		parent := path.Dir(name)
		addDir(parent)
		if children[parent] == nil {
			children[parent] = make(map[string]bool)
		}
		children[parent][path.Base(name)] = true
	}
	for d := range t.dirs {
		names := make([]string, 0, len(children[d]))
		for n := range children[d] {
			names = append(names, n)
		}
		slices.Sort(names)
		t.dirs[d] = names
	}
	return t, z, nil
}

func (t *vendZipTree) list(dir string) ([]vendEntry, error) {
	names, ok := t.dirs[dir]
	if !ok {
		return nil, &fs.PathError{Op: "readdir", Path: dir, Err: fs.ErrNotExist}
	}
	entries := make([]vendEntry, 0, len(names))
	for _, n := range names {
		p := path.Join(dir, n)
		if zf, ok := t.files[p]; ok {
			entries = append(entries, vendEntry{n, 0o444, int64(zf.UncompressedSize64)})
		} else {
			entries = append(entries, vendEntry{n, fs.ModeDir | 0o555, 0})
		}
	}
	return entries, nil
}

func (t *vendZipTree) lstat(name string) (fs.FileMode, error) {
	if _, ok := t.files[name]; ok {
		return 0o444, nil
	}
	if _, ok := t.dirs[name]; ok {
		return fs.ModeDir | 0o555, nil
	}
	return 0, &fs.PathError{Op: "lstat", Path: name, Err: fs.ErrNotExist}
}

func (t *vendZipTree) stat(name string) (fs.FileMode, error) { return t.lstat(name) }

func (t *vendZipTree) open(name string) (io.ReadCloser, error) {
	zf, ok := t.files[name]
	if !ok {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return zf.Open() // decompresses as it is read and checks the CRC-32 at the end
}

func (t *vendZipTree) sum(name string) (string, error) {
	r, err := t.open(name)
	if err != nil {
		return "", err
	}
	defer r.Close()
	return vendSum(r)
}

// vendDirTree is a module replaced by a directory, read as the go command
// reads it (following symbolic links in the path).
type vendDirTree struct{ root string }

func (t vendDirTree) path(name string) string { return filepath.Join(t.root, filepath.FromSlash(name)) }

func (t vendDirTree) list(dir string) ([]vendEntry, error) {
	des, err := os.ReadDir(t.path(dir))
	if err != nil {
		return nil, err
	}
	entries := make([]vendEntry, 0, len(des))
	for _, d := range des {
		e := vendEntry{name: d.Name(), mode: d.Type()}
		if info, err := d.Info(); err == nil {
			e.mode, e.size = info.Mode(), info.Size()
		}
		entries = append(entries, e)
	}
	return entries, nil
}

func (t vendDirTree) lstat(name string) (fs.FileMode, error) {
	fi, err := os.Lstat(t.path(name))
	if err != nil {
		return 0, err
	}
	return fi.Mode(), nil
}

func (t vendDirTree) stat(name string) (fs.FileMode, error) {
	fi, err := os.Stat(t.path(name))
	if err != nil {
		return 0, err
	}
	return fi.Mode(), nil
}

func (t vendDirTree) open(name string) (io.ReadCloser, error) { return os.Open(t.path(name)) }

func (t vendDirTree) sum(name string) (string, error) {
	f, err := os.Open(t.path(name))
	if err != nil {
		return "", err
	}
	defer f.Close()
	return vendSum(f)
}

// ---------------------------------------------------------------------------
// Embedded files.

// vendEmbedPatterns returns the //go:embed patterns go mod vendor resolves
// for the package in dir: go/build's ImportDir with UseAllFiles, reading the
// tree; EmbedPatterns, plus the test ones before go 1.22 (golang/go#63473).
// A package without Go files has none; other ImportDir errors are ignored
// (go mod vendor accepts a MultiplePackageError and stops on the rest).
func vendEmbedPatterns(t vendTree, dir, goVersion string) ([]string, error) {
	ctx := build.Default
	ctx.GOROOT, ctx.GOPATH = "", ""
	ctx.UseAllFiles = true
	ctx.JoinPath = path.Join
	ctx.SplitPathList = func(string) []string { return nil }
	ctx.IsAbsPath = path.IsAbs
	ctx.HasSubdir = func(string, string) (string, bool) { return "", false }
	ctx.IsDir = func(p string) bool {
		m, err := t.stat(p)
		return err == nil && m.IsDir()
	}
	var ioErr error
	ctx.ReadDir = func(p string) ([]fs.FileInfo, error) {
		entries, err := t.list(p)
		if err != nil {
			ioErr = err
			return nil, err
		}
		infos := make([]fs.FileInfo, len(entries))
		for i, e := range entries {
			infos[i] = vendFileInfo(e)
		}
		return infos, nil
	}
	ctx.OpenFile = func(p string) (io.ReadCloser, error) {
		r, err := t.open(p)
		if err != nil {
			ioErr = err
		}
		return r, err
	}
	bp, err := ctx.ImportDir(dir, build.IgnoreVendor)
	if ioErr != nil {
		return nil, ioErr
	}
	if err != nil {
		if _, ok := errors.AsType[*build.NoGoError](err); ok {
			return nil, nil
		}
		if bp == nil {
			return nil, nil
		}
	}
	if vendGoCompare(goVersion, "1.22") >= 0 {
		return bp.EmbedPatterns, nil
	}
	var all []string
	all = append(all, bp.EmbedPatterns...)
	all = append(all, bp.TestEmbedPatterns...)
	all = append(all, bp.XTestEmbedPatterns...)
	return all, nil
}

type vendFileInfo vendEntry

func (fi vendFileInfo) Name() string       { return fi.name }
func (fi vendFileInfo) Size() int64        { return fi.size }
func (fi vendFileInfo) Mode() fs.FileMode  { return fi.mode }
func (fi vendFileInfo) ModTime() time.Time { return time.Time{} }
func (fi vendFileInfo) IsDir() bool        { return fi.mode.IsDir() }
func (fi vendFileInfo) Sys() any           { return nil }

// vendResolveEmbed is load.ResolveEmbed on a tree: the files (relative to
// pkgdir, sorted) that the patterns embed. It fails where the go command
// fails; embedfollowsymlinks is taken at its default (off).
func vendResolveEmbed(t vendTree, pkgdir string, patterns []string) ([]string, error) {
	have := make(map[string]int)
	dirOK := make(map[string]bool)
	pid := 0
	relOf := func(p string) string {
		if pkgdir == "." {
			return p
		}
		return strings.TrimPrefix(p, pkgdir+"/")
	}
	for _, pattern := range patterns {
		pid++
		glob, all := strings.CutPrefix(pattern, "all:")
		if _, err := path.Match(glob, ""); err != nil || glob == "." || !fs.ValidPath(glob) {
			return nil, fmt.Errorf("pattern %s: invalid pattern syntax", pattern)
		}
		full := glob
		if pkgdir != "." {
			full = vendQuoteGlob(pkgdir) + "/" + glob
		}
		match, err := vendGlob(t, full)
		if err != nil {
			return nil, err
		}
		n := 0
		for _, file := range match {
			rel := relOf(file)
			what := "file"
			mode, err := t.lstat(file)
			if err != nil {
				return nil, err
			}
			if mode.IsDir() {
				what = "directory"
			}
			for d := file; d != pkgdir && d != "." && !dirOK[d]; d = path.Dir(d) {
				if _, err := t.stat(path.Join(d, "go.mod")); err == nil {
					return nil, fmt.Errorf("cannot embed %s %s: in different module", what, rel)
				}
				if d != file {
					if m, err := t.lstat(d); err == nil && !m.IsDir() {
						return nil, fmt.Errorf("cannot embed %s %s: in non-directory %s", what, rel, relOf(d))
					}
				}
				dirOK[d] = true
				if elem := path.Base(d); vendBadEmbedName(elem) {
					return nil, fmt.Errorf("cannot embed %s %s: invalid name %s", what, rel, elem)
				}
			}
			switch {
			case mode.IsRegular():
				if have[rel] != pid {
					have[rel] = pid
					n++
				}
			case mode.IsDir():
				count := 0
				err := vendWalk(t, file, mode, func(p string, m fs.FileMode) error {
					rel := relOf(p)
					name := path.Base(p)
					if p != file && (vendBadEmbedName(name) || ((name[0] == '.' || name[0] == '_') && !all)) {
						if m.IsDir() {
							return fs.SkipDir
						}
						if name[0] == '.' || name[0] == '_' {
							return nil
						}
						return fmt.Errorf("cannot embed file %s: invalid name %s", rel, name)
					}
					if m.IsDir() {
						if _, err := t.stat(path.Join(p, "go.mod")); err == nil {
							return fs.SkipDir
						}
						return nil
					}
					if !m.IsRegular() {
						return nil
					}
					count++
					if have[rel] != pid {
						have[rel] = pid
						n++
					}
					return nil
				})
				if err != nil {
					return nil, err
				}
				if count == 0 {
					return nil, fmt.Errorf("cannot embed directory %s: contains no embeddable files", rel)
				}
			default:
				return nil, fmt.Errorf("cannot embed irregular file %s", rel)
			}
		}
		if n == 0 {
			return nil, fmt.Errorf("pattern %s: no matching files found", pattern)
		}
	}
	files := make([]string, 0, len(have))
	for f := range have {
		files = append(files, f)
	}
	slices.Sort(files)
	return files, nil
}

// vendBadEmbedName is load.isBadEmbedName.
func vendBadEmbedName(name string) bool {
	if err := module.CheckFilePath(name); err != nil {
		return true
	}
	switch name {
	case "", ".bzr", ".hg", ".git", ".svn":
		return true
	}
	return false
}

// vendWalk is fs.WalkDir on a tree: root first, then each directory's
// entries in lexical order.
func vendWalk(t vendTree, root string, mode fs.FileMode, fn func(string, fs.FileMode) error) error {
	err := fn(root, mode)
	if err != nil || !mode.IsDir() {
		if err == fs.SkipDir && mode.IsDir() {
			return nil
		}
		return err
	}
	entries, err := t.list(root)
	if err != nil {
		return err
	}
	for _, e := range entries {
		p := path.Join(root, e.name)
		if e.mode.IsDir() {
			if err := vendWalk(t, p, e.mode, fn); err != nil {
				return err
			}
			continue
		}
		if err := fn(p, e.mode); err != nil {
			if err == fs.SkipDir {
				return nil
			}
			return err
		}
	}
	return nil
}

// vendQuoteGlob escapes the glob metacharacters of s (str.QuoteGlob).
func vendQuoteGlob(s string) string {
	var b strings.Builder
	for _, c := range s {
		if strings.ContainsRune(`*?[\`, c) {
			b.WriteByte('\\')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func vendHasMeta(p string) bool { return strings.ContainsAny(p, `*?[\`) }

// vendGlob is cmd/go's fsys.Glob on a tree: an existing name without
// metacharacters matches itself (Lstat); otherwise directories are listed
// and their names matched in sorted order, I/O errors ignored.
func vendGlob(t vendTree, pattern string) ([]string, error) {
	if _, err := path.Match(pattern, ""); err != nil {
		return nil, err
	}
	if !vendHasMeta(pattern) {
		if _, err := t.lstat(pattern); err != nil {
			return nil, nil
		}
		return []string{pattern}, nil
	}
	dir, file := path.Split(pattern)
	if dir == "" {
		dir = "."
	} else {
		dir = dir[:len(dir)-1]
	}
	if !vendHasMeta(dir) {
		return vendGlobDir(t, dir, file, nil)
	}
	if dir == pattern {
		return nil, path.ErrBadPattern
	}
	dirs, err := vendGlob(t, dir)
	if err != nil {
		return nil, err
	}
	var matches []string
	for _, d := range dirs {
		if matches, err = vendGlobDir(t, d, file, matches); err != nil {
			return matches, err
		}
	}
	return matches, nil
}

func vendGlobDir(t vendTree, dir, pattern string, matches []string) ([]string, error) {
	if m, err := t.stat(dir); err != nil || !m.IsDir() {
		return matches, nil
	}
	entries, err := t.list(dir)
	if err != nil {
		return matches, nil
	}
	for _, e := range entries { // sorted by name
		ok, err := path.Match(pattern, e.name)
		if err != nil {
			return matches, err
		}
		if ok {
			matches = append(matches, path.Join(dir, e.name))
		}
	}
	return matches, nil
}

// ---------------------------------------------------------------------------
// Build constraints: cmd/go/internal/imports.ShouldBuild with AnyTags.

// vendShouldBuildAnyTags reports whether a Go file whose leading bytes are
// content could be in some build: its //go:build line (or, without one, its
// // +build lines) is satisfiable when every tag but "ignore" may be true or
// false. A file with two //go:build lines is not.
func vendShouldBuildAnyTags(content []byte) bool {
	content, goBuild, err := vendParseFileHeader(content)
	if err != nil {
		return false
	}
	if goBuild != nil {
		x, err := constraint.Parse(string(goBuild))
		if err != nil {
			return false
		}
		return vendEvalAnyTags(x, true)
	}
	shouldBuild := true
	for p := content; len(p) > 0; {
		line := p
		if i := bytes.IndexByte(line, '\n'); i >= 0 {
			line, p = line[:i], p[i+1:]
		} else {
			p = p[len(p):]
		}
		line = bytes.TrimSpace(line)
		if !bytes.HasPrefix(line, []byte("//")) || !bytes.Contains(line, []byte("+build")) {
			continue
		}
		text := string(line)
		if !constraint.IsPlusBuild(text) {
			continue
		}
		if x, err := constraint.Parse(text); err == nil && !vendEvalAnyTags(x, true) {
			shouldBuild = false
		}
	}
	return shouldBuild
}

// vendEvalAnyTags is imports.eval with tags {"*": true}: a valid tag other
// than "ignore" takes the preferred value.
func vendEvalAnyTags(x constraint.Expr, prefer bool) bool {
	switch x := x.(type) {
	case *constraint.TagExpr:
		for _, c := range x.Tag {
			if !unicode.IsLetter(c) && !unicode.IsDigit(c) && c != '_' && c != '.' {
				return false
			}
		}
		if x.Tag != "" && x.Tag != "ignore" {
			return prefer
		}
		return false
	case *constraint.NotExpr:
		return !vendEvalAnyTags(x.X, !prefer)
	case *constraint.AndExpr:
		return vendEvalAnyTags(x.X, prefer) && vendEvalAnyTags(x.Y, prefer)
	case *constraint.OrExpr:
		return vendEvalAnyTags(x.X, prefer) || vendEvalAnyTags(x.Y, prefer)
	}
	return false
}

var errVendMultipleGoBuild = errors.New("multiple //go:build comments")

// vendParseFileHeader is imports.parseFileHeader: the leading run of //
// comments and blank lines that ends at a blank line, and the //go:build line.
func vendParseFileHeader(content []byte) (trimmed, goBuild []byte, err error) {
	end := 0
	p := content
	ended := false
	inSlashStar := false
Lines:
	for len(p) > 0 {
		line := p
		if i := bytes.IndexByte(line, '\n'); i >= 0 {
			line, p = line[:i], p[i+1:]
		} else {
			p = p[len(p):]
		}
		line = bytes.TrimSpace(line)
		if len(line) == 0 && !ended {
			end = len(content) - len(p)
			continue Lines
		}
		if !bytes.HasPrefix(line, []byte("//")) {
			ended = true
		}
		if !inSlashStar && vendIsGoBuildComment(line) {
			if goBuild != nil {
				return nil, nil, errVendMultipleGoBuild
			}
			goBuild = line
		}
	Comments:
		for len(line) > 0 {
			if inSlashStar {
				if i := bytes.Index(line, []byte("*/")); i >= 0 {
					inSlashStar = false
					line = bytes.TrimSpace(line[i+2:])
					continue Comments
				}
				continue Lines
			}
			if bytes.HasPrefix(line, []byte("//")) {
				continue Lines
			}
			if bytes.HasPrefix(line, []byte("/*")) {
				inSlashStar = true
				line = bytes.TrimSpace(line[2:])
				continue Comments
			}
			break Lines
		}
	}
	return content[:end], goBuild, nil
}

func vendIsGoBuildComment(line []byte) bool {
	if !bytes.HasPrefix(line, []byte("//go:build")) {
		return false
	}
	line = bytes.TrimSpace(line)
	rest := line[len("//go:build"):]
	return len(rest) == 0 || len(bytes.TrimSpace(rest)) < len(rest)
}

// ---------------------------------------------------------------------------
// imports.ReadImports: read a Go file up to the end of its imports.

// vendImportReader is cmd/go/internal/imports' importReader (itself go/build's),
// without the import list: what matters here is how far it reads and
// whether it meets a NUL byte on the way.
type vendImportReader struct {
	b    *bufio.Reader
	buf  []byte
	peek byte
	err  error
	eof  bool
	nerr int
}

var (
	errVendSyntax = errors.New("syntax error")
	errVendNUL    = errors.New("unexpected NUL in input")
)

// vendReadImports returns what ReadImports(f, false, nil) returns: the bytes
// up to the end of the imports (the whole file after a syntax error), the
// leading UTF-8 BOM removed. nul reports ReadImports' NUL error (the go
// command then keeps the file); err is an I/O error.
func vendReadImports(f io.Reader) (content []byte, nul bool, err error) {
	b := bufio.NewReader(f)
	if lead, err := b.Peek(3); err == nil && bytes.Equal(lead, []byte{0xef, 0xbb, 0xbf}) {
		b.Discard(3)
	}
	r := &vendImportReader{b: b}
	r.readKeyword("package")
	r.readIdent()
	for r.peekByte(true) == 'i' {
		r.readKeyword("import")
		if r.peekByte(true) == '(' {
			r.nextByte(false)
			for r.peekByte(true) != ')' && r.err == nil {
				r.readImport()
			}
			r.nextByte(false)
		} else {
			r.readImport()
		}
	}
	if r.err == nil && !r.eof {
		return r.buf[:len(r.buf)-1], false, nil
	}
	if r.err == errVendSyntax {
		r.err = nil
		for r.err == nil && !r.eof {
			r.readByte()
		}
	}
	switch r.err {
	case nil:
		return r.buf, false, nil
	case errVendNUL:
		return r.buf, true, nil
	}
	return r.buf, false, r.err
}

func (r *vendImportReader) syntaxError() {
	if r.err == nil {
		r.err = errVendSyntax
	}
}

func (r *vendImportReader) readByte() byte {
	c, err := r.b.ReadByte()
	if err == nil {
		r.buf = append(r.buf, c)
		if c == 0 {
			err = errVendNUL
		}
	}
	if err != nil {
		if err == io.EOF {
			r.eof = true
		} else if r.err == nil {
			r.err = err
		}
		c = 0
	}
	return c
}

func (r *vendImportReader) peekByte(skipSpace bool) byte {
	if r.err != nil {
		r.nerr++
		return 0
	}
	c := r.peek
	if c == 0 {
		c = r.readByte()
	}
	for r.err == nil && !r.eof {
		if skipSpace {
			switch c {
			case ' ', '\f', '\t', '\r', '\n', ';':
				c = r.readByte()
				continue
			case '/':
				c = r.readByte()
				if c == '/' {
					for c != '\n' && r.err == nil && !r.eof {
						c = r.readByte()
					}
				} else if c == '*' {
					var c1 byte
					for (c != '*' || c1 != '/') && r.err == nil {
						if r.eof {
							r.syntaxError()
						}
						c, c1 = c1, r.readByte()
					}
				} else {
					r.syntaxError()
				}
				c = r.readByte()
				continue
			}
		}
		break
	}
	r.peek = c
	return r.peek
}

func (r *vendImportReader) nextByte(skipSpace bool) byte {
	c := r.peekByte(skipSpace)
	r.peek = 0
	return c
}

func (r *vendImportReader) readKeyword(kw string) {
	r.peekByte(true)
	for i := 0; i < len(kw); i++ {
		if r.nextByte(false) != kw[i] {
			r.syntaxError()
			return
		}
	}
	if vendIsIdent(r.peekByte(false)) {
		r.syntaxError()
	}
}

func (r *vendImportReader) readIdent() {
	c := r.peekByte(true)
	if !vendIsIdent(c) {
		r.syntaxError()
		return
	}
	for vendIsIdent(r.peekByte(false)) {
		r.peek = 0
	}
}

func (r *vendImportReader) readString() {
	switch r.nextByte(true) {
	case '`':
		for r.err == nil {
			if r.nextByte(false) == '`' {
				break
			}
			if r.eof {
				r.syntaxError()
			}
		}
	case '"':
		for r.err == nil {
			c := r.nextByte(false)
			if c == '"' {
				break
			}
			if r.eof || c == '\n' {
				r.syntaxError()
			}
			if c == '\\' {
				r.nextByte(false)
			}
		}
	default:
		r.syntaxError()
	}
}

func (r *vendImportReader) readImport() {
	c := r.peekByte(true)
	if c == '.' {
		r.peek = 0
	} else if vendIsIdent(c) {
		r.readIdent()
	}
	r.readString()
}

func vendIsIdent(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_' || c >= utf8.RuneSelf
}
