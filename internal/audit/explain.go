package audit

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"golang.org/x/mod/module"
	"golang.org/x/sync/errgroup"

	"github.com/modseal/modseal/internal/explain"
	"github.com/modseal/modseal/internal/sumdbops"
	"github.com/modseal/modseal/verify"
)

// Bounds on the explanations an audit adds: modseal explain asks every
// proxy for each module version, so an audit explains only a few, within
// a short time, and does not download zips larger than explainMaxZip.
const (
	explainMaxModules = 10
	explainTimeout    = 30 * time.Second
	explainMaxZip     = 32 << 20
	explainJobs       = 4
)

// explainMismatches adds to each hash-mismatch and sumdb-mismatch finding
// of res the one-line verdict of modseal explain for its module version
// (" — explain: go.sum was edited: ..."). At most explainMaxModules module
// versions are explained, within explainTimeout; with --offline only the
// local views are read. An explanation that fails, or finds every view
// consistent, adds nothing: explaining never changes the audit's findings
// otherwise, nor its verdict.
func (r *run) explainMismatches(ctx context.Context, res *verify.Report) {
	var mods []module.Version
	byMod := make(map[module.Version][]int)
	for i, f := range res.Findings {
		if (f.Rule != verify.RuleHashMismatch && f.Rule != verify.RuleSumDBMismatch) || f.Module == "" || f.Version == "" {
			continue
		}
		m := module.Version{Path: f.Module, Version: f.Version}
		if module.Check(m.Path, m.Version) != nil || module.CanonicalVersion(m.Version) != m.Version {
			continue
		}
		if _, ok := byMod[m]; !ok {
			mods = append(mods, m)
		}
		byMod[m] = append(byMod[m], i)
	}
	if len(mods) == 0 {
		return
	}
	if len(mods) > explainMaxModules {
		var left []string
		for _, m := range mods[explainMaxModules:] {
			left = append(left, m.String())
		}
		res.Skipped = append(res.Skipped, verify.Skipped{Check: "explain", Reason: fmt.Sprintf("%d module version(s) with mismatching hashes not explained (at most %d are): run modseal explain for %s", len(left), explainMaxModules, listSome(left, 5))})
		slices.SortFunc(res.Skipped, func(a, b verify.Skipped) int { return strings.Compare(a.Check, b.Check) })
		mods = mods[:explainMaxModules]
	}
	ctx, cancel := context.WithTimeout(ctx, explainTimeout)
	defer cancel()

	// One checksum database client for every explanation, closed (its
	// cache saved) once.
	var newClient func(*verify.SumDB) explain.SumDBClient
	if !r.opts.Offline {
		if db, err := verify.ParseGOSUMDB(r.env.GOSUMDB); err == nil && db != nil {
			client := NewSumDBClient(db, r.env, r.opts.CacheDir, r.opts.HTTP)
			defer client.Close()
			newClient = func(*verify.SumDB) explain.SumDBClient { return sharedLookup{client} }
		}
	}

	summaries := make([]string, len(mods))
	var g errgroup.Group
	g.SetLimit(explainJobs)
	for i, m := range mods {
		g.Go(func() error {
			// An explanation is an aid: not even a bug in it may change
			// the audit.
			defer func() { recover() }()
			out, err := explain.Run(ctx, explain.Options{
				Module:     m,
				Dir:        r.dir,
				Sums:       r.ld.sums,
				Env:        r.env,
				CacheDir:   r.opts.CacheDir,
				Offline:    r.opts.Offline,
				HTTP:       r.opts.HTTP,
				SumDB:      newClient,
				MaxZipSize: explainMaxZip,
				GitTimeout: 5 * time.Second,
				Timeout:    10 * time.Second,
			})
			if err == nil && ctx.Err() == nil && !out.Consistent {
				summaries[i] = out.Verdict.Summary
			}
			return nil
		})
	}
	g.Wait()
	for i, m := range mods {
		if summaries[i] == "" {
			continue
		}
		for _, j := range byMod[m] {
			res.Findings[j].Message += " — explain: " + summaries[i]
		}
	}
}

// sharedLookup is the audit's one checksum database client as explain
// sees it: explain does not close it (the audit does, once).
type sharedLookup struct{ c *sumdbops.Client }

func (s sharedLookup) Lookup(path, version string) ([]string, error) {
	return s.c.Lookup(path, version)
}

func (s sharedLookup) Checkpoint() []byte { return s.c.Checkpoint() }
