package verify

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"sync"

	"golang.org/x/mod/module"
)

// A SumDBResult is the outcome of SumDB.Check.
type SumDBResult struct {
	Findings []Finding
	Private  []string // module@version lines not looked up (GONOSUMDB/GOPRIVATE)
	Lookups  int      // distinct module versions looked up
	Cache    string   // what went wrong with the lookups' cache, if anything: the check itself passed (a caching client sets it)
}

// Check looks up every h1 line of every go.sum file in the checksum
// database db through c, jobs at a time, and reports sumdb-mismatch
// (go.sum disagrees with the database) and sumdb-missing (the database
// does not know the module version) at the go.sum line. Modules matching
// nosumdb (GONOSUMDB, which go env derives from GOPRIVATE) are never
// looked up. A *SecurityError, or any other failure of a lookup, is
// returned as the error: a check that could not run is not a pass.
func (db *SumDB) Check(ctx context.Context, c SumDBLookup, sums []*SumFile, nosumdb string, jobs int) (*SumDBResult, error) {
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
					l, err := c.Lookup(order[i].path, order[i].version)
					answers[i] = answer{l, err}
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
		found := a.err == nil
		if a.err != nil && !errors.Is(a.err, fs.ErrNotExist) {
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
			case !found || want == "":
				fd = NewFinding(RuleSumDBMissing, files[k][j], l.Line,
					"%s@%s: the checksum database %s does not know this module version: it was never published, or its path or version is wrong",
					k.path, mod, db.Name)
				fd.Got = l.Hash
			case want != l.Hash:
				fd = NewFinding(RuleSumDBMismatch, files[k][j], l.Line,
					"%s@%s: the %s hash in go.sum disagrees with the checksum database %s: someone changed go.sum, or the module was republished; do not build until you know which",
					k.path, mod, what, db.Name)
				fd.Want, fd.Got = want, l.Hash
			default:
				continue
			}
			fd.Module, fd.Version = k.path, mod
			res.Findings = append(res.Findings, fd)
		}
	}
	if firstErr != nil {
		return nil, fmt.Errorf("checksum database %s: %v", db.Name, firstErr)
	}
	return res, nil
}
