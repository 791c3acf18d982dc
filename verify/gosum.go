package verify

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"

	"golang.org/x/mod/module"
)

// A SumLine is one well-formed line of a go.sum file.
type SumLine struct {
	Line    int    // 1-based line number
	Path    string // module path
	Version string // version, with a "/go.mod" suffix for go.mod hashes
	Hash    string // "alg:value", e.g. "h1:..."
}

// GoMod reports whether l is the hash of a go.mod file (version ends in "/go.mod").
func (l SumLine) GoMod() bool { return strings.HasSuffix(l.Version, goModSuffix) }

// Module returns the module version l is about, without the "/go.mod" suffix.
func (l SumLine) Module() module.Version {
	return module.Version{Path: l.Path, Version: strings.TrimSuffix(l.Version, goModSuffix)}
}

// A SumFile is a parsed go.sum (or go.work.sum) file.
type SumFile struct {
	Name  string    // the name findings carry (relative to the audited directory)
	Lines []SumLine // well-formed lines in file order; malformed lines are left out
}

// Lookup returns the hashes go.sum holds for path at version (version may end
// in "/go.mod"), in file order.
func (f *SumFile) Lookup(path, version string) []SumLine {
	var out []SumLine
	for _, l := range f.Lines {
		if l.Path == path && l.Version == version {
			out = append(out, l)
		}
	}
	return out
}

const (
	goModSuffix = "/go.mod"
	// emptyGoModHash is the hash of an empty go.mod file, written by an old
	// bug; cmd/go drops such lines silently and so does ParseSum.
	emptyGoModHash = "h1:G7mAYYxgmS0lVkHyy2hEOLQCFB0DlQFTMLWggykrydY="
	// maxSyntaxFindings bounds the gosum-syntax findings of one file, so a
	// file of binary garbage gives a readable report rather than one finding
	// per line.
	maxSyntaxFindings = 50
)

// Bounds on a go.sum file: the go command's own go.sum files are far
// smaller, so anything beyond is not a go.sum file but an attempt to make
// modseal run out of memory.
const (
	// MaxSumFileSize is the largest go.sum (or go.work.sum) modseal reads:
	// 64 MiB. ReadFileLimited(name, MaxSumFileSize) refuses a larger file; ParseSum reports one as a
	// gosum-syntax finding without parsing it.
	MaxSumFileSize = 64 << 20
	// MaxSumLineLength is the longest go.sum line modseal parses: 64 KiB. A
	// longer line is a gosum-syntax finding at that line.
	MaxSumLineLength = 64 << 10
)

// A FileTooLargeError is a file from outside (go.sum, go.mod, ...) larger
// than modseal reads.
type FileTooLargeError struct {
	File  string
	Limit int64
}

func (e *FileTooLargeError) Error() string {
	return fmt.Sprintf("%s is larger than %d MiB, the most modseal reads: it is not a file the go command wrote; restore it from version control", e.File, e.Limit>>20)
}

// ReadFileLimited reads file, refusing with a *FileTooLargeError one larger
// than limit bytes. It reads at most limit+1 bytes, whatever the file's
// size says (a FIFO, a file that grows). Use it for every file from outside
// (go.mod, go.work, vendor/modules.txt): MaxSumFileSize suits them all.
func ReadFileLimited(file string, limit int64) ([]byte, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	size := int64(-1)
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
		if fi.Size() > limit {
			return nil, &FileTooLargeError{file, limit}
		}
		size = fi.Size()
	}
	return readLimited(f, file, limit, size)
}

// readLimited reads r, refusing with a *FileTooLargeError (naming name)
// more than limit bytes; size, if not negative, is what r is expected to
// hold.
func readLimited(r io.Reader, name string, limit, size int64) ([]byte, error) {
	var buf bytes.Buffer
	if size >= 0 {
		buf.Grow(int(size) + bytes.MinRead)
	}
	if _, err := buf.ReadFrom(io.LimitReader(r, limit+1)); err != nil {
		return nil, err
	}
	if int64(buf.Len()) > limit {
		return nil, &FileTooLargeError{name, limit}
	}
	return buf.Bytes(), nil
}

