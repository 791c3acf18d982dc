package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/mod/module"

	"github.com/modseal/modseal/graph"
	"github.com/modseal/modseal/internal/modproxy"
	"github.com/modseal/modseal/verify"
)

func runHash(ctx context.Context, args []string, stdout, stderr io.Writer, e env) error {
	fs := newFlagSet("hash", stderr)
	modFlag := fs.String("module", "", "the `path@version` a directory or go.mod file belongs to")
	cacheFlag := fs.String("cache-dir", "", "modseal's cache `dir`, where path@version is downloaded")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return flagErr(err)
	}
	if len(pos) != 1 {
		return usageErr("hash takes one TARGET (a module zip, module directory or go.mod file): run 'modseal help hash'")
	}
	target := pos[0]
	var mod module.Version
	if *modFlag != "" {
		p, v, ok := strings.Cut(*modFlag, "@")
		if !ok {
			return usageErr("--module must be path@version, got %q", *modFlag)
		}
		mod = module.Version{Path: p, Version: v}
		if err := module.Check(p, v); err != nil {
			return usageErr("--module: %v", err)
		}
	}
	fi, err := os.Stat(target)
	if err != nil {
		if strings.Contains(target, "@") && os.IsNotExist(err) {
			return hashRemote(ctx, target, *cacheFlag, stdout, e)
		}
		return &exitError{ExitFailure, err}
	}
	switch {
	case fi.IsDir():
		if mod.Path == "" {
			mod, err = cacheDirModule(ctx, target, e)
			if err != nil {
				return &exitError{ExitFailure, err}
			}
		}
		h, err := verify.HashDir(target, mod)
		if err != nil {
			return &exitError{ExitFailure, err}
		}
		fmt.Fprintf(stdout, "%s %s %s\n", mod.Path, mod.Version, h)
	case strings.HasSuffix(target, ".zip"):
		m, h, err := verify.HashZip(target)
		if err != nil {
			return &exitError{ExitFailure, err}
		}
		fmt.Fprintf(stdout, "%s %s %s\n", m.Path, m.Version, h)
	default:
		h, err := verify.HashGoModFile(target)
		if err != nil {
			return &exitError{ExitFailure, err}
		}
		if mod.Path != "" {
			fmt.Fprintf(stdout, "%s %s/go.mod %s\n", mod.Path, mod.Version, h)
		} else {
			fmt.Fprintf(stdout, "%s  %s\n", h, target)
		}
	}
	return nil
}

// hashRemote fetches path@version through GOPROXY into modseal's cache
// and prints its two go.sum lines.
func hashRemote(ctx context.Context, target, cacheFlag string, stdout io.Writer, e env) error {
	p, v, _ := strings.Cut(target, "@")
	m := module.Version{Path: p, Version: v}
	if err := module.Check(p, v); err != nil || module.CanonicalVersion(v) != v {
		return usageErr("%s: want path@version with a canonical version (v1.2.3)", target)
	}
	cacheDir, err := resolveCacheDir(cacheFlag, e)
	if err != nil {
		return err
	}
	wd, err := os.Getwd()
	if err != nil {
		return &exitError{ExitFailure, err}
	}
	g := &graph.Go{Dir: wd, Environ: e}
	genv, err := g.Env(ctx)
	if err != nil {
		return &exitError{ExitFailure, err}
	}
	f := &modproxy.Fetcher{Proxy: genv.GOPROXY, NoProxy: genv.GONOPROXY, Dir: filepath.Join(cacheDir, "download")}
	modFile, err := f.Fetch(ctx, m, "mod")
	if err != nil {
		return &exitError{ExitFailure, err}
	}
	zipFile, err := f.Fetch(ctx, m, "zip")
	if err != nil {
		return &exitError{ExitFailure, err}
	}
	zm, zh, err := verify.HashZip(zipFile)
	if err != nil {
		return &exitError{ExitFailure, err}
	}
	if zm != m {
		return &exitError{ExitFailure, fmt.Errorf("%s: the proxy served a zip of %s", m, zm)}
	}
	mh, err := verify.HashGoModFile(modFile)
	if err != nil {
		return &exitError{ExitFailure, err}
	}
	fmt.Fprintf(stdout, "%s %s %s\n%s %s/go.mod %s\n", m.Path, m.Version, zh, m.Path, m.Version, mh)
	return nil
}

// cacheDirModule names the module of an extracted directory in the module
// cache (GOMODCACHE/escaped/path@version).
func cacheDirModule(ctx context.Context, dir string, e env) (module.Version, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return module.Version{}, err
	}
	g := &graph.Go{Dir: abs, Environ: e}
	genv, err := g.Env(ctx)
	if err != nil {
		return module.Version{}, err
	}
	rel, err := filepath.Rel(genv.GOMODCACHE, abs)
	if genv.GOMODCACHE == "" || err != nil || strings.HasPrefix(rel, "..") {
		return module.Version{}, fmt.Errorf("%s is not in the module cache (%s), so its module is unknown: pass --module path@version", dir, genv.GOMODCACHE)
	}
	escPath, escVer, ok := strings.Cut(filepath.ToSlash(rel), "@")
	if !ok || strings.Contains(escVer, "/") {
		return module.Version{}, fmt.Errorf("%s is not a module directory of the module cache: pass --module path@version", dir)
	}
	p, err1 := module.UnescapePath(escPath)
	v, err2 := module.UnescapeVersion(escVer)
	if err1 != nil || err2 != nil {
		return module.Version{}, fmt.Errorf("%s: cannot read path@version from the module cache layout: pass --module path@version", dir)
	}
	return module.Version{Path: p, Version: v}, nil
}
