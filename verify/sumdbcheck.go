package verify

import (
	"context"
	"errors"
	"fmt"
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
// Cached data that does not hash to a signed tree head is more likely a
// damaged cache than a misbehaving database, so a SecurityError met with
// help from a cache is checked again without any cache (the saved tree
// head still counts): if the database then behaves, the result stands,
// modseal's packs are replaced, and Cache says so. CheckSumDB closes c.
func CheckSumDB(ctx context.Context, c *SumDBClient, sums []*SumFile, nosumdb string, jobs int) (*SumDBResult, error) {
	res, err := checkSumDB(ctx, c, sums, nosumdb, jobs)
	var se *SecurityError
	if errors.As(err, &se) && c.cacheHits.Load() > 0 && ctx.Err() == nil {
		fresh := &SumDBClient{
			DB: c.DB, GOPROXY: c.GOPROXY, CacheDir: c.CacheDir, GoConfig: c.GoConfig,
			HTTP: c.HTTP, Timeout: c.Timeout, Retries: c.Retries, noCacheRead: true,
		}
		res2, err2 := checkSumDB(ctx, fresh, sums, nosumdb, jobs)
		if err2 == nil {
			c.packs().remove()
			res2.Cache = "a cached tile or record did not match the database's signed tree (a damaged cache): checked again without the caches, and modseal's cache was rebuilt"
			if cerr := fresh.Close(); cerr != nil {
				res2.Cache += "; saving it failed: " + cerr.Error()
			}
			return res2, nil
		}
		fresh.Close()
	}
	// What the client verified is worth keeping even when the check
	// fails: the cache holds only authenticated tiles and records. A cache
	// that cannot be written costs the next run requests, not this result.
	cerr := c.Close()
	if err != nil {
		return nil, err
	}
	if cerr != nil {
		res.Cache = "modseal's checksum database cache could not be saved (the next run asks the database again): " + cerr.Error()
	}
	return res, nil
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
	witness := -1
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
		if witness < 0 && a.found {
			witness = i
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
	if witness >= 0 {
		if err := c.WitnessGo(order[witness].path, order[witness].version); err != nil {
			return nil, err
		}
	}
	return res, nil
}
