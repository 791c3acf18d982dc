package verify

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"

	"github.com/modseal/modseal/internal/testproxy"
)

// The vendor tests check CheckVendorConsistency and CheckVendorFiles
// against the real go command: go mod tidy and go mod vendor write a vendor
// directory from the fixture modules in testdata/mod (served as a file://
// GOPROXY), the clean directory must give no finding (so the file selection
// is go mod vendor's), and each tampered copy must give exactly the expected
// findings; `go list -mod=vendor` confirms each inconsistency.

// vtMainGoMod is the test module's go.mod before go mod tidy.
const vtMainGoMod = `module example.com/vendmain

go %s

require (
	example.com/vendlib v1.0.0
	example.com/vendlocal v0.0.0
	example.com/vendorig v1.0.0
)

replace example.com/vendorig v1.0.0 => example.com/vendrep v1.0.0

replace example.com/vendlocal => ./local
`

const vtMainGo = `package main

import (
	"fmt"

	"example.com/vendlib"
	"example.com/vendlib/nested/deep"
	"example.com/vendlib/sub"
	"example.com/vendlocal"
	"example.com/vendorig"
)

func main() {
	fmt.Println(vendlib.Lib(), deep.Deep(), sub.Sub(), vendlocal.Local(), vendorig.Orig())
}
`

var vtLocalFiles = map[string]string{
	"local/go.mod":        "module example.com/vendlocal\n\ngo 1.16\n",
	"local/local.go":      "package vendlocal\n\n// Local says where it comes from.\nfunc Local() string { return \"local\" }\n",
	"local/local_test.go": "package vendlocal\n",
	"local/LICENSE":       "Fixture license of the local replacement.\n",
	"local/notes/x.txt":   "not vendored\n",
}

// vtGo is the go command for one test: a file:// proxy of testdata/mod, a
// private module cache, no checksum database, no toolchain switch.
type vtGo struct {
	proxy, modcache string
}

var (
	vtGoOnce sync.Once
	vtGoVal  *vtGo
	vtGoErr  error
)

func (g *vtGo) env(proxy string) []string {
	return append(os.Environ(),
		"GOPROXY="+proxy, "GOSUMDB=off", "GONOSUMDB=", "GONOPROXY=", "GOPRIVATE=", "GOINSECURE=",
		"GOFLAGS=-modcacherw", "GOMODCACHE="+g.modcache, "GOTOOLCHAIN=local", "GOWORK=off",
		"CGO_ENABLED=0", "GOENV=off")
}

// run runs the go command in dir; with offline set, GOPROXY is off.
func (g *vtGo) run(dir string, offline bool, args ...string) (string, error) {
	return g.runEnv(dir, offline, nil, args...)
}

// runEnv is run with more environment variables.
func (g *vtGo) runEnv(dir string, offline bool, env []string, args ...string) (string, error) {
	proxy := testproxy.URL(g.proxy)
	if offline {
		proxy = "off"
	}
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = append(g.env(proxy), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// zipFor returns the zip of m in the test module cache after checking its
// hash against the module's go.sum, as the caller of CheckVendorFiles does.
func (g *vtGo) zipFor(t *testing.T, dir string) func(module.Version) (string, error) {
	return g.zipForSums(t, dir, "go.sum")
}

// zipForSums is zipFor with the hashes of the given go.sum files in dir
// (those that exist).
func (g *vtGo) zipForSums(t *testing.T, dir string, sumFiles ...string) func(module.Version) (string, error) {
	sums := make(map[string]string)
	for _, name := range sumFiles {
		data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
		if os.IsNotExist(err) && len(sumFiles) > 1 {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(data), "\n") {
			if f := strings.Fields(line); len(f) == 3 {
				sums[f[0]+" "+f[1]] = f[2]
			}
		}
	}
	return func(m module.Version) (string, error) {
		ep, err := module.EscapePath(m.Path)
		if err != nil {
			return "", err
		}
		ev, err := module.EscapeVersion(m.Version)
		if err != nil {
			return "", err
		}
		if _, ok := sums[m.Path+" "+m.Version]; !ok {
			return "", fmt.Errorf("%s: %w", m, errNoSum)
		}
		z := filepath.Join(g.modcache, "cache", "download", filepath.FromSlash(ep), "@v", ev+".zip")
		got, h, err := HashZip(z)
		if err != nil {
			return "", err
		}
		if want := sums[m.Path+" "+m.Version]; got != m || h != want {
			return "", fmt.Errorf("%s is %s %s, go.sum wants %s", z, got, h, want)
		}
		return z, nil
	}
}

// vtSetup builds the proxy once per test process; the module cache lives in
// the calling test's temporary directory.
func vtSetup(t *testing.T) *vtGo {
	t.Helper()
	if testing.Short() {
		t.Skip("runs the go command")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("the go command is not on PATH")
	}
	vtGoOnce.Do(func() {
		dir, err := os.MkdirTemp("", "modseal-vendor-proxy-")
		if err != nil {
			vtGoErr = err
			return
		}
		mods, err := testproxy.Load("../testdata/mod")
		if err != nil {
			vtGoErr = err
			return
		}
		vtGoVal, vtGoErr = &vtGo{proxy: dir}, testproxy.Build(dir, mods)
	})
	if vtGoErr != nil {
		t.Fatal(vtGoErr)
	}
	return &vtGo{proxy: vtGoVal.proxy, modcache: filepath.Join(t.TempDir(), "modcache")}
}

// vtVendor writes the test module with the given go version in a new
// directory and runs go mod tidy and go mod vendor there.
func vtVendor(t *testing.T, g *vtGo, dir, goVersion string) {
	t.Helper()
	files := map[string]string{
		"go.mod":  fmt.Sprintf(vtMainGoMod, goVersion),
		"main.go": vtMainGo,
	}
	for k, v := range vtLocalFiles {
		files[k] = v
	}
	for name, data := range files {
		vtWrite(t, filepath.Join(dir, name), data)
	}
	// go mod vendor copies regular files only.
	if err := os.Symlink("LICENSE", filepath.Join(dir, "local", "link.txt")); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"mod", "tidy"}, {"mod", "vendor"}} {
		if out, err := g.run(dir, false, args...); err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

func vtWrite(t *testing.T, name, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(data), 0o666); err != nil {
		t.Fatal(err)
	}
}

// vtEdit replaces the one occurrence of old in a file.
func vtEdit(t *testing.T, name, old, new string) {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(data), old); n != 1 {
		t.Fatalf("%s: %q occurs %d times, want 1:\n%s", name, old, n, data)
	}
	if err := os.WriteFile(name, []byte(strings.Replace(string(data), old, new, 1)), 0o666); err != nil {
		t.Fatal(err)
	}
}

