package verify

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
)

// CheckModFile parses a go.mod file strictly, as the go command does, and
// checks every module path and version in it: gomod-syntax, module-path,
// major-version-suffix, noncanonical-version, pseudo-version (syntax),
// replace-local and gosum-merge-conflict. name is the file name the findings
// carry.
//
// The go command refuses a go.mod with any of these problems, so they are
// findings rather than errors. When a line fails to parse for a path or
// version reason, CheckModFile reports it and parses the file again without
// that line, so one bad requirement does not hide the rest; a plain syntax
// error stops the parse and the returned *modfile.File is nil.
func CheckModFile(name string, data []byte) (*modfile.File, []Finding) {
	findings, markers := conflictMarkers(name, data)
	f, parseFindings := parseModFile(name, data, markers, modfile.Parse)
	findings = append(findings, parseFindings...)
	if f == nil {
		return nil, findings
	}
	if f.Module == nil {
		findings = append(findings, NewFinding(RuleGoModSyntax, name, 0, "no module directive: add \"module <path>\" as the first line"))
		return f, findings
	}
	findings = append(findings, checkModFileSemantics(name, f)...)
	return f, findings
}

// CheckWorkFile parses a go.work file strictly and checks its use and replace
// directives. It reports parse errors as gomod-syntax (a go.work file is the
// go.mod of a workspace).
func CheckWorkFile(name string, data []byte) (*modfile.WorkFile, []Finding) {
	findings, markers := conflictMarkers(name, data)
	f, parseFindings := parseModFile(name, data, markers, modfile.ParseWork)
	findings = append(findings, parseFindings...)
	if f == nil {
		return nil, findings
	}
	for _, r := range f.Replace {
		findings = append(findings, checkReplace(name, r)...)
	}
	return f, findings
}

// conflictMarkers reports every git conflict marker line of a go.mod or go.work file.
func conflictMarkers(name string, data []byte) ([]Finding, map[int]bool) {
	var findings []Finding
	var markers map[int]bool
	for lineno, rest := 1, data; len(rest) > 0; lineno++ {
		line := rest
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			line, rest = rest[:i], rest[i+1:]
		} else {
			rest = nil
		}
		if isConflictMarker(string(line)) {
			if markers == nil {
				markers = make(map[int]bool)
			}
			markers[lineno] = true
			findings = append(findings, NewFinding(RuleGoSumMergeConflict, name, lineno,
				"git conflict marker %q: resolve the merge in %s", strings.TrimRight(string(line), "\r"), name))
		}
	}
	return findings, markers
}

// maxReparses bounds the parse-report-blank-reparse loop of parseModFile.
const maxReparses = 64

// parseModFile runs parse with a version fixer that rejects non-canonical
// versions, classifies the errors into findings, blanks the lines that failed
// for a path or version reason and parses again, until the file parses or a
// syntax error remains. Errors on conflict-marker lines are already reported.
func parseModFile[F any](name string, data []byte, markers map[int]bool,
	parse func(string, []byte, modfile.VersionFixer) (*F, error),
) (*F, []Finding) {
	var findings []Finding
	data = bytes.Clone(data)
	for range maxReparses {
		f, err := parse(name, data, rejectNoncanonical)
		if err == nil {
			return f, findings
		}
		var list modfile.ErrorList
		if !errors.As(err, &list) {
			var one *modfile.Error
			if !errors.As(err, &one) {
				return nil, append(findings, NewFinding(RuleGoModSyntax, name, 0, "%v", err))
			}
			list = modfile.ErrorList{*one}
		}
		syntaxError := false
		var bad []int
		for _, e := range list {
			fd := classifyModError(name, data, e)
			if fd.Rule == RuleGoModSyntax {
				syntaxError = true
			} else if e.Pos.Line > 0 {
				bad = append(bad, e.Pos.Line)
			}
			if !markers[e.Pos.Line] {
				findings = append(findings, fd)
			}
		}
		if syntaxError || len(bad) == 0 {
			return nil, findings
		}
		for _, l := range bad {
			blankLine(data, l)
		}
	}
	return nil, findings
}

// rejectNoncanonical is the version fixer CheckModFile parses with: the go
// command in -mod=readonly mode (its default) refuses to rewrite a version,
// so every version must already be canonical.
func rejectNoncanonical(path, vers string) (string, error) {
	if module.CanonicalVersion(vers) == vers {
		return vers, nil
	}
	return "", &module.ModuleError{Path: path, Err: &module.InvalidVersionError{Version: vers, Err: errNotCanonical}}
}

