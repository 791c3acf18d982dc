package audit

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"

	"golang.org/x/mod/module"
	"golang.org/x/sync/errgroup"

	"github.com/modseal/modseal/internal/gitrev"
	"github.com/modseal/modseal/internal/modproxy"
	"github.com/modseal/modseal/verify"
)

// hashInputs is what the hash check needs from the rest of the audit. It
// needs nothing from the go command: the module versions to verify are
// every h1 line of go.sum and go.work.sum, so a go.mod or go.sum the go
// command refuses is still checked.
type hashInputs struct {
	sums []*verify.SumFile // go.sum and go.work.sum files
	// downloads are directories in the GOPROXY layout (path/@v/version.ext)
	// to read module files from, in order: the user's module cache, the go
	// command's cache in modseal's cache, modseal's own downloads.
	downloads []string
	// own is modseal's download directory (one of downloads): a file there
	// that does not match go.sum is removed once reported, as the go
	// command never keeps a download that does not match go.sum.
	own string
	// extracted is the user's module cache, whose extracted directories
	// builds compile; "" if there is none.
	extracted string
	fetcher   *modproxy.Fetcher // nil: never download
	// unchanged holds the "path version hash" lines of go.sum at
	// --changed REV; nil verifies every module.
	unchanged map[string]bool
	offline   bool
}

// sumModules returns one check for each module version go.sum-format files
// have an h1 line for (the zip's, the go.mod's or both), sorted; where two
// files hash one version, the first file's line is checked.
func sumModules(sums []*verify.SumFile) []verify.ModuleCheck {
	byMod := make(map[module.Version]*verify.ModuleCheck)
	for _, sf := range sums {
		for _, l := range sf.Lines {
			if !strings.HasPrefix(l.Hash, "h1:") {
				continue
			}
			v, isMod := strings.CutSuffix(l.Version, "/go.mod")
			m := module.Version{Path: l.Path, Version: v}
			c := byMod[m]
			if c == nil {
				c = &verify.ModuleCheck{Module: m}
				byMod[m] = c
			}
			switch {
			case isMod && c.GoMod == nil:
				c.GoMod, c.GoModSum = &l, sf.Name
			case !isMod && c.Zip == nil:
				c.Zip, c.ZipSum = &l, sf.Name
			}
		}
	}
	mods := make([]module.Version, 0, len(byMod))
	for m := range byMod {
		mods = append(mods, m)
	}
	module.Sort(mods)
	checks := make([]verify.ModuleCheck, len(mods))
	for i, m := range mods {
		checks[i] = *byMod[m]
	}
	return checks
}

