package verify

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"golang.org/x/mod/module"
	modzip "golang.org/x/mod/zip"
)

// Benchmarks of the parsers on large, realistic, in-process generated
// inputs. Run:
//
//	go test ./verify -run '^$' -bench . -benchmem -count 6
//
// Besides the standard metrics, each benchmark reports its cost per input
// line (or per requirement): ns/line and allocs/line.

// benchH1 returns a valid h1 hash: the base64 of the SHA-256 of s.
func benchH1(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "h1:" + base64.StdEncoding.EncodeToString(sum[:])
}

// benchModule returns the path and version of synthetic module i: a mix of
// plain github.com paths, /vN major-version paths, gopkg.in paths,
// +incompatible versions and pseudo-versions, as real go.sum files have.
func benchModule(i int) (path, version string) {
	org, repo := i/7, i
	switch i % 10 {
	case 0, 1, 2, 3:
		return fmt.Sprintf("github.com/org%d/repo%d", org, repo), fmt.Sprintf("v1.%d.%d", i%23, i%7)
	case 4, 5:
		major := 2 + i%3
		return fmt.Sprintf("github.com/org%d/repo%d/v%d", org, repo, major), fmt.Sprintf("v%d.%d.%d", major, i%11, i%5)
	case 6:
		return fmt.Sprintf("gopkg.in/pkg%d.v3", repo), fmt.Sprintf("v3.0.%d", i%9)
	case 7:
		return fmt.Sprintf("github.com/org%d/legacy%d", org, repo), fmt.Sprintf("v%d.1.0+incompatible", 2+i%4)
	case 8:
		rev := fmt.Sprintf("%x", sha256.Sum256([]byte(fmt.Sprint(i))))[:12]
		return fmt.Sprintf("golang.org/x/exp%d", repo), fmt.Sprintf("v0.0.0-2024%02d%02d%02d%02d%02d-%s", 1+i%12, 1+i%28, i%24, i%60, i%60, rev)
	default:
		rev := fmt.Sprintf("%x", sha256.Sum256([]byte(fmt.Sprint(i))))[:12]
		return fmt.Sprintf("example.com/team%d/svc%d", org, repo), fmt.Sprintf("v1.%d.%d-0.2023%02d%02d120000-%s", i%9, 1+i%6, 1+i%12, 1+i%28, rev)
	}
}

// benchGoSum returns a go.sum of 2*modules lines: for each module a zip hash
// and a /go.mod hash, sorted as go mod tidy writes them.
func benchGoSum(modules int) []byte {
	lines := make([]string, 0, 2*modules)
	for i := range modules {
		path, version := benchModule(i)
		lines = append(lines,
			path+" "+version+" "+benchH1(path+"@"+version),
			path+" "+version+"/go.mod "+benchH1(path+"@"+version+"/go.mod"))
	}
	slices.Sort(lines)
	return []byte(strings.Join(lines, "\n") + "\n")
}

// benchGoMod returns a go.mod with n requirements (about a third of them
// // indirect, in a second block as go mod tidy writes them), a few
// replaces, excludes and retractions.
func benchGoMod(n int) []byte {
	var b strings.Builder
	b.WriteString("module github.com/bench/app\n\ngo 1.22\n\ntoolchain go1.22.4\n\nrequire (\n")
	for i := range n {
		if i%3 != 2 {
			path, version := benchModule(i)
			fmt.Fprintf(&b, "\t%s %s\n", path, version)
		}
	}
	b.WriteString(")\n\nrequire (\n")
	for i := range n {
		if i%3 == 2 {
			path, version := benchModule(i)
			fmt.Fprintf(&b, "\t%s %s // indirect\n", path, version)
		}
	}
	b.WriteString(")\n\nreplace (\n")
	for i := 0; i < n && i < 50; i += 10 {
		path, version := benchModule(i)
		fmt.Fprintf(&b, "\t%s %s => %s-fork %s\n", path, version, path, version)
	}
	p, _ := benchModule(3)
	fmt.Fprintf(&b, "\t%s => ../local/repo3\n)\n\n", p)
	for i := 1; i < n && i < 40; i += 10 {
		path, _ := benchModule(i)
		fmt.Fprintf(&b, "exclude %s v1.0.%d\n", path, 99+i)
	}
	b.WriteString("\nretract (\n\tv1.0.1 // published by mistake\n\t[v1.1.0, v1.1.5]\n)\n")
	return []byte(b.String())
}

