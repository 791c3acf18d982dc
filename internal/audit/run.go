package audit

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"golang.org/x/mod/module"

	"github.com/modseal/modseal/graph"
	"github.com/modseal/modseal/internal/modproxy"
	"github.com/modseal/modseal/verify"
)

// Run audits the module or workspace in opts.Dir, in three phases:
//
//  1. load: ask the go command for its environment, read and parse go.work,
//     go.mod and go.sum files once (load.go);
//  2. check: run the checks concurrently (hash, tidy, build list with
//     origin, graph, drift, sumdb); each returns its own result and none
//     waits for another's verdict. The hash check needs only go.sum, so it
//     runs whether or not the go command accepts the files;
//  3. conclude: the vendor check (with the zips the hash check verified),
//     then the classification of what the go command refused
//     (failures.go: a reason a rule names becomes a finding, and the audit
//     fails only on a reason no finding explains), triage (triage.go), and
//     the report's order.
//
// An error is an audit that could not be done: a directory that is no
// module, a go command that does not answer, a checksum database that
// cannot be reached, a failure no finding explains.
func Run(ctx context.Context, opts Options) (*verify.Report, error) {
	r, res, err := prepare(ctx, opts)
	if err != nil {
		return nil, err
	}
	c, err := r.check(ctx)
	if err != nil {
		return nil, err
	}
	res, err = r.conclude(res, c)
	if err != nil {
		return nil, err
	}
	r.explainMismatches(ctx, res)
	return res, nil
}

// run is one audit's inputs, fixed before any check starts: the checks
// only read it.
type run struct {
	opts      Options
	dir       string
	g         *graph.Command
	env       *graph.Env
	ld        *loaded
	committed *graph.Snapshot // nil if none is committed
	// checkpoints are the checksum database tree heads seen before that
	// the database's latest must be consistent with, by what names them.
	checkpoints map[string][]byte
	fetcher     *modproxy.Fetcher
}

// An outcome is what a check found: findings, what it left unchecked, and
// the go command's (or the network's) failures, which conclude classifies.
type outcome struct {
	findings []verify.Finding
	skipped  []verify.Skipped
	failures []failure
}

func (o *outcome) add(p outcome) {
	o.findings = append(o.findings, p.findings...)
	o.skipped = append(o.skipped, p.skipped...)
	o.failures = append(o.failures, p.failures...)
}

func (o *outcome) skip(check, reason string) {
	o.skipped = append(o.skipped, verify.Skipped{Check: check, Reason: reason})
}

func (o *outcome) fail(check string, err error) {
	o.failures = append(o.failures, failure{check, err})
}

// prepare is the load phase: the go command's environment, its settings'
// findings, and the module's files.
func prepare(ctx context.Context, opts Options) (*run, *verify.Report, error) {
	dir := opts.Dir
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, nil, err
	}
	if !fi.IsDir() {
		return nil, nil, fmt.Errorf("%s is not a directory", dir)
	}
	g := &graph.Command{Dir: dir, Environ: opts.Environ, Offline: opts.Offline, CacheDir: opts.CacheDir, GoBin: opts.GoBin}
	env, err := g.Env(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("cannot ask the go command about %s: %v", dir, err)
	}
	res := &verify.Report{Dir: dir}
	res.Findings, res.Skipped = settingsFindings(ctx, env, dir, opts.Environ)
	ld, fs, skipped, err := load(env, dir)
	if err != nil {
		return nil, nil, err
	}
	res.Findings = append(res.Findings, fs...)
	res.Skipped = append(res.Skipped, skipped...)
	if !opts.Skip[verify.RuleGoSumMissing] {
		res.Findings = append(res.Findings, missingGoModSums(dir, ld)...)
	}
	committed, err := readCommittedSnapshot(dir)
	if err != nil {
		return nil, nil, err
	}
	checkpoints, err := CommittedCheckpoint(dir)
	if err != nil {
		return nil, nil, err
	}
	if checkpoints == nil {
		checkpoints = make(map[string][]byte)
	}
	maps.Copy(checkpoints, opts.Checkpoints)
	var paths []string
	for _, m := range ld.mods {
		if m.mf != nil && m.mf.Module != nil {
			paths = append(paths, m.mf.Module.Mod.Path)
		}
	}
	res.Module = strings.Join(paths, ",")
	r := &run{opts: opts, dir: dir, g: g, env: env, ld: ld, committed: committed, checkpoints: checkpoints}
	r.fetcher = &modproxy.Fetcher{
		Proxy:   env.GOPROXY,
		NoProxy: env.GONOPROXY,
		Dir:     filepath.Join(opts.CacheDir, "download"),
		Client:  opts.HTTP,
	}
	return r, res, nil
}