var errNotCanonical = errors.New("not a canonical semantic version")

// classifyModError turns one modfile parse error into a finding of the rule
// it breaks.
func classifyModError(name string, data []byte, e modfile.Error) Finding {
	line := e.Pos.Line
	modPath := e.ModPath
	if inner := (*modfile.Error)(nil); errors.As(e.Err, &inner) && inner.ModPath != "" {
		modPath = inner.ModPath // modfile wraps an Error in an Error
	}
	if modPath == "" {
		modPath = pathOnLine(data, line)
	}
	var ive *module.InvalidVersionError
	var ipe *module.InvalidPathError
	switch {
	case errors.As(e.Err, &ive):
		return versionFinding(name, line, modPath, ive)
	case errors.As(e.Err, &ipe):
		fd := NewFinding(RuleModulePath, name, line, "%v", e.Err)
		fd.Module = ipe.Path
		return fd
	case e.Err != nil && e.Err.Error() == "invalid module path":
		fd := NewFinding(RuleModulePath, name, line, "%s: invalid module path (a /vN or gopkg.in .vN suffix is malformed)", modPath)
		fd.Module = modPath
		return fd
	}
	var msg string
	if e.Err != nil {
		msg = e.Err.Error()
	}
	if e.Verb != "" && e.ModPath != "" {
		msg = fmt.Sprintf("%s %s: %s", e.Verb, e.ModPath, msg)
	}
	if e.Err == nil {
		msg = "syntax error"
	}
	return NewFinding(RuleGoModSyntax, name, line, "%s", msg)
}

// versionFinding classifies an invalid version of modPath.
func versionFinding(name string, line int, modPath string, ive *module.InvalidVersionError) Finding {
	v := ive.Version
	var fd Finding
	switch {
	case ive.Pseudo:
		fd = NewFinding(RulePseudoVersion, name, line, "%s: malformed pseudo-version %q: %v", modPath, v, ive.Err)
	case module.CanonicalVersion(v) != v:
		fd = noncanonicalFinding(name, line, modPath, v)
	default:
		fd = NewFinding(RuleMajorVersionSuffix, name, line, "%s@%s: major version %s does not match the module path: %v",
			modPath, v, semver.Major(v), ive.Err)
	}
	fd.Module, fd.Version = modPath, v
	return fd
}

func noncanonicalFinding(name string, line int, modPath, v string) Finding {
	var fd Finding
	if cv := module.CanonicalVersion(v); cv != "" {
		fd = NewFinding(RuleNoncanonicalVersion, name, line, "%s: version %q is not canonical: write %s", modPath, v, cv)
		fd.Want = cv
	} else {
		fd = NewFinding(RuleNoncanonicalVersion, name, line,
			"%s: version %q is not a semantic version: pin a release (v1.2.3) or a pseudo-version; go get %s@%s resolves it",
			modPath, v, modPath, v)
	}
	fd.Module, fd.Version, fd.Got = modPath, v, v
	return fd
}

// pathOnLine returns the module path a go.mod line names: the first token
// after the directive verb, or the first token inside a block.
func pathOnLine(data []byte, n int) string {
	lines := bytes.SplitN(data, []byte{'\n'}, n+1)
	if n < 1 || n > len(lines) {
		return ""
	}
	fields := strings.Fields(string(lines[n-1]))
	if len(fields) > 0 {
		switch fields[0] {
		case "require", "exclude", "replace", "retract", "use":
			fields = fields[1:]
		}
	}
	if len(fields) == 0 || fields[0] == "(" {
		return ""
	}
	return strings.Trim(fields[0], "\"`")
}

// blankLine overwrites the text of 1-based line n with spaces, keeping the
// newline so that the other lines keep their numbers.
func blankLine(data []byte, n int) {
	start := 0
	for i := 1; i < n; i++ {
		j := bytes.IndexByte(data[start:], '\n')
		if j < 0 {
			return
		}
		start += j + 1
	}
	for i := start; i < len(data) && data[i] != '\n'; i++ {
		data[i] = ' '
	}
}

