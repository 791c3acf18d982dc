// Package modulestxt reads vendor/modules.txt exactly as the go command's
// cmd/go/internal/modload.readVendorList reads it (Go 1.26), keeping the line
// of every fact, and recording as problems the lines the go command
// silently ignores and the package lines go mod vendor never writes.
//
// It only parses bytes it is given: it must not read files, use the
// network or run the go command. It imports only the standard library and
// golang.org/x/mod.
package modulestxt

import (
	"fmt"
	"go/version"
	"strings"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
)

// A List is vendor/modules.txt as readVendorList reads it.
type List struct {
	Modules  []module.Version         // vendorList: modules that provide packages, in order of appearance
	Version  map[string]string        // vendorVersion: module path → selected version
	Meta     map[module.Version]*Meta // vendorMeta
	Replaced []Replaced               // vendorReplaced, with each line's own replacement
	Pkgs     []Pkg                    // package lines, in order
	Problems []Problem                // lines the go command ignores or go mod vendor never writes
}

// Meta is the go command's vendorMetadata of one module version, with lines.
type Meta struct {
	Line         int // first module line
	Explicit     bool
	ExplicitLine int
	Replacement  module.Version
	ReplaceLine  int // the module line that set Replacement (the last one)
	GoVersion    string
	GoLine       int // the annotation line that set GoVersion
}

// A Replaced is a module line with a replacement.
type Replaced struct {
	Mod, Repl module.Version
	Line      int
}

// A Pkg is a package line, and the module line it is under.
type Pkg struct {
	Path string
	Mod  module.Version
	Line int
}

// A Problem is a line the go command ignores, or that go mod vendor never
// writes.
type Problem struct {
	Line int
	Mod  module.Version // the module the line is about, if any
	Msg  string
}

func (l *List) problem(line int, format string, args ...any) {
	l.Problems = append(l.Problems, Problem{Line: line, Msg: fmt.Sprintf(format, args...)})
}

func (l *List) modProblem(line int, m module.Version, format string, args ...any) {
	l.Problems = append(l.Problems, Problem{line, m, fmt.Sprintf(format, args...)})
}

func (l *List) metaOf(m module.Version, line int) *Meta {
	meta := l.Meta[m]
	if meta == nil {
		meta = &Meta{Line: line}
		l.Meta[m] = meta
	}
	return meta
}

