package audit

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"

	"github.com/modseal/modseal/internal/gocmd"
	"github.com/modseal/modseal/internal/modproxy"
	"github.com/modseal/modseal/verify"
)

// hashInputs is what the hash check needs from the rest of the audit.
type hashInputs struct {
	edges    []string          // sorted go mod graph lines
	sums     []*verify.SumFile // go.sum and go.work.sum files
	replaces []*modfile.Replace
	// downloads are directories in the GOPROXY layout (path/@v/version.ext)
	// to read module files from, in order: the user's module cache, the go
	// command's cache in modseal's cache, modseal's own downloads.
	downloads []string
	// extracted is the user's module cache, whose extracted directories
	// builds compile; "" if there is none.
	extracted string
	fetcher   *modproxy.Fetcher // nil: never download
	// goDone closes when the go commands of the audit have finished: they
	// may still be putting module files in modseal's cache.
	goDone <-chan struct{}
	// unchanged holds the "path version hash" lines of go.sum at
	// --changed REV; nil verifies every module.
	unchanged map[string]bool
	offline   bool
}

// checkHashes compares every module of the graph that go.sum has a hash
// for with the files in the module caches.
func checkHashes(ctx context.Context, in hashInputs, opts Options) (findings []verify.Finding, skipped []Skipped, verified int, zips map[module.Version]string, err error) {
	idx := make(map[string]*verify.SumRef)
	for _, sf := range in.sums {
		for _, l := range sf.Lines {
			if !strings.HasPrefix(l.Hash, "h1:") {
				continue
			}
			k := l.Path + " " + l.Version
			if _, ok := idx[k]; !ok {
				idx[k] = &verify.SumRef{File: sf.Name, Line: l.Line, Hash: l.Hash}
			}
		}
	}

	unchanged := in.unchanged
	notChanged := 0
	var checks []verify.ModuleCheck
	seen := make(map[module.Version]bool)
	for _, m := range graphModules(in.edges) {
		target, local := replaceFor(in.replaces, m)
		if local || seen[target] {
			continue
		}
		seen[target] = true
		c := verify.ModuleCheck{Module: target, Zip: idx[target.Path+" "+target.Version], GoMod: idx[target.Path+" "+target.Version+"/go.mod"]}
		if c.Zip == nil && c.GoMod == nil {
			continue // gosum-missing says so
		}
		if unchanged != nil && sameAt(unchanged, target, c) {
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
	jobs := make(chan int)
	var wg sync.WaitGroup
	hasher := &verify.Hasher{}
	if !opts.NoCache {
		hasher.Cache = &verify.ZipCache{Dir: filepath.Join(opts.CacheDir, "verified")}
	}
	for range max(opts.Jobs, 1) {
		wg.Go(func() {
			buf := verify.NewReadBuffer()
			for i := range jobs {
				c := &checks[i]
				skip, err := locate(ctx, in, c, !opts.Skip[verify.RuleCacheTampered])
				var res verify.CheckResult
				if err == nil && skip == "" {
					res, err = hasher.Check(*c, buf)
				}
				results[i] = outcome{res, skip, err}
				bytes.Add(res.Bytes)
				if n := done.Add(1); opts.Progress != nil {
					opts.Progress(int(n), len(checks), bytes.Load())
				}
			}
		})
	}
	for i := range checks {
		if ctx.Err() != nil {
			break
		}
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	if ctx.Err() != nil {
		return nil, nil, 0, nil, ctx.Err()
	}

	zips = make(map[module.Version]string)
	skips := make(map[string][]string) // reason → modules
	for i, o := range results {
		switch {
		case o.err != nil:
			return nil, nil, 0, nil, fmt.Errorf("%s: %v", checks[i].Module, o.err)
		case o.skip != "":
			skips[o.skip] = append(skips[o.skip], checks[i].Module.String())
		default:
			findings = append(findings, o.res.Findings...)
			if o.res.Verified {
				verified++
			}
			if o.res.ZipVerified != "" {
				zips[checks[i].Module] = o.res.ZipVerified
			}
		}
	}
	if notChanged > 0 {
		skipped = append(skipped, Skipped{"hash", fmt.Sprintf("%d module(s) not re-verified: their go.sum lines are as at %s (--changed)", notChanged, opts.ChangedSince)})
	}
	for reason, mods := range skips {
		skipped = append(skipped, Skipped{"hash", fmt.Sprintf("%d module(s) not verified: %s: %s", len(mods), reason, listSome(mods, 5))})
	}
	slices.SortFunc(skipped, func(a, b Skipped) int { return strings.Compare(a.Reason, b.Reason) })
	return findings, skipped, verified, zips, nil
}

// sumLinesAt returns the h1 lines ("path version hash") of the go.sum-format
// files sums at the git revision rev, read with git show; a file that does
// not exist at rev contributes nothing.
func sumLinesAt(ctx context.Context, dir, rev string, sums []*verify.SumFile) (map[string]bool, error) {
	if strings.HasPrefix(rev, "-") {
		return nil, fmt.Errorf("--changed %q: not a git revision", rev)
	}
	if _, err := gocmd.Git(ctx, dir, "rev-parse", "--verify", "--quiet", rev+"^{commit}"); err != nil {
		// No such revision (a repository's first commit has no HEAD), or
		// no git: every module is verified, which is never less safe.
		return nil, nil
	}
	lines := make(map[string]bool)
	for _, sf := range sums {
		data, err := gocmd.Git(ctx, dir, "show", rev+":./"+sf.Name)
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
// them, else a download; the extracted directory only if dirs. It returns a skip reason when a file go.sum has a
// hash for cannot be had.
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
		if in.goDone != nil {
			select {
			case <-in.goDone:
			case <-ctx.Done():
				return "", "", ctx.Err()
			}
			if p := find(ext); p != "" {
				return p, "", nil
			}
		}
		if in.offline {
			return "", "not in any module cache, and --offline forbids downloading", nil
		}
		if in.fetcher == nil {
			return "", "not in any module cache", nil
		}
		p, err := in.fetcher.Fetch(ctx, c.Module, ext)
		var ue *modproxy.UnavailableError
		if errors.As(err, &ue) {
			return "", ue.Reason, nil
		}
		return p, "", err
	}
	if c.GoMod != nil {
		p, skip, err := get("mod")
		if err != nil || skip != "" {
			return skip, err
		}
		c.ModFile = p
	}
	if c.Zip != nil {
		p, skip, err := get("zip")
		if err != nil || skip != "" {
			return skip, err
		}
		c.ZipFile = p
		// Only the user's module cache holds directories that builds
		// compile; modseal's own is the go command's scratch space. With
		// cache-tampered skipped (the pre-commit hook), no directory is
		// hashed at all: that is most of the work.
		if dirs && in.extracted != "" {
			d := filepath.Join(in.extracted, filepath.FromSlash(escPath)+"@"+escVer)
			if fi, err := os.Stat(d); err == nil && fi.IsDir() {
				c.Dir = d
			}
		}
	}
	return "", nil
}

// graphModules returns the module versions named in go mod graph lines,
// without the main module(s), sorted and unique.
func graphModules(edges []string) []module.Version {
	set := make(map[module.Version]bool)
	for _, e := range edges {
		for _, node := range strings.Fields(e) {
			p, v, ok := strings.Cut(node, "@")
			if ok && v != "" {
				set[module.Version{Path: p, Version: v}] = true
			}
		}
	}
	out := make([]module.Version, 0, len(set))
	for m := range set {
		out = append(out, m)
	}
	module.Sort(out)
	return out
}

// replaceFor applies the replace directives to m as the go command does: a
// replacement of the exact version wins over one of all versions. local
// reports a replacement by a directory, which has no hash.
func replaceFor(replaces []*modfile.Replace, m module.Version) (target module.Version, local bool) {
	var best *modfile.Replace
	for _, r := range replaces {
		if r.Old.Path != m.Path {
			continue
		}
		if r.Old.Version == m.Version || (r.Old.Version == "" && best == nil) {
			best = r
		}
	}
	if best == nil {
		return m, false
	}
	if modfile.IsDirectoryPath(best.New.Path) {
		return m, true
	}
	return best.New, false
}

func listSome(items []string, most int) string {
	s := strings.Join(items[:min(len(items), most)], ", ")
	if len(items) > most {
		s += fmt.Sprintf(" and %d more", len(items)-most)
	}
	return s
}
