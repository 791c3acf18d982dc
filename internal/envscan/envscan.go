// Package envscan finds the environment variables a repository's files
// set for the go command: GitHub Actions workflows, Dockerfiles, Makefiles,
// .envrc and the go command's environment file (go env -w). Each file is
// read line by line with a small tokenizer of its own syntax (YAML keys,
// shell words, Dockerfile instructions, make assignments), never run or
// expanded: what a file spells out is what comes back, with its line.
//
// It knows files, and which parts of a Go setting's value are known
// without expanding anything (Assignment.Known); verify.CheckSettings
// judges what it finds.
package envscan

import (
	"strings"
)

// A Kind is a kind of file that sets environment variables.
type Kind int

const (
	None       Kind = iota
	Workflow        // a GitHub Actions workflow: env: mappings, run: scripts
	Dockerfile      // Dockerfile, Containerfile: ENV, ARG, RUN
	Makefile        // Makefile, GNUmakefile, *.mk: assignments, recipes
	Shell           // .envrc, a shell script
	GoEnv           // the go command's environment file (go env -w, GOENV)
)

func (k Kind) String() string {
	switch k {
	case Workflow:
		return "workflow"
	case Dockerfile:
		return "Dockerfile"
	case Makefile:
		return "Makefile"
	case Shell:
		return "shell"
	case GoEnv:
		return "go env file"
	}
	return "none"
}

// KindOf returns the kind of a repository file by its base name, or None.
// Workflows are known by their place (.github/workflows), not their name:
// KindOf never returns Workflow.
func KindOf(name string) Kind {
	switch {
	case name == ".envrc":
		return Shell
	case name == "Makefile" || name == "GNUmakefile" || name == "makefile" || strings.HasSuffix(name, ".mk") && len(name) > len(".mk"):
		return Makefile
	case strings.HasSuffix(name, ".dockerignore"):
		return None
	case name == "Dockerfile" || name == "Containerfile",
		strings.HasPrefix(name, "Dockerfile.") || strings.HasPrefix(name, "Containerfile."),
		strings.HasSuffix(name, ".Dockerfile") || strings.HasSuffix(name, ".dockerfile"):
		return Dockerfile
	}
	return None
}

// An Assignment is one variable a file sets.
type Assignment struct {
	Name string
	// Value is the value as the file spells it, quotes and escapes
	// removed; what would be expanded when the file is used ($X, ${X},
	// $(cmd), `cmd`, ${{ expr }}, make's $(X)) is kept as written.
	Value string
	Line  int // 1-based
}

// Scan returns the assignments of data, a file of kind k, in file order.
func Scan(k Kind, data []byte) []Assignment {
	s := string(data)
	switch k {
	case Workflow:
		return scanWorkflow(s)
	case Dockerfile:
		return scanDockerfile(s)
	case Makefile:
		return scanMakefile(s)
	case Shell:
		var out []Assignment
		scanShell(s, 1, func(a Assignment) { out = append(out, a) })
		return out
	case GoEnv:
		return scanGoEnv(s)
	}
	return nil
}

// Known returns the part of a's value that is known without expanding
// anything, and whether there is one. The elements of a list setting
// (GOFLAGS, GONOSUMDB, GOPRIVATE, GONOPROXY, GOINSECURE) that need no
// expansion are known whatever the others hold; of GOPROXY, the entries
// before the first that needs one (which decide where the go command goes
// first); of any other variable, the value when nothing in it needs one.
func (a Assignment) Known() (string, bool) {
	switch a.Name {
	case "GOFLAGS":
		return knownElems(strings.Fields(a.Value), " ")
	case "GONOSUMDB", "GOPRIVATE", "GONOPROXY", "GOINSECURE":
		return knownElems(strings.Split(a.Value, ","), ",")
	case "GOPROXY":
		v := a.Value
		if i := strings.IndexAny(v, "$`"); i >= 0 {
			j := strings.LastIndexAny(v[:i], ",|")
			if j < 0 {
				return "", false
			}
			v = v[:j]
		}
		return v, v != ""
	}
	if dynamic(a.Value) {
		return "", false
	}
	return a.Value, true
}

func knownElems(elems []string, sep string) (string, bool) {
	var known []string
	for _, e := range elems {
		if e = strings.TrimSpace(e); e != "" && !dynamic(e) {
			known = append(known, e)
		}
	}
	return strings.Join(known, sep), len(known) > 0
}

// dynamic reports whether s holds something a shell, make, Docker or
// GitHub Actions would expand.
func dynamic(s string) bool {
	return strings.ContainsAny(s, "$`")
}

// isName reports whether s is an environment variable name.
func isName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '_' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || i > 0 && '0' <= c && c <= '9' {
			continue
		}
		return false
	}
	return true
}

// lines splits s into lines without their line ending (\n or \r\n).
func lines(s string) []string {
	ls := strings.Split(s, "\n")
	for i, l := range ls {
		ls[i] = strings.TrimSuffix(l, "\r")
	}
	if n := len(ls); n > 0 && ls[n-1] == "" {
		ls = ls[:n-1]
	}
	return ls
}

// scanGoEnv reads the go command's environment file as the go command
// does: a line KEY=VALUE whose first byte is an upper-case letter, the
// value verbatim; anything else is ignored.
func scanGoEnv(s string) []Assignment {
	var out []Assignment
	for i, l := range strings.Split(s, "\n") {
		k, v, ok := strings.Cut(l, "=")
		if !ok || l[0] < 'A' || 'Z' < l[0] {
			continue
		}
		out = append(out, Assignment{Name: k, Value: v, Line: i + 1})
	}
	return out
}
