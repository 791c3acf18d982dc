package graph

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"
	"golang.org/x/tools/go/packages"

	"github.com/modseal/modseal/internal/gocmd"
)

// DefaultPlatforms are the GOOS/GOARCH pairs a snapshot covers unless told
// otherwise.
var DefaultPlatforms = []string{"linux/amd64", "darwin/arm64", "windows/amd64"}

// DefaultPatterns are the package patterns a snapshot builds unless told
// otherwise.
var DefaultPatterns = []string{"./..."}

// loadMode is all go/packages may do: list package names, imports and
// modules. No type checking, no compiled Go files (which would run cgo), no
// export data (which would compile): computing a snapshot must be safe on an
// untrusted pull request, so nothing of the module is built or run.
const loadMode = packages.NeedName | packages.NeedImports | packages.NeedDeps | packages.NeedModule

// ErrPlatform reports a GOOS/GOARCH pair the go command does not support.
var ErrPlatform = errors.New("unsupported platform")

// CheckPlatform reports whether p has the form GOOS/GOARCH. Whether the go
// command supports the pair is the go command's to say.
func CheckPlatform(p string) error {
	goos, goarch, ok := strings.Cut(p, "/")
	if !ok || !isPlatformWord(goos) || !isPlatformWord(goarch) {
		return fmt.Errorf("platform %q: want GOOS/GOARCH, like linux/amd64", p)
	}
	return nil
}

func isPlatformWord(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !('a' <= r && r <= 'z' || '0' <= r && r <= '9') {
			return false
		}
	}
	return true
}

// platformModules returns, for every module that provides at least one
// package to the build of patterns on at least one of platforms, the sorted
// platforms it provides packages for. The build is that of "go list -deps"
// with GOOS and GOARCH set, without tests; modules are keyed by their path
// in the build list (a replaced module by its original path). Standard
// library packages belong to no module.
//
// CGO_ENABLED is the user's setting if the environment has one, else 1, on
// every platform: the go command's own default depends on the machine (a C
// compiler on PATH, cross-compiling or not), and a snapshot must not. Listing
// cgo packages runs no C compiler: go list runs cgo only for compiled files,
// which are never asked for.
//
// An import that no module of the build list provides (the go command's "no
// required module provides package", a missing go.sum entry) is an error:
// the answer would be incomplete. Other package errors (a syntax error, an
// embed pattern matching nothing, build constraints excluding every file)
// leave the package's module known and are not.
//
// jobs bounds the platforms listed at once (at least 1).
func (g *Command) platformModules(ctx context.Context, patterns, platforms []string, jobs int) (map[string][]string, error) {
	for _, p := range platforms {
		if err := CheckPlatform(p); err != nil {
			return nil, err
		}
	}
	env, err := g.Env(ctx)
	if err != nil {
		return nil, err
	}
	// In a workspace, go list would write go.work.sum: see copyWork.
	wc, err := copyWork(env)
	if err != nil {
		return nil, err
	}
	defer wc.close()
	base := wc.env(g.commandEnv(env))
	if gocmd.Getenv(base, "CGO_ENABLED") == "" {
		base = gocmd.Setenv(base, "CGO_ENABLED", "1")
	}
	// An external driver would answer instead of the go command.
	base = gocmd.Setenv(base, "GOPACKAGESDRIVER", "off")
	if strings.ContainsAny(g.GoBin, `/\`) {
		// go/packages runs "go" from PATH: put the go binary's directory first.
		base = gocmd.Setenv(base, "PATH", filepath.Dir(g.GoBin)+string(os.PathListSeparator)+gocmd.Getenv(base, "PATH"))
	}

	// The go command lists packages for a GOOS or GOARCH it does not know
	// as if it were any other: ask it which it knows, meanwhile.
	var (
		known    []byte
		knownErr error
		check    sync.WaitGroup
	)
	check.Go(func() { known, knownErr = g.run(ctx, "", "tool", "dist", "list") })

	// Every platform is listed, even after one fails: the error names
	// each platform that did.
	results := make([]map[string]bool, len(platforms))
	errs := make([]error, len(platforms))
	var eg errgroup.Group
	eg.SetLimit(max(1, jobs))
	for i, p := range platforms {
		eg.Go(func() error {
			goos, goarch, _ := strings.Cut(p, "/")
			env := gocmd.Setenv(gocmd.Setenv(base, "GOOS", goos), "GOARCH", goarch)
			results[i], errs[i] = g.loadModules(ctx, env, patterns)
			if errs[i] != nil {
				errs[i] = fmt.Errorf("%s: %w", p, errs[i])
			}
			return nil
		})
	}
	eg.Wait()
	check.Wait()
	if knownErr != nil {
		return nil, knownErr
	}
	for _, p := range platforms {
		if !slices.Contains(strings.Fields(string(known)), p) {
			return nil, fmt.Errorf("%w %s: the go command does not know it (go tool dist list names those it does)", ErrPlatform, p)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	out := make(map[string][]string)
	for i, p := range platforms {
		for m := range results[i] {
			out[m] = append(out[m], p)
		}
	}
	for m := range out {
		slices.Sort(out[m])
		out[m] = slices.Compact(out[m])
	}
	return out, nil
}

// loadModules lists the packages of patterns and their dependencies with env
// and returns the set of module paths that provide them.
func (g *Command) loadModules(ctx context.Context, env []string, patterns []string) (map[string]bool, error) {
	cfg := &packages.Config{
		Mode:    loadMode,
		Context: ctx,
		Dir:     g.Dir,
		Env:     env,
		Tests:   false,
	}
	pkgs, err := packages.Load(cfg, patterns...)
	if err != nil {
		if g.Offline && strings.Contains(err.Error(), "disabled by GOPROXY=off") {
			return nil, fmt.Errorf("%w: %v", ErrOffline, err)
		}
		return nil, err
	}
	mods := make(map[string]bool)
	var unresolved []string
	packages.Visit(pkgs, nil, func(p *packages.Package) {
		if p.Module != nil {
			mods[p.Module.Path] = true
			return
		}
		for _, e := range p.Errors {
			unresolved = append(unresolved, e.Msg)
		}
	})
	if len(unresolved) > 0 {
		slices.Sort(unresolved)
		unresolved = slices.Compact(unresolved)
		msg := strings.Join(unresolved, "; ")
		if g.Offline && strings.Contains(msg, "disabled by GOPROXY=off") {
			return nil, fmt.Errorf("%w: %s", ErrOffline, msg)
		}
		return nil, fmt.Errorf("listing packages: %s", msg)
	}
	return mods, nil
}
