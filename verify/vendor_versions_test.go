package verify

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestVendorVersionLie: modules.txt edits the go command's consistency
// check does not see, because they touch modules go.mod does not list (a
// go 1.16 main module leaves its implicit dependencies out): the vendored
// files of a version no go.sum line covers are a finding, not a skip; a
// version that is not the selected one is vendor-inconsistent when the
// build list is known; and a second listing of a module cannot hide the
// files of the first. go run -mod=vendor builds the tampered code in each.
func TestVendorVersionLie(t *testing.T) {
	g := vtSetup(t)
	clean := t.TempDir()
	vtVendor(t, g, clean, "1.16")
	const txt = "vendor/modules.txt"
	if data := string(vtRead(t, clean, txt)); !strings.Contains(data, "# example.com/vendb v1.0.0\nexample.com/vendb\n") {
		t.Fatalf("vendb is not an implicit dependency; the test does not test what it means to:\n%s", data)
	}
	if mf := vtParseMod(t, clean, "go.mod"); strings.Contains(string(vtRead(t, clean, "go.mod")), "vendb") || mf.Go.Version != "1.16" {
		t.Fatalf("go.mod requires vendb; the test does not test what it means to")
	}
	out, err := g.run(clean, false, "list", "-mod=mod", "-m", "all")
	if err != nil {
		t.Fatalf("go list -m all: %v\n%s", err, out)
	}
	selected := make(map[string]string)
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Fields(line)
		selected[f[0]] = ""
		if len(f) > 1 {
			selected[f[0]] = f[1]
		}
	}
	if selected["example.com/vendb"] != "v1.0.0" {
		t.Fatalf("go list -m all: %s", out)
	}
	const pwned = "package vendb\n\n// B returns \"b\".\nfunc B() string { return \"pwned\" }\n"
	lie := func(t *testing.T, dir string) {
		vtEdit(t, filepath.Join(dir, txt), "# example.com/vendb v1.0.0\n", "# example.com/vendb v1.99.0\n")
		vtWrite(t, filepath.Join(dir, "vendor/example.com/vendb/b.go"), pwned)
	}
	for _, tc := range []struct {
		name     string
		mutate   func(t *testing.T, dir string)
		incons   []string // CheckVendorConsistency
		files    []string // CheckVendorFiles
		skips    []string
		selected []string // CheckVendorSelected
		ran      string   // in go run -mod=vendor's output
	}{
		{
			name:     "implicit dependency at a version no go.sum line covers",
			mutate:   lie,
			files:    []string{txt + ":{# example.com/vendb v1.99.0} example.com/vendb@v1.99.0 is vendored, but no go.sum line has the hash of example.com/vendb@v1.99.0: its vendored files cannot be verified"},
			selected: []string{txt + ":{# example.com/vendb v1.99.0} vendor/modules.txt vendors packages from example.com/vendb@v1.99.0 (example.com/vendb, line 2), but the build list of go.mod (go list -m all) selects example.com/vendb@v1.0.0: have v1.99.0, want v1.0.0"},
			ran:      "sub: pwned",
		},
		{
			// go.sum has a hash, but there is no zip: an honest skip; the
			// build list still tells.
			name: "implicit dependency at a version go.sum has a line for",
			mutate: func(t *testing.T, dir string) {
				lie(t, dir)
				f, err := os.OpenFile(filepath.Join(dir, "go.sum"), os.O_APPEND|os.O_WRONLY, 0)
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				f.WriteString("example.com/vendb v1.99.0 h1:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n")
			},
			skips:    []string{"example.com/vendb@v1.99.0"},
			selected: []string{txt + ":{# example.com/vendb v1.99.0} but the build list of go.mod (go list -m all) selects example.com/vendb@v1.0.0"},
			ran:      "sub: pwned",
		},
		{
			name: "module outside the build list",
			mutate: func(t *testing.T, dir string) {
				vtEdit(t, filepath.Join(dir, txt), "# example.com/vendb v1.0.0\n", "# example.com/evil v1.0.0\nexample.com/evil\n# example.com/vendb v1.0.0\n")
				vtWrite(t, filepath.Join(dir, "vendor/example.com/evil/evil.go"), "package evil\n")
			},
			files:    []string{txt + ":{# example.com/evil v1.0.0} example.com/evil@v1.0.0 is vendored, but no go.sum line has the hash of example.com/evil@v1.0.0"},
			selected: []string{txt + ":{# example.com/evil v1.0.0} vendor/modules.txt vendors packages from example.com/evil@v1.0.0 (example.com/evil, line 2), but the build list of go.mod (go list -m all) has no module example.com/evil"},
		},
		{
			// A second version of vendlib with a package of its own used to
			// hide the files added to the first one's packages.
			name: "second listing of a module",
			mutate: func(t *testing.T, dir string) {
				vtEdit(t, filepath.Join(dir, txt), "# example.com/vendlocal v0.0.0", "# example.com/vendlib v0.5.0\nexample.com/vendlib/evil\n# example.com/vendlocal v0.0.0")
				vtWrite(t, filepath.Join(dir, "vendor/example.com/vendlib/evil/evil.go"), "package evil\n")
				vtWrite(t, filepath.Join(dir, "vendor/example.com/vendlib/extra.go"), "package vendlib\n\nfunc init() { Hello = \"pwned\" }\n")
			},
			incons: []string{txt + ":{example.com/vendlib/evil} package example.com/vendlib/evil is listed under example.com/vendlib@v0.5.0, but packages of example.com/vendlib are also listed under example.com/vendlib@v1.0.0 (line 5)"},
			files: []string{
				"vendor/example.com/vendlib/extra.go added: go mod vendor does not copy this file from example.com/vendlib@v1.0.0",
				txt + ":{# example.com/vendlib v0.5.0} example.com/vendlib@v0.5.0 is vendored, but no go.sum line has the hash",
			},
			selected: []string{txt + ":{# example.com/vendlib v0.5.0} selects example.com/vendlib@v1.0.0: have v0.5.0, want v1.0.0"},
			ran:      "pwned",
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
			vtMatch(t, "CheckVendorConsistency", dir, RuleVendorInconsistent, incons, tc.incons)
			vtMatch(t, "CheckVendorFiles", dir, RuleVendorTampered, files, tc.files)
			var gotSkips []string
			for _, s := range skips {
				gotSkips = append(gotSkips, s.Module.String())
			}
			if strings.Join(gotSkips, " ") != strings.Join(tc.skips, " ") {
				t.Errorf("skipped %v, want %v", skips, tc.skips)
			}
			sel := vendorSelected(".", vtRead(t, dir, txt), selected, false)
			vtMatch(t, "CheckVendorSelected", dir, RuleVendorInconsistent, sel, tc.selected)
			if vendorSelected(".", vtRead(t, dir, txt), nil, false) != nil {
				t.Errorf("CheckVendorSelected without a build list gave findings")
			}
			// The go command builds from it, with the tampered files.
			out, err := g.run(dir, true, "run", "-mod=vendor", ".")
			if err != nil || !strings.Contains(out, tc.ran) {
				t.Errorf("go run -mod=vendor: %v\n%s\nwant %q", err, out, tc.ran)
			}
		})
	}
	// The clean vendor directory agrees with the build list.
	if fs := vendorSelected(".", vtRead(t, clean, txt), selected, false); len(fs) != 0 {
		t.Errorf("clean vendor directory: %v", fs)
	}
}

