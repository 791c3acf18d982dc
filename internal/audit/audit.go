// Package audit runs every modseal check on a module or workspace and
// collects the findings into one result.
package audit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"

	"github.com/modseal/modseal/graph"
	"github.com/modseal/modseal/internal/modproxy"
	"github.com/modseal/modseal/verify"
)

// Options configure an audit.
type Options struct {
	Dir      string   // module or workspace directory
	Environ  []string // environment for the go command
	Offline  bool
	CacheDir string
	GoBin    string
	Skip     map[string]bool // rule ids to leave out
	Jobs     int             // parallel hashing (at least 1)
	NoCache  bool            // inflate every zip instead of trusting the verification cache
	HTTP     *http.Client    // for the checksum database and the module proxy; nil: modproxy.DefaultClient
	// ChangedSince, a git revision, limits hash verification to the modules
	// whose go.sum (go.work.sum) lines differ from the files at that
	// revision: what a commit can have tampered with. The others are listed
	// as skipped. "" verifies every module.
	ChangedSince string
	// Progress, if set, is called as module hashes are checked.
	Progress func(done, total int, bytes int64)
}

// An OpError is an operational failure: the audit could not be done.
type OpError struct{ Err error }

func (e *OpError) Error() string { return e.Err.Error() }
func (e *OpError) Unwrap() error { return e.Err }

// Checks that the go command answers, with the rules they report.
var (
	checkTidy   = []string{verify.RuleGoSumMissing, verify.RuleGoSumUnused}
	checkHash   = []string{verify.RuleHashMismatch, verify.RuleCacheTampered, verify.RuleIncompatibleWithGoMod}
	checkSumDB  = []string{verify.RuleSumDBMismatch, verify.RuleSumDBMissing}
	checkVendor = []string{verify.RuleVendorInconsistent, verify.RuleVendorTampered}
)

// checkRules names the rules of each check that needs the network.
var checkRules = map[string][]string{"sumdb": checkSumDB, "origin": checkOrigin}

// A networkError is a required service (checksum database, module proxy)
// that could not be reached or answered wrongly.
type networkError struct{ err error }

func (e *networkError) Error() string { return e.err.Error() }
func (e *networkError) Unwrap() error { return e.err }

// moduleFiles is one module of the audit: its directory relative to Dir.
type moduleFiles struct {
	rel      string // "." or a slash path relative to Dir
	use      string // in a workspace, the path relative to go.work's directory
	sumLines int
	mf       *modfile.File // nil if go.mod does not parse
}

// workspace is the go.work of a workspace audit.
type workspace struct {
	rel  string // go.work's directory, "." or a slash path relative to Dir
	name string // go.work's file name
	wf   *modfile.WorkFile
}

// loaded is what an audit reads of the module or workspace before any
// check: go.work, every go.mod and go.sum, parsed once.
type loaded struct {
	// refused names a go.sum-format file too large to read: the go
	// command's output about it would be as large, so tidy is not asked.
	refused  string
	work     *workspace // nil outside a workspace
	mods     []moduleFiles
	sums     []*verify.SumFile // go.sum and go.work.sum files
	requires map[string]requireLoc
}

