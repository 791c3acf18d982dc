package verify

import (
	"bytes"
	"encoding/base64"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"unicode"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
)

// Native fuzz targets for the parsers of untrusted input. Run one at a time:
//
//	go test ./verify -run '^$' -fuzz '^FuzzParseSum$' -fuzztime 60s
//	go test ./verify -run '^$' -fuzz '^FuzzCheckModFile$' -fuzztime 60s
//	go test ./verify -run '^$' -fuzz '^FuzzCheckWorkFile$' -fuzztime 60s
//	go test ./verify -run '^$' -fuzz '^FuzzCheckPseudoVersion$' -fuzztime 60s
//
// Without -fuzz, the seeds below and those under testdata/fuzz run as
// ordinary tests.

// fzLineCount returns the number of lines ParseSum and conflictMarkers see
// in data: lines end at '\n', and a final line without a newline counts.
func fzLineCount(data []byte) int {
	n := bytes.Count(data, []byte{'\n'})
	if len(data) > 0 && data[len(data)-1] != '\n' {
		n++
	}
	return n
}

// fzCheckFinding checks the invariants every finding of a parser holds.
func fzCheckFinding(t *testing.T, fd Finding, name string, maxLine int) {
	t.Helper()
	r, ok := LookupRule(fd.Rule)
	if !ok {
		t.Fatalf("finding with unknown rule %q: %+v", fd.Rule, fd)
	}
	if fd.Severity != r.Severity {
		t.Errorf("finding %+v: severity %q, rule %s has %q", fd, fd.Severity, fd.Rule, r.Severity)
	}
	if fd.Message == "" {
		t.Errorf("finding with empty message: %+v", fd)
	}
	if fd.File != name {
		t.Errorf("finding %+v: file %q, want %q", fd, fd.File, name)
	}
	if fd.Line < 0 || fd.Line > maxLine {
		t.Errorf("finding %+v: line %d out of range [0, %d]", fd, fd.Line, maxLine)
	}
}

func fzHasSpace(s string) bool {
	return strings.IndexFunc(s, unicode.IsSpace) >= 0
}

// fzRefLine is a go.sum line as cmd/go's readGoSum (modload/init.go) sees
// it: three white-space separated fields.
type fzRefLine struct {
	line   int
	fields []string
}

// fzReadGoSum is a transcription of cmd/go's readGoSum: split at '\n',
// strings.Fields, skip blank lines, keep lines of exactly three fields (cmd/go
// fails on others; go mod tidy skips them), drop the empty-go.mod hash.
func fzReadGoSum(data []byte) []fzRefLine {
	var out []fzRefLine
	lineno := 0
	for len(data) > 0 {
		var line []byte
		lineno++
		if i := bytes.IndexByte(data, '\n'); i < 0 {
			line, data = data, nil
		} else {
			line, data = data[:i], data[i+1:]
		}
		f := strings.Fields(string(line))
		if len(f) != 3 {
			continue
		}
		if f[2] == "h1:G7mAYYxgmS0lVkHyy2hEOLQCFB0DlQFTMLWggykrydY=" {
			continue
		}
		out = append(out, fzRefLine{lineno, f})
	}
	return out
}

// fzValidH1 is an independent statement of "a canonical h1 hash": the
// strict standard base64 encoding of a 32-byte SHA-256 sum.
func fzValidH1(value string) bool {
	b, err := base64.StdEncoding.Strict().DecodeString(value)
	return err == nil && len(b) == 32 && base64.StdEncoding.EncodeToString(b) == value
}

// fzSumLineOK reports whether a go.sum line with these three fields is well
// formed by the documented rules: a valid module path, a canonical version
// (with an optional /go.mod suffix) that matches the path's major version,
// and an ALG:VALUE hash whose value, for h1, is a canonical h1 hash.
func fzSumLineOK(path, version, hash string) bool {
	v := strings.TrimSuffix(version, "/go.mod")
	if module.CheckPath(path) != nil || module.CanonicalVersion(v) != v || module.Check(path, v) != nil {
		return false
	}
	alg, value, ok := strings.Cut(hash, ":")
	if !ok || alg == "" || value == "" {
		return false
	}
	return alg != "h1" || fzValidH1(value)
}