// checkHashes compares every module version go.sum has a hash for with the
// files in the module caches: the .mod file and the zip (hash-mismatch), the
// extracted directory (cache-tampered).
func checkHashes(ctx context.Context, in hashInputs, opts Options) (findings []verify.Finding, skipped []verify.Skipped, verified map[module.Version]bool, zips map[module.Version]string, err error) {
	unchanged := in.unchanged
	notChanged := 0
	var checks []verify.ModuleCheck
	// With hash-mismatch and cache-tampered skipped, only
	// incompatible-with-gomod is asked for, and only a +incompatible
	// version can break it: the others' files are not fetched or read.
	onlyIncompatible := opts.Skip[verify.RuleHashMismatch] && opts.Skip[verify.RuleCacheTampered]
	for _, c := range sumModules(in.sums) {
		if onlyIncompatible && !strings.HasSuffix(c.Module.Version, "+incompatible") {
			continue
		}
		if unchanged != nil && sameAt(unchanged, c.Module, c) {
			notChanged++
			continue
		}
		checks = append(checks, c)
	}

	type outcome struct {
		res  verify.CheckResult
		skip string
		err  error
	}
	results := make([]outcome, len(checks))
	var done atomic.Int64
	var bytes atomic.Int64
	var cache verify.Cache
	if !opts.NoCache {
		cache = zipCache{filepath.Join(opts.CacheDir, "verified")}
	}
	var g errgroup.Group
	g.SetLimit(max(opts.Jobs, 1))
	for i := range checks {
		if ctx.Err() != nil {
			break
		}
		g.Go(func() error {
			c := &checks[i]
			skip, err := locate(ctx, in, c, !opts.Skip[verify.RuleCacheTampered])
			var res verify.CheckResult
			if err == nil && (c.ModFile != "" || c.ZipFile != "" || c.Dir != "") {
				// What is at hand is checked even when a file is
				// missing: the module is then skipped, not verified,
				// but its findings stand.
				res, err = verify.CheckModule(*c, cache)
				if errors.Is(err, fs.ErrNotExist) {
					// A go command running alongside removed a file of
					// its own cache (as it does with a download that
					// fails go.sum): not verified, and said so.
					res, skip, err = verify.CheckResult{}, "a cached file vanished while it was read", nil
				}
			}
			if err == nil {
				forgetBad(in.own, c, res.Findings)
			}
			results[i] = outcome{res, skip, err}
			bytes.Add(res.Bytes)
			if n := done.Add(1); opts.Progress != nil {
				opts.Progress(int(n), len(checks), bytes.Load())
			}
			return nil
		})
	}
	g.Wait()
	if ctx.Err() != nil {
		return nil, nil, nil, nil, ctx.Err()
	}

	zips = make(map[module.Version]string)
	verified = make(map[module.Version]bool)
	skips := make(map[string][]string) // reason → modules
	for i, o := range results {
		switch {
		case o.err != nil:
			return nil, nil, nil, nil, fmt.Errorf("%s: %v", checks[i].Module, o.err)
		default:
			findings = append(findings, o.res.Findings...)
			if o.skip != "" {
				skips[o.skip] = append(skips[o.skip], checks[i].Module.String())
				break
			}
			if o.res.Verified {
				verified[checks[i].Module] = true
			}
			if o.res.ZipVerified != "" {
				zips[checks[i].Module] = o.res.ZipVerified
			}
		}
	}
	if notChanged > 0 {
		skipped = append(skipped, verify.Skipped{Check: "hash", Reason: fmt.Sprintf("%d module(s) not re-verified: their go.sum lines are as at %s (--changed)", notChanged, opts.ChangedSince)})
	}
	for reason, mods := range skips {
		skipped = append(skipped, verify.Skipped{Check: "hash", Reason: fmt.Sprintf("%d module(s) not verified: %s: %s", len(mods), reason, listSome(mods, 5))})
	}
	slices.SortFunc(skipped, func(a, b verify.Skipped) int { return strings.Compare(a.Reason, b.Reason) })
	return findings, skipped, verified, zips, nil
}

// sumLinesAt returns the h1 lines ("path version hash") of the go.sum-format
// files sums at the git revision rev, read with git show; a file that does
// not exist at rev contributes nothing.
func sumLinesAt(ctx context.Context, dir, rev string, sums []*verify.SumFile) (map[string]bool, error) {
	if strings.HasPrefix(rev, "-") {
		return nil, fmt.Errorf("--changed %q: not a git revision", rev)
	}
	commit, err := gitrev.Commit(ctx, dir, rev)
	if err != nil {
		// No such revision (a repository's first commit has no HEAD), or
		// no git: every module is verified, which is never less safe.
		return nil, nil
	}
	lines := make(map[string]bool)
	for _, sf := range sums {
		data, err := gitrev.ReadFile(ctx, dir, commit, sf.Name)
		if err != nil {
			continue // not in that revision: every line is new
		}
		old, _ := verify.ParseSum(sf.Name, data)
		for _, l := range old.Lines {
			lines[l.Path+" "+l.Version+" "+l.Hash] = true
		}
	}
	return lines, nil
}

// changedLines counts the h1 lines of sums that unchanged lacks.
func changedLines(sums []*verify.SumFile, unchanged map[string]bool) int {
	n := 0
	for _, sf := range sums {
		for _, l := range sf.Lines {
			if strings.HasPrefix(l.Hash, "h1:") && !unchanged[l.Path+" "+l.Version+" "+l.Hash] {
				n++
			}
		}
	}
	return n
}

// sameAt reports whether the go.sum lines c would be checked against are
// all in the lines of the earlier revision.
func sameAt(lines map[string]bool, m module.Version, c verify.ModuleCheck) bool {
	if c.Zip != nil && !lines[m.Path+" "+m.Version+" "+c.Zip.Hash] {
		return false
	}
	if c.GoMod != nil && !lines[m.Path+" "+m.Version+"/go.mod "+c.GoMod.Hash] {
		return false
	}
	return true
}

