package audit_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/txtar"

	"github.com/modseal/modseal/internal/audit"
	"github.com/modseal/modseal/internal/gocmd"
	"github.com/modseal/modseal/internal/testproxy"
)

// Scale benchmarks (issue 13: "a generated fixture of 3,000 module versions
// costs at most 1.3x per module what a 300-module fixture costs"): a cold
// offline `modseal audit` (audit.Run with an empty cache dir, every check
// on) of a main module that needs N generated module versions, all already
// in the user's module cache. Run:
//
//	go test ./internal/audit -run '^$' -bench 'AuditScale|GoScale' -benchtime 3x -count 5
//
// or scripts/bench-scale.sh, which interleaves the sizes and the go command
// baselines round by round and prints the medians and the ratio. Each
// benchmark reports ns/module: the time of one audit (one go command) divided
// by N.
//
// The fixture: modules example.com/scale/mNNNN v1.0.0 (N of them), served by
// a file:// module proxy (internal/testproxy). Module i imports and requires
// modules 4i+1..4i+4 (a tree of fan-out 4, about log4(N) deep); the main
// module imports m0000 and every hundredth module, and requires every module
// (the rest // indirect), as go mod tidy writes it; go.sum has the two lines
// of each. Each module has a go.mod, two small .go files and a test. No
// checksum database knows the modules, so the audit runs with --offline (the
// sumdb and origin checks are the only ones skipped) and GOSUMDB is the
// default, never asked: go.sum has every line the go command needs. The fixture is built
// once per size in MODSEAL_BENCH_SCALE_DIR (default
// $TMPDIR/modseal-bench-scale/nN) and reused by later runs; its module
// cache is filled with go mod download, go mod tidy -diff (which must find
// nothing to change) and go list -m -json all, as a user's would be.
// MODSEAL_BENCH_SCALE_SIZES (default "300,3000") lists the sizes.
//
// Every iteration audits with a new, empty cache dir (created and removed
// outside the timer) and fails the benchmark on any finding, on a skipped
// hash, tidy, build-list or graph check, or on a module not hashed.

// scaleFixtureVersion changes whenever the generated fixture does, so that a
// fixture built by an older benchmark is rebuilt, not reused.
const scaleFixtureVersion = "modseal scale fixture 1"

// A scaleFixture is a built fixture of n modules.
type scaleFixture struct {
	n       int
	root    string   // the fixture directory
	main    string   // the main module's directory
	env     []string // the user's environment: GOMODCACHE filled, GOPROXY the fixture proxy
	offline []string // env with GOPROXY=off, for the go command baselines
	runs    int      // cache dirs made so far
}

var (
	scaleMu       sync.Mutex
	scaleFixtures = make(map[int]*scaleFixture)
)

// scaleSizes returns the fixture sizes to benchmark.
func scaleSizes(b *testing.B) []int {
	s := os.Getenv("MODSEAL_BENCH_SCALE_SIZES")
	if s == "" {
		s = "300,3000"
	}
	var sizes []int
	for f := range strings.SplitSeq(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 || n > 9999 {
			b.Fatalf("MODSEAL_BENCH_SCALE_SIZES=%s: want sizes from 1 to 9999, comma-separated", s)
		}
		sizes = append(sizes, n)
	}
	return sizes
}

// getScaleFixture returns the fixture of n modules, building it the first
// time in this process unless an earlier process left it ready.
func getScaleFixture(b *testing.B, n int) *scaleFixture {
	b.Helper()
	scaleMu.Lock()
	defer scaleMu.Unlock()
	if f := scaleFixtures[n]; f != nil {
		return f
	}
	base := os.Getenv("MODSEAL_BENCH_SCALE_DIR")
	if base == "" {
		base = filepath.Join(os.TempDir(), "modseal-bench-scale")
	}
	root, err := filepath.Abs(filepath.Join(base, fmt.Sprintf("n%d", n)))
	if err != nil {
		b.Fatal(err)
	}
	f := &scaleFixture{n: n, root: root, main: filepath.Join(root, "main")}
	f.env = scaleEnv(root)
	f.offline = gocmd.Setenv(f.env, "GOPROXY", "off")
	ready := filepath.Join(root, "ready")
	if data, err := os.ReadFile(ready); err != nil || string(data) != scaleFixtureVersion+"\n" {
		start := time.Now()
		if err := os.RemoveAll(root); err != nil {
			b.Fatal(err)
		}
		if err := buildScaleFixture(f); err != nil {
			b.Fatalf("building the %d-module fixture in %s: %v", n, root, err)
		}
		if err := os.WriteFile(ready, []byte(scaleFixtureVersion+"\n"), 0o666); err != nil {
			b.Fatal(err)
		}
		b.Logf("built the %d-module fixture in %s in %v", n, root, time.Since(start).Round(time.Millisecond))
	}
	if err := os.RemoveAll(filepath.Join(root, "runs")); err != nil { // left by an interrupted run
		b.Fatal(err)
	}
	scaleFixtures[n] = f
	return f
}

