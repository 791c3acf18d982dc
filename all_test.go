// Hygiene checks of the repository as a whole, run with the other tests.
package modseal_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"slices"
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

// TestImports enforces the layering, on what the go command lists (the
// packages' direct imports and their transitive dependencies, tests left
// out):
//   - only internal/gocmd imports os/exec: one place runs programs (the
//     go command, git);
//   - the public libraries verify/ and graph/ never depend, directly or
//     not, on the heavy clients (sigstore, go-github) that users embedding
//     them would inherit, nor on modseal's internal/ packages, except those
//     under verify/internal and, for graph/, internal/gocmd: the one runner
//     of the go command, which imports only the standard library (checked
//     here too), so it drags nothing into an embedder;
//   - verify/ does not depend on graph/: it never asks the go command;
//   - internal/report depends on no modseal package but verify/ (and its
//     own subpackages): it renders a verify.Report.
func TestImports(t *testing.T) {
	const mod = "github.com/modseal/modseal/"
	out, err := exec.Command("go", "list", "-e", "-json=ImportPath,Standard,Imports,Deps,Error", "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	type pkg struct {
		ImportPath    string
		Standard      bool
		Imports, Deps []string
		Error         *struct{ Err string }
	}
	// forbidden lists, for the packages under a directory, the import path
	// prefixes their dependencies must not have, and the exceptions.
	type rule struct{ forbidden, allowed []string }
	rules := map[string]rule{
		"verify": {forbidden: []string{mod + "graph", mod + "internal/", "github.com/sigstore/", "github.com/google/go-github/"}},
		"graph":  {forbidden: []string{mod + "internal/", "github.com/sigstore/", "github.com/google/go-github/"}, allowed: []string{mod + "internal/gocmd"}},
		// The renderers see findings, not how they were found.
		"internal/report": {forbidden: []string{mod}, allowed: []string{mod + "verify", mod + "internal/report"}},
	}
	isUnder := func(p, prefix string) bool { return p == prefix || strings.HasPrefix(p, prefix+"/") }
	pkgs := make(map[string]*pkg)
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		p := new(pkg)
		if err := dec.Decode(p); err != nil {
			t.Fatal(err)
		}
		if p.Error != nil {
			t.Errorf("%s: %s", p.ImportPath, p.Error.Err)
		}
		pkgs[p.ImportPath] = p
	}
	if pkgs[mod+"verify"] == nil || pkgs[mod+"graph"] == nil || pkgs[mod+"internal/gocmd"] == nil {
		t.Fatalf("go list ./... did not list verify, graph and internal/gocmd")
	}
	for path, p := range pkgs {
		dir := strings.TrimPrefix(path, mod)
		if slices.Contains(p.Imports, "os/exec") && dir != "internal/gocmd" {
			t.Errorf("%s imports os/exec: only internal/gocmd runs programs", dir)
		}
		for under, r := range rules {
			if !isUnder(dir, under) {
				continue
			}
			for _, d := range p.Deps {
				if slices.ContainsFunc(r.allowed, func(a string) bool { return isUnder(d, a) }) {
					continue
				}
				for _, bad := range r.forbidden {
					if d == bad || strings.HasSuffix(bad, "/") && strings.HasPrefix(d, bad) {
						t.Errorf("%s depends on %s: not allowed under %s/", dir, d, under)
					}
				}
			}
		}
	}
	// internal/gocmd, the exception above, must stay a leaf.
	std, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", mod+"internal/gocmd").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	if deps := strings.Fields(string(std)); !slices.Equal(deps, []string{mod + "internal/gocmd"}) {
		t.Errorf("internal/gocmd depends on %v: it may import only the standard library (graph/ depends on it)", deps)
	}
}

// TestVet: go vet ./... reports nothing.
func TestVet(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command")
	}
	out, err := exec.Command("go", "vet", "./...").CombinedOutput()
	if err != nil {
		t.Fatalf("go vet ./...: %v\n%s", err, out)
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