// vtEditIn returns a mutation of a test directory: vtEdit of file (a slash
// path) in it.
func vtEditIn(file, old, new string) func(*testing.T, string) {
	return func(t *testing.T, dir string) { vtEdit(t, filepath.Join(dir, filepath.FromSlash(file)), old, new) }
}

// vtGoAgrees checks what the go command (cmd, for messages) said: success
// when goErr is "", else an "inconsistent vendoring" error mentioning goErr.
func vtGoAgrees(t *testing.T, cmd, out string, err error, goErr string) {
	t.Helper()
	switch {
	case goErr == "" && err != nil:
		t.Errorf("%s failed, want success: %v\n%s", cmd, err, out)
	case goErr != "" && err == nil:
		t.Errorf("%s succeeded, want inconsistent vendoring: %s", cmd, goErr)
	case goErr != "" && (!strings.Contains(out, "inconsistent vendoring") || !strings.Contains(out, goErr)):
		t.Errorf("%s:\n%s\nwant inconsistent vendoring and %q", cmd, out, goErr)
	}
}

// vtRead returns the contents of dir/name (a slash path).
func vtRead(t *testing.T, dir, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// vtParseMod parses dir/name, a go.mod file.
func vtParseMod(t *testing.T, dir, name string) *modfile.File {
	t.Helper()
	mf, err := modfile.Parse(name, vtRead(t, dir, name), nil)
	if err != nil {
		t.Fatal(err)
	}
	return mf
}

// vtChecks runs both checks on the module in dir.
func vtChecks(t *testing.T, g *vtGo, dir string) (incons, files []Finding, skips []vendorSkip) {
	t.Helper()
	mf := vtParseMod(t, dir, "go.mod")
	txt := vtRead(t, dir, "vendor/modules.txt")
	incons = vendorConsistency(".", mf, txt)
	goVersion := "1.16"
	if mf.Go != nil {
		goVersion = mf.Go.Version
	}
	files, skips, err := vendorFiles(dir, ".", goVersion, "go mod vendor", txt, g.zipFor(t, dir))
	if err != nil {
		t.Fatalf("vendorFiles: %v", err)
	}
	return incons, files, skips
}

// vtLine resolves a location "file:{text}+N" to "file:LINE": the first line
// of dir/file that equals text (modules.txt) or contains it (go.mod,
// go.work), plus N.
// A location without braces is returned as is.
func vtLine(t *testing.T, dir, loc string) string {
	t.Helper()
	i := strings.Index(loc, ":{")
	if i < 0 {
		return loc
	}
	file := loc[:i]
	j := strings.LastIndex(loc, "}")
	text, off := loc[i+2:j], 0
	if rest := loc[j+1:]; rest != "" {
		n, err := strconv.Atoi(rest)
		if err != nil {
			t.Fatalf("bad location %q", loc)
		}
		off = n
	}
	data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(file)))
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == text || (path.Base(file) == "go.mod" || path.Base(file) == "go.work") && strings.Contains(line, text) {
			return fmt.Sprintf("%s:%d", file, n+off)
		}
	}
	t.Fatalf("%s has no line %q:\n%s", file, text, data)
	return ""
}

