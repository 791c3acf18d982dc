package graph

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"golang.org/x/mod/modfile"

	"github.com/modseal/modseal/internal/gocmd"
	"github.com/modseal/modseal/verify"
)

// A workCopy is a copy of the user's go.work and go.work.sum in a temporary
// directory, with every relative path in go.work made absolute. In
// workspace mode the go command writes the go.sum lines it misses to
// go.work.sum, even with -mod=readonly (cmd/go's modload.commitRequirements:
// "in workspace mode, commitRequirements only writes changes to
// go.work.sum"); pointed at the copy with GOWORK, it writes there.
type workCopy struct {
	dir string // "" when not in workspace mode
}

// copyWork copies the go.work of env.GOWORK, if any. A go.work that does
// not parse is not copied: the go command refuses it before it writes
// anything.
func copyWork(env *Env) (*workCopy, error) {
	if env.GOWORK == "" || env.GOWORK == "off" {
		return &workCopy{}, nil
	}
	data, err := verify.ReadFileLimited(env.GOWORK, verify.MaxSumFileSize)
	if err != nil {
		return nil, err
	}
	wf, err := modfile.ParseWork(env.GOWORK, data, nil)
	if err != nil {
		return &workCopy{}, nil
	}
	sum, err := verify.ReadFileLimited(filepath.Join(filepath.Dir(env.GOWORK), "go.work.sum"), verify.MaxSumFileSize)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "modseal-work-")
	if err != nil {
		return nil, err
	}
	wc := &workCopy{dir: dir}
	if err := os.WriteFile(filepath.Join(dir, "go.work"), absWork(wf, filepath.Dir(env.GOWORK)), 0o666); err != nil {
		wc.close()
		return nil, err
	}
	if sum != nil {
		if err := os.WriteFile(filepath.Join(dir, "go.work.sum"), sum, 0o666); err != nil {
			wc.close()
			return nil, err
		}
	}
	return wc, nil
}

// absWork returns wf as go.work text with its use and replacement
// directories made absolute (relative ones are relative to dir).
func absWork(wf *modfile.WorkFile, dir string) []byte {
	abs := func(p string) string {
		if filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(dir, filepath.FromSlash(p))
	}
	var b strings.Builder
	if wf.Go != nil {
		fmt.Fprintf(&b, "go %s\n", wf.Go.Version)
	}
	if wf.Toolchain != nil {
		fmt.Fprintf(&b, "toolchain %s\n", wf.Toolchain.Name)
	}
	for _, d := range wf.Godebug {
		fmt.Fprintf(&b, "godebug %s=%s\n", d.Key, d.Value)
	}
	for _, u := range wf.Use {
		fmt.Fprintf(&b, "use %s\n", modfile.AutoQuote(abs(u.Path)))
	}
	for _, r := range wf.Replace {
		old := modfile.AutoQuote(r.Old.Path)
		if r.Old.Version != "" {
			old += " " + r.Old.Version
		}
		nw := r.New.Path
		if r.New.Version == "" && modfile.IsDirectoryPath(nw) {
			nw = abs(nw)
		}
		nw = modfile.AutoQuote(nw)
		if r.New.Version != "" {
			nw += " " + r.New.Version
		}
		fmt.Fprintf(&b, "replace %s => %s\n", old, nw)
	}
	return []byte(b.String())
}

// env returns environ pointing the go command at the copy.
func (wc *workCopy) env(environ []string) []string {
	if wc.dir == "" {
		return environ
	}
	return gocmd.Setenv(environ, "GOWORK", filepath.Join(wc.dir, "go.work"))
}

// sum returns the copy's go.work.sum as the go command left it.
func (wc *workCopy) sum() ([]byte, error) {
	data, err := verify.ReadFileLimited(filepath.Join(wc.dir, "go.work.sum"), verify.MaxSumFileSize)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return data, err
}

func (wc *workCopy) close() {
	if wc.dir != "" {
		os.RemoveAll(wc.dir)
	}
}

