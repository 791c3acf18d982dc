package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/mod/module"

	"github.com/modseal/modseal/graph"
	"github.com/modseal/modseal/internal/audit"
	"github.com/modseal/modseal/internal/modproxy"
	"github.com/modseal/modseal/verify"
)

func runHash(ctx context.Context, args []string, stdout, stderr io.Writer, e env) error {
	fs := newFlagSet("hash", stderr)
	modFlag := fs.String("module", "", "the `path@version` a directory or go.mod file belongs to")
	cacheFlag := fs.String("cache-dir", "", "modseal's cache `dir`, where path@version is downloaded")
	offline := fs.Bool("offline", false, "no network: path@version only from modseal's cache, its lines not checked against the checksum database")
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
			return hashRemote(ctx, target, *cacheFlag, *offline, stdout, stderr, e)
		}
		return err
	}
	switch {
	case fi.IsDir():
		if mod.Path == "" {
			mod, err = cacheDirModule(ctx, target, e)
			if err != nil {
				return err
			}
		}
		h, err := verify.HashDir(target, mod)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s %s %s\n", mod.Path, mod.Version, h)
	case strings.HasSuffix(target, ".zip"):
		m, h, err := verify.HashZip(target)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s %s %s\n", m.Path, m.Version, h)
	default:
		h, err := hashGoModFile(target)
		if err != nil {
			return err
		}
		if mod.Path != "" {
			fmt.Fprintf(stdout, "%s %s/go.mod %s\n", mod.Path, mod.Version, h)
		} else {
			fmt.Fprintf(stdout, "%s  %s\n", h, target)
		}
	}
	return nil
}

// hashRemote fetches path@version through GOPROXY into modseal's cache,
// checks its two go.sum lines against the checksum database as the go
// command does before it keeps a download, and prints them. Lines the
// database is not asked about (--offline, GOSUMDB=off, GONOSUMDB or
// GOPRIVATE) are printed with a note on stderr that they are unverified.
// A download the database contradicts is not printed: like `go mod
// download`, it is a failure (exit 2) with a SECURITY ERROR, and modseal
// removes it from its cache.
func hashRemote(ctx context.Context, target, cacheFlag string, offline bool, stdout, stderr io.Writer, e env) error {
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
		return err
	}
	g := &graph.Command{Dir: wd, Environ: e}
	genv, err := g.Env(ctx)
	if err != nil {
		return err
	}
	proxy := genv.GOPROXY
	if offline {
		proxy = "off" // only what modseal's cache holds
	}
	f := &modproxy.Fetcher{Proxy: proxy, NoProxy: genv.GONOPROXY, Dir: filepath.Join(cacheDir, "download")}
	modFile, err := f.Fetch(ctx, m, "mod")
	if err != nil {
		return err
	}
	zipFile, err := f.Fetch(ctx, m, "zip")
	if err != nil {
		return err
	}
	zm, zh, err := verify.HashZip(zipFile)
	if err != nil {
		return err
	}
	if zm != m {
		return fmt.Errorf("%s: the proxy served a zip of %s", m, zm)
	}
	mh, err := hashGoModFile(modFile)
	if err != nil {
		return err
	}
	lines := fmt.Sprintf("%s %s %s\n%s %s/go.mod %s\n", m.Path, m.Version, zh, m.Path, m.Version, mh)
	note, err := hashSumDB(ctx, genv, cacheDir, offline, m, lines)
	if err != nil {
		var mm *sumMismatchError
		if errors.As(err, &mm) {
			// As the go command does not keep a download that fails
			// verification, neither does modseal: the next try fetches
			// it again.
			os.Remove(zipFile)
			os.Remove(modFile)
		}
		return err
	}
	fmt.Fprint(stdout, lines)
	if note != "" {
		fmt.Fprintf(stderr, "modseal: note: %s\n", note)
	}
	return nil
}

// A sumMismatchError is a download the checksum database contradicts.
type sumMismatchError struct {
	m        module.Version
	db       string
	findings []verify.Finding
}

func (e *sumMismatchError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: verifying module: checksum mismatch", e.m)
	for _, f := range e.findings {
		what := "zip"
		if f.Line == 2 { // the second of the two lines: go.mod
			what = "go.mod"
		}
		fmt.Fprintf(&b, "\n\t%s downloaded: %s\n\t%s %s: %s", what, f.Got, what, e.db, f.Want)
	}
	fmt.Fprintf(&b, "\n\nSECURITY ERROR\nThis download does NOT match the one reported by the checksum database %s.\n"+
		"The proxy (or something between it and you) served other content than was published: do not use it. "+
		"modseal removed its copy; report the proxy to its operator.", e.db)
	return b.String()
}

// hashSumDB checks lines, the go.sum lines of what the proxy served for m,
// against the checksum database, with the same client and cache as
// modseal audit. It returns a note for stderr when the lines are not
// verified (and why), or what went wrong with the cache.
func hashSumDB(ctx context.Context, genv *graph.Env, cacheDir string, offline bool, m module.Version, lines string) (string, error) {
	const unverified = "these go.sum lines are NOT verified against a checksum database: "
	if offline {
		return unverified + "--offline", nil
	}
	db, err := verify.ParseGOSUMDB(genv.GOSUMDB)
	if err != nil {
		return "", err
	}
	if db == nil {
		return unverified + "GOSUMDB=off", nil
	}
	if genv.GONOSUMDB != "" && module.MatchPrefixPatterns(genv.GONOSUMDB, m.Path) {
		return unverified + "GONOSUMDB/GOPRIVATE covers " + m.Path + " (GONOSUMDB=" + genv.GONOSUMDB + ")", nil
	}
	sf, fs := verify.ParseSum("proxy", []byte(lines))
	if len(fs) > 0 {
		return "", fmt.Errorf("%s: %s", m, fs[0].Message)
	}
	c := audit.NewSumDBClient(db, genv, cacheDir, nil)
	res, err := c.Check(ctx, []*verify.SumFile{sf}, "", 2)
	if err != nil {
		return "", err
	}
	var mismatch []verify.Finding
	for _, f := range res.Findings {
		switch f.Rule {
		case verify.RuleSumDBMismatch:
			mismatch = append(mismatch, f)
		case verify.RuleSumDBMissing:
			return "", fmt.Errorf("%s: verifying module: the checksum database %s does not know this module version: it was never published, or it is private (then set GOPRIVATE or GONOSUMDB to cover %s)", m, db.Name, m.Path)
		}
	}
	if len(mismatch) > 0 {
		return "", &sumMismatchError{m: m, db: db.Name, findings: mismatch}
	}
	if res.Cache != "" {
		return "checksum database cache: " + res.Cache, nil
	}
	return "", nil
}

// cacheDirModule names the module of an extracted directory in the module
// cache (GOMODCACHE/escaped/path@version).
func cacheDirModule(ctx context.Context, dir string, e env) (module.Version, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return module.Version{}, err
	}
	g := &graph.Command{Dir: abs, Environ: e}
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

// hashGoModFile is the h1 of a go.mod file, read with the go command's
// 16 MiB bound.
func hashGoModFile(file string) (string, error) {
	data, err := verify.ReadFileLimited(file, 16<<20)
	if err != nil {
		return "", err
	}
	return verify.HashGoMod(data)
}