// vtMatch checks that findings are exactly want, in order: each want is
// "LOCATION SUBSTRING" (see vtLine), with the given rule.
func vtMatch(t *testing.T, what, dir, rule string, findings []Finding, want []string) {
	t.Helper()
	var got []string
	for _, f := range findings {
		loc := f.File
		if f.Line > 0 {
			loc += ":" + strconv.Itoa(f.Line)
		}
		got = append(got, loc+" "+f.Message)
	}
	remedy := "go mod vendor"
	if strings.Contains(what, "Work") {
		remedy = "go work vendor"
	}
	ok := len(findings) == len(want)
	for i := 0; ok && i < len(want); i++ {
		start := 0
		if j := strings.Index(want[i], "}"); strings.Contains(want[i], ":{") && j >= 0 {
			start = j
		}
		k := strings.Index(want[i][start:], " ") + start
		loc, sub := want[i][:k], want[i][k+1:]
		f := findings[i]
		ok = strings.HasPrefix(got[i], vtLine(t, dir, loc)+" ") && strings.Contains(f.Message, sub) &&
			f.Rule == rule && f.Severity == SeverityError && strings.Contains(f.Message, remedy)
	}
	if !ok {
		t.Errorf("%s findings:\n\t%s\nwant:\n\t%s", what, strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
	}
}

// TestVendorGoModVendor: the vendor directory go mod vendor writes gives no
// finding for main modules at go 1.16 (go.mod files vendored, test embeds
// vendored), 1.21 (go.mod stripped) and 1.23 (test embeds not vendored), and
// holds the files the fixture means it to hold.
func TestVendorGoModVendor(t *testing.T) {
	g := vtSetup(t)
	common := []string{
		"example.com/vendlib/LICENSE", "example.com/vendlib/README.md", "example.com/vendlib/.gitattributes",
		"example.com/vendlib/lib.go", "example.com/vendlib/data.txt", "example.com/vendlib/helper.c",
		"example.com/vendlib/helper.h", "example.com/vendlib/windows.go", "example.com/vendlib/_scratch.go",
		"example.com/vendlib/static/hello.txt", "example.com/vendlib/assets/a.txt",
		"example.com/vendlib/assets/deeper/b.txt", "example.com/vendlib/sub/sub.go",
		"example.com/vendlib/nested/NOTICE", "example.com/vendlib/nested/deep/deep.go",
		"example.com/vendb/LICENSE", "example.com/vendb/b.go", "example.com/vendorig/orig.go",
		"example.com/vendlocal/local.go", "example.com/vendlocal/LICENSE",
	}
	never := []string{
		"example.com/vendlib/lib_test.go", "example.com/vendlib/ignored.go", "example.com/vendlib/static/unused.txt",
		"example.com/vendlib/assets/.hidden", "example.com/vendlib/assets/_skip.txt", "example.com/vendlib/sub/sub_test.go",
		"example.com/vendlib/sub/testdata/fixture.txt", "example.com/vendlib/nested/notes.txt",
		"example.com/vendlib/other/other.go", "example.com/vendlib/other/LICENSE", "example.com/vendb/b_test.go",
		"example.com/vendlocal/local_test.go", "example.com/vendlocal/notes/x.txt", "example.com/vendlocal/link.txt",
	}
	goMods := []string{"example.com/vendlib/go.mod", "example.com/vendb/go.mod", "example.com/vendorig/go.mod", "example.com/vendlocal/go.mod"}
	testEmbed := []string{"example.com/vendlib/testdata/golden.txt"}
	for _, tc := range []struct {
		goVersion       string
		present, absent []string
	}{
		{"1.16", append(goMods, testEmbed...), nil},
		{"1.21", testEmbed, goMods},
		{"1.23", nil, append(goMods, testEmbed...)},
	} {
		t.Run("go"+tc.goVersion, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			vtVendor(t, g, dir, tc.goVersion)
			for _, f := range append(common, tc.present...) {
				if _, err := os.Lstat(filepath.Join(dir, "vendor", f)); err != nil {
					t.Errorf("go mod vendor did not write %s: the fixture does not test what it means to", f)
				}
			}
			for _, f := range append(never, tc.absent...) {
				if _, err := os.Lstat(filepath.Join(dir, "vendor", f)); err == nil {
					t.Errorf("go mod vendor wrote %s: the fixture does not test what it means to", f)
				}
			}
			incons, files, skips := vtChecks(t, g, dir)
			vtMatch(t, "CheckVendorConsistency", dir, RuleVendorInconsistent, incons, nil)
			vtMatch(t, "CheckVendorFiles", dir, RuleVendorTampered, files, nil)
			if len(skips) != 0 {
				t.Errorf("skipped: %v", skips)
			}
			if out, err := g.run(dir, true, "list", "-mod=vendor", "-deps", "./..."); err != nil {
				t.Errorf("go list -mod=vendor: %v\n%s", err, out)
			}
		})
	}
}

