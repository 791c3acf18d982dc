package graph

import (
	"regexp"
	"strconv"
	"strings"

	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"

	"github.com/modseal/modseal/verify"
)

// A Refusal is one reason the go command gave for refusing a module's files,
// classified under the verify.Rule* id of the finding that explains it.
type Refusal struct {
	Rule   string         // a verify.Rule* id
	Module module.Version // the module refused; zero if the message names none
	GoMod  bool           // about the module's go.mod hash (the "/go.mod" go.sum line)
	// File and Line locate the refusal in a go.mod, go.sum, go.work or
	// go.work.sum file, as the go command printed the name (relative or
	// absolute); "" and 0 if it named none.
	File string
	Line int
	// Got and Want are the hashes of a checksum mismatch: the one the
	// download has, and the one go.sum (or the checksum database) records.
	Got, Want string
	Text      string // the go command's line, trimmed
}

// An Unexplained is a line of the go command's standard error that explains
// nothing modseal checks: a network or proxy error, a missing package,
// anything Refusals does not know.
type Unexplained struct {
	Text string // the go command's line, trimmed
	// Modules are the module versions the line names ("M@V", URLs left
	// out), in order, as printed: a version is what the go command wrote,
	// valid or not, such as the invalid version it could not fetch.
	Modules []module.Version
}

// Refusals reads the standard error of a failed go command and returns the
// refusals it explains (in the order printed, each once), and the lines that
// explain nothing modseal checks, each once. A non-empty unexplained means
// the go command failed for a reason no finding reports, unless the caller
// knows the modules the lines name to be unusable.
//
// Progress and context lines are neither: "go: downloading M V",
// "go: finding module for package P", "go: found P in M V", an import or
// requirement chain ("go: M imports", "M@V requires"), a hint ("\tgo mod
// download M"), a "server response:" line, and the SECURITY ERROR
// explanation after a checksum mismatch.
//
// Refusals is pure: it reads only its argument. The formats are those of
// go 1.26's cmd/go (modfetch/fetch.go, modload/import.go, modload/init.go,
// modfetch/coderepo.go) and of golang.org/x/mod/module's error types.
func Refusals(stderr string) (explained []Refusal, unexplained []Unexplained) {
	lines := strings.Split(strings.ReplaceAll(stderr, "\r\n", "\n"), "\n")
	seen := make(map[Refusal]bool)
	seenText := make(map[string]bool)
	add := func(r Refusal) {
		if !seen[r] {
			seen[r] = true
			explained = append(explained, r)
		}
	}
	for i := 0; i < len(lines); i++ {
		raw := lines[i]
		text := strings.TrimSpace(raw)
		if text == "" || isNoise(raw, text) {
			continue
		}
		switch {
		case text == "malformed go.sum:":
			// The next line is "FILE:N: wrong number of fields K".
			if i+1 < len(lines) {
				if file, line, _, ok := cutFileLine(strings.TrimSpace(lines[i+1])); ok {
					i++
					add(Refusal{Rule: verify.RuleGoSumSyntax, File: file, Line: line, Text: strings.TrimSpace(lines[i])})
					continue
				}
			}
		case strings.HasPrefix(strings.TrimPrefix(text, "go: "), "errors parsing "):
			// "go: errors parsing go.mod:" heads one "FILE:N: msg" line per error.
			for i+1 < len(lines) {
				next := strings.TrimSpace(lines[i+1])
				file, line, msg, ok := cutFileLine(next)
				if !ok {
					break
				}
				i++
				r := classifyFileError(msg)
				r.File, r.Line, r.Text = file, line, next
				add(r)
			}
			continue
		}
		if r, n, ok := classifyLine(text, lines[i+1:]); ok {
			i += n
			add(r)
			continue
		}
		if !seenText[text] {
			seenText[text] = true
			unexplained = append(unexplained, Unexplained{Text: text, Modules: namedModules(text)})
		}
	}
	return explained, unexplained
}