const (
	fzH1a = "h1:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=" // sha256("")
	fzH1b = "h1:LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=" // sha256("hello")
)

var fzSumSeeds = []string{
	"",
	"\n",
	"\n\n \t\n",
	"golang.org/x/mod v0.43.0 " + fzH1a + "\ngolang.org/x/mod v0.43.0/go.mod " + fzH1b + "\n",
	"golang.org/x/mod v0.43.0 " + fzH1a + "\r\ngolang.org/x/mod v0.43.0/go.mod " + fzH1b + "\r\n",
	"golang.org/x/mod v0.43.0 " + fzH1a,                                                              // no final newline
	"golang.org/x/mod v0.43.0 " + fzH1a + "\ngolang.org/x/mod v0.43.0 " + fzH1a + "\n",               // duplicate
	"golang.org/x/mod v0.43.0 " + fzH1a + "\ngolang.org/x/mod v0.43.0 " + fzH1b + "\n",               // conflict
	"golang.org/x/mod v0.43.0 h2:" + fzH1a[3:] + "\ngolang.org/x/mod v0.43.0 h2:" + fzH1b[3:] + "\n", // unknown algorithm
	"golang.org/x/mod v0.43.0/go.mod h1:G7mAYYxgmS0lVkHyy2hEOLQCFB0DlQFTMLWggykrydY=\n",              // empty go.mod hash
	"example.com/a v1.0.0/go.mod h1:G7mAYYxgmS0lVkHyy2hEOLQCFB0DlQFTMLWggykrydY=\nexample.com/a v1.0.0/go.mod " + fzH1a + "\n",
	"<<<<<<< HEAD\nexample.com/a v1.0.0 " + fzH1a + "\n=======\nexample.com/a v1.0.0 " + fzH1b + "\n>>>>>>> branch\n",
	"||||||| base\r\n=======\r\n>>>>>>>\r\n",
	"=======x\n<<<<<<<<\n",
	"example.com/a v1.0.0 " + fzH1a + "\x00\n",
	"\x00\x01\x02\xff\xfe\n\x00",
	"\xff\xfe\xfd v1.0.0 " + fzH1a + "\n",
	"example.com/a\u00a0v1.0.0\u00a0" + fzH1a + "\n",
	"example.com/a\u0085v1.0.0\u2028" + fzH1a + "\n",
	"example.com/a\u3000v1.0.0 " + fzH1a + "\u200b\n",
	"example.com/a\vv1.0.0\f" + fzH1a + "\n",
	"example.com/a v1.0.0\n",
	"example.com/a v1.0.0 " + fzH1a + " extra\n",
	"example.com/a v1.0 " + fzH1a + "\n",
	"example.com/a v1.0.0+meta " + fzH1a + "\n",
	"example.com/a v2.0.0 " + fzH1a + "\n",
	"example.com/a v2.0.0+incompatible " + fzH1a + "\n",
	"example.com/a/v2 v2.3.4 " + fzH1a + "\nexample.com/a/v2 v2.3.4/go.mod " + fzH1b + "\n",
	"gopkg.in/yaml.v3 v3.0.1 " + fzH1a + "\ngopkg.in/yaml.v2 v3.0.1 " + fzH1b + "\n",
	"example.com/a v0.0.0-20200101000000-abcdef123456 " + fzH1a + "\n",
	"example.com/a v1.0.0 h1:\nexample.com/a v1.0.0 :abc\nexample.com/a v1.0.0 h1\n",
	"example.com/a v1.0.0 h1:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFV=\n", // non-zero padding bits
	"example.com/a v1.0.0 h1:47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU=\n", // URL alphabet
	"example.com/a v1.0.0 h1:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU\n",  // no padding
	"example.com/a v1.0.0/go.mod/go.mod " + fzH1a + "\n",
	"Example.com/A v1.0.0 " + fzH1a + "\n",
	"example.com/a/../b v1.0.0 " + fzH1a + "\n",
	"example.com/" + strings.Repeat("x", 5000) + " v1.0.0 " + fzH1a + "\n",
	strings.Repeat("example.com/a v1.0.0 "+fzH1a+"\n", 3) + strings.Repeat("x\n", 60),
	strings.Repeat("bad line\n", 55) + "example.com/a v1.0.0 " + fzH1a + "\n",
}