// checkModFileSemantics checks what modfile.Parse accepts but the go command
// refuses: module paths, pseudo-version syntax and +incompatible forms, and
// flags replacements by a filesystem path.
func checkModFileSemantics(name string, f *modfile.File) []Finding {
	var findings []Finding
	add := func(fd *Finding) {
		if fd != nil {
			findings = append(findings, *fd)
		}
	}
	if err := module.CheckImportPath(f.Module.Mod.Path); err != nil {
		fd := NewFinding(RuleModulePath, name, lineOf(f.Module.Syntax), "module %q: %v", f.Module.Mod.Path, err)
		fd.Module = f.Module.Mod.Path
		add(&fd)
	}
	localReplace := make(map[string]bool)
	for _, r := range f.Replace {
		if modfile.IsDirectoryPath(r.New.Path) {
			localReplace[r.Old.Path] = true
		}
	}
	for _, r := range f.Require {
		line := lineOf(r.Syntax)
		// A module replaced by a directory is never fetched, so the go
		// command accepts any import path for it (e.g. "mylib").
		check := module.CheckPath
		if localReplace[r.Mod.Path] {
			check = module.CheckImportPath
		}
		add(checkModulePath(name, line, r.Mod.Path, check))
		add(checkVersion(name, line, r.Mod))
	}
	for _, r := range f.Replace {
		findings = append(findings, checkReplace(name, r)...)
	}
	for _, x := range f.Exclude {
		line := lineOf(x.Syntax)
		add(checkModulePath(name, line, x.Mod.Path, module.CheckImportPath))
		add(checkVersion(name, line, x.Mod))
	}
	for _, r := range f.Retract {
		line := lineOf(r.Syntax)
		for _, v := range []string{r.Low, r.High} {
			if module.CanonicalVersion(v) != v {
				fd := noncanonicalFinding(name, line, f.Module.Mod.Path, v)
				add(&fd)
				break
			}
			add(checkPseudo(name, line, module.Version{Path: f.Module.Mod.Path, Version: v}))
			if r.Low == r.High {
				break
			}
		}
	}
	return findings
}

// checkReplace checks one replace directive of a go.mod or go.work file.
func checkReplace(name string, r *modfile.Replace) []Finding {
	var findings []Finding
	line := lineOf(r.Syntax)
	if fd := checkModulePath(name, line, r.Old.Path, module.CheckImportPath); fd != nil {
		findings = append(findings, *fd)
	}
	if r.Old.Version != "" {
		if fd := checkVersion(name, line, r.Old); fd != nil {
			findings = append(findings, *fd)
		}
	}
	if modfile.IsDirectoryPath(r.New.Path) {
		fd := NewFinding(RuleReplaceLocal, name, line,
			"%s is replaced by the directory %s: builds outside this checkout will not see it, and no go.sum hash covers it",
			r.Old.Path, r.New.Path)
		fd.Module, fd.Version = r.Old.Path, r.Old.Version
		return append(findings, fd)
	}
	if fd := checkModulePath(name, line, r.New.Path, module.CheckPath); fd != nil {
		findings = append(findings, *fd)
		return findings
	}
	if fd := checkVersion(name, line, r.New); fd != nil {
		findings = append(findings, *fd)
	}
	return findings
}

func checkModulePath(name string, line int, path string, check func(string) error) *Finding {
	if err := check(path); err != nil {
		fd := NewFinding(RuleModulePath, name, line, "%v", err)
		fd.Module = path
		return &fd
	}
	return nil
}

// checkVersion checks a canonical version's pseudo-version syntax and
// +incompatible form. modfile.Parse has already checked canonical form and
// the path's major version suffix.
func checkVersion(name string, line int, m module.Version) *Finding {
	if fd := checkPseudo(name, line, m); fd != nil {
		return fd
	}
	if semver.Build(m.Version) == "+incompatible" {
		_, pathMajor, _ := module.SplitPathVersion(m.Path)
		var why string
		switch major := semver.Major(m.Version); {
		case pathMajor != "":
			why = fmt.Sprintf("the path has the major version suffix %q, so the version must be a %s release without +incompatible", pathMajor, strings.TrimLeft(pathMajor, "/."))
		case major == "v0" || major == "v1":
			why = fmt.Sprintf("%s is compatible by definition; drop +incompatible", major)
		}
		if why != "" {
			fd := NewFinding(RuleMajorVersionSuffix, name, line, "%s@%s: invalid +incompatible version: %s", m.Path, m.Version, why)
			fd.Module, fd.Version = m.Path, m.Version
			return &fd
		}
	}
	return nil
}

func lineOf(l *modfile.Line) int {
	if l == nil {
		return 0
	}
	return l.Start.Line
}