// scaleEnv is the environment of a user whose module cache is root/modcache
// and whose module proxy is the fixture's, with no checksum database.
func scaleEnv(root string) []string {
	env := os.Environ()
	for k, v := range map[string]string{
		"GOPROXY":     testproxy.URL(filepath.Join(root, "proxy")),
		"GOSUMDB":     "", // the default: go.sum has every line, so nothing asks it
		"GONOSUMDB":   "",
		"GONOPROXY":   "",
		"GOPRIVATE":   "",
		"GOINSECURE":  "",
		"GOFLAGS":     "-modcacherw",
		"GOMODCACHE":  filepath.Join(root, "modcache"),
		"GOPATH":      filepath.Join(root, "gopath"),
		"GOTOOLCHAIN": "local",
		"GOWORK":      "off",
		"GOENV":       "off",
		"CGO_ENABLED": "0",
	} {
		env = gocmd.Setenv(env, k, v)
	}
	return env
}

// scaleModPath is the path of generated module i.
func scaleModPath(i int) string { return fmt.Sprintf("example.com/scale/m%04d", i) }

// scaleChildren are the modules module i imports and requires.
func scaleChildren(i, n int) []int {
	var c []int
	for j := 4*i + 1; j <= 4*i+4 && j < n; j++ {
		c = append(c, j)
	}
	return c
}

// scaleModule is the txtar fixture of generated module i.
func scaleModule(i, n int) []byte {
	path, name := scaleModPath(i), fmt.Sprintf("m%04d", i)
	children := scaleChildren(i, n)
	var gomod, imports, sum strings.Builder
	fmt.Fprintf(&gomod, "module %s\n\ngo 1.22\n", path)
	if len(children) > 0 {
		gomod.WriteString("\nrequire (\n")
		for _, c := range children {
			fmt.Fprintf(&gomod, "\t%s v1.0.0\n", scaleModPath(c))
			fmt.Fprintf(&imports, "\t%q\n", scaleModPath(c))
			fmt.Fprintf(&sum, " + m%04d.F()", c)
		}
		gomod.WriteString(")\n")
	}
	var a strings.Builder
	fmt.Fprintf(&a, "// Package %s is module %d of modseal's generated scale benchmark fixture.\npackage %s\n\n", name, i, name)
	if imports.Len() > 0 {
		fmt.Fprintf(&a, "import (\n%s)\n\n", imports.String())
	}
	fmt.Fprintf(&a, "// F returns this module's number plus those of the modules it imports.\nfunc F() int { return %d%s }\n", i, sum.String())
	var words strings.Builder
	for w := range 24 {
		fmt.Fprintf(&words, "\t%q,\n", fmt.Sprintf("%s-word-%02d", name, w))
	}
	ar := &txtar.Archive{
		Comment: fmt.Appendf(nil, "module %s v1.0.0\n", path),
		Files: []txtar.File{
			{Name: "go.mod", Data: []byte(gomod.String())},
			{Name: "a.go", Data: []byte(a.String())},
			{Name: "words.go", Data: fmt.Appendf(nil, "package %s\n\n// Words are data, to give the module some size.\nvar Words = []string{\n%s}\n", name, words.String())},
			{Name: "a_test.go", Data: fmt.Appendf(nil, "package %s\n\nimport \"testing\"\n\nfunc TestF(t *testing.T) {\n\tif F() < %d {\n\t\tt.Fatal(F())\n\t}\n}\n", name, i)},
			{Name: "LICENSE", Data: []byte("Generated for modseal's benchmarks; no rights reserved.\n")},
		},
	}
	return txtar.Format(ar)
}