func FuzzParseSum(f *testing.F) {
	for _, s := range fzSumSeeds {
		f.Add([]byte(s))
	}
	const name = "sub/go.sum"
	f.Fuzz(func(t *testing.T, data []byte) {
		orig := bytes.Clone(data)
		sf, findings := ParseSum(name, data)
		if !bytes.Equal(data, orig) {
			t.Fatalf("ParseSum modified its input")
		}
		if sf == nil {
			t.Fatalf("ParseSum returned a nil *SumFile")
		}
		if sf.Name != name {
			t.Errorf("SumFile.Name = %q, want %q", sf.Name, name)
		}
		nlines := fzLineCount(data)

		// Findings.
		reported := make(map[int]bool) // lines with a gosum-syntax or gosum-merge-conflict finding
		overflow := false
		for _, fd := range findings {
			fzCheckFinding(t, fd, name, nlines)
			switch fd.Rule {
			case RuleGoSumSyntax, RuleGoSumMergeConflict:
				if fd.Line > 0 {
					reported[fd.Line] = true
				} else {
					overflow = true // "N more malformed lines not listed"
				}
			}
		}
		// A file with a NUL byte is rejected as a whole: one gosum-syntax
		// finding at the line of the first NUL, and no lines.
		nulFile := false
		if i := bytes.IndexByte(data, 0); i >= 0 {
			nulFile = true
			line := 1 + bytes.Count(data[:i], []byte{'\n'})
			if len(findings) != 1 || findings[0].Rule != RuleGoSumSyntax || findings[0].Line != line || len(sf.Lines) != 0 {
				t.Fatalf("input with a NUL byte at line %d: want one gosum-syntax finding there and no lines, got %d lines, findings %v", line, len(sf.Lines), findings)
			}
		}
		lastReported := 0
		for l := range reported {
			lastReported = max(lastReported, l)
		}

		// Lines.
		prev := 0
		for _, l := range sf.Lines {
			if l.Line < 1 || l.Line > nlines {
				t.Errorf("line %+v: line number out of range [1, %d]", l, nlines)
			}
			if l.Line <= prev {
				t.Errorf("line %+v: not after line %d", l, prev)
			}
			prev = l.Line
			for _, s := range []string{l.Path, l.Version, l.Hash} {
				if s == "" || fzHasSpace(s) {
					t.Errorf("line %+v: empty field or field with white space %q", l, s)
				}
			}
			if reported[l.Line] {
				t.Errorf("line %+v is both returned and reported malformed", l)
			}
			if !fzSumLineOK(l.Path, l.Version, l.Hash) {
				t.Errorf("line %+v returned as well formed, but it is not", l)
			}
		}

		returned := make(map[int]bool, len(sf.Lines))
		for _, l := range sf.Lines {
			returned[l.Line] = true
		}
		for _, fd := range findings {
			switch fd.Rule {
			case RuleGoSumDuplicate, RuleGoSumConflict, RuleGoSumUnknownAlgorithm:
				if !returned[fd.Line] {
					t.Errorf("finding %+v is about a line ParseSum does not return", fd)
				}
			}
		}

		// Determinism.
		sf2, findings2 := ParseSum(name, data)
		if !reflect.DeepEqual(sf, sf2) || !reflect.DeepEqual(findings, findings2) {
			t.Fatalf("ParseSum is not deterministic:\n%+v %v\n%+v %v", sf, findings, sf2, findings2)
		}

		// Differential check against cmd/go's readGoSum.
		if nulFile {
			return // the whole file is rejected by one finding
		}
		byLine := make(map[int]SumLine, len(sf.Lines))
		for _, l := range sf.Lines {
			byLine[l.Line] = l
		}
		ref := fzReadGoSum(data)
		refLines := make(map[int]bool, len(ref))
		for _, r := range ref {
			refLines[r.line] = true
			l, ok := byLine[r.line]
			if ok {
				if got := []string{l.Path, l.Version, l.Hash}; !reflect.DeepEqual(got, r.fields) {
					t.Errorf("line %d: ParseSum fields %q, cmd/go fields %q", r.line, got, r.fields)
				}
				continue
			}
			if reported[r.line] || overflow && r.line > lastReported {
				// A well-formed line must not be reported malformed, unless
				// it is a conflict marker ("<<<<<<< a b" has three fields).
				if reported[r.line] && fzSumLineOK(r.fields[0], r.fields[1], r.fields[2]) && !isConflictMarker(fzLine(data, r.line)) {
					t.Errorf("line %d %q is well formed but reported malformed", r.line, r.fields)
				}
				continue
			}
			t.Errorf("line %d %q: cmd/go reads it, but ParseSum neither returns nor reports it", r.line, r.fields)
		}
		for _, l := range sf.Lines {
			if !refLines[l.Line] {
				t.Errorf("line %+v: returned by ParseSum but not read by cmd/go", l)
			}
		}
	})
}