// ParseSum parses a go.sum or go.work.sum file the way the go command does
// and checks each line: gosum-syntax, gosum-unknown-algorithm,
// gosum-duplicate, gosum-conflict and gosum-merge-conflict. name is the file
// name the findings carry. Every well-formed line is returned, including
// duplicated and conflicting ones.
//
// Like cmd/go, ParseSum splits lines at '\n' and fields at white space, so
// CRLF line endings and a missing final newline are accepted, and blank lines
// are skipped.
//
// Memory is bounded by the lines that are not blank, not by the size of
// data: a file of newlines costs next to nothing. A line longer than
// MaxSumLineLength is a gosum-syntax finding; data longer than
// MaxSumFileSize is one gosum-syntax finding and is not parsed (ReadFileLimited
// with MaxSumFileSize refuses such a file in the first place).
func ParseSum(name string, data []byte) (*SumFile, []Finding) {
	var findings []Finding
	if i := bytes.IndexByte(data, 0); i >= 0 {
		line := 1 + bytes.Count(data[:i], []byte{'\n'})
		return &SumFile{Name: name}, []Finding{NewFinding(RuleGoSumSyntax, name, line,
			"%s is not a text file (NUL byte at line %d); restore it from version control or run go mod tidy", name, line)}
	}
	if len(data) > MaxSumFileSize {
		return &SumFile{Name: name}, []Finding{NewFinding(RuleGoSumSyntax, name, 0,
			"%s is larger than %d MiB: not a go.sum file; restore it from version control or run go mod tidy", name, MaxSumFileSize>>20)}
	}
	// One conversion for the lines worth parsing: every field is a
	// substring of s, so parsing allocates per file, not per line, and
	// blank lines (and over-long ones) cost nothing.
	s, nlines := sumText(data)
	f := &SumFile{Name: name, Lines: make([]SumLine, 0, nlines)}
	type key struct{ path, version, alg string }
	seen := make(map[key]int, nlines) // index into f.Lines
	checkedPaths := make(map[string]bool)
	syntaxErrors := 0
	syntax := func(line int, mod, format string, args ...any) {
		syntaxErrors++
		if syntaxErrors <= maxSyntaxFindings {
			fd := NewFinding(RuleGoSumSyntax, name, line, format, args...)
			fd.Module = mod
			findings = append(findings, fd)
		}
	}

	var fields [3]string
	for lineno := 1; len(data) > 0; lineno++ {
		var raw []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			raw, data = data[:i], data[i+1:]
		} else {
			raw, data = data, nil
		}
		switch sumLineKind(raw) {
		case sumBlankLine:
			continue
		case sumLongLine:
			syntax(lineno, "", "line is %d bytes long, longer than the %d KiB a go.sum line can be", len(raw), MaxSumLineLength>>10)
			continue
		}
		// raw's copy is the next line of s.
		i := strings.IndexByte(s, '\n')
		line := s[:i]
		s = s[i+1:]
		if isConflictMarker(line) {
			findings = append(findings, NewFinding(RuleGoSumMergeConflict, name, lineno,
				"git conflict marker %q: resolve the merge, then run go mod tidy", strings.TrimRight(line, "\r")))
			continue
		}
		n := splitFields(line, &fields)
		if n == 0 {
			continue
		}
		if n != 3 {
			syntax(lineno, "", "wrong number of fields %d, want 3 (module version hash)", n)
			continue
		}
		path, version, hash := fields[0], fields[1], fields[2]
		if hash == emptyGoModHash {
			continue
		}
		if err := checkSumModule(path, version, checkedPaths); err != nil {
			syntax(lineno, path, "%v", err)
			continue
		}
		alg, value, ok := strings.Cut(hash, ":")
		if !ok || alg == "" || value == "" {
			syntax(lineno, path, "%s@%s: malformed hash %q, want ALG:BASE64 (h1:...)", path, version, hash)
			continue
		}
		if alg == "h1" {
			if !validH1(value) {
				syntax(lineno, path, "%s@%s: malformed h1 hash %q: want 44 characters of base64 (a SHA-256 sum)", path, version, hash)
				continue
			}
		} else {
			fd := NewFinding(RuleGoSumUnknownAlgorithm, name, lineno,
				"%s@%s: hash algorithm %q is unknown to the go command, which ignores this line", path, version, alg)
			fd.Module, fd.Version = path, strings.TrimSuffix(version, goModSuffix)
			findings = append(findings, fd)
		}
		sl := SumLine{Line: lineno, Path: path, Version: version, Hash: hash}
		k := key{path, version, alg}
		if i, dup := seen[k]; dup {
			first := f.Lines[i]
			if first.Hash == hash {
				fd := NewFinding(RuleGoSumDuplicate, name, lineno, "%s %s: duplicate of line %d", path, version, first.Line)
				fd.Module, fd.Version = path, strings.TrimSuffix(version, goModSuffix)
				findings = append(findings, fd)
			} else {
				fd := NewFinding(RuleGoSumConflict, name, lineno,
					"%s %s: line %d has %s, this line has %s; one of them is wrong: check both against the checksum database",
					path, version, first.Line, first.Hash, hash)
				fd.Module, fd.Version = path, strings.TrimSuffix(version, goModSuffix)
				fd.Got = hash
				findings = append(findings, fd)
			}
		} else {
			seen[k] = len(f.Lines)
		}
		f.Lines = append(f.Lines, sl)
	}
	if syntaxErrors > maxSyntaxFindings {
		findings = append(findings, NewFinding(RuleGoSumSyntax, name, 0,
			"%d more malformed lines not listed; is %s a go.sum file?", syntaxErrors-maxSyntaxFindings, name))
	}
	return f, findings
}

