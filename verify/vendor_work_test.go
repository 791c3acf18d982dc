package verify

import (
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
)

// The workspace vendor tests: go work vendor writes the vendor directory of
// a two-module workspace from the fixture modules, and
// workVendorConsistency and vendorFiles must agree with the go
// command in workspace mode, as the module tests of vendor_test.go do.

var vtWorkFiles = map[string]string{
	"go.work": `go 1.23

use (
	./app
	./tool
)

replace example.com/vendorig v1.0.0 => example.com/vendrep v1.0.0
`,
	"app/go.mod": `module example.com/app

go 1.23

require (
	example.com/vendlib v1.0.0
	example.com/vendlocal v0.0.0
)

replace example.com/vendlocal => ../local
`,
	"app/main.go": `package main

import (
	"fmt"

	"example.com/vendlib"
	"example.com/vendlib/sub"
	"example.com/vendlocal"
)

func main() { fmt.Println(vendlib.Lib(), sub.Sub(), vendlocal.Local()) }
`,
	"tool/go.mod": `module example.com/tool

go 1.23

require example.com/vendorig v1.0.0
`,
	"tool/main.go": `package main

import (
	"fmt"

	"example.com/vendorig"
)

func main() { fmt.Println(vendorig.Orig()) }
`,
}

// runWork runs the go command in workspace mode (go.work in dir).
func (g *vtGo) runWork(dir string, offline bool, args ...string) (string, error) {
	return g.runEnv(dir, offline, []string{"GOWORK=" + filepath.Join(dir, "go.work")}, args...)
}