// fzLine returns 1-based line n of data, split at '\n'.
func fzLine(data []byte, n int) string {
	lines := strings.Split(string(data), "\n")
	if n < 1 || n > len(lines) {
		return ""
	}
	return lines[n-1]
}

var fzModSeeds = []string{
	"",
	"module example.com/m\n",
	"module example.com/m\n\ngo 1.22\n\nrequire example.com/a v1.0.0\n",
	"module example.com/m\r\n\r\ngo 1.22\r\n\r\nrequire example.com/a v1.0.0\r\n",
	"module example.com/m\ngo 1.22",
	"module example.com/m\n\ngo 1.21\n\ntoolchain go1.22.1\n\nrequire (\n\texample.com/a v1.0.0\n\texample.com/b/v2 v2.1.0 // indirect\n\tgopkg.in/yaml.v3 v3.0.1\n\texample.com/c v3.0.0+incompatible\n\texample.com/d v0.0.0-20200101000000-abcdef123456\n\texample.com/e v1.2.4-0.20200101000000-abcdef123456 // indirect\n\texample.com/f v1.2.3-pre.0.20200101000000-abcdef123456\n)\n\nreplace (\n\texample.com/a => ../a\n\texample.com/b/v2 v2.1.0 => example.com/fork/v2 v2.1.1\n)\n\nexclude example.com/a v0.9.0\n\nretract (\n\tv1.0.1 // broken\n\t[v1.1.0, v1.1.9]\n)\n",
	"module example.com/m\nrequire (\n\texample.com/a v1.0.0\n",
	"module example.com/m\nfrobnicate x\n",
	"go 1.22\n",
	"module example.com/m\nrequire example.com/a v1.2\n",
	"module example.com/m\nrequire example.com/a v1.2.3+meta\n",
	"module example.com/m\nrequire example.com/a master\n",
	"module example.com/m\nrequire example.com/a v2.0.0\n",
	"module example.com/m\nrequire example.com/a/v2 v1.0.0\n",
	"module example.com/m\nrequire gopkg.in/yaml.v2 v3.0.1\n",
	"module example.com/m\nrequire gopkg.in/yaml v2.4.0\n",
	"module example.com/m\nrequire gopkg.in/yaml.v2 v2.4.0\n",
	"module example.com/m\nrequire example.com/a v1.0.0+incompatible\n",
	"module example.com/m\nrequire example.com/a/v2 v2.0.0+incompatible\n",
	"module example.com/m\nrequire example.com/a/../b v1.0.0\n",
	"module example.com/m\nrequire mylib v1.0.0\nreplace mylib => ./mylib\n",
	"module example.com/m\nrequire example.com/a v0.0.0-20201301000000-abcdef123456\n",
	"module example.com/m\nrequire example.com/a v0.0.0-20200101000000-ABCDEF123456\n",
	"module example.com/m\nrequire example.com/a v1.2.3-20200101000000-abcdef123456\n",
	"module example.com/m\nrequire example.com/a v2.0.0-20200101000000-abcdef123456+incompatible\n",
	"module example.com/m\nreplace example.com/a => example.com/b v1.0\n",
	"module example.com/m\nexclude example.com/a v2.0.0\n",
	"module example.com/m\nretract v1.0\n",
	"module example.com/m\nretract [v1.0.0, v1.0]\n",
	"module example.com/m\n<<<<<<< HEAD\nrequire example.com/a v1.0.0\n=======\nrequire example.com/a v1.1.0\n>>>>>>> branch\n",
	"module \"example.com/m\"\nrequire \"example.com/a\" `v1.0.0`\n",
	"module example.com/m\nrequire \"example.com/a\n",
	"module example.com/m\nrequire example.com/a `v1\n.0.0`\n",
	"module example.com/m\nrequire (\n\texample.com/a v1.2\n\texample.com/b v2.0.0\n\texample.com/c v1.0.0\n)\nreplace example.com/c => ../c\n",
	"module example.com/m\nrequire (\n" + strings.Repeat("\texample.com/a v1.2\n", 70) + ")\n",
	"module example.com/m\ngodebug default=go1.21\nignore ./x\ntool example.com/a/cmd\n",
	"module Example.com/M\n",
	"module example.com/m/v2\nrequire example.com/a v1.0.0 // indirect\n",
	"// Deprecated: use example.com/n\nmodule example.com/m\n",
	"\x00\xff\xfe module\n",
	"module example.com/m\u00a0x\n",
	"module example.com/m\nrequire example.com/a v1.0.0\x00\n",
}