// isNoise reports whether a line is progress, context or advice rather than
// an error.
func isNoise(raw, text string) bool {
	t := strings.TrimPrefix(text, "go: ")
	switch {
	case strings.HasPrefix(t, "downloading "),
		strings.HasPrefix(t, "finding module for package "),
		strings.HasPrefix(t, "found "),
		strings.HasPrefix(t, "extracting "),
		strings.HasPrefix(t, "warning: "),
		strings.HasSuffix(t, " imports"),
		strings.HasSuffix(t, " requires"),
		strings.HasPrefix(t, "server response:"),
		strings.HasPrefix(t, "For more information, see 'go help module-auth'"):
		return true
	}
	// Hints are indented commands: "\tgo mod download M", "\tgo get M".
	if strings.HasPrefix(raw, "\t") && (strings.HasPrefix(text, "go get ") || strings.HasPrefix(text, "go mod ")) {
		return true
	}
	return false
}

var (
	// verifying M@V: checksum mismatch (a go.sum line disagrees).
	reGoSumMismatch = regexp.MustCompile(`verifying (\S+)@(\S+): checksum mismatch$`)
	// M@V: verifying module: checksum mismatch (the checksum database disagrees).
	reSumDBMismatch = regexp.MustCompile(`(\S+)@(\S+): verifying (module|go\.mod): checksum (mismatch|missing from sumdb response)`)
	// M@V: ... (the innermost module named before the message).
	reModVersion = regexp.MustCompile(`(?:^|\s)(\S+)@(v\S+?)(?: \(replaced by [^)]*\))?:`)
	// FILE:N: message
	reFileLine = regexp.MustCompile(`^(\S*?(?:go\.mod|go\.sum|go\.work|go\.work\.sum)):(\d+)(?::\d+)?: (.*)$`)
	// require M: version "V" invalid: why (a go.mod line)
	reVersionInvalid = regexp.MustCompile(`^(?:require|replace|exclude|retract|tool|toolchain|go|module)?\s*(\S*?):? ?version "([^"]*)" invalid: (.*)$`)
	reMalformedPath  = regexp.MustCompile(`malformed (?:module|import) path "([^"]*)"`)
	// NAME:     h1:... (NAME is "downloaded", a go.sum file or a checksum database)
	reHashLine = regexp.MustCompile(`^(.*?):\s+(\S+)$`)
	// M@V anywhere in a line
	reModAt = regexp.MustCompile(`(\S+)@(v[^\s:]+)`)
)

// namedModules returns the module versions a line names, leaving out URLs
// (user@host).
func namedModules(line string) []module.Version {
	var out []module.Version
	for _, m := range reModAt.FindAllStringSubmatch(line, -1) {
		if !strings.Contains(m[1], "://") {
			out = append(out, module.Version{Path: m[1], Version: m[2]})
		}
	}
	return out
}

