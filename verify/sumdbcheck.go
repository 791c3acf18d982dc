package verify

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"golang.org/x/mod/module"
)

// A SumDBResult is the outcome of CheckSumDB.
type SumDBResult struct {
	Findings []Finding
	Private  []string // module@version lines not looked up (GONOSUMDB/GOPRIVATE)
	Lookups  int      // distinct module versions looked up
	Cache    string   // what went wrong with the cache, if anything: the check itself passed
}

// CheckSumDB looks up every h1 line of every go.sum file in the checksum
// database, jobs at a time, and reports sumdb-mismatch (go.sum disagrees
// with the database) and sumdb-missing (the database does not know the
// module version) at the go.sum line. Modules matching nosumdb
// (GONOSUMDB, which go env derives from GOPRIVATE) are never looked up.
// A *SecurityError, or any failure to reach the database, is returned as
// the error: a check that could not run is not a pass.
//
// Cached data is only a copy: a tile or record that does not hash to a
// signed tree head, or that does not even parse, is more likely a damaged
// cache than a misbehaving database. So any failure met with help from a
// cache, while the database answered every request, is checked again
// without any cache (the saved tree heads still count): if the database
// then behaves, the result stands, modseal's packs are replaced (the go
// command's cache, which modseal never writes, is left alone, and no
// longer consulted for what modseal's new pack holds), and Cache says so.
// A saved tree head that does not parse is replaced (modseal's) or ignored
// (the go command's), and Cache says so too. CheckSumDB closes c.
func CheckSumDB(ctx context.Context, c *SumDBClient, sums []*SumFile, nosumdb string, jobs int) (*SumDBResult, error) {
	res, err := checkSumDB(ctx, c, sums, nosumdb, jobs)
	if err != nil && c.cacheHits.Load() > 0 && !c.remoteFail.Load() && ctx.Err() == nil {
		fresh := &SumDBClient{
			DB: c.DB, GOPROXY: c.GOPROXY, CacheDir: c.CacheDir, GoConfig: c.GoConfig, Witnesses: c.Witnesses,
			HTTP: c.HTTP, Timeout: c.Timeout, Retries: c.Retries, noCacheRead: true,
		}
		res2, err2 := checkSumDB(ctx, fresh, sums, nosumdb, jobs)
		if err2 == nil {
			c.packs().remove()
			which := "modseal's cache"
			if c.goHits.Load() > 0 {
				which = "modseal's cache or the go command's (GOMODCACHE/cache/download/sumdb, which modseal never writes and from now on consults only for what its own cache lacks)"
			}
			res2.Cache = joinNotes(append(c.Notes(), fresh.Notes()...)...)
			res2.Cache = joinNotes(res2.Cache, fmt.Sprintf("a damaged cache: cached checksum database data in %s did not verify (%s): checked again without the caches, and modseal's cache was rebuilt", which, cause(err)))
			if cerr := fresh.Close(); cerr != nil {
				res2.Cache += "; saving it failed: " + cerr.Error()
			}
			return res2, nil
		}
		fresh.Close()
		var se *SecurityError
		if !errors.As(err, &se) {
			err = err2 // what the database says, not what the cache held
		}
	}
	// What the client verified is worth keeping even when the check
	// fails: the cache holds only authenticated tiles and records. A cache
	// that cannot be written costs the next run requests, not this result.
	cerr := c.Close()
	if err != nil {
		return nil, err
	}
	res.Cache = joinNotes(c.Notes()...)
	if cerr != nil {
		res.Cache = joinNotes(res.Cache, "modseal's checksum database cache could not be saved (the next run asks the database again): "+cerr.Error())
	}
	return res, nil
}

// cause is the first line of err, without the SecurityError preamble.
func cause(err error) string {
	msg := err.Error()
	var se *SecurityError
	if errors.As(err, &se) {
		msg = se.Msg
	}
	msg, _, _ = strings.Cut(msg, "\n")
	return msg
}