// TestVendorGoAnnotation: the "## go" annotation of a vendored module sets
// the language version the go command compiles its vendored packages at;
// go mod vendor copies it from the module's go.mod (from go 1.17 on), and
// the go command's consistency check does not look at it.
func TestVendorGoAnnotation(t *testing.T) {
	g := vtSetup(t)
	const txt = "vendor/modules.txt"
	clean123, clean116 := t.TempDir(), t.TempDir()
	vtVendor(t, g, clean123, "1.23")
	vtVendor(t, g, clean116, "1.16")
	for _, tc := range []struct {
		name   string
		clean  string
		mutate func(t *testing.T, dir string)
		want   []string
		lang   string // example.com/vendb's Module.GoVersion in go list -mod=vendor
	}{
		{
			name:   "changed",
			clean:  clean123,
			mutate: vtEditIn(txt, "# example.com/vendb v1.0.0\n## explicit; go 1.16\n", "# example.com/vendb v1.0.0\n## explicit; go 1.22\n"),
			want:   []string{txt + `:{## explicit; go 1.22} example.com/vendb@v1.0.0 is marked "## go 1.22" in vendor/modules.txt, but its go.mod says go 1.16`},
			lang:   "1.22",
		},
		{
			name:   "added on a line of its own",
			clean:  clean123,
			mutate: vtEditIn(txt, "# example.com/vendb v1.0.0\n## explicit; go 1.16\n", "# example.com/vendb v1.0.0\n## explicit; go 1.16\n## go 1.22\n"),
			want:   []string{txt + `:{## go 1.22} example.com/vendb@v1.0.0 is marked "## go 1.22" in vendor/modules.txt, but its go.mod says go 1.16`},
			lang:   "1.22",
		},
		{
			name:   "removed",
			clean:  clean123,
			mutate: vtEditIn(txt, "# example.com/vendb v1.0.0\n## explicit; go 1.16\n", "# example.com/vendb v1.0.0\n## explicit\n"),
			want:   []string{txt + `:{# example.com/vendb v1.0.0} example.com/vendb@v1.0.0 has no go annotation in vendor/modules.txt, but its go.mod says go 1.16`},
			lang:   "",
		},
		{
			name:   "added for a main module before go 1.17",
			clean:  clean116,
			mutate: vtEditIn(txt, "# example.com/vendb v1.0.0\n", "# example.com/vendb v1.0.0\n## go 1.22\n"),
			want:   []string{txt + `:{## go 1.22} example.com/vendb@v1.0.0 is marked "## go 1.22" in vendor/modules.txt, but go mod vendor writes no go annotation for a main module before go 1.17`},
			lang:   "1.22",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			if err := os.CopyFS(dir, os.DirFS(tc.clean)); err != nil {
				t.Fatal(err)
			}
			tc.mutate(t, dir)
			incons, files, skips := vtChecks(t, g, dir)
			vtMatch(t, "CheckVendorConsistency", dir, RuleVendorInconsistent, incons, nil)
			vtMatch(t, "CheckVendorFiles", dir, RuleVendorTampered, files, tc.want)
			if len(skips) != 0 {
				t.Errorf("skipped: %v", skips)
			}
			// The go command accepts it, and takes the annotation's version.
			out, err := g.run(dir, true, "list", "-mod=vendor", "-f", "{{.Module.GoVersion}}", "example.com/vendb")
			if err != nil || strings.TrimSpace(out) != tc.lang {
				t.Errorf("go list -mod=vendor: %v\n%s\nwant %q", err, out, tc.lang)
			}
		})
	}
}