// classifyLine classifies one error line; rest are the lines after it, of
// which a checksum mismatch consumes the hashes and the SECURITY ERROR block
// (n is how many).
func classifyLine(text string, rest []string) (r Refusal, n int, ok bool) {
	t := strings.TrimPrefix(text, "go: ")
	if m := reGoSumMismatch.FindStringSubmatch(t); m != nil {
		r = Refusal{Rule: verify.RuleHashMismatch, Text: text}
		r.Module, r.GoMod = modVersion(m[1], m[2])
		n = mismatchBlock(&r, rest, true)
		return r, n, true
	}
	if m := reSumDBMismatch.FindStringSubmatch(t); m != nil {
		r = Refusal{Rule: verify.RuleSumDBMismatch, Text: text}
		r.Module = module.Version{Path: m[1], Version: m[2]}
		r.GoMod = m[3] == "go.mod"
		n = mismatchBlock(&r, rest, false)
		return r, n, true
	}
	if strings.Contains(t, "missing go.sum entry") {
		r = Refusal{Rule: verify.RuleGoSumMissing, Text: text}
		if file, line, msg, ok := cutFileLine(t); ok {
			r.File, r.Line, t = file, line, msg
		}
		before, _, _ := strings.Cut(t, "missing go.sum entry")
		if mv := lastModVersion(before); mv.Path != "" {
			r.Module = mv
		}
		r.GoMod = strings.Contains(t, "missing go.sum entry for go.mod file")
		return r, 0, true
	}
	if m := reMalformedPath.FindStringSubmatch(t); m != nil {
		r = Refusal{Rule: verify.RuleModulePath, Text: text, Module: module.Version{Path: m[1]}}
		if file, line, _, ok := cutFileLine(t); ok {
			r.File, r.Line = file, line
		}
		return r, 0, true
	}
	if file, line, msg, ok := cutFileLine(t); ok {
		// A go.mod the go command read while loading the graph, such as a
		// replacement's: "M@V (replaced by DIR): parsing DIR/go.mod: FILE:N: msg".
		r = classifyFileError(msg)
		r.File, r.Line, r.Text = file, line, text
		if mv := lastModVersion(t[:strings.Index(t, file)]); mv.Path != "" && r.Module.Path == "" {
			r.Module = mv
		}
		return r, 0, true
	}
	mv := lastModVersion(t)
	if mv.Path == "" {
		return Refusal{}, 0, false
	}
	why := t
	if i := strings.LastIndex(t, mv.Path+"@"+mv.Version); i >= 0 {
		why = t[i+len(mv.Path+"@"+mv.Version):]
		if _, w, ok := strings.Cut(why, ": "); ok {
			why = w
		}
	}
	r = Refusal{Module: mv, Text: text}
	switch {
	case strings.HasPrefix(why, "invalid pseudo-version: "):
		r.Rule = verify.RulePseudoVersion
	case strings.Contains(why, "module contains a go.mod file, so module path must match major version"),
		strings.Contains(why, "+incompatible suffix not allowed"),
		strings.Contains(why, "has post-v") && (strings.HasSuffix(mv.Version, "+incompatible") || isIncompatibleTry(mv)):
		r.Rule = verify.RuleIncompatibleWithGoMod
	case strings.Contains(why, "has post-v") && strings.Contains(why, " module path "),
		strings.Contains(why, "has non-") && strings.Contains(why, " module path "):
		// "go.mod has post-v2 module path "M/v2" at revision R",
		// "go.mod has non-.../v2 module path ..." (cmd/go coderepo.go).
		r.Rule = verify.RuleMajorVersionSuffix
	case strings.HasPrefix(why, "invalid version: unknown revision ") && module.IsPseudoVersion(mv.Version):
		// The pseudo-version names a commit the repository does not have.
		r.Rule = verify.RulePseudoVersion
	case strings.HasPrefix(why, "invalid version: ") && !isCanonical(mv.Version):
		r.Rule = verify.RuleNoncanonicalVersion
	case strings.Contains(why, "should be v") && strings.Contains(why, ", not v"):
		r.Rule = verify.RuleMajorVersionSuffix
	default:
		return Refusal{}, 0, false
	}
	return r, 0, true
}

// classifyFileError classifies the message of a "FILE:N: message" line of a
// go.mod or go.work file the go command could not use.
func classifyFileError(msg string) Refusal {
	if m := reMalformedPath.FindStringSubmatch(msg); m != nil {
		return Refusal{Rule: verify.RuleModulePath, Module: module.Version{Path: m[1]}}
	}
	if m := reVersionInvalid.FindStringSubmatch(msg); m != nil {
		r := Refusal{Module: module.Version{Path: m[1], Version: m[2]}}
		why := m[3]
		switch {
		case strings.Contains(why, "should be v") && strings.Contains(why, ", not v"):
			r.Rule = verify.RuleMajorVersionSuffix
		case strings.Contains(why, "+incompatible"),
			strings.Contains(why, "module contains a go.mod file"):
			r.Rule = verify.RuleIncompatibleWithGoMod
		case module.IsPseudoVersion(m[2]) && isCanonical(m[2]):
			r.Rule = verify.RulePseudoVersion
		default:
			// "must be of the form v1.2.3", "not a semantic version", or a
			// failed attempt to resolve a version that is not canonical.
			r.Rule = verify.RuleNoncanonicalVersion
		}
		return r
	}
	return Refusal{Rule: verify.RuleGoModSyntax}
}