func FuzzCheckModFile(f *testing.F) {
	for _, s := range fzModSeeds {
		f.Add([]byte(s))
	}
	const name = "sub/go.mod"
	f.Fuzz(func(t *testing.T, data []byte) {
		orig := bytes.Clone(data)
		mf, findings := CheckModFile(name, data)
		if !bytes.Equal(data, orig) {
			t.Fatalf("CheckModFile modified its input")
		}
		fzCheckModFindings(t, findings, name, fzLineCount(data)+1)
		if mf == nil && len(findings) == 0 {
			t.Fatalf("CheckModFile returned no file and no finding")
		}
		mf2, findings2 := CheckModFile(name, data)
		if !reflect.DeepEqual(findings, findings2) || !reflect.DeepEqual(mf, mf2) {
			t.Fatalf("CheckModFile is not deterministic:\n%v\n%v", findings, findings2)
		}
	})
}

// fzCheckModFindings checks the findings of CheckModFile or CheckWorkFile:
// each is sane, and none is reported twice.
func fzCheckModFindings(t *testing.T, findings []Finding, name string, maxLine int) {
	t.Helper()
	seen := make(map[Finding]bool, len(findings))
	for _, fd := range findings {
		fzCheckFinding(t, fd, name, maxLine)
		if seen[fd] {
			t.Errorf("finding reported twice: %+v", fd)
		}
		seen[fd] = true
	}
}