// TestVendorTampered: each change to a clean vendor directory gives exactly
// the expected vendor-tampered findings, and no vendor-inconsistent one.
func TestVendorTampered(t *testing.T) {
	g := vtSetup(t)
	clean := t.TempDir()
	vtVendor(t, g, clean, "1.23")
	lib := "vendor/example.com/vendlib/"
	zipLib := func(t *testing.T, name string) string { // a file of vendlib's verified zip
		t.Helper()
		data, err := os.ReadFile(filepath.Join(g.modcache, "example.com", "vendlib@v1.0.0", filepath.FromSlash(name)))
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	appendTo := func(t *testing.T, name, text string) {
		t.Helper()
		f, err := os.OpenFile(name, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if _, err := f.WriteString(text); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name   string
		mutate func(t *testing.T, dir string)
		want   []string
	}{
		{"modify go file", func(t *testing.T, dir string) {
			appendTo(t, filepath.Join(dir, lib, "lib.go"), "\nfunc init() { Hello = \"pwned\" }\n")
		}, []string{lib + "lib.go modified: differs from lib.go in example.com/vendlib@v1.0.0"}},
		{"add file", func(t *testing.T, dir string) {
			vtWrite(t, filepath.Join(dir, lib, "extra.go"), "package vendlib\n")
		}, []string{lib + "extra.go added: go mod vendor does not copy this file from example.com/vendlib@v1.0.0 (it has no file extra.go)"}},
		{"delete file", func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, lib, "data.txt"))
		}, []string{lib + "data.txt missing: go mod vendor copies data.txt from example.com/vendlib@v1.0.0"}},
		{"add test file", func(t *testing.T, dir string) {
			vtWrite(t, filepath.Join(dir, lib, "lib_test.go"), zipLib(t, "lib_test.go"))
		}, []string{lib + "lib_test.go added: go mod vendor does not copy this file from example.com/vendlib@v1.0.0 (_test.go files are never vendored)"}},
		{"modify LICENSE", func(t *testing.T, dir string) {
			appendTo(t, filepath.Join(dir, lib, "LICENSE"), "All rights reserved, actually.\n")
		}, []string{lib + "LICENSE modified:"}},
		{"modify embedded file", func(t *testing.T, dir string) {
			appendTo(t, filepath.Join(dir, lib, "assets/deeper/b.txt"), "x")
		}, []string{lib + "assets/deeper/b.txt modified: differs from assets/deeper/b.txt in example.com/vendlib@v1.0.0"}},
		{"delete metadata file of a parent directory", func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, lib, "nested/NOTICE"))
		}, []string{lib + "nested/NOTICE missing: go mod vendor copies nested/NOTICE"}},
		{"add files the module has but go mod vendor leaves out", func(t *testing.T, dir string) {
			for _, f := range []string{"ignored.go", "static/unused.txt", "assets/.hidden", "nested/notes.txt", "other/other.go", "go.mod"} {
				vtWrite(t, filepath.Join(dir, lib, f), zipLib(t, f))
			}
		}, []string{
			lib + "assets/.hidden added:", lib + "go.mod added:", lib + "ignored.go added:",
			lib + "nested/notes.txt added:", lib + "other/other.go added:", lib + "static/unused.txt added:",
		}},
		{"add file outside every module", func(t *testing.T, dir string) {
			vtWrite(t, filepath.Join(dir, "vendor/example.com/stray/stray.go"), "package stray\n")
		}, []string{"vendor/example.com/stray/stray.go added: no module in vendor/modules.txt provides this path"}},
		{"modify file of a module replaced by a module", func(t *testing.T, dir string) {
			appendTo(t, filepath.Join(dir, "vendor/example.com/vendorig/orig.go"), "// x\n")
		}, []string{"vendor/example.com/vendorig/orig.go modified: differs from orig.go in example.com/vendorig@v1.0.0 (replaced by example.com/vendrep@v1.0.0)"}},
		{"modify file of a module replaced by a directory", func(t *testing.T, dir string) {
			appendTo(t, filepath.Join(dir, "vendor/example.com/vendlocal/local.go"), "// x\n")
		}, []string{"vendor/example.com/vendlocal/local.go modified: differs from local.go in example.com/vendlocal@v0.0.0 (replaced by ./local)"}},
		{"stale vendor of a directory replacement", func(t *testing.T, dir string) {
			vtWrite(t, filepath.Join(dir, "local/more.go"), "package vendlocal\n")
		}, []string{"vendor/example.com/vendlocal/more.go missing: go mod vendor copies more.go from example.com/vendlocal@v0.0.0 (replaced by ./local)"}},
		{"package added to modules.txt and vendor/", func(t *testing.T, dir string) {
			// The go command accepts it: only the zip says it is not vendlib's.
			vtEdit(t, filepath.Join(dir, "vendor/modules.txt"), "example.com/vendlib/sub\n", "example.com/vendlib/evil\nexample.com/vendlib/sub\n")
			vtWrite(t, filepath.Join(dir, lib, "evil/evil.go"), "package evil\n")
		}, []string{
			lib + "evil/evil.go added: go mod vendor does not copy this file from example.com/vendlib@v1.0.0 (it has no file evil/evil.go)",
			"vendor/modules.txt:{example.com/vendlib/evil} package example.com/vendlib/evil is listed under example.com/vendlib@v1.0.0, which has no directory evil",
		}},
		{"symbolic links", func(t *testing.T, dir string) {
			b := filepath.Join(dir, "vendor/example.com/vendb/b.go")
			os.Remove(b)
			if err := os.Symlink("../vendlib/lib.go", b); err != nil {
				t.Skip(err)
			}
			if err := os.Symlink("b.go", filepath.Join(dir, "vendor/example.com/vendb/c.go")); err != nil {
				t.Fatal(err)
			}
		}, []string{
			"vendor/example.com/vendb/b.go modified: not a regular file (a symbolic link)",
			"vendor/example.com/vendb/c.go added:",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			if err := os.CopyFS(dir, os.DirFS(clean)); err != nil {
				t.Fatal(err)
			}
			tc.mutate(t, dir)
			incons, files, skips := vtChecks(t, g, dir)
			vtMatch(t, "CheckVendorConsistency", dir, RuleVendorInconsistent, incons, nil)
			vtMatch(t, "CheckVendorFiles", dir, RuleVendorTampered, files, tc.want)
			if len(skips) != 0 {
				t.Errorf("skipped: %v", skips)
			}
			for _, f := range files {
				if f.Module == "" && !strings.Contains(f.Message, "no module") || f.File == "" || (f.Line != 0) != (f.File == "vendor/modules.txt") {
					t.Errorf("finding lacks module or file, or a line of modules.txt: %+v", f)
				}
			}
		})
	}
}