// load reads and parses the files of the module or workspace in dir, adding
// their syntax findings to res.
func load(g *graph.Command, env *graph.Env, dir string, res *verify.Report) (*loaded, error) {
	ld := &loaded{requires: make(map[string]requireLoc)}
	if env.GOWORK != "" && env.GOWORK != "off" {
		rel := g.Rel(filepath.Dir(env.GOWORK))
		data, err := verify.ReadFileLimited(env.GOWORK, verify.MaxSumFileSize)
		if err != nil {
			return nil, &OpError{err}
		}
		name := joinRel(rel, filepath.Base(env.GOWORK))
		wf, fs := verify.CheckWorkFile(name, data)
		res.Findings = append(res.Findings, fs...)
		if wf == nil {
			res.Skipped = append(res.Skipped, verify.Skipped{Check: "workspace", Reason: name + " does not parse, so its modules were not checked"})
		} else {
			ld.work = &workspace{rel: rel, name: filepath.Base(env.GOWORK), wf: wf}
			var useDirs []string
			for _, u := range wf.Use {
				r := joinRel(rel, filepath.ToSlash(u.Path))
				use := filepath.ToSlash(u.Path)
				abs := filepath.Join(filepath.Dir(env.GOWORK), u.Path)
				if filepath.IsAbs(u.Path) {
					abs = u.Path
					r = g.Rel(u.Path)
					if p, err := filepath.Rel(filepath.Dir(env.GOWORK), u.Path); err == nil {
						use = filepath.ToSlash(p)
					}
				}
				useDirs = append(useDirs, abs)
				ld.mods = append(ld.mods, moduleFiles{rel: r, use: use})
			}
			if err := checkInWorkspace(dir, env.GOWORK, useDirs); err != nil {
				return nil, &OpError{err}
			}
		}
		if _, err := readSum(res, ld, dir, joinRel(rel, "go.work.sum")); err != nil {
			return nil, err
		}
	} else {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil, &OpError{fmt.Errorf("%s has no go.mod: it is not a Go module (run modseal in a module directory, or go mod init first)", dir)}
			}
			return nil, &OpError{err}
		}
		ld.mods = append(ld.mods, moduleFiles{rel: "."})
	}
	for i := range ld.mods {
		m := &ld.mods[i]
		name := joinRel(m.rel, "go.mod")
		data, err := verify.ReadFileLimited(filepath.Join(dir, filepath.FromSlash(name)), verify.MaxSumFileSize)
		if errors.Is(err, fs.ErrNotExist) && ld.work != nil {
			return nil, &OpError{fmt.Errorf("%s uses %s, which has no go.mod: the go command cannot load this workspace either "+
				"(\"cannot load module %s listed in go.work file\"); fix %s, or audit the module on its own with GOWORK=off",
				joinRel(ld.work.rel, ld.work.name), m.use, m.use, joinRel(ld.work.rel, ld.work.name))}
		}
		if err != nil {
			return nil, &OpError{err}
		}
		mf, fs := verify.CheckModFile(name, data)
		res.Findings = append(res.Findings, fs...)
		m.mf = mf
		if mf != nil && mf.Module != nil {
			for _, r := range mf.Require {
				if _, ok := ld.requires[r.Mod.Path]; !ok {
					ld.requires[r.Mod.Path] = requireLoc{name, lineOf(r.Syntax)}
				}
			}
		}
		if m.sumLines, err = readSum(res, ld, dir, joinRel(m.rel, "go.sum")); err != nil {
			return nil, err
		}
	}
	return ld, nil
}

// checkInWorkspace refuses, as the go command does, a directory inside a
// module that go.work does not use: the go command would not build it, and
// auditing the workspace instead would read none of that module's files.
func checkInWorkspace(dir, gowork string, useDirs []string) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	top := filepath.Dir(gowork)
	for d := abs; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			for _, u := range useDirs {
				if ua, err := filepath.Abs(u); err == nil && ua == d {
					return nil
				}
			}
			return fmt.Errorf("%s is inside the module at %s, which %s does not use: the go command refuses to build there "+
				"(\"current directory is contained in a module that is not one of the workspace modules listed in go.work\"); "+
				"add it with go work use, or audit it on its own with GOWORK=off", dir, d, gowork)
		}
		if d == top || d == filepath.Dir(d) {
			return nil // in the workspace, outside any module: the go command accepts that
		}
	}
}