var fzWorkSeeds = []string{
	"",
	"go 1.22\n",
	"go 1.22\n\nuse (\n\t.\n\t./a\n\t../b\n)\n",
	"go 1.22\r\nuse ./a\r\n",
	"go 1.22\nuse ./a",
	"go 1.22\ntoolchain go1.22.1\nuse .\nreplace example.com/a => ./a\nreplace example.com/b v1.0.0 => example.com/c v1.1.0\n",
	"go 1.22\nreplace example.com/a v1.0 => example.com/b v1.0.0\n",
	"go 1.22\nreplace example.com/a => example.com/b v2.0.0\n",
	"go 1.22\nreplace example.com/a => mylib v1.0.0\n",
	"go 1.22\nreplace example.com/a/../b => example.com/b v1.0.0\n",
	"go 1.22\nreplace example.com/a => example.com/b v0.0.0-20201301000000-abcdef123456\n",
	"go 1.22\nrequire example.com/a v1.0.0\n",
	"go 1.22\nuse (\n\t./a\n",
	"go 1.22\n<<<<<<< HEAD\nuse ./a\n=======\nuse ./b\n>>>>>>> branch\n",
	"module example.com/m\n",
	"go 1.22\ngodebug (\n\tdefault=go1.21\n)\n",
	"\x00\xff",
}

func FuzzCheckWorkFile(f *testing.F) {
	for _, s := range fzWorkSeeds {
		f.Add([]byte(s))
	}
	const name = "sub/go.work"
	f.Fuzz(func(t *testing.T, data []byte) {
		orig := bytes.Clone(data)
		wf, findings := CheckWorkFile(name, data)
		if !bytes.Equal(data, orig) {
			t.Fatalf("CheckWorkFile modified its input")
		}
		fzCheckModFindings(t, findings, name, fzLineCount(data)+1)
		if wf == nil && len(findings) == 0 {
			t.Fatalf("CheckWorkFile returned no file and no finding")
		}
		wf2, findings2 := CheckWorkFile(name, data)
		if !reflect.DeepEqual(findings, findings2) || !reflect.DeepEqual(wf, wf2) {
			t.Fatalf("CheckWorkFile is not deterministic:\n%v\n%v", findings, findings2)
		}
	})
}

var fzPseudoSeeds = []string{
	"",
	"v",
	"v1.0.0",
	"v1.2.3-pre",
	"v0.0.0-20200101000000-abcdef123456",
	"v1.2.4-0.20200101000000-abcdef123456",
	"v1.2.3-pre.0.20200101000000-abcdef123456",
	"v2.0.0-20200101000000-abcdef123456+incompatible",
	"v3.0.1-0.20200101000000-abcdef123456+incompatible",
	"v0.0.0-20201301000000-abcdef123456",
	"v0.0.0-20200230000000-abcdef123456",
	"v0.0.0-20200101246060-abcdef123456",
	"v0.0.0-20200101000000-ABCDEF123456",
	"v0.0.0-20200101000000-abcdef1",
	"v0.0.0-20200101000000-abcdef1234567890abcdef1234567890abcdef12",
	"v0.0.0-2020010100000-abcdef123456",
	"v0.0.0-202001010000000-abcdef123456",
	"v1.2.3-20200101000000-abcdef123456",
	"v1.2.0-0.20200101000000-abcdef123456",
	"v0.0.0-0.20200101000000-abcdef123456",
	"v1.0.0-rc.1.0.20200101000000-abcdef123456",
	"v1.0.0-20200101000000-abcdef123456.x",
	"1.0.0-20200101000000-abcdef123456",
	"v0.0.0-00000000000000-000000000000",
	"v0.0.0-99999999999999-ffffffffffff",
}