// WorkSumMissing returns the go.sum lines the go command, in the workspace
// g.Dir belongs to, would add to go.work.sum because no go.sum of the
// workspace (its modules' go.sum files and go.work.sum) has them: the lines
// of the module graph ("go list -m all") and of the packages of every
// workspace module with their tests ("go list -deps -test all") on this
// platform. In workspace mode the go command does not refuse to build
// without them, as it does in module mode with -mod=readonly: it checks
// them against the checksum database (unless GONOSUMDB, GOPRIVATE or
// GOSUMDB=off say not to) and writes them to go.work.sum. So go.work.sum is
// the file they are missing from, as "go mod download" in the workspace
// directory, which adds them, would say.
//
// sumLines is go.work.sum's line count now (0 if absent). file is the
// go.work.sum path (next to go.work); edits are additions, numbered like
// ListMissing's. Outside workspace mode it returns "", nil, nil.
func (g *Command) WorkSumMissing(ctx context.Context, sumLines int) (file string, edits []SumEdit, err error) {
	env, err := g.Env(ctx)
	if err != nil {
		return "", nil, err
	}
	if env.GOWORK == "" || env.GOWORK == "off" {
		return "", nil, nil
	}
	file = filepath.Join(filepath.Dir(env.GOWORK), "go.work.sum")
	before, err := verify.ReadFileLimited(file, verify.MaxSumFileSize)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", nil, err
	}
	wc, err := copyWork(env)
	if err != nil {
		return "", nil, err
	}
	defer wc.close()
	if wc.dir == "" {
		return "", nil, fmt.Errorf("%s does not parse", env.GOWORK)
	}
	environ := wc.env(g.commandEnv(env))
	if _, err := g.runEnv(ctx, g.Dir, environ, "list", "-m", "-json", "all"); err != nil {
		return "", nil, err
	}
	// -e: a package error (an import nothing provides, a syntax error) is
	// no go.sum line; the go command still records what it loaded.
	if _, err := g.runEnv(ctx, g.Dir, environ, "list", "-e", "-deps", "-test", "-json=ImportPath", "all"); err != nil {
		return "", nil, err
	}
	after, err := wc.sum()
	if err != nil {
		return "", nil, err
	}
	return file, addedLines(before, after, sumLines), nil
}

// A SiblingError reports that go mod tidy cannot run in a workspace module
// because the module imports packages of other modules of the workspace
// without requiring them. That is legal in a workspace (the go command
// builds it), but tidy ignores go.work and looks the module up elsewhere:
// what tidy would change in go.sum is unknown, which is no finding.
type SiblingError struct {
	Dir      string   // the module directory
	Siblings []string // the workspace modules imported without a requirement
	Err      error    // the go command's error
}

func (e *SiblingError) Error() string {
	return fmt.Sprintf("go mod tidy cannot run in %s: it imports workspace module %s without requiring it, which the workspace builds but tidy (which ignores go.work) cannot resolve",
		e.Dir, strings.Join(e.Siblings, ", "))
}

func (e *SiblingError) Unwrap() error { return e.Err }

// reCannotFind is the go command's "cannot find module providing package P".
var reCannotFind = regexp.MustCompile(`cannot find module providing package (\S+?):`)

// siblingError returns a *SiblingError if err is go mod tidy failing in
// moddir only because imports of workspace modules resolve to no module.
func (g *Command) siblingError(ctx context.Context, moddir string, err error) error {
	var ge *gocmd.Error
	if !errors.As(err, &ge) {
		return err
	}
	env, envErr := g.Env(ctx)
	if envErr != nil || env.GOWORK == "" || env.GOWORK == "off" {
		return err
	}
	mods := workModules(env.GOWORK)
	ms := reCannotFind.FindAllStringSubmatch(ge.Stderr, -1)
	if len(ms) == 0 {
		return err
	}
	var siblings []string
	for _, m := range ms {
		pkg := m[1]
		i := slices.IndexFunc(mods, func(mp string) bool { return pkg == mp || strings.HasPrefix(pkg, mp+"/") })
		if i < 0 {
			return err // an import no workspace module provides either
		}
		if !slices.Contains(siblings, mods[i]) {
			siblings = append(siblings, mods[i])
		}
	}
	// Every other line must be about those imports too.
	_, unexplained := Refusals(ge.Stderr)
	for _, l := range unexplained {
		if !reCannotFind.MatchString(l.Text) {
			return err
		}
	}
	slices.Sort(siblings)
	return &SiblingError{Dir: moddir, Siblings: siblings, Err: err}
}

// workModules returns the module paths of the modules go.work uses.
func workModules(gowork string) []string {
	data, err := verify.ReadFileLimited(gowork, verify.MaxSumFileSize)
	if err != nil {
		return nil
	}
	wf, err := modfile.ParseWork(gowork, data, nil)
	if err != nil {
		return nil
	}
	var paths []string
	for _, u := range wf.Use {
		d := u.Path
		if !filepath.IsAbs(d) {
			d = filepath.Join(filepath.Dir(gowork), filepath.FromSlash(d))
		}
		data, err := verify.ReadFileLimited(filepath.Join(d, "go.mod"), verify.MaxSumFileSize)
		if err != nil {
			continue
		}
		if p := modfile.ModulePath(data); p != "" {
			paths = append(paths, p)
		}
	}
	return paths
}