// TestVendorSelectedCases: the lines CheckVendorSelected judges (those with
// packages, once per module version) and how it names a workspace's.
func TestVendorSelectedCases(t *testing.T) {
	const txt = "## workspace\n" +
		"# a.com/a v1.0.0\n## explicit; go 1.21\na.com/a\na.com/a/sub\n" + // selected
		"# a.com/b v1.1.0\n## explicit; go 1.21\n" + // no packages: not judged
		"# a.com/c v1.2.0 => a.com/d v1.0.0\na.com/c\n" + // the replaced module's version counts
		"# a.com/e v1.0.0\na.com/e\na.com/e/x\n" // not selected
	sel := map[string]string{"a.com/a": "v1.0.0", "a.com/b": "v1.0.0", "a.com/c": "v1.2.0", "a.com/e": "v1.3.0"}
	fs := vendorSelected("w", []byte(txt), sel, true)
	if len(fs) != 1 {
		t.Fatalf("findings: %v", fs)
	}
	f := fs[0]
	want := "vendor/modules.txt vendors packages from a.com/e@v1.0.0 (a.com/e, line 11), but the workspace's build list (go list -m all) selects a.com/e@v1.3.0: have v1.0.0, want v1.3.0; run go work vendor"
	if f.File != "w/vendor/modules.txt" || f.Line != 10 || f.Message != want || f.Rule != RuleVendorInconsistent ||
		f.Module != "a.com/e" || f.Version != "v1.0.0" || f.Want != "v1.3.0" || f.Got != "v1.0.0" {
		t.Errorf("finding %+v\nwant %s at w/vendor/modules.txt:10", f, want)
	}
	if fs := vendorSelected(".", []byte(txt), nil, false); fs != nil {
		t.Errorf("without a build list: %v", fs)
	}
}