// TestVendorInconsistent: each disagreement between vendor/modules.txt and
// go.mod gives exactly the expected vendor-inconsistent findings, and the go
// command agrees: go list -mod=vendor fails with "inconsistent vendoring"
// and the expected detail, or succeeds where the go command accepts the
// vendor directory.
func TestVendorInconsistent(t *testing.T) {
	g := vtSetup(t)
	clean := t.TempDir()
	vtVendor(t, g, clean, "1.23")
	const txt = "vendor/modules.txt"
	edit := vtEditIn
	for _, tc := range []struct {
		name   string
		mutate func(t *testing.T, dir string)
		want   []string // vendor-inconsistent findings
		goErr  string   // in go list's error; "" if go list succeeds
		files  []string // vendor-tampered findings, if not nil
		skips  []string // skipped modules, if files is not nil
	}{
		{
			name:   "modules.txt version edited",
			mutate: edit(txt, "# example.com/vendlib v1.0.0\n", "# example.com/vendlib v1.0.1\n"),
			want: []string{
				"go.mod:{example.com/vendlib v1.0.0} vendor/modules.txt has example.com/vendlib@v1.0.1: have v1.0.1, want v1.0.0",
				txt + ":{# example.com/vendlib v1.0.1}+1 but go.mod requires example.com/vendlib@v1.0.0",
			},
			goErr: "example.com/vendlib@v1.0.0: is explicitly required in go.mod, but not marked as explicit in vendor/modules.txt",
			files: []string{txt + ":{# example.com/vendlib v1.0.1} example.com/vendlib@v1.0.1 is vendored, but no go.sum line has the hash of example.com/vendlib@v1.0.1: its vendored files cannot be verified"},
			skips: []string{},
		},
		{
			name:   "explicit dropped",
			mutate: edit(txt, "# example.com/vendlib v1.0.0\n## explicit; go 1.16\n", "# example.com/vendlib v1.0.0\n## go 1.16\n"),
			want:   []string{txt + `:{# example.com/vendlib v1.0.0} not marked "## explicit"`},
			goErr:  "example.com/vendlib@v1.0.0: is explicitly required in go.mod, but not marked as explicit",
		},
		{
			name:   "module removed",
			mutate: edit(txt, "# example.com/vendb v1.0.0\n## explicit; go 1.16\nexample.com/vendb\n", ""),
			want:   []string{"go.mod:{example.com/vendb v1.0.0} missing from vendor/modules.txt"},
			goErr:  "example.com/vendb@v1.0.0: is explicitly required in go.mod, but not marked as explicit",
			files: []string{
				"vendor/example.com/vendb/LICENSE added: no module in vendor/modules.txt provides this path",
				"vendor/example.com/vendb/b.go added: no module in vendor/modules.txt provides this path",
			},
			skips: []string{},
		},
		{
			name:   "module line removed",
			mutate: edit(txt, "# example.com/vendorig v1.0.0 => example.com/vendrep v1.0.0\n", ""),
			want: []string{
				"go.mod:{example.com/vendorig v1.0.0} missing from vendor/modules.txt",
				"go.mod:{replace example.com/vendorig} does not record the replacement",
				txt + ":{example.com/vendorig} package example.com/vendorig is listed under module example.com/vendlocal",
			},
			goErr: "example.com/vendorig@v1.0.0: is explicitly required in go.mod, but not marked as explicit",
			files: []string{"vendor/example.com/vendorig/orig.go added: no module in vendor/modules.txt provides this path"},
			skips: []string{},
		},
		{
			name:   "explicit module go.mod does not require",
			mutate: edit(txt, "# example.com/vendlocal => ./local\n", "# example.com/vendlocal => ./local\n# example.com/vendextra v1.0.0\n## explicit; go 1.16\nexample.com/vendextra\n"),
			want:   []string{txt + ":{# example.com/vendextra v1.0.0}+1 example.com/vendextra@v1.0.0 is marked \"## explicit\" in vendor/modules.txt, but go.mod does not require it"},
			goErr:  "example.com/vendextra@v1.0.0: is marked as explicit in vendor/modules.txt, but not explicitly required in go.mod",
		},
		{
			// The go command checks explicit modules only if they provide packages.
			name:   "explicit module without packages go.mod does not require",
			mutate: edit(txt, "# example.com/vendlocal => ./local\n", "# example.com/vendlocal => ./local\n# example.com/vendextra v1.0.0\n## explicit; go 1.16\n"),
		},
		{
			name:   "go.mod requirement changed without go mod vendor",
			mutate: edit("go.mod", "example.com/vendlib v1.0.0\n", "example.com/vendlib v1.0.1\n"),
			want: []string{
				"go.mod:{example.com/vendlib v1.0.1} vendor/modules.txt has example.com/vendlib@v1.0.0: have v1.0.0, want v1.0.1",
				txt + ":{# example.com/vendlib v1.0.0}+1 but go.mod requires example.com/vendlib@v1.0.1",
			},
			goErr: "example.com/vendlib@v1.0.1: is explicitly required in go.mod, but not marked as explicit",
		},
		{
			name:   "go.mod replacement changed",
			mutate: edit("go.mod", "=> example.com/vendrep v1.0.0", "=> example.com/vendrep v1.0.1"),
			want:   []string{txt + ":{# example.com/vendorig v1.0.0 => example.com/vendrep v1.0.0} have example.com/vendrep@v1.0.0, want example.com/vendrep@v1.0.1"},
			goErr:  "example.com/vendorig@v1.0.0: is replaced by example.com/vendrep@v1.0.1 in go.mod, but marked as replaced by example.com/vendrep@v1.0.0 in vendor/modules.txt",
		},
		{
			name:   "modules.txt replacement dropped",
			mutate: edit(txt, "# example.com/vendorig v1.0.0 => example.com/vendrep v1.0.0\n", "# example.com/vendorig v1.0.0\n"),
			want:   []string{"go.mod:{replace example.com/vendorig} is replaced by example.com/vendrep@v1.0.0 in go.mod, but vendor/modules.txt does not record the replacement"},
			goErr:  "example.com/vendorig@v1.0.0: is replaced in go.mod, but not marked as replaced in vendor/modules.txt",
		},
		{
			name:   "modules.txt replacement added",
			mutate: edit(txt, "# example.com/vendb v1.0.0\n", "# example.com/vendb v1.0.0 => ./vendb\n"),
			want:   []string{txt + ":{# example.com/vendb v1.0.0 => ./vendb} marked as replaced by ./vendb in vendor/modules.txt, but go.mod does not replace it"},
			goErr:  "example.com/vendb@v1.0.0: is marked as replaced in vendor/modules.txt, but not replaced in go.mod",
		},
		{
			// The go command reports the wildcard line; modseal also
			// reports the versioned line, which records the same stale
			// replacement.
			name:   "go.mod directory replacement changed",
			mutate: edit("go.mod", "=> ./local", "=> ./local2"),
			want: []string{
				txt + ":{# example.com/vendlocal v0.0.0 => ./local} example.com/vendlocal@v0.0.0 is marked as replaced by ./local in vendor/modules.txt, but go.mod replaces it by ./local2",
				txt + ":{# example.com/vendlocal => ./local} example.com/vendlocal is replaced by ./local2 in go.mod",
			},
			goErr: "example.com/vendlocal: is replaced by ./local2 in go.mod, but marked as replaced by ./local in vendor/modules.txt",
		},
		{
			// Beyond the go command, which checks replacements only under
			// the key go.mod uses (here the wildcard).
			name:   "versioned modules.txt replacement under a wildcard replace",
			mutate: edit(txt, "# example.com/vendlocal v0.0.0 => ./local\n", "# example.com/vendlocal v0.0.0 => ./evil\n"),
			want:   []string{txt + ":{# example.com/vendlocal v0.0.0 => ./evil} have ./evil, want ./local"},
		},
		{
			// Beyond the go command, which ignores lines it cannot read.
			name:   "malformed line",
			mutate: edit(txt, "example.com/vendb\n", "example.com/vendb\nexample.com/vendb is fine\n"),
			want:   []string{txt + `:{example.com/vendb is fine} line "example.com/vendb is fine" is neither a module line, an annotation nor a package path`},
		},
		{
			// The go command does not compare the go annotation with go.mod;
			// CheckVendorFiles compares it with the zip's (TestVendorGoAnnotation).
			name:   "go annotation changed",
			mutate: edit(txt, "# example.com/vendlib v1.0.0\n## explicit; go 1.16\n", "# example.com/vendlib v1.0.0\n## explicit; go 1.15\n"),
			files:  []string{txt + `:{## explicit; go 1.15} example.com/vendlib@v1.0.0 is marked "## go 1.15" in vendor/modules.txt, but its go.mod says go 1.16`},
			skips:  []string{},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			if err := os.CopyFS(dir, os.DirFS(clean)); err != nil {
				t.Fatal(err)
			}
			tc.mutate(t, dir)
			incons, files, skips := vtChecks(t, g, dir)
			vtMatch(t, "CheckVendorConsistency", dir, RuleVendorInconsistent, incons, tc.want)
			for _, f := range incons {
				if f.Module == "" && !strings.Contains(f.Message, "line") {
					t.Errorf("finding without module: %+v", f)
				}
			}
			if tc.files != nil {
				vtMatch(t, "CheckVendorFiles", dir, RuleVendorTampered, files, tc.files)
				var gotSkips []string
				for _, s := range skips {
					gotSkips = append(gotSkips, s.Module.String())
				}
				if strings.Join(gotSkips, " ") != strings.Join(tc.skips, " ") {
					t.Errorf("skipped %v, want %v", skips, tc.skips)
				}
			}
			out, err := g.run(dir, true, "list", "-mod=vendor", "./...")
			vtGoAgrees(t, "go list -mod=vendor", out, err, tc.goErr)
		})
	}
}