// buildScaleFixture generates f.n modules, builds the proxy, writes the main
// module and fills the module cache as a user's would be.
func buildScaleFixture(f *scaleFixture) error {
	src := filepath.Join(f.root, "src")
	for _, d := range []string{src, f.main} {
		if err := os.MkdirAll(d, 0o777); err != nil {
			return err
		}
	}
	for i := range f.n {
		if err := os.WriteFile(filepath.Join(src, fmt.Sprintf("m%04d.txt", i)), scaleModule(i, f.n), 0o666); err != nil {
			return err
		}
	}
	mods, err := testproxy.Load(src)
	if err != nil {
		return err
	}
	if len(mods) != f.n {
		return fmt.Errorf("loaded %d modules, want %d", len(mods), f.n)
	}
	if err := testproxy.Build(filepath.Join(f.root, "proxy"), mods); err != nil {
		return err
	}
	slices.SortFunc(mods, func(a, b *testproxy.Module) int { return strings.Compare(a.Path, b.Path) })

	// The main module, as go mod tidy writes it.
	var direct, indirect, imports, sum strings.Builder
	for i, m := range mods {
		if m.Path != scaleModPath(i) {
			return fmt.Errorf("module %d is %s, want %s", i, m.Path, scaleModPath(i))
		}
		if i%100 == 0 {
			fmt.Fprintf(&direct, "\t%s %s\n", m.Path, m.Version)
			fmt.Fprintf(&imports, "\t_ %q\n", m.Path)
		} else {
			fmt.Fprintf(&indirect, "\t%s %s // indirect\n", m.Path, m.Version)
		}
		sum.WriteString(m.SumLines())
	}
	gomod := "module example.com/scale/main\n\ngo 1.22\n" + requireBlock(direct.String()) + requireBlock(indirect.String())
	for name, data := range map[string]string{
		"go.mod":  gomod,
		"go.sum":  sum.String(),
		"main.go": "// Command main imports the generated modules of modseal's scale benchmark.\npackage main\n\nimport (\n" + imports.String() + ")\n\nfunc main() {}\n",
	} {
		if err := os.WriteFile(filepath.Join(f.main, name), []byte(data), 0o666); err != nil {
			return err
		}
	}

	// Fill the module cache: the zips and their extracted trees, every
	// package tidy loads, the .info files of the build list.
	ctx := context.Background()
	c := gocmd.Cmd{Env: f.env}
	if _, err := c.Run(ctx, f.main, "mod", "download"); err != nil {
		return err
	}
	if out, err := c.Run(ctx, f.main, "mod", "tidy", "-diff"); err != nil {
		if ge, ok := errors.AsType[*gocmd.Error](err); ok {
			return fmt.Errorf("the generated main module is not tidy: %v\n%s", err, ge.Stdout)
		}
		return fmt.Errorf("%v\n%s", err, out)
	}
	if _, err := c.Run(ctx, f.main, "list", "-m", "-json", "all"); err != nil {
		return err
	}
	if _, err := c.Run(ctx, f.main, "mod", "verify"); err != nil {
		return err
	}
	return nil
}

// requireBlock formats go.mod requirement lines (each with a leading tab)
// as go mod tidy does: a block, or one require line for a single one.
func requireBlock(lines string) string {
	switch strings.Count(lines, "\n") {
	case 0:
		return ""
	case 1:
		return "\nrequire " + strings.TrimPrefix(lines, "\t")
	}
	return "\nrequire (\n" + lines + ")\n"
}

// newCacheDir returns a new, empty modseal cache dir (the timer must be
// stopped).
func (f *scaleFixture) newCacheDir(b *testing.B) string {
	f.runs++
	dir := filepath.Join(f.root, "runs", strconv.Itoa(f.runs))
	if err := os.MkdirAll(dir, 0o777); err != nil {
		b.Fatal(err)
	}
	return dir
}

// BenchmarkAuditScale is a cold offline audit with every check on.
func BenchmarkAuditScale(b *testing.B) {
	for _, n := range scaleSizes(b) {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			f := getScaleFixture(b, n)
			ctx := context.Background()
			var spent time.Duration
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				cache := f.newCacheDir(b)
				b.StartTimer()
				start := time.Now()
				res, err := audit.Run(ctx, audit.Options{
					Dir:      f.main,
					Environ:  f.env,
					Offline:  true,
					CacheDir: cache,
					Jobs:     runtime.GOMAXPROCS(0),
				})
				spent += time.Since(start)
				b.StopTimer()
				if err != nil {
					b.Fatal(err)
				}
				if len(res.Findings) > 0 {
					b.Fatalf("%d findings, want none; the first: %+v", len(res.Findings), res.Findings[0])
				}
				for _, s := range res.Skipped {
					if s.Check != "sumdb" && s.Check != "origin" {
						b.Fatalf("skipped %s (%s): the audit did not do the work", s.Check, s.Reason)
					}
				}
				if res.Modules != n || res.Verified != n {
					b.Fatalf("%d modules in the build list, %d hashed; want %d and %d", res.Modules, res.Verified, n, n)
				}
				if err := os.RemoveAll(cache); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
			b.ReportMetric(float64(spent.Nanoseconds())/float64(b.N)/float64(n), "ns/module")
		})
	}
}

// BenchmarkGoScale: the go command on the same fixtures, as baselines:
// go mod verify (the user's own integrity check) and go mod tidy -diff and
// go list -m -json all (the go commands the audit's tidy and build-list
// checks run), offline, on the filled module cache.
func BenchmarkGoScale(b *testing.B) {
	cmds := []struct {
		name string
		args []string
	}{
		{"verify", []string{"mod", "verify"}},
		{"tidy", []string{"mod", "tidy", "-diff"}},
		{"list", []string{"list", "-m", "-json", "all"}},
	}
	for _, cmd := range cmds {
		b.Run(cmd.name, func(b *testing.B) {
			for _, n := range scaleSizes(b) {
				b.Run(strconv.Itoa(n), func(b *testing.B) {
					f := getScaleFixture(b, n)
					c := gocmd.Cmd{Env: f.offline}
					ctx := context.Background()
					b.ResetTimer()
					start := time.Now()
					for i := 0; i < b.N; i++ {
						if _, err := c.Run(ctx, f.main, cmd.args...); err != nil {
							b.Fatal(err)
						}
					}
					b.ReportMetric(float64(time.Since(start).Nanoseconds())/float64(b.N)/float64(n), "ns/module")
				})
			}
		})
	}
}
