// Package audit runs every modseal check on a module or workspace and
// collects the findings into one result.
package audit

import (
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

// A Skipped check could not run (or is not built yet); it is never a pass.
type Skipped struct {
	Check  string `json:"check"`
	Reason string `json:"reason"`
}

// Result is what an audit found.
type Result struct {
	Dir         string
	Module      string // main module path, or the workspace's modules joined by ","
	Findings    []verify.Finding
	Skipped     []Skipped
	Modules     int // modules in the build list, main modules excluded
	Verified    int // modules whose hashes were recomputed and matched
	GraphDigest string
	// Checkpoint is the checksum database's signed tree head the audit
	// verified go.sum against, "" if it did not.
	Checkpoint string
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

// Run audits the module or workspace in opts.Dir.
func Run(ctx context.Context, opts Options) (*Result, error) {
	dir := opts.Dir
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, &OpError{fmt.Errorf("%v", err)}
	}
	if !fi.IsDir() {
		return nil, &OpError{fmt.Errorf("%s is not a directory", dir)}
	}
	g := &graph.Go{Dir: dir, Environ: opts.Environ, Offline: opts.Offline, CacheDir: opts.CacheDir, GoBin: opts.GoBin}
	env, err := g.Env(ctx)
	if err != nil {
		return nil, &OpError{fmt.Errorf("cannot ask the go command about %s: %v", dir, err)}
	}
	res := &Result{Dir: dir}
	res.Findings = append(res.Findings, verify.CheckSettings(verify.Settings{
		GOSUMDB: env.GOSUMDB, GONOSUMDB: env.GONOSUMDB, GOPRIVATE: env.GOPRIVATE,
		GOINSECURE: env.GOINSECURE, GOFLAGS: env.GOFLAGS,
	})...)
	var mods []moduleFiles
	fetcher := &modproxy.Fetcher{
		Proxy:   env.GOPROXY,
		NoProxy: env.GONOPROXY,
		Dir:     filepath.Join(opts.CacheDir, "download"),
		Client:  opts.HTTP,
	}
	hin := hashInputs{offline: opts.Offline, fetcher: fetcher}
	requires := make(map[string]requireLoc)
	var work *workspace

	if env.GOWORK != "" && env.GOWORK != "off" {
		rel := g.Rel(filepath.Dir(env.GOWORK))
		data, err := os.ReadFile(env.GOWORK)
		if err != nil {
			return nil, &OpError{err}
		}
		name := joinRel(rel, filepath.Base(env.GOWORK))
		wf, fs := verify.CheckWorkFile(name, data)
		res.Findings = append(res.Findings, fs...)
		if wf != nil {
			hin.replaces = append(hin.replaces, wf.Replace...)
		}
		if wf == nil {
			res.Skipped = append(res.Skipped, Skipped{"workspace", name + " does not parse, so its modules were not checked"})
		} else {
			work = &workspace{rel: rel, name: filepath.Base(env.GOWORK), wf: wf}
			for _, u := range wf.Use {
				r := joinRel(rel, filepath.ToSlash(u.Path))
				use := filepath.ToSlash(u.Path)
				if filepath.IsAbs(u.Path) {
					r = g.Rel(u.Path)
					if p, err := filepath.Rel(filepath.Dir(env.GOWORK), u.Path); err == nil {
						use = filepath.ToSlash(p)
					}
				}
				mods = append(mods, moduleFiles{rel: r, use: use})
			}
		}
		if _, err := readSum(res, &hin, dir, joinRel(rel, "go.work.sum")); err != nil {
			return nil, err
		}
	} else {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil, &OpError{fmt.Errorf("%s has no go.mod: it is not a Go module (run modseal in a module directory, or go mod init first)", dir)}
			}
			return nil, &OpError{err}
		}
		mods = append(mods, moduleFiles{rel: "."})
	}

	var paths []string
	for i := range mods {
		m := &mods[i]
		name := joinRel(m.rel, "go.mod")
		data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
		if err != nil {
			return nil, &OpError{err}
		}
		mf, fs := verify.CheckModFile(name, data)
		res.Findings = append(res.Findings, fs...)
		m.mf = mf
		if mf != nil && mf.Module != nil {
			paths = append(paths, mf.Module.Mod.Path)
			hin.replaces = append(hin.replaces, mf.Replace...)
			for _, r := range mf.Require {
				if _, ok := requires[r.Mod.Path]; !ok {
					requires[r.Mod.Path] = requireLoc{name, lineOf(r.Syntax)}
				}
			}
		}
		if m.sumLines, err = readSum(res, &hin, dir, joinRel(m.rel, "go.sum")); err != nil {
			return nil, err
		}
	}
	res.Module = strings.Join(paths, ",")
	// The go command's checks, concurrently: they only read. Whether a
	// failed go command is an operational failure or the consequence of a
	// finding is decided once they have all finished.
	var mu sync.Mutex
	type failure struct {
		check string
		err   error
	}
	var failures []failure
	var securityErr *verify.SecurityError
	fail := func(check string, err error) {
		mu.Lock()
		failures = append(failures, failure{check, err})
		mu.Unlock()
	}
	// goWG counts the go commands; goDone closes when they have all
	// finished. The other checks (checksum database, proxy questions,
	// hashes) run in wg, alongside. The hash check starts as soon as the
	// graph is known: a module file no cache has yet waits for goDone (a go
	// command may be putting it in modseal's cache) before it is downloaded.
	var wg, goWG sync.WaitGroup
	var opErr error
	goDone := make(chan struct{})
	if !allSkipped(opts.Skip, checkTidy) {
		for _, m := range mods {
			goWG.Go(func() {
				edits, err := g.TidyDiff(ctx, filepath.Join(dir, filepath.FromSlash(m.rel)), m.sumLines)
				if err != nil {
					fail("tidy", err)
					return
				}
				fs := graph.TidyFindings(joinRel(m.rel, "go.sum"), edits)
				mu.Lock()
				res.Findings = append(res.Findings, fs...)
				mu.Unlock()
			})
		}
	}
	// The build list and the graph feed the report's module count and
	// graph_digest, but cost a go command each: with --skip leaving no check
	// that needs them (as in the pre-commit hook), they are not computed.
	needList := !allSkipped(opts.Skip, checkOrigin) && !opts.Offline
	hashing := !allSkipped(opts.Skip, checkHash)
	if hashing && opts.ChangedSince != "" {
		unchanged, err := sumLinesAt(ctx, dir, opts.ChangedSince, hin.sums)
		if err != nil {
			return nil, &OpError{err}
		}
		hin.unchanged = unchanged
		if unchanged != nil && changedLines(hin.sums, unchanged) == 0 {
			// The usual commit: go.sum is as at REV, so no module needs
			// re-verifying, and the graph that would say which is not needed.
			hashing = false
			res.Skipped = append(res.Skipped, Skipped{"hash", fmt.Sprintf("no go.sum line differs from %s (--changed): no module to re-verify", opts.ChangedSince)})
		}
	}
	needGraph := hashing || !allSkipped(opts.Skip, checkVendor)
	switch {
	case opts.Offline && !allSkipped(opts.Skip, checkOrigin):
		res.Skipped = append(res.Skipped, Skipped{"origin", "--offline: retractions, deprecations and pseudo-version origins were not checked"})
		res.Skipped = append(res.Skipped, Skipped{"build-list", "not computed: --offline leaves out the only check that needs it"})
	case !needList:
		res.Skipped = append(res.Skipped, Skipped{"build-list", "not computed: no check that needs it ran (--skip)"})
	}
	if !needGraph {
		res.Skipped = append(res.Skipped, Skipped{"graph", "not computed: no check that needs it ran (--skip)"})
	}
	if needList {
		goWG.Go(func() {
			list, err := g.BuildList(ctx)
			if err != nil {
				fail("build-list", err)
				fail("origin", fmt.Errorf("needs the build list: %w", err))
				return
			}
			n := 0
			for _, m := range list {
				if !m.Main {
					n++
				}
			}
			mu.Lock()
			res.Modules = n
			mu.Unlock()
			wg.Go(func() {
				fs, skipped, err := originCheck(ctx, fetcher, list, requires, opts)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					failures = append(failures, failure{"origin", &networkError{err}})
					return
				}
				res.Findings = append(res.Findings, fs...)
				res.Skipped = append(res.Skipped, skipped...)
			})
		})
	}
	if needGraph {
		goWG.Go(func() {
			edges, err := g.Edges(ctx)
			if err != nil {
				fail("graph", err)
				if !allSkipped(opts.Skip, checkHash) {
					fail("hash", fmt.Errorf("needs the module graph: %w", err))
				}
				return
			}
			mu.Lock()
			res.GraphDigest = graph.Digest(edges)
			mu.Unlock()
			if !hashing {
				if !allSkipped(opts.Skip, checkVendor) && hasVendor(dir, work, mods) {
					mu.Lock()
					res.Skipped = append(res.Skipped, Skipped{"vendor", "needs the module hashes, which were not checked"})
					mu.Unlock()
				}
				return
			}
			hin.edges = edges
			hin.goDone = goDone
			if env.GOMODCACHE != "" {
				hin.extracted = env.GOMODCACHE
				hin.downloads = append(hin.downloads, filepath.Join(env.GOMODCACHE, "cache", "download"))
			}
			hin.downloads = append(hin.downloads, filepath.Join(opts.CacheDir, "mod", "cache", "download"), filepath.Join(opts.CacheDir, "download"))
			wg.Go(func() {
				fs, skipped, verified, zips, err := checkHashes(ctx, hin, opts)
				if err != nil {
					fail("hash", err)
					return
				}
				var vfs []verify.Finding
				var vskipped []Skipped
				if !allSkipped(opts.Skip, checkVendor) {
					if vfs, vskipped, err = checkVendors(vendorInputs{dir: dir, work: work, mods: mods, zips: zips, sums: hin.sums}); err != nil {
						mu.Lock()
						opErr = err
						mu.Unlock()
						return
					}
				}
				mu.Lock()
				defer mu.Unlock()
				res.Findings = append(append(res.Findings, fs...), vfs...)
				res.Skipped = append(append(res.Skipped, skipped...), vskipped...)
				res.Verified = verified
			})
		})
	}
	if committed, err := readCommittedSnapshot(dir); err != nil {
		return nil, &OpError{err}
	} else if committed != nil && !allSkipped(opts.Skip, checkDrift) {
		goWG.Go(func() {
			fs, err := snapshotDrift(ctx, g, committed, opts.Jobs)
			if err != nil {
				fail("drift", err)
				return
			}
			mu.Lock()
			res.Findings = append(res.Findings, fs...)
			mu.Unlock()
		})
	}
	if !allSkipped(opts.Skip, checkSumDB) {
		wg.Go(func() {
			fs, skipped, checkpoint, err := sumdbCheck(ctx, env, hin.sums, opts)
			mu.Lock()
			defer mu.Unlock()
			res.Checkpoint = checkpoint
			var se *verify.SecurityError
			switch {
			case errors.As(err, &se):
				securityErr = se
			case err != nil:
				failures = append(failures, failure{"sumdb", &networkError{err}})
			}
			res.Findings = append(res.Findings, fs...)
			res.Skipped = append(res.Skipped, skipped...)
		})
	}
	goWG.Wait()
	close(goDone)
	wg.Wait()
	if securityErr != nil {
		return nil, securityErr
	}
	if opErr != nil {
		return nil, &OpError{opErr}
	}
	if !needList || allSkipped(opts.Skip, checkOrigin) {
		failures = slices.DeleteFunc(failures, func(f failure) bool { return f.check == "origin" })
	}
	findingErrors := hasErrors(res.Findings)
	for _, f := range failures {
		switch {
		case errors.As(f.err, new(*networkError)):
			// A service the check requires could not be reached: no
			// finding explains that.
			return nil, &OpError{fmt.Errorf("%v\n(to audit without the network, pass --offline; to leave one check out, --skip its rules: %s)", f.err, strings.Join(checkRules[f.check], ","))}
		case errors.Is(f.err, graph.ErrOffline):
			res.Skipped = append(res.Skipped, Skipped{f.check, f.err.Error()})
		case findingErrors, opts.Skip[verify.RuleGoSumMissing] && strings.Contains(f.err.Error(), "missing go.sum entry"):
			// The go command refuses what the findings already report
			// (a go.mod or go.sum it cannot use), or what the user chose
			// not to hear about: not a second, operational failure.
			res.Skipped = append(res.Skipped, Skipped{f.check, "the go command refused the files with the errors reported: " + oneLine(f.err)})
		default:
			return nil, &OpError{f.err}
		}
	}

	res.Findings = dropRedundantUnused(res.Findings)
	res.Findings = slices.DeleteFunc(res.Findings, func(f verify.Finding) bool { return opts.Skip[f.Rule] })
	Sort(res.Findings)
	slices.SortFunc(res.Skipped, func(a, b Skipped) int { return strings.Compare(a.Check, b.Check) })
	return res, nil
}

// readSum parses the go.sum-format file name (relative to dir) if it exists
// and returns its number of lines.
func readSum(res *Result, hin *hashInputs, dir, name string) (int, error) {
	data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, &OpError{err}
	}
	sf, fs := verify.ParseSum(name, data)
	res.Findings = append(res.Findings, fs...)
	hin.sums = append(hin.sums, sf)
	n := strings.Count(string(data), "\n")
	if len(data) > 0 && data[len(data)-1] != '\n' {
		n++
	}
	return n, nil
}

// Sort orders findings by file, line, rule and message: the report order.
func Sort(fs []verify.Finding) {
	slices.SortStableFunc(fs, func(a, b verify.Finding) int {
		if c := strings.Compare(a.File, b.File); c != 0 {
			return c
		}
		if a.Line != b.Line {
			return a.Line - b.Line
		}
		if c := strings.Compare(a.Rule, b.Rule); c != 0 {
			return c
		}
		return strings.Compare(a.Message, b.Message)
	})
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

func hasErrors(fs []verify.Finding) bool {
	for _, f := range fs {
		if f.Severity == verify.SeverityError {
			return true
		}
	}
	return false
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
