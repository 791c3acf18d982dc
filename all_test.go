// Hygiene checks of the repository as a whole, run with the other tests.
package modseal_test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestGoModTidy: go.mod and go.sum are tidy (modseal's own gosum-missing
// and gosum-unused check would flag them otherwise).
func TestGoModTidy(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command")
	}
	out, err := exec.Command("go", "mod", "tidy", "-diff").CombinedOutput()
	if err != nil {
		t.Fatalf("go mod tidy -diff: %v\n%s", err, out)
	}
}

// TestImports enforces the layering: only internal/gocmd runs programs, the
// public libraries verify/ and graph/ never import the CLI, the reports or
// the heavy clients (sigstore, go-github) that users embedding them would
// inherit, and verify/ does not ask the go command at all.
func TestImports(t *testing.T) {
	forbidden := map[string][]string{
		"verify": {"os/exec", "github.com/modseal/modseal/graph", "github.com/modseal/modseal/internal/", "github.com/sigstore/", "github.com/google/go-github/"},
		"graph":  {"os/exec", "github.com/modseal/modseal/internal/cli", "github.com/modseal/modseal/internal/report", "github.com/modseal/modseal/internal/audit", "github.com/sigstore/", "github.com/google/go-github/"},
		"":       {"os/exec"}, // everything else
	}
	allowExec := map[string]bool{"internal/gocmd": true}
	fset := token.NewFileSet()
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && path != "." {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		dir := filepath.ToSlash(filepath.Dir(path))
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		rules := forbidden[""]
		for prefix, r := range forbidden {
			if prefix != "" && (dir == prefix || strings.HasPrefix(dir, prefix+"/")) {
				rules = r
			}
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			for _, bad := range rules {
				if p == bad || strings.HasSuffix(bad, "/") && strings.HasPrefix(p, bad) {
					if p == "os/exec" && allowExec[dir] {
						continue
					}
					t.Errorf("%s imports %s: not allowed in %s", path, p, dir)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestNoSharedReferences: the project builds and tests from its own clone;
// nothing may reach into ../shared.
func TestNoSharedReferences(t *testing.T) {
	for _, f := range []string{"Makefile", ".ci/run"} {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(data), "../shared") {
			t.Errorf("%s refers to ../shared", f)
		}
	}
}