// vtWorkVendor writes the workspace in a new directory and runs go work
// vendor there.
func vtWorkVendor(t *testing.T, g *vtGo, dir string) {
	t.Helper()
	for name, data := range vtWorkFiles {
		vtWrite(t, filepath.Join(dir, name), data)
	}
	for k, v := range vtLocalFiles {
		vtWrite(t, filepath.Join(dir, k), v)
	}
	if out, err := g.run(filepath.Join(dir, "app"), false, "mod", "tidy"); err != nil {
		t.Fatalf("go mod tidy (app): %v\n%s", err, out)
	}
	for _, args := range [][]string{{"mod", "download"}, {"work", "vendor"}} {
		if out, err := g.runWork(dir, false, args...); err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

// vtWorkChecks runs both checks on the workspace in dir.
func vtWorkChecks(t *testing.T, g *vtGo, dir string) (incons, files []Finding, skips []vendorSkip) {
	t.Helper()
	wf, err := modfile.ParseWork("go.work", vtRead(t, dir, "go.work"), nil)
	if err != nil {
		t.Fatal(err)
	}
	var mods []MainModule
	for _, u := range wf.Use {
		mods = append(mods, MainModule{Dir: u.Path, File: vtParseMod(t, dir, path.Join(u.Path, "go.mod"))})
	}
	txt := vtRead(t, dir, "vendor/modules.txt")
	incons = workVendorConsistency(".", wf, mods, txt)
	goVersion := "1.18"
	if wf.Go != nil {
		goVersion = wf.Go.Version
	}
	files, skips, err = vendorFiles(dir, ".", goVersion, "go work vendor", txt, g.zipForSums(t, dir, "go.work.sum", "app/go.sum", "tool/go.sum"))
	if err != nil {
		t.Fatalf("vendorFiles: %v", err)
	}
	return incons, files, skips
}

// TestWorkVendor: the vendor directory go work vendor writes gives no
// finding; each change to it, to go.work or to a module's go.mod gives
// exactly the expected findings, and the go command in workspace mode
// agrees: go list fails with "inconsistent vendoring" and the expected
// detail, or succeeds where modseal finds nothing.
func TestWorkVendor(t *testing.T) {
	g := vtSetup(t)
	clean := t.TempDir()
	vtWorkVendor(t, g, clean)
	const txt = "vendor/modules.txt"
	edit := vtEditIn
	for _, tc := range []struct {
		name   string
		mutate func(t *testing.T, dir string)
		want   []string // vendor-inconsistent findings
		goErr  string   // in go list's error; "" if go list succeeds
		files  []string // vendor-tampered findings
	}{
		{name: "clean", mutate: func(*testing.T, string) {}},
		{
			name:   "a module's requirement changed without go work vendor",
			mutate: edit("app/go.mod", "example.com/vendlib v1.0.0\n", "example.com/vendlib v1.0.1\n"),
			want: []string{
				"app/go.mod:{example.com/vendlib v1.0.1} is explicitly required in app/go.mod, but vendor/modules.txt has example.com/vendlib@v1.0.0: have v1.0.0, want v1.0.1",
				txt + ":{# example.com/vendlib v1.0.0}+1 but app/go.mod requires example.com/vendlib@v1.0.1",
			},
			goErr: "example.com/vendlib@v1.0.1: is explicitly required in go.mod, but not marked as explicit in vendor/modules.txt",
		},
		{
			name:   "the other module requires an unvendored module",
			mutate: edit("tool/go.mod", "require example.com/vendorig v1.0.0\n", "require (\n\texample.com/vendorig v1.0.0\n\texample.com/vendextra v1.0.0\n)\n"),
			want:   []string{"tool/go.mod:{example.com/vendextra v1.0.0} example.com/vendextra@v1.0.0 is explicitly required in tool/go.mod, but missing from vendor/modules.txt"},
			goErr:  "example.com/vendextra@v1.0.0: is explicitly required in go.mod, but not marked as explicit",
		},
		{
			name:   "explicit module no module requires",
			mutate: edit(txt, "# example.com/vendlocal => ./local\n", "# example.com/vendlocal => ./local\n# example.com/vendextra v1.0.0\n## explicit; go 1.16\nexample.com/vendextra\n"),
			want:   []string{txt + ":{# example.com/vendextra v1.0.0}+1 example.com/vendextra@v1.0.0 is marked \"## explicit\" in vendor/modules.txt, but no go.mod of the workspace requires it"},
			goErr:  "example.com/vendextra@v1.0.0: is marked as explicit in vendor/modules.txt, but not explicitly required in a go.mod",
		},
		{
			name:   "go.work replacement changed",
			mutate: edit("go.work", "=> example.com/vendrep v1.0.0", "=> example.com/vendrep v1.0.1"),
			want:   []string{txt + ":{# example.com/vendorig v1.0.0 => example.com/vendrep v1.0.0} replaced by example.com/vendrep@v1.0.1 in go.work (go.work:8), but vendor/modules.txt records example.com/vendrep@v1.0.0"},
			goErr:  "example.com/vendorig@v1.0.0: is replaced by example.com/vendrep@v1.0.1 in go.work, but marked as replaced by example.com/vendrep@v1.0.0 in vendor/modules.txt",
		},
		{
			name:   "go.work replacement removed",
			mutate: edit("go.work", "replace example.com/vendorig v1.0.0 => example.com/vendrep v1.0.0\n", ""),
			want:   []string{txt + ":{# example.com/vendorig v1.0.0 => example.com/vendrep v1.0.0} marked as replaced by example.com/vendrep@v1.0.0 in vendor/modules.txt, but the workspace does not replace it"},
			goErr:  "example.com/vendorig@v1.0.0: is marked as replaced in vendor/modules.txt, but not replaced in the workspace",
		},
		{
			// go.work's replacement wins over a module's; modules.txt
			// records go.work's, so the vendor directory is consistent.
			name:   "a module's replacement overridden by go.work",
			mutate: edit("tool/go.mod", "require example.com/vendorig v1.0.0\n", "require example.com/vendorig v1.0.0\n\nreplace example.com/vendorig v1.0.0 => example.com/vendb v1.0.0\n"),
		},
		{
			// A module's local replacement counts relative to go.work's
			// directory: ../local in app/go.mod is ./local in modules.txt.
			name:   "a module's directory replacement changed",
			mutate: edit("app/go.mod", "=> ../local", "=> ../local2"),
			want: []string{
				txt + ":{# example.com/vendlocal v0.0.0 => ./local} example.com/vendlocal@v0.0.0 is marked as replaced by ./local in vendor/modules.txt, but app/go.mod replaces it by ./local2",
				txt + ":{# example.com/vendlocal => ./local} example.com/vendlocal is replaced by ./local2 in app/go.mod (app/go.mod:",
			},
			goErr: "example.com/vendlocal: is replaced by ../local2 in app/go.mod, but marked as replaced by ./local in vendor/modules.txt",
		},
		{
			// The last module's replacement wins (replacementFrom): app
			// replaces the exact version, tool (after it in go.work)
			// every version, and go work vendor records tool's.
			name: "replacements in two modules, the last one wins",
			mutate: func(t *testing.T, dir string) {
				if err := os.CopyFS(filepath.Join(dir, "local2"), os.DirFS(filepath.Join(dir, "local"))); err != nil {
					t.Fatal(err)
				}
				vtEdit(t, filepath.Join(dir, "app", "go.mod"), "replace example.com/vendlocal => ../local", "replace example.com/vendlocal v0.0.0 => ../local")
				vtEdit(t, filepath.Join(dir, "tool", "go.mod"), "require example.com/vendorig v1.0.0\n", "require example.com/vendorig v1.0.0\n\nreplace example.com/vendlocal => ../local2\n")
				if out, err := g.runWork(dir, false, "work", "vendor"); err != nil {
					t.Fatalf("go work vendor: %v\n%s", err, out)
				}
				vtEdit(t, filepath.Join(dir, "vendor", "modules.txt"), "# example.com/vendlocal v0.0.0 => ./local2\n", "# example.com/vendlocal v0.0.0 => ./local2\n")
			},
		},
		{
			name:   "vendored file changed",
			mutate: edit("vendor/example.com/vendlib/lib.go", "package vendlib", "package vendlib // changed"),
			files:  []string{"vendor/example.com/vendlib/lib.go modified"},
		},
		{
			// A directory replacement is compared with the directory,
			// found relative to go.work's.
			name:   "file vendored from the local replacement changed",
			mutate: edit("vendor/example.com/vendlocal/local.go", "package vendlocal", "package vendlocal // changed"),
			files:  []string{"vendor/example.com/vendlocal/local.go modified"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			if err := os.CopyFS(dir, os.DirFS(clean)); err != nil {
				t.Fatal(err)
			}
			tc.mutate(t, dir)
			incons, files, skips := vtWorkChecks(t, g, dir)
			vtMatch(t, "CheckWorkVendorConsistency", dir, RuleVendorInconsistent, incons, tc.want)
			if len(tc.want) == 0 {
				vtMatch(t, "CheckWorkVendorFiles", dir, RuleVendorTampered, files, tc.files)
				if len(skips) > 0 {
					t.Errorf("skipped %v", skips)
				}
			}
			out, err := g.runWork(dir, true, "list", "all")
			vtGoAgrees(t, "go list all", out, err, tc.goErr)
		})
	}
}

// TestCheckVendorMode: CheckVendor checks a vendor directory in the mode of
// where it is; at go.work's directory in a module, by its modules.txt; the
// workspace's build list is not the one a module's vendor directory is
// used with; and what cannot be loaded is skipped, with the reason.
func TestCheckVendorMode(t *testing.T) {
	dir := t.TempDir()
	vtWrite(t, filepath.Join(dir, "vendor", "a.com", "a", "a.go"), "package a\n")
	mf, err := modfile.Parse("go.mod", []byte("module example.com/m\n\ngo 1.22\n\nrequire a.com/a v1.0.0\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	wf, err := modfile.ParseWork("go.work", []byte("go 1.22\n\nuse .\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	const txt = "# a.com/a v1.0.0\n## explicit; go 1.22\na.com/a\n"
	selected := map[string]string{"a.com/a": "v1.1.0"} // not what modules.txt vendors
	mod := &MainModule{Dir: ".", File: mf}
	work := []MainModule{{Dir: ".", File: mf}}
	for _, tc := range []struct {
		name string
		v    Vendor
		want string // the vendor-inconsistent findings' remedies, and the skips
	}{
		{"module", Vendor{ModulesTxt: []byte(txt), Module: mod, Selected: selected}, "run go mod vendor"},
		{"workspace", Vendor{ModulesTxt: []byte("## workspace\n" + txt), Work: wf, WorkModules: work, Selected: selected}, "run go work vendor"},
		{"workspace in a module", Vendor{ModulesTxt: []byte("## workspace\n" + txt), Module: mod, Work: wf, WorkModules: work, Selected: selected}, "run go work vendor"},
		{"module at go.work", Vendor{ModulesTxt: []byte(txt), Module: mod, Work: wf, WorkModules: work, Selected: selected}, ""},
		{"module go.mod broken", Vendor{ModulesTxt: []byte(txt), Module: &MainModule{Dir: "."}, Work: wf, WorkModules: work}, "skip: app/vendor not checked: app/go.mod does not parse"},
		{"workspace go.mod broken", Vendor{ModulesTxt: []byte(txt), Work: wf, WorkModules: []MainModule{{Dir: "."}}},
			"skip: app/vendor/modules.txt not checked against the workspace: app/go.mod does not parse"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.v.Dir, tc.v.Rel = dir, "app"
			tc.v.Zips = map[module.Version]string{} // no verified zip: vendor-tampered, not judged here
			fs, skips, err := CheckVendor(tc.v)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, fd := range fs {
				if fd.Rule == RuleVendorInconsistent {
					_, remedy, _ := strings.Cut(fd.Message, "; ")
					got = append(got, remedy)
				}
			}
			for _, s := range skips {
				if !strings.Contains(s.Reason, "vendored module(s) not compared") {
					got = append(got, "skip: "+s.Reason)
				}
			}
			if g := strings.Join(got, " | "); g != tc.want {
				t.Errorf("got %q, want %q", g, tc.want)
			}
		})
	}
}