const (
	sumTextLine = iota
	sumBlankLine
	sumLongLine
)

// sumLineKind classifies a go.sum line: blank (only ASCII white space:
// the go command skips it), too long to parse, or text to parse.
func sumLineKind(raw []byte) int {
	if len(raw) > MaxSumLineLength {
		for _, c := range raw {
			if !asciiSpace[c] {
				return sumLongLine
			}
		}
		return sumBlankLine
	}
	for _, c := range raw {
		if !asciiSpace[c] {
			return sumTextLine
		}
	}
	return sumBlankLine
}

// sumText returns the text lines of data (sumLineKind), each followed by
// '\n', in one string, and their number: its size is that of the lines worth
// parsing, not of data (so data is walked twice: to size, then to copy).
func sumText(data []byte) (string, int) {
	size, n := 0, 0
	eachTextLine(data, func(raw []byte) {
		size += len(raw) + 1
		n++
	})
	if size == 0 {
		return "", 0
	}
	var b strings.Builder
	b.Grow(size)
	eachTextLine(data, func(raw []byte) {
		b.Write(raw)
		b.WriteByte('\n')
	})
	return b.String(), n
}

// eachTextLine calls f with each line of data (without its '\n') that
// sumLineKind calls text.
func eachTextLine(data []byte, f func(raw []byte)) {
	for rest := data; len(rest) > 0; {
		raw := rest
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			raw, rest = rest[:i], rest[i+1:]
		} else {
			rest = nil
		}
		if sumLineKind(raw) == sumTextLine {
			f(raw)
		}
	}
}

// checkSumModule checks the module path and version fields of a go.sum
// line: module.Check's rules, with module.CheckPath (most of the cost)
// run once per path, not once per line. checked remembers valid paths.
func checkSumModule(path, version string, checked map[string]bool) error {
	v := strings.TrimSuffix(version, goModSuffix)
	if !checked[path] {
		if err := module.CheckPath(path); err != nil {
			return err
		}
		checked[path] = true
	}
	if module.CanonicalVersion(v) != v {
		return fmt.Errorf("%s: version %q is not canonical semver", path, version)
	}
	_, pathMajor, _ := module.SplitPathVersion(path)
	if err := module.CheckPathMajor(v, pathMajor); err != nil {
		return &module.ModuleError{Path: path, Err: err}
	}
	return nil
}

// isConflictMarker reports whether line is a git merge conflict marker.
func isConflictMarker(line string) bool {
	if len(line) < 7 {
		return false
	}
	switch line[:7] {
	case "<<<<<<<", ">>>>>>>", "|||||||":
		return len(line) == 7 || line[7] == ' ' || line[7] == '\r' || line[7] == '\t'
	case "=======":
		return strings.TrimRight(line, "\r") == "======="
	}
	return false
}

// splitFields stores up to three white-space separated fields of line in
// fields and returns how many fields line has. It splits exactly as
// strings.Fields does (cmd/go uses that), without allocating for ASCII lines.
func splitFields(line string, fields *[3]string) int {
	for i := 0; i < len(line); i++ {
		if line[i] >= utf8.RuneSelf {
			all := strings.Fields(line)
			copy(fields[:], all)
			return len(all)
		}
	}
	n := 0
	for i := 0; i < len(line); {
		for i < len(line) && asciiSpace[line[i]] {
			i++
		}
		if i == len(line) {
			break
		}
		start := i
		for i < len(line) && !asciiSpace[line[i]] {
			i++
		}
		if n < len(fields) {
			fields[n] = line[start:i]
		}
		n++
	}
	return n
}

var asciiSpace = [256]bool{'\t': true, '\n': true, '\v': true, '\f': true, '\r': true, ' ': true}

// validH1 reports whether value is the canonical standard base64 encoding of
// a 32-byte SHA-256 sum: 43 alphabet characters and one '=' of padding, with
// the two unused low bits of the last character zero.
func validH1(value string) bool {
	if len(value) != 44 || value[43] != '=' {
		return false
	}
	for i := 0; i < 43; i++ {
		if b64index(value[i]) < 0 {
			return false
		}
	}
	return b64index(value[42])&3 == 0
}

func b64index(c byte) int {
	switch {
	case 'A' <= c && c <= 'Z':
		return int(c - 'A')
	case 'a' <= c && c <= 'z':
		return int(c-'a') + 26
	case '0' <= c && c <= '9':
		return int(c-'0') + 52
	case c == '+':
		return 62
	case c == '/':
		return 63
	}
	return -1
}