// joinNotes joins the non-empty notes with "; ".
func joinNotes(notes ...string) string {
	var out []string
	for _, n := range notes {
		if n != "" && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return strings.Join(out, "; ")
}

// checkSumDB is CheckSumDB with one client.
func checkSumDB(ctx context.Context, c *SumDBClient, sums []*SumFile, nosumdb string, jobs int) (*SumDBResult, error) {
	type key struct{ path, version string }
	lines := make(map[key][]SumLine)
	files := make(map[key][]string)
	var order []key
	res := &SumDBResult{}
	private := make(map[string]bool)
	for _, sf := range sums {
		for _, l := range sf.Lines {
			if !strings.HasPrefix(l.Hash, "h1:") {
				continue
			}
			if nosumdb != "" && module.MatchPrefixPatterns(nosumdb, l.Path) {
				private[l.Path+"@"+strings.TrimSuffix(l.Version, goModSuffix)] = true
				continue
			}
			k := key{l.Path, l.Version}
			if _, ok := lines[k]; !ok {
				order = append(order, k)
			}
			lines[k] = append(lines[k], l)
			files[k] = append(files[k], sf.Name)
		}
	}
	for m := range private {
		res.Private = append(res.Private, m)
	}

	type answer struct {
		lines []string
		found bool
		err   error
	}
	// One work item per module version, not per line: a module's zip line
	// and its /go.mod line share one database record, so two workers given
	// the pair would wait on the same request and halve the concurrency.
	groups := make(map[module.Version][]int)
	var groupOrder []module.Version
	for i, k := range order {
		mv := module.Version{Path: k.path, Version: strings.TrimSuffix(k.version, goModSuffix)}
		if _, ok := groups[mv]; !ok {
			groupOrder = append(groupOrder, mv)
		}
		groups[mv] = append(groups[mv], i)
	}
	answers := make([]answer, len(order))
	work := make(chan module.Version)
	var wg sync.WaitGroup
	for range max(jobs, 1) {
		wg.Go(func() {
			for mv := range work {
				for _, i := range groups[mv] {
					l, found, err := c.Lookup(order[i].path, order[i].version)
					answers[i] = answer{l, found, err}
				}
			}
		})
	}
	for _, mv := range groupOrder {
		if ctx.Err() != nil {
			break
		}
		work <- mv
	}
	close(work)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	res.Lookups = len(order)

	var firstErr error
	for i, a := range answers {
		k := order[i]
		if a.err != nil {
			var se *SecurityError
			if errors.As(a.err, &se) {
				return nil, se
			}
			if firstErr == nil {
				firstErr = a.err
			}
			continue
		}
		want := ""
		prefix := k.path + " " + k.version + " "
		for _, line := range a.lines {
			if h, ok := strings.CutPrefix(line, prefix); ok && strings.HasPrefix(h, "h1:") {
				want = h
			}
		}
		mod := strings.TrimSuffix(k.version, goModSuffix)
		what := "module zip"
		if strings.HasSuffix(k.version, goModSuffix) {
			what = "go.mod"
		}
		for j, l := range lines[k] {
			var fd Finding
			switch {
			case !a.found || want == "":
				fd = NewFinding(RuleSumDBMissing, files[k][j], l.Line,
					"%s@%s: the checksum database %s does not know this module version: it was never published, or its path or version is wrong",
					k.path, mod, c.DB.Name)
				fd.Got = l.Hash
			case want != l.Hash:
				fd = NewFinding(RuleSumDBMismatch, files[k][j], l.Line,
					"%s@%s: the %s hash in go.sum disagrees with the checksum database %s: someone changed go.sum, or the module was republished; do not build until you know which",
					k.path, mod, what, c.DB.Name)
				fd.Want, fd.Got = want, l.Hash
			default:
				continue
			}
			fd.Module, fd.Version = k.path, mod
			res.Findings = append(res.Findings, fd)
		}
	}
	if firstErr != nil {
		return nil, fmt.Errorf("checksum database %s: %v", c.DB.Name, firstErr)
	}
	if err := c.rewitness(); err != nil {
		return nil, err
	}
	return res, nil
}