// Parse reads modules.txt exactly as readVendorList does: lines split at
// '\n' and fields at white space (so CRLF is accepted), and every line it
// cannot interpret ignored. Those lines are also recorded as problems, as
// are package lines go mod vendor never writes (a package outside its
// module, a package listed twice); blank lines and unknown "## " annotations
// (reserved for future use) are not problems.
func Parse(data []byte) *List {
	l := &List{Version: make(map[string]string), Meta: make(map[module.Version]*Meta)}
	var mod module.Version
	badHeader := false // the last module line was ignored; its lines are not reported again
	seenModule := false
	pkgLine := make(map[string]int)
	firstPkgOf := make(map[string]Pkg) // module path → its first package line
	twice := make(map[module.Version]bool)
	n := 0
	for line := range strings.Lines(string(data)) {
		n++
		line = strings.TrimSuffix(line, "\n")
		if strings.HasPrefix(line, "# ") {
			seenModule = true
			f := strings.Fields(line)
			if len(f) < 3 {
				// The go command keeps the previous module: the lines below
				// count as part of it.
				l.problem(n, "malformed module line %q (fewer than 3 fields): the go command ignores it and counts the lines below it as the previous module's", strings.TrimSpace(line))
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
				l.problem(n, "malformed module line %q: %q is neither a version nor \"=>\"; the go command ignores the module and the lines below it", strings.TrimSpace(line), f[2])
				continue
			}
			badHeader = false
			meta := l.metaOf(mod, n)
			if len(rest) >= 2 && rest[0] == "=>" {
				var repl module.Version
				switch {
				case len(rest) == 2:
					repl = module.Version{Path: rest[1]}
				case len(rest) == 3 && semver.IsValid(rest[2]):
					repl = module.Version{Path: rest[1], Version: rest[2]}
				default:
					l.modProblem(n, mod, "malformed replacement in %q: the go command ignores it", strings.TrimSpace(line))
					continue
				}
				meta.Replacement, meta.ReplaceLine = repl, n
				l.Replaced = append(l.Replaced, Replaced{mod, repl, n})
			} else if len(rest) > 0 {
				l.modProblem(n, mod, "malformed module line %q: the go command ignores the text after the version", strings.TrimSpace(line))
			}
			continue
		}
		if mod.Path == "" {
			switch t := strings.TrimSpace(line); {
			case t == "" || badHeader:
			case t == "## workspace" && !seenModule: // go work vendor's first line
			default:
				l.problem(n, "line %q is not below a module line: the go command ignores it", t)
			}
			continue
		}
		if annotations, ok := strings.CutPrefix(line, "## "); ok {
			meta := l.metaOf(mod, n)
			for entry := range strings.SplitSeq(annotations, ";") {
				entry = strings.TrimSpace(entry)
				if entry == "explicit" {
					meta.Explicit = true
					if meta.ExplicitLine == 0 {
						meta.ExplicitLine = n
					}
				}
				if gv, ok := strings.CutPrefix(entry, "go "); ok {
					meta.GoVersion, meta.GoLine = gv, n
					if !modfile.GoVersionRE.MatchString(gv) {
						l.modProblem(n, mod, "invalid go version %q for %s", gv, Describe(mod))
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
			l.problem(n, "line %q is neither a module line, an annotation nor a package path: the go command ignores it", strings.TrimSpace(line))
			continue
		}
		pkg := f[0]
		if first, ok := pkgLine[pkg]; ok {
			l.modProblem(n, mod, "package %s is listed again (first at line %d): the go command takes it from %s", pkg, first, Describe(mod))
		} else {
			pkgLine[pkg] = n
		}
		if !InModule(pkg, mod.Path) {
			l.modProblem(n, mod, "package %s is listed under module %s, which does not contain it", pkg, mod.Path)
		}
		if first, ok := firstPkgOf[mod.Path]; !ok {
			firstPkgOf[mod.Path] = Pkg{pkg, mod, n}
		} else if first.Mod != mod && !twice[mod] {
			twice[mod] = true
			l.modProblem(n, mod, "package %s is listed under %s, but packages of %s are also listed under %s (line %d): the go command vendors one version of each module",
				pkg, Describe(mod), mod.Path, Describe(first.Mod), first.Line)
		}
		l.Pkgs = append(l.Pkgs, Pkg{pkg, mod, n})
		if v, ok := l.Version[mod.Path]; !ok || modCompare(mod.Path, v, mod.Version) < 0 {
			l.Modules = append(l.Modules, mod)
			l.Version[mod.Path] = mod.Version
		}
	}
	return l
}

// OtherVersion returns a version of modPath that modules.txt lists: the one
// packages are vendored from, else the first module line's.
func (l *List) OtherVersion(modPath string) string {
	if v, ok := l.Version[modPath]; ok {
		return v
	}
	first, firstLine := "", 0
	for m, meta := range l.Meta {
		if m.Path == modPath && m.Version != "" && (firstLine == 0 || meta.Line < firstLine) {
			first, firstLine = m.Version, meta.Line
		}
	}
	return first
}

// IsForWorkspace reports whether modules.txt was written by go work vendor,
// as cmd/go's modulesTextIsForWorkspace decides it: its first line (within
// the first 512 bytes) is a "## " annotation list with the entry
// "workspace". The go command uses a vendor directory by default only in
// the mode it was written for, and with -mod=vendor in either.
func IsForWorkspace(data []byte) bool {
	line, _, _ := strings.Cut(string(data[:min(len(data), 512)]), "\n")
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

// InModule reports whether package pkg lies in module modPath.
func InModule(pkg, modPath string) bool {
	return pkg == modPath || strings.HasPrefix(pkg, modPath+"/")
}

// modCompare is gover.ModCompare: the go and toolchain pseudo-modules
// have Go versions, every other module semantic versions.
func modCompare(p, v, w string) int {
	if p == "go" || p == "toolchain" {
		return GoCompare(strings.TrimPrefix(v, "go"), strings.TrimPrefix(w, "go"))
	}
	return semver.Compare(v, w)
}

// GoCompare compares Go versions ("1.21", "1.21.0", "1.22rc1") as
// gover.Compare does; an invalid version is lower than any valid one.
func GoCompare(v, w string) int {
	return version.Compare("go"+v, "go"+w)
}

// Describe is checkVendorConsistency's describe: path@version, or path.
func Describe(m module.Version) string {
	if m.Version == "" {
		return m.Path
	}
	return m.Path + "@" + m.Version
}