func FuzzCheckPseudoVersion(f *testing.F) {
	for _, s := range fzPseudoSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		err := CheckPseudoVersion(v)
		if err2 := CheckPseudoVersion(v); (err == nil) != (err2 == nil) || err != nil && err.Error() != err2.Error() {
			t.Fatalf("CheckPseudoVersion(%q) is not deterministic: %v, then %v", v, err, err2)
		}
		if err != nil || !module.IsPseudoVersion(v) {
			return
		}
		// v is a pseudo-version by x/mod's definition and CheckPseudoVersion
		// accepts it: x/mod must be able to take it apart.
		if _, err := module.PseudoVersionTime(v); err != nil {
			t.Errorf("CheckPseudoVersion(%q) = nil, but module.PseudoVersionTime: %v", v, err)
		}
		if _, err := module.PseudoVersionBase(v); err != nil {
			t.Errorf("CheckPseudoVersion(%q) = nil, but module.PseudoVersionBase: %v", v, err)
		}
		// As documented, the revision is the 12-digit lower-case hex
		// abbreviation the go command writes.
		if rev, err := module.PseudoVersionRev(v); err != nil || len(rev) != 12 || strings.Trim(rev, "0123456789abcdef") != "" {
			t.Errorf("CheckPseudoVersion(%q) = nil, but its revision is %q (%v)", v, rev, err)
		}
	})
}

var fzVendorSeeds = []string{
	"",
	"# a.com/a v1.0.0\n## explicit; go 1.16\na.com/a\na.com/a/sub\n",
	"## workspace\n# a.com/a v1.0.0\n## explicit; go 1.21\na.com/a\n",
	"# a.com/a v1.0.0 => ./local\n## explicit\na.com/a\n# a.com/a => ./local\n",
	"# a.com/a v1.0.0 => b.com/b v1.1.0\n## explicit; go 1.16\na.com/a\n",
	"# a.com/a\r\n## explicit\r\na.com/a\r\n",
	"## explicit\n# a.com/a v1.0.0\nb.com/b\na.com/a\na.com/a\n",
	"# a.com/a v1.0.0 extra\n# c.com/c latest\n## go 1.x\n# a.com/a v1.0.0 => \n",
	"# a.com/a v1.0.0\n## explicit; go 1.16; workspace\n../a.com/a\n/abs\nC:\\x\n",
	"# a.com/a v1.0.0\n## explicit\na.com/a/../../x\na.com/a/./y\na.com/a/vendor/z\n",
	"\x00\xff# \n##\n#",
}

const fzVendorGoMod = `module example.com/m

go 1.21

require (
	a.com/a v1.0.0
	b.com/b v1.1.0 // indirect
)

replace a.com/a => ./local

replace b.com/b v1.1.0 => c.com/c v1.0.0
`

const fzVendorGoWork = `go 1.22

use (
	./m
	./n
)

replace a.com/a v1.0.0 => ../elsewhere
`