// checked is what the check phase found. Each check's goroutine writes
// only its own field; conclude reads them once all are done.
type checked struct {
	early outcome // decided before any check ran: what is not checked, and why

	hash struct {
		out      outcome
		verified map[module.Version]bool
		zips     map[module.Version]string
		err      error
	}
	tidy *outcome // nil if go mod tidy was not asked

	list   []graph.Module // the build list, nil if not computed
	listOK bool
	origin outcome // the build list's failure, then the origin check's

	graphDigest string
	graph       outcome // the module graph's failure

	drift outcome

	sumdb struct {
		out        outcome
		checkpoint string
		security   *verify.SecurityError
		asked      bool // the checksum database answered for every public line
	}
}

// check is the check phase: every check that is not skipped, at once.
func (r *run) check(ctx context.Context) (*checked, error) {
	opts, skip := r.opts, r.opts.Skip
	c := &checked{}
	var wg sync.WaitGroup

	// The hash check: every module version go.sum has an h1 line for.
	hin, hashing, err := r.hashInputs(ctx, &c.early)
	if err != nil {
		return nil, err
	}
	if hashing {
		wg.Go(func() {
			h := &c.hash
			h.out.findings, h.out.skipped, h.verified, h.zips, h.err = checkHashes(ctx, hin, opts)
		})
	}

	// The go command's answers.
	tidy := !allSkipped(skip, checkTidy)
	if tidy && r.ld.refused != "" {
		tidy = false
		c.early.skip("tidy", r.ld.refused+" was refused unread, so go mod tidy was not asked about it")
	}
	if tidy {
		c.tidy = new(outcome)
		wg.Go(func() { *c.tidy = runTidy(ctx, r.g, r.dir, r.ld) })
	}
	origin := !allSkipped(skip, checkOrigin)
	if origin && opts.Offline {
		c.early.skip("origin", "--offline: retractions, deprecations and pseudo-version origins were not checked")
	}
	// The build list feeds the report's module count, the vendor check's
	// selected versions and the origin check; the pre-commit hook, which
	// skips every check that needs it, does without.
	vendoring := !allSkipped(skip, checkVendor) && hasVendor(r.dir, r.ld.work, r.ld.mods)
	drift := r.committed != nil && !allSkipped(skip, checkDrift)
	if hashing || vendoring || drift || (origin && !opts.Offline) || !allSkipped(skip, checkTidy) {
		wg.Go(func() {
			l, err := r.g.BuildList(ctx)
			if err != nil {
				c.origin.fail("build-list", err)
				return
			}
			c.list, c.listOK = l, true
			if origin && !opts.Offline {
				fs, skipped, err := originCheck(ctx, r.fetcher, l, r.ld.requires, opts)
				if err != nil {
					c.origin.fail("origin", err)
					return
				}
				c.origin.findings, c.origin.skipped = fs, skipped
			}
		})
		wg.Go(func() {
			edges, err := r.g.Edges(ctx)
			if err != nil {
				c.graph.fail("graph", err)
				return
			}
			c.graphDigest = graph.Digest(edges)
		})
	} else {
		c.early.skip("build-list,graph", "not computed: no check that needs them ran (--skip)")
	}
	if drift {
		wg.Go(func() {
			fs, err := snapshotDrift(ctx, r.g, r.committed, opts.Jobs, r.ld)
			if err != nil {
				c.drift.fail("drift", err)
				return
			}
			c.drift.findings = fs
		})
	}
	if !allSkipped(skip, checkSumDB) {
		wg.Go(func() {
			s := &c.sumdb
			fs, skipped, checkpoint, err := sumdbCheck(ctx, r.env, r.ld.sums, r.checkpoints, opts)
			s.out.findings, s.out.skipped, s.checkpoint = fs, skipped, checkpoint
			var se *verify.SecurityError
			switch {
			case errors.As(err, &se):
				s.security = se
			case err != nil:
				s.out.fail("sumdb", &networkError{err})
			default:
				s.asked = !opts.Offline && r.env.GOSUMDB != "off"
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if c.sumdb.security != nil {
		return nil, c.sumdb.security
	}
	if c.hash.err != nil {
		return nil, fmt.Errorf("hash check: %v", c.hash.err)
	}
	if distrust := tamperedVersions(c.hash.out.findings); c.tidy != nil && len(distrust) > 0 && r.env.GOMODCACHE != "" {
		// go mod tidy read the module directories through modseal's links
		// while the hash check found some of them altered: its answer is
		// asked again with those modules fetched afresh and checked against
		// go.sum, and without the go command's module index of them.
		g := &graph.Command{Dir: r.dir, Environ: opts.Environ, Offline: opts.Offline, CacheDir: opts.CacheDir, GoBin: opts.GoBin, Distrust: distrust}
		*c.tidy = runTidy(ctx, g, r.dir, r.ld)
	}
	return c, nil
}

// hashInputs says whether the hash check runs, and what it reads: with
// --changed, only the go.sum lines that differ from the revision's.
func (r *run) hashInputs(ctx context.Context, early *outcome) (hashInputs, bool, error) {
	opts := r.opts
	hin := hashInputs{sums: r.ld.sums, offline: opts.Offline, fetcher: r.fetcher, own: r.fetcher.Dir}
	if allSkipped(opts.Skip, checkHash) {
		return hin, false, nil
	}
	if opts.ChangedSince != "" {
		unchanged, err := sumLinesAt(ctx, r.dir, opts.ChangedSince, r.ld.sums)
		if err != nil {
			return hin, false, err
		}
		hin.unchanged = unchanged
		if unchanged != nil && changedLines(r.ld.sums, unchanged) == 0 {
			// The usual commit: go.sum is as at REV, so no module needs
			// re-verifying.
			early.skip("hash", fmt.Sprintf("no go.sum line differs from %s (--changed): no module to re-verify", opts.ChangedSince))
			return hin, false, nil
		}
	}
	if r.env.GOMODCACHE != "" {
		hin.extracted = r.env.GOMODCACHE
		hin.downloads = append(hin.downloads, filepath.Join(r.env.GOMODCACHE, "cache", "download"))
	}
	hin.downloads = append(hin.downloads, filepath.Join(opts.CacheDir, "mod", "cache", "download"), r.fetcher.Dir)
	return hin, true, nil
}

// conclude is the last phase: the vendor check, then the findings and
// failures of every check, classified and triaged, in the report's order.
func (r *run) conclude(res *verify.Report, c *checked) (*verify.Report, error) {
	skip := r.opts.Skip
	var all outcome
	// The order is that in which failures are classified: a checksum
	// database that cannot be reached first, as it says what to do
	// (--offline), then the checks that depend on the go command.
	all.add(c.early)
	all.add(c.sumdb.out)
	all.add(c.hash.out)
	all.add(c.origin)
	all.add(c.graph)
	all.add(c.drift)
	if c.tidy != nil {
		all.add(*c.tidy)
	}
	res.GraphDigest = c.graphDigest
	res.Checkpoint = c.sumdb.checkpoint

	// The vendor check needs neither the network nor the graph: it runs
	// last, with the zips the hash check verified and, when the go command
	// gave it, the selected build list.
	if !allSkipped(skip, checkVendor) {
		vin := vendorInputs{dir: r.dir, work: r.ld.work, mods: r.ld.mods, zips: c.hash.zips, sums: r.ld.sums}
		if c.listOK {
			vin.selected = selectedVersions(c.list)
		}
		fs, skipped, err := checkVendors(vin)
		if err != nil {
			return nil, err
		}
		all.findings = append(all.findings, fs...)
		all.skipped = append(all.skipped, skipped...)
	}
	if c.listOK {
		res.Modules, res.Verified = countModules(c.list, c.hash.verified)
	} else {
		res.Verified = len(c.hash.verified)
	}

	fs := append(res.Findings, all.findings...)
	disputed := make(map[fileLine]bool) // go.sum lines the database disagrees with
	for _, f := range fs {
		if f.Rule == verify.RuleSumDBMismatch || f.Rule == verify.RuleSumDBMissing {
			disputed[fileLine{f.File, f.Line}] = true
		}
	}
	fs = slices.DeleteFunc(fs, func(f verify.Finding) bool { return skip[f.Rule] })
	fs = dropRepeatedMissing(fs)
	fs = triage(fs, func(f verify.Finding) bool {
		return c.sumdb.asked && !disputed[fileLine{f.File, f.Line}] && !module.MatchPrefixPatterns(r.env.GONOSUMDB, f.Module)
	})
	added, skipped, err := classifyFailures(all.failures, fs, skip, r.ld.sums, r.ld.requires)
	if err != nil {
		return nil, err
	}
	fs = dropRepeatedMissing(append(fs, added...))
	fs = dropRedundantUnused(fs)
	fs = slices.DeleteFunc(fs, func(f verify.Finding) bool { return skip[f.Rule] })
	verify.Sort(fs)
	res.Findings = fs
	res.Skipped = append(append(res.Skipped, all.skipped...), skipped...)
	slices.SortFunc(res.Skipped, func(a, b verify.Skipped) int { return strings.Compare(a.Check, b.Check) })
	return res, nil
}

// fileLine is a line of a file of the audit, the key of findings about the
// same go.sum line.
type fileLine struct {
	file string
	line int
}