// vtRuleLines renders findings as "file:line" in order.
func vtRuleLines(fs []Finding) string {
	var b []string
	for _, f := range fs {
		b = append(b, fmt.Sprintf("%s:%d", f.File, f.Line))
	}
	return strings.Join(b, " ")
}

// TestVendorConsistencyCases covers what the go command tests do not reach:
// go lines before 1.14, modules.txt lines the go command ignores, CRLF, and
// the file names of a module in a subdirectory.
func TestVendorConsistencyCases(t *testing.T) {
	const txtA = "# a.com/a v1.0.0\n## explicit; go 1.16\na.com/a\n"
	for _, tc := range []struct {
		name, gomod, txt string
		want             string // vtRuleLines
		sub              string // in the first finding's message
	}{
		{"clean", "module m\ngo 1.17\nrequire a.com/a v1.0.0\n", txtA, "", ""},
		{"crlf", "module m\r\ngo 1.17\r\nrequire a.com/a v1.0.0\r\n", strings.ReplaceAll(txtA, "\n", "\r\n"), "", ""},
		{"unknown annotation", "module m\ngo 1.17\nrequire a.com/a v1.0.0\n", "# a.com/a v1.0.0\n## explicit; frobnicate\na.com/a\n", "", ""},
		{"blank lines", "module m\ngo 1.17\nrequire a.com/a v1.0.0\n", "\n" + txtA + "\n\n", "", ""},
		{"workspace line", "module m\ngo 1.17\nrequire a.com/a v1.0.0\n", "## workspace\n" + txtA, "", ""},
		{"no modules.txt", "module m\ngo 1.17\nrequire a.com/a v1.0.0\n", "", "app/go.mod:3", "missing from vendor/modules.txt"},
		{"pre-1.14 not explicit", "module m\ngo 1.13\nrequire a.com/a v1.0.0\n", "# a.com/a v1.0.0\na.com/a\n", "", ""},
		{"pre-1.14 other version", "module m\ngo 1.13\nrequire a.com/a v1.1.0\n", "# a.com/a v1.0.0\na.com/a\n", "app/go.mod:3", "have v1.0.0, want v1.1.0"},
		{"no go line is pre-1.14", "module m\nrequire a.com/a v1.1.0\n", "# a.com/a v1.0.0\na.com/a\n", "app/go.mod:2", "have v1.0.0, want v1.1.0"},
		{"pre-1.14 wildcard replacement not recorded", "module m\ngo 1.13\nrequire a.com/a v1.0.0\nreplace a.com/a => ./a\n", "# a.com/a v1.0.0\na.com/a\n", "", ""},
		{"pre-1.14 versioned replacement not recorded", "module m\ngo 1.13\nrequire a.com/a v1.0.0\nreplace a.com/a v1.0.0 => ./a\n", "# a.com/a v1.0.0\na.com/a\n", "app/go.mod:4", "does not record the replacement"},
		{"1.14 wildcard replacement not recorded", "module m\ngo 1.14\nrequire a.com/a v1.0.0\nreplace a.com/a => ./a\n", txtA, "app/go.mod:4", "does not record the replacement"},
		{"main module replacement", "module m\ngo 1.17\nreplace m => ./x\n", "", "", ""},
		{"explicit without packages", "module m\ngo 1.17\n", "# a.com/a v1.0.0\n## explicit\n", "", ""},
		{"explicit at other version", "module m\ngo 1.17\nrequire a.com/a v1.1.0\n", txtA,
			"app/go.mod:3 app/vendor/modules.txt:2", "have v1.0.0, want v1.1.0"},
		{"line before module", "module m\ngo 1.17\nrequire a.com/a v1.0.0\n", "## explicit\n" + txtA, "app/vendor/modules.txt:1", "not below a module line"},
		{"short module line", "module m\ngo 1.17\nrequire a.com/a v1.0.0\n", txtA + "# b.com/b\nb.com/b\n",
			"app/vendor/modules.txt:4 app/vendor/modules.txt:5", "counts the lines below it as the previous module's"},
		{"bad version", "module m\ngo 1.17\nrequire a.com/a v1.0.0\n", txtA + "# c.com/c latest\n## explicit\nc.com/c\n",
			"app/vendor/modules.txt:4", "neither a version"},
		{"text after version", "module m\ngo 1.17\nrequire a.com/a v1.0.0\n", "# a.com/a v1.0.0 extra\n## explicit\na.com/a\n", "app/vendor/modules.txt:1", "ignores the text after the version"},
		{"bad replacement", "module m\ngo 1.17\nrequire a.com/a v1.0.0\n", "# a.com/a v1.0.0 => b.com/b latest\n## explicit\na.com/a\n", "app/vendor/modules.txt:1", "malformed replacement"},
		{"package twice", "module m\ngo 1.17\nrequire a.com/a v1.0.0\n", txtA + "a.com/a\n", "app/vendor/modules.txt:4", "listed again (first at line 3)"},
		{"invalid go annotation", "module m\ngo 1.17\nrequire a.com/a v1.0.0\n", "# a.com/a v1.0.0\n## explicit; go 1.x\na.com/a\n", "app/vendor/modules.txt:2", `invalid go version "1.x"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mf, err := modfile.Parse("go.mod", []byte(tc.gomod), nil)
			if err != nil {
				t.Fatal(err)
			}
			got := vendorConsistency("app", mf, []byte(tc.txt))
			if s := vtRuleLines(got); s != tc.want {
				t.Fatalf("findings at %q, want %q: %v", s, tc.want, got)
			}
			for _, f := range got {
				if f.Rule != RuleVendorInconsistent || !strings.HasSuffix(f.Message, "run go mod vendor") {
					t.Errorf("finding %+v", f)
				}
			}
			if len(got) > 0 && !strings.Contains(got[0].Message, tc.sub) {
				t.Errorf("message %q does not contain %q", got[0].Message, tc.sub)
			}
		})
	}
	if got := vendorConsistency(".", nil, []byte(txtA)); got != nil {
		t.Errorf("nil go.mod: %v", got)
	}
}

// TestVendorPotentialSource: matchPotentialSourceFile, including how far
// ReadImports reads (a NUL byte it meets keeps the file) and a leading BOM.
func TestVendorPotentialSource(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"plain.go":      "package x\n",
		"ignored.go":    "//go:build ignore\n\npackage x\n",
		"bom.go":        "\ufeff//go:build ignore\n\npackage x\n",
		"nul_read.go":   "//go:build ignore\n\npackage x\x00\n",
		"nul_unread.go": "//go:build ignore\n\npackage x\n\nfunc f() {}\n\x00",
		"nul_syntax.go": "//go:build ignore\n\npackage x\nimport !\nfunc f() {}\n\x00",
		"x_test.go":     "package x\n",
		"go.mod":        "module x\n",
		"go.sum":        "",
		"data.txt":      "//go:build ignore\n",
	}
	for name, data := range files {
		vtWrite(t, filepath.Join(dir, name), data)
	}
	tree := os.DirFS(dir)
	for _, tc := range []struct {
		name, goVersion string
		want            bool
	}{
		{"plain.go", "1.23", true},
		{"ignored.go", "1.23", false},
		{"bom.go", "1.23", false},
		{"nul_read.go", "1.23", true},
		{"nul_unread.go", "1.23", false},
		{"nul_syntax.go", "1.23", true},
		{"x_test.go", "1.16", false},
		{"go.mod", "1.17", false},
		{"go.sum", "1.17", false},
		{"go.mod", "1.16", true},
		{"go.sum", "1.16", true},
		{"data.txt", "1.23", true},
	} {
		got, err := matchPotentialSourceFile(tree, ".", tc.name, tc.goVersion)
		if err != nil || got != tc.want {
			t.Errorf("%s at go %s: %v, %v; want %v", tc.name, tc.goVersion, got, err, tc.want)
		}
	}
}