// locate fills in where c's files are: the first module cache that has
// them, else a download; the extracted directory only if dirs. The
// extracted directory is what builds compile, so it is checked against
// go.sum's zip hash whether or not the zip is still there; a zip is only
// downloaded when there is no directory to check. It returns a skip
// reason when a file go.sum has a hash for cannot be had (the zip counts as
// had when its extracted directory is).
func locate(ctx context.Context, in hashInputs, c *verify.ModuleCheck, dirs bool) (string, error) {
	escPath, err := module.EscapePath(c.Module.Path)
	if err != nil {
		return "", err
	}
	escVer, err := module.EscapeVersion(c.Module.Version)
	if err != nil {
		return "", err
	}
	find := func(ext string) string {
		for _, dl := range in.downloads {
			p := filepath.Join(dl, filepath.FromSlash(escPath), "@v", escVer+"."+ext)
			if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
				return p
			}
		}
		return ""
	}
	get := func(ext string) (string, string, error) {
		if p := find(ext); p != "" {
			return p, "", nil
		}
		if in.offline {
			return "", "not in any module cache, and --offline forbids downloading", nil
		}
		if in.fetcher == nil {
			return "", "not in any module cache", nil
		}
		p, err := in.fetcher.Fetch(ctx, c.Module, ext)
		var ue *modproxy.UnavailableError
		switch {
		case err == nil:
			return p, "", nil
		case ctx.Err() != nil:
			return "", "", ctx.Err()
		case errors.As(err, &ue):
			return "", ue.Reason, nil
		case errors.Is(err, fs.ErrNotExist):
			return "", "not in any module cache, and no proxy has it", nil
		}
		// Not a pass: listed under skipped with the reason. The
		// checksum database check still vouches for go.sum's line.
		return "", "not in any module cache, and downloading it failed: " + proxyErrReason(err), nil
	}
	if c.Zip != nil && dirs && in.extracted != "" {
		// Only the user's module cache holds directories that builds
		// compile; modseal's own is the go command's scratch space. With
		// cache-tampered skipped (the pre-commit hook), no directory is
		// hashed at all: that is most of the work. The directory is
		// found with Lstat: a link in its place is hashed as what it is.
		d := filepath.Join(in.extracted, filepath.FromSlash(escPath)+"@"+escVer)
		if fi, err := os.Lstat(d); err == nil && (fi.IsDir() || fi.Mode()&fs.ModeSymlink != 0) {
			c.Dir = d
		}
	}
	skip := ""
	if c.GoMod != nil {
		p, why, err := get("mod")
		if err != nil {
			return "", err
		}
		c.ModFile, skip = p, why
	}
	if c.Zip != nil {
		if p := find("zip"); p != "" || c.Dir != "" {
			c.ZipFile = p
		} else {
			p, why, err := get("zip")
			if err != nil {
				return "", err
			}
			c.ZipFile = p
			if skip == "" {
				skip = why
			}
		}
	}
	return skip, nil
}

// forgetBad removes from modseal's own download directory own a file of c
// that did not match go.sum, so that a later run, after the proxy is
// fixed, downloads it again rather than report the same bad copy.
func forgetBad(own string, c *verify.ModuleCheck, findings []verify.Finding) {
	if own == "" {
		return
	}
	for _, f := range findings {
		if f.Rule != verify.RuleHashMismatch {
			continue
		}
		for _, x := range []struct {
			ref     *verify.SumLine
			sumFile string
			file    string
		}{{c.Zip, c.ZipSum, c.ZipFile}, {c.GoMod, c.GoModSum, c.ModFile}} {
			if x.ref == nil || x.file == "" || x.sumFile != f.File || x.ref.Line != f.Line {
				continue
			}
			if rel, err := filepath.Rel(own, x.file); err == nil && filepath.IsLocal(rel) {
				os.Remove(x.file)
			}
		}
	}
}

func listSome(items []string, most int) string {
	s := strings.Join(items[:min(len(items), most)], ", ")
	if len(items) > most {
		s += fmt.Sprintf(" and %d more", len(items)-most)
	}
	return s
}