// mismatchBlock reads the lines after a checksum mismatch header:
// "\tdownloaded: h1:...", "\tgo.sum:     h1:..." (or "\tNAME: h1:..." for
// go.work.sum or a checksum database), and the SECURITY ERROR explanation.
func mismatchBlock(r *Refusal, rest []string, sumFile bool) int {
	n := 0
	for n < len(rest) {
		l := rest[n]
		t := strings.TrimSpace(l)
		if strings.HasPrefix(l, "\t") {
			m := reHashLine.FindStringSubmatch(t)
			if m == nil {
				break
			}
			name, h := m[1], m[2]
			if name == "downloaded" {
				r.Got = h
			} else {
				r.Want = h
				if sumFile {
					r.File = name
				}
			}
			n++
			continue
		}
		if t == "" {
			n++
			continue
		}
		if t == "SECURITY ERROR" {
			// The explanation runs to "For more information, see 'go help module-auth'."
			for n < len(rest) {
				t := strings.TrimSpace(rest[n])
				n++
				if strings.HasPrefix(t, "For more information") {
					break
				}
			}
			continue
		}
		break
	}
	return n
}

// cutFileLine splits "FILE:N: msg" or "FILE:N:C: msg" where FILE is a
// go.mod, go.sum, go.work or go.work.sum path.
func cutFileLine(s string) (file string, line int, msg string, ok bool) {
	// In "M@V (replaced by DIR): parsing DIR/go.mod: /abs/DIR/go.mod:5: msg"
	// the position follows a head of ": "-separated context.
	for {
		if m := reFileLine.FindStringSubmatch(s); m != nil {
			n, err := strconv.Atoi(m[2])
			if err != nil {
				return "", 0, "", false
			}
			return m[1], n, m[3], true
		}
		j := strings.Index(s, ": ")
		if j < 0 {
			return "", 0, "", false
		}
		s = s[j+2:]
	}
}

// modVersion splits a go.sum-style version "V" or "V/go.mod".
func modVersion(path, v string) (module.Version, bool) {
	v, gomod := strings.CutSuffix(v, "/go.mod")
	return module.Version{Path: path, Version: v}, gomod
}

// lastModVersion returns the last "M@V:" named in s: in a chain such as
// "M1@V1 requires M2@V2: why" the module refused is the innermost.
func lastModVersion(s string) module.Version {
	ms := reModVersion.FindAllStringSubmatch(s, -1)
	if len(ms) == 0 {
		return module.Version{}
	}
	m := ms[len(ms)-1]
	mv, _ := modVersion(m[1], m[2])
	return mv
}

func isCanonical(v string) bool {
	c := semver.Canonical(v)
	if strings.HasSuffix(v, "+incompatible") {
		c += "+incompatible"
	}
	return c != "" && c == v
}

// isIncompatibleTry reports whether mv is a major version 2 or higher of a
// path with no major version suffix: the go command names such a version
// only while resolving a +incompatible requirement (a go.mod line requiring
// it is refused before with "should be v0 or v1").
func isIncompatibleTry(mv module.Version) bool {
	_, pathMajor, ok := module.SplitPathVersion(mv.Path)
	m := semver.Major(mv.Version)
	return ok && pathMajor == "" && m != "" && m != "v0" && m != "v1"
}