// benchPerUnit runs fn b.N times and reports ns and allocations per unit
// (line of input, requirement) besides the standard metrics.
func benchPerUnit(b *testing.B, size, units int, unit string, fn func()) {
	b.SetBytes(int64(size))
	b.ReportAllocs()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		fn()
	}
	b.StopTimer()
	runtime.ReadMemStats(&after)
	n := float64(b.N) * float64(units)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/n, "ns/"+unit)
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/n, "allocs/"+unit)
}

func benchParseSum(b *testing.B, modules int) {
	data := benchGoSum(modules)
	lines := 2 * modules
	f, findings := ParseSum("go.sum", data)
	if len(f.Lines) != lines || len(findings) != 0 {
		b.Fatalf("synthetic go.sum: %d lines (want %d), findings %v", len(f.Lines), lines, findings[:min(len(findings), 5)])
	}
	benchPerUnit(b, len(data), lines, "line", func() {
		ParseSum("go.sum", data)
	})
}

func BenchmarkParseSum10k(b *testing.B)  { benchParseSum(b, 5_000) }
func BenchmarkParseSum200k(b *testing.B) { benchParseSum(b, 100_000) }

func BenchmarkCheckModFile500(b *testing.B) {
	const requires = 500
	data := benchGoMod(requires)
	f, findings := CheckModFile("go.mod", data)
	if f == nil || len(f.Require) != requires {
		b.Fatalf("synthetic go.mod does not parse to %d requirements: %v", requires, findings)
	}
	// The one local replace is the only finding: the benchmark measures the
	// path of a healthy go.mod, not error reporting.
	if len(findings) != 1 || findings[0].Rule != RuleReplaceLocal {
		b.Fatalf("synthetic go.mod: want one replace-local finding, got %v", findings)
	}
	benchPerUnit(b, len(data), requires, "require", func() {
		CheckModFile("go.mod", data)
	})
}

// BenchmarkCheckModule500: one module zip of 500 files (and its extracted
// directory) against go.sum, without the verification cache: the cost of a
// first audit per module file.
func BenchmarkCheckModule500(b *testing.B) {
	const files = 500
	m := module.Version{Path: "example.com/bench", Version: "v1.0.0"}
	src := b.TempDir()
	for i := range files {
		name := filepath.Join(src, fmt.Sprintf("p%02d", i%20), fmt.Sprintf("f%03d.go", i))
		if err := os.MkdirAll(filepath.Dir(name), 0o777); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(name, []byte(strings.Repeat(fmt.Sprintf("// line of file %d\n", i), 200)), 0o666); err != nil {
			b.Fatal(err)
		}
	}
	zipFile := filepath.Join(b.TempDir(), "m.zip")
	f, err := os.Create(zipFile)
	if err != nil {
		b.Fatal(err)
	}
	if err := modzip.CreateFromDir(f, m, src); err != nil {
		b.Fatal(err)
	}
	f.Close()
	fi, _ := os.Stat(zipFile)
	_, h1, err := HashZip(zipFile)
	if err != nil {
		b.Fatal(err)
	}
	c := ModuleCheck{Module: m, Zip: &SumLine{Line: 1, Path: m.Path, Version: m.Version, Hash: h1}, ZipSum: "go.sum", ZipFile: zipFile, Dir: src}
	benchPerUnit(b, int(fi.Size()), files, "file", func() {
		res, err := CheckModule(c, nil)
		if err != nil || !res.Verified {
			b.Fatalf("CheckModule: %v, %v", err, res.Findings)
		}
	})
}