// FuzzVendorModulesTxt: vendor/modules.txt is untrusted input to
// CheckVendor, in module and workspace mode: the consistency checks and
// the file check. None may panic; findings must be sane and name the files
// they are about. (modulestxt's FuzzParse fuzzes the reader alone.)
func FuzzVendorModulesTxt(f *testing.F) {
	for _, s := range fzVendorSeeds {
		f.Add([]byte(s))
	}
	mf, err := modfile.Parse("m/go.mod", []byte(fzVendorGoMod), nil)
	if err != nil {
		f.Fatal(err)
	}
	nf, err := modfile.Parse("n/go.mod", []byte("module example.com/n\n\ngo 1.22\n\nrequire a.com/a v1.0.0\n\nreplace a.com/a => ../x\n"), nil)
	if err != nil {
		f.Fatal(err)
	}
	wf, err := modfile.ParseWork("go.work", []byte(fzVendorGoWork), nil)
	if err != nil {
		f.Fatal(err)
	}
	// A module with an empty vendor/ and a local replacement directory:
	// the file check reads them, and every zip is unavailable.
	dir := f.TempDir()
	for name, data := range map[string]string{
		"go.mod":         fzVendorGoMod,
		"local/go.mod":   "module a.com/a\n",
		"local/a.go":     "package a\n",
		"vendor/.keep":   "",
		"local/LICENSE":  "license\n",
		"local/sub/s.go": "package sub\n",
	} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o777); err != nil {
			f.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o666); err != nil {
			f.Fatal(err)
		}
	}
	modLines := fzLineCount([]byte(fzVendorGoMod)) + 1
	f.Fuzz(func(t *testing.T, data []byte) {
		orig := bytes.Clone(data)
		lines := fzLineCount(data) + 1
		// The module's vendor directory.
		findings, _, err := CheckVendor(Vendor{Dir: dir, Rel: "m", ModulesTxt: data, Module: &MainModule{Dir: ".", File: mf}})
		if err != nil {
			t.Fatalf("CheckVendor (module): %v", err)
		}
		for _, fd := range findings {
			switch {
			case fd.File == "m/vendor/modules.txt":
				fzCheckFinding(t, fd, fd.File, lines)
			case fd.File == "m/go.mod" && fd.Rule == RuleVendorInconsistent:
				fzCheckFinding(t, fd, fd.File, modLines)
			case fd.Rule == RuleVendorTampered && strings.HasPrefix(fd.File, "m/vendor/"):
			default:
				t.Errorf("module finding about %q: %+v", fd.File, fd)
			}
		}
		// The workspace's, in the same directory: by default the
		// workspace's only if go work vendor wrote it.
		mods := []MainModule{{Dir: "m", File: mf}, {Dir: "n", File: nf}}
		findings, _, err = CheckVendor(Vendor{Dir: dir, Rel: ".", ModulesTxt: data, Work: wf, WorkModules: mods})
		if err != nil {
			t.Fatalf("CheckVendor (workspace): %v", err)
		}
		for _, fd := range findings {
			switch {
			case fd.File == "vendor/modules.txt":
				fzCheckFinding(t, fd, fd.File, lines)
			case fd.File == "m/go.mod", fd.File == "n/go.mod", fd.File == "go.work":
				fzCheckFinding(t, fd, fd.File, 20)
			case fd.Rule == RuleVendorTampered && strings.HasPrefix(fd.File, "vendor/"):
			default:
				t.Errorf("workspace finding about %q: %+v", fd.File, fd)
			}
		}
		if !bytes.Equal(data, orig) {
			t.Fatalf("the checks modified their input")
		}
	})
}

// FuzzParseSumMemory checks that ParseSum's memory follows the lines worth
// parsing (not blank, not over-long), not the size of its input: blank lines
// are free, and each real line costs a bounded amount (its SumLine, map
// slot, findings that may quote it, and its share of one copy of the text).
func FuzzParseSumMemory(f *testing.F) {
	for _, s := range fzSumSeeds {
		f.Add([]byte(s), uint16(0))
	}
	f.Add([]byte("example.com/a v1.0.0 "+fzH1a+"\n"), uint16(60000))
	f.Add([]byte("x"), uint16(1000))
	f.Fuzz(func(t *testing.T, data []byte, blanks uint16) {
		// Pad with blank lines, which must cost nothing.
		data = append(bytes.Repeat([]byte("\n"), int(blanks)*16), data...)
		var realLines, realBytes uint64
		for _, l := range bytes.Split(data, []byte("\n")) {
			if len(bytes.TrimLeft(l, " \t\r\v\f")) > 0 && len(l) <= MaxSumLineLength {
				realLines++
				realBytes += uint64(len(l)) + 1
			}
		}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		ParseSum("go.sum", data)
		runtime.ReadMemStats(&after)
		got := after.TotalAlloc - before.TotalAlloc
		if limit := 16<<10 + 2048*realLines + 8*realBytes; got > limit {
			t.Errorf("ParseSum of %d bytes (%d real lines, %d bytes of them) allocated %d bytes, more than %d", len(data), realLines, realBytes, got, limit)
		}
	})
}