// Run audits the module or workspace in opts.Dir.
//
// The checks run concurrently; none waits for another's verdict. The hash
// check needs only go.sum, so it starts at once and runs whether or not the
// go command accepts the files. The go command's answers (tidy, the build
// list, the graph) feed gosum-missing and gosum-unused, the advisory checks
// and the report; when it refuses, its reasons become findings where a rule
// names them (failures.go), and the audit fails only on a reason no finding
// explains.
func Run(ctx context.Context, opts Options) (*verify.Report, error) {
	dir := opts.Dir
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, &OpError{fmt.Errorf("%v", err)}
	}
	if !fi.IsDir() {
		return nil, &OpError{fmt.Errorf("%s is not a directory", dir)}
	}
	g := &graph.Command{Dir: dir, Environ: opts.Environ, Offline: opts.Offline, CacheDir: opts.CacheDir, GoBin: opts.GoBin}
	env, err := g.Env(ctx)
	if err != nil {
		return nil, &OpError{fmt.Errorf("cannot ask the go command about %s: %v", dir, err)}
	}
	res := &verify.Report{Dir: dir}
	res.Findings = append(res.Findings, verify.CheckSettings(verify.Settings{
		GOSUMDB: env.GOSUMDB, GONOSUMDB: env.GONOSUMDB, GOPRIVATE: env.GOPRIVATE,
		GOINSECURE: env.GOINSECURE, GOFLAGS: env.GOFLAGS,
	})...)
	ld, err := load(g, env, dir, res)
	if err != nil {
		return nil, err
	}
	if !opts.Skip[verify.RuleGoSumMissing] {
		res.Findings = append(res.Findings, missingGoModSums(dir, ld)...)
	}
	committed, err := readCommittedSnapshot(dir)
	if err != nil {
		return nil, &OpError{err}
	}
	var paths []string
	for _, m := range ld.mods {
		if m.mf != nil && m.mf.Module != nil {
			paths = append(paths, m.mf.Module.Mod.Path)
		}
	}
	res.Module = strings.Join(paths, ",")
	fetcher := &modproxy.Fetcher{
		Proxy:   env.GOPROXY,
		NoProxy: env.GONOPROXY,
		Dir:     filepath.Join(opts.CacheDir, "download"),
		Client:  opts.HTTP,
	}

	var (
		mu          sync.Mutex
		wg          sync.WaitGroup
		failures    []failure
		securityErr *verify.SecurityError
		list        []graph.Module // the build list, nil if not computed
		listOK      bool
		verifiedMVs map[module.Version]bool
		zips        map[module.Version]string
		hashErr     error
		sumdbAsked  bool // the checksum database answered for every public line
	)
	fail := func(check string, err error) {
		mu.Lock()
		failures = append(failures, failure{check, err})
		mu.Unlock()
	}
	addFindings := func(fs []verify.Finding, skipped ...verify.Skipped) {
		mu.Lock()
		res.Findings = append(res.Findings, fs...)
		res.Skipped = append(res.Skipped, skipped...)
		mu.Unlock()
	}

	// The hash check: every module version go.sum has an h1 line for.
	hashing := !allSkipped(opts.Skip, checkHash)
	hin := hashInputs{sums: ld.sums, offline: opts.Offline, fetcher: fetcher, own: fetcher.Dir}
	if hashing && opts.ChangedSince != "" {
		unchanged, err := sumLinesAt(ctx, dir, opts.ChangedSince, ld.sums)
		if err != nil {
			return nil, &OpError{err}
		}
		hin.unchanged = unchanged
		if unchanged != nil && changedLines(ld.sums, unchanged) == 0 {
			// The usual commit: go.sum is as at REV, so no module needs
			// re-verifying.
			hashing = false
			res.Skipped = append(res.Skipped, verify.Skipped{Check: "hash", Reason: fmt.Sprintf("no go.sum line differs from %s (--changed): no module to re-verify", opts.ChangedSince)})
		}
	}
	if hashing {
		if env.GOMODCACHE != "" {
			hin.extracted = env.GOMODCACHE
			hin.downloads = append(hin.downloads, filepath.Join(env.GOMODCACHE, "cache", "download"))
		}
		hin.downloads = append(hin.downloads, filepath.Join(opts.CacheDir, "mod", "cache", "download"), fetcher.Dir)
		wg.Go(func() {
			fs, skipped, verified, z, err := checkHashes(ctx, hin, opts)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				hashErr = err
				return
			}
			res.Findings = append(res.Findings, fs...)
			res.Skipped = append(res.Skipped, skipped...)
			verifiedMVs, zips = verified, z
		})
	}

	// The go command's answers.
	tidy := !allSkipped(opts.Skip, checkTidy)
	if tidy && ld.refused != "" {
		tidy = false
		addFindings(nil, verify.Skipped{Check: "tidy", Reason: ld.refused + " was refused unread, so go mod tidy was not asked about it"})
	}
	var tidied *tidyResult
	if tidy {
		tidied = startTidy(ctx, g, dir, ld, &wg)
	}
	origin := !allSkipped(opts.Skip, checkOrigin)
	if origin && opts.Offline {
		addFindings(nil, verify.Skipped{Check: "origin", Reason: "--offline: retractions, deprecations and pseudo-version origins were not checked"})
	}
	// The build list feeds the report's module count, the vendor check's
	// selected versions and the origin check; the pre-commit hook, which
	// skips every check that needs it, does without.
	vendoring := !allSkipped(opts.Skip, checkVendor) && hasVendor(dir, ld.work, ld.mods)
	drift := committed != nil && !allSkipped(opts.Skip, checkDrift)
	if hashing || vendoring || drift || (origin && !opts.Offline) || !allSkipped(opts.Skip, checkTidy) {
		wg.Go(func() {
			l, err := g.BuildList(ctx)
			if err != nil {
				fail("build-list", err)
				return
			}
			mu.Lock()
			list, listOK = l, true
			mu.Unlock()
			if origin && !opts.Offline {
				fs, skipped, err := originCheck(ctx, fetcher, l, ld.requires, opts)
				if err != nil {
					fail("origin", err)
					return
				}
				addFindings(fs, skipped...)
			}
		})
		wg.Go(func() {
			edges, err := g.Edges(ctx)
			if err != nil {
				fail("graph", err)
				return
			}
			mu.Lock()
			res.GraphDigest = graph.Digest(edges)
			mu.Unlock()
		})
	} else {
		addFindings(nil, verify.Skipped{Check: "build-list,graph", Reason: "not computed: no check that needs them ran (--skip)"})
	}
	if drift {
		wg.Go(func() {
			fs, err := snapshotDrift(ctx, g, committed, opts.Jobs)
			if err != nil {
				fail("drift", err)
				return
			}
			addFindings(fs)
		})
	}
	if !allSkipped(opts.Skip, checkSumDB) {
		wg.Go(func() {
			fs, skipped, checkpoint, err := sumdbCheck(ctx, env, ld.sums, opts)
			mu.Lock()
			defer mu.Unlock()
			res.Checkpoint = checkpoint
			var se *verify.SecurityError
			switch {
			case errors.As(err, &se):
				securityErr = se
			case err != nil:
				failures = append(failures, failure{"sumdb", &networkError{err}})
			default:
				sumdbAsked = !opts.Offline && env.GOSUMDB != "off"
			}
			res.Findings = append(res.Findings, fs...)
			res.Skipped = append(res.Skipped, skipped...)
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, &OpError{err}
	}
	if distrust := tamperedVersions(res.Findings); tidied != nil && len(distrust) > 0 && env.GOMODCACHE != "" {
		// go mod tidy read the module directories through modseal's links
		// while the hash check found some of them altered: its answer is
		// asked again with those modules fetched afresh and checked against
		// go.sum, and without the go command's module index of them.
		g2 := &graph.Command{Dir: dir, Environ: opts.Environ, Offline: opts.Offline, CacheDir: opts.CacheDir, GoBin: opts.GoBin, Distrust: distrust}
		var wg2 sync.WaitGroup
		tidied = startTidy(ctx, g2, dir, ld, &wg2)
		wg2.Wait()
	}
	if tidied != nil {
		res.Findings = append(res.Findings, tidied.findings...)
		res.Skipped = append(res.Skipped, tidied.skipped...)
		failures = append(failures, tidied.failures...)
	}
	if securityErr != nil {
		return nil, securityErr
	}
	if hashErr != nil {
		return nil, &OpError{fmt.Errorf("hash check: %v", hashErr)}
	}

	// The vendor check needs neither the network nor the graph: it runs
	// last, with the zips the hash check verified and, when the go command
	// gave it, the selected build list.
	if !allSkipped(opts.Skip, checkVendor) {
		vin := vendorInputs{dir: dir, work: ld.work, mods: ld.mods, zips: zips, sums: ld.sums}
		if listOK {
			vin.selected = selectedVersions(list)
		}
		fs, skipped, err := checkVendors(vin)
		if err != nil {
			return nil, &OpError{err}
		}
		res.Findings = append(res.Findings, fs...)
		res.Skipped = append(res.Skipped, skipped...)
	}
	if listOK {
		res.Modules, res.Verified = countModules(list, verifiedMVs)
	} else {
		res.Verified = len(verifiedMVs)
	}

	type loc struct {
		file string
		line int
	}
	disputed := make(map[loc]bool) // go.sum lines the database disagrees with
	for _, f := range res.Findings {
		if f.Rule == verify.RuleSumDBMismatch || f.Rule == verify.RuleSumDBMissing {
			disputed[loc{f.File, f.Line}] = true
		}
	}
	res.Findings = slices.DeleteFunc(res.Findings, func(f verify.Finding) bool { return opts.Skip[f.Rule] })
	res.Findings = dropRepeatedMissing(res.Findings)
	res.Findings = triage(res.Findings, func(f verify.Finding) bool {
		return sumdbAsked && !disputed[loc{f.File, f.Line}] && !module.MatchPrefixPatterns(env.GONOSUMDB, f.Module)
	})
	fs, skipped, err := classifyFailures(failures, res.Findings, opts.Skip, ld.sums, ld.requires)
	if err != nil {
		return nil, &OpError{err}
	}
	res.Findings = dropRepeatedMissing(append(res.Findings, fs...))
	res.Skipped = append(res.Skipped, skipped...)
	res.Findings = dropRedundantUnused(res.Findings)
	res.Findings = slices.DeleteFunc(res.Findings, func(f verify.Finding) bool { return opts.Skip[f.Rule] })
	verify.Sort(res.Findings)
	slices.SortFunc(res.Skipped, func(a, b verify.Skipped) int { return strings.Compare(a.Check, b.Check) })
	return res, nil
}

// selectedVersions maps each module path of the build list to its selected
// version.
func selectedVersions(list []graph.Module) map[string]string {
	sel := make(map[string]string, len(list))
	for _, m := range list {
		if !m.Main {
			sel[m.Path] = m.Version
		}
	}
	return sel
}

// countModules counts the build list's modules (main modules excluded) and
// those of them whose files, or whose replacement's, matched go.sum.
func countModules(list []graph.Module, verified map[module.Version]bool) (modules, hashed int) {
	for _, m := range list {
		if m.Main {
			continue
		}
		modules++
		mv := module.Version{Path: m.Path, Version: m.Version}
		if m.Replace != nil {
			mv = module.Version{Path: m.Replace.Path, Version: m.Replace.Version}
		}
		if verified[mv] {
			hashed++
		}
	}
	return modules, hashed
}

// readSum parses the go.sum-format file name (relative to dir) into ld.sums;
// a file that does not exist is parsed as empty.
func readSum(res *verify.Report, ld *loaded, dir, name string) (lines int, err error) {
	data, err := verify.ReadSumFile(filepath.Join(dir, filepath.FromSlash(name)))
	var tooLarge *verify.FileTooLargeError
	if errors.As(err, &tooLarge) {
		// Refused, not parsed: one clear finding, never an out-of-memory.
		res.Findings = append(res.Findings, verify.NewFinding(verify.RuleGoSumSyntax, name, 0,
			"%s is larger than %d MiB: refused unread (no go command writes such a file)", name, verify.MaxSumFileSize>>20))
		ld.sums = append(ld.sums, &verify.SumFile{Name: name})
		ld.refused = name
		return 0, nil
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return 0, &OpError{err}
	}
	sf, fs := verify.ParseSum(name, data)
	res.Findings = append(res.Findings, fs...)
	ld.sums = append(ld.sums, sf)
	lines = bytes.Count(data, []byte("\n"))
	if len(data) > 0 && data[len(data)-1] != '\n' {
		lines++
	}
	return lines, nil
}

// dropRedundantUnused reports a go.sum line once, by its most specific rule:
// go mod tidy would also remove a duplicate, malformed or non-h1 line, but
// gosum-duplicate, gosum-syntax and gosum-unknown-algorithm say why.
func dropRedundantUnused(fs []verify.Finding) []verify.Finding {
	type loc struct {
		file string
		line int
	}
	explained := make(map[loc]bool)
	for _, f := range fs {
		switch f.Rule {
		case verify.RuleGoSumDuplicate, verify.RuleGoSumSyntax, verify.RuleGoSumUnknownAlgorithm, verify.RuleGoSumMergeConflict:
			explained[loc{f.File, f.Line}] = true
		}
	}
	return slices.DeleteFunc(fs, func(f verify.Finding) bool {
		return f.Rule == verify.RuleGoSumUnused && explained[loc{f.File, f.Line}]
	})
}

func lineOf(l *modfile.Line) int {
	if l == nil {
		return 0
	}
	return l.Start.Line
}

func allSkipped(skip map[string]bool, rules []string) bool {
	for _, r := range rules {
		if !skip[r] {
			return false
		}
	}
	return true
}

// oneLine folds a (go command) error message onto one line of bounded length.
func oneLine(err error) string {
	s := strings.Join(strings.Fields(err.Error()), " ")
	if len(s) > 400 {
		s = s[:400] + "..."
	}
	return s
}

// joinRel joins slash paths, dropping a leading ".".
func joinRel(dir, name string) string {
	if dir == "." || dir == "" {
		return strings.TrimPrefix(name, "./")
	}
	return strings.TrimPrefix(dir+"/"+strings.TrimPrefix(name, "./"), "./")
}
