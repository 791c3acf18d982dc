package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/modseal/modseal/graph"
	"github.com/modseal/modseal/internal/audit"
	"github.com/modseal/modseal/internal/gitrev"
	"github.com/modseal/modseal/internal/gocmd"
	"github.com/modseal/modseal/internal/report"
	"github.com/modseal/modseal/verify"
)

func init() {
	commandHelp["diff"] = diffHelp
}

const diffHelp = `usage: modseal diff [flags] [DIR]

Diff compares the current graph of the module (or go.work workspace) in DIR
with a snapshot and reports the drift as findings (drift-* rules). Flags:

	--snapshot FILE      the snapshot to compare with (default DIR/.modseal/graph.json)
	--base-ref REV       compare with the graph of the git revision REV instead: its
	                     go.mod, go.sum, go.work, go.work.sum and Go files, read from git
	--patterns P[,P]     package patterns of the build (default as for snapshot)
	--platforms L[,L]    GOOS/GOARCH pairs (default linux/amd64,darwin/arm64,windows/amd64);
	                     give the values the snapshot was made with
	--format FORMAT      text|json|sarif|github (default text: a table)
	--output FILE        write the report to FILE instead of standard output
	--json FILE          also write the JSON report to FILE, whatever --format is
	--sarif FILE         also write the SARIF log to FILE, whatever --format is; on
	                     exit 2 it is written too, with executionSuccessful false
	--fail-on LEVEL      error|warning|note|never: exit 1 at or above LEVEL (default error)
	--skip RULE[,RULE]   leave out findings of these rules
	--offline            no network: the go command gets GOPROXY=off
	--cache-dir DIR      modseal's cache (default $XDG_CACHE_HOME/modseal)
	--jobs N             platforms listed at once (default GOMAXPROCS)
	--progress, --no-cache, --no-color
	                     accepted as for audit, without effect: diff shows no progress,
	                     hashes no zip, and its table has no colour
`

// runDiff implements "modseal diff".
func runDiff(ctx context.Context, args []string, stdout, stderr io.Writer, e env) (err error) {
	flags := newFlagSet("diff", stderr)
	var (
		c                 commonFlags
		gf                graphFlags
		snapFile, baseRef string
	)
	c.register(flags)
	gf.register(flags)
	flags.StringVar(&snapFile, "snapshot", "", "compare with the snapshot `FILE` (default DIR/"+defaultSnapshot+")")
	flags.StringVar(&baseRef, "base-ref", "", "compare with the graph at the git revision `REV`")
	pos, err := parseArgs(flags, args)
	if err != nil {
		return flagErr(err)
	}
	reportDir := "."
	if len(pos) == 1 {
		reportDir = filepath.Clean(pos[0])
	}
	if err := c.checkFiles(); err != nil {
		return err
	}
	defer func() { err = c.failed(ctx, "diff", reportDir, e, err) }()
	dir, err := moduleDir("diff", pos)
	if err != nil {
		return err
	}
	if err := checkRoot(dir); err != nil {
		return err
	}
	if snapFile != "" && baseRef != "" {
		return usageErr("--snapshot and --base-ref exclude each other: compare with a file or with a git revision")
	}
	if strings.HasPrefix(baseRef, "-") {
		return usageErr("--base-ref %q: not a git revision", baseRef)
	}
	failRank, skip, err := c.check()
	if err != nil {
		return err
	}
	var h report.Handler
	if c.format != "text" {
		if h, err = report.NewHandlerWith(c.format, report.Options{
			FailOn:      failRank,
			SummaryFile: e.get("GITHUB_STEP_SUMMARY"),
			OutputFile:  e.get("GITHUB_OUTPUT"),
		}); err != nil {
			return usageErr("--format: %v", err)
		}
	}
	opts, err := gf.options(c.jobs)
	if err != nil {
		return err
	}
	cacheDir, err := resolveCacheDir(c.cacheDir, e)
	if err != nil {
		return err
	}

	var (
		old, cur *graph.Snapshot
		source   string
		oldErr   error
		curErr   error
		wg       sync.WaitGroup
		curGo    = &graph.Command{Dir: dir, Environ: e, Offline: c.offline, CacheDir: cacheDir}
	)
	if baseRef == "" {
		// The snapshot file first: no graph to compute if it is unusable.
		file := snapFile
		if file == "" {
			file = filepath.Join(dir, filepath.FromSlash(defaultSnapshot))
		}
		source = filepath.ToSlash(file)
		data, err := verify.ReadFileLimited(file, verify.MaxSumFileSize)
		var tl *verify.FileTooLargeError
		switch {
		case errors.Is(err, fs.ErrNotExist) && snapFile == "":
			return fmt.Errorf("no snapshot at %s: run 'modseal snapshot %s' and commit %s, or pass --snapshot FILE or --base-ref REV", source, dir, defaultSnapshot)
		case errors.As(err, &tl):
			return fmt.Errorf("%s is larger than %d MiB, the most modseal reads: not a snapshot modseal wrote; recreate it with modseal snapshot", source, tl.Limit>>20)
		case err != nil:
			return err
		}
		if old, err = graph.ParseSnapshot(data); err != nil {
			return fmt.Errorf("%s: %v (recreate it with modseal snapshot)", source, err)
		}
	} else {
		wg.Go(func() { old, source, oldErr = baseSnapshot(ctx, curGo, baseRef, opts) })
	}
	wg.Go(func() { cur, curErr = curGo.Snapshot(ctx, opts) })
	wg.Wait()
	if oldErr != nil {
		return fmt.Errorf("the graph at %s: %v", baseRef, oldErr)
	}
	if curErr != nil {
		return snapshotErr(dir, curErr)
	}

	findings := graph.Drift(old, cur)
	var checkpoints map[string][]byte
	if baseRef == "" {
		// The checkpoint committed next to the snapshot.
		file := snapFile
		if file == "" {
			file = filepath.Join(dir, filepath.FromSlash(defaultSnapshot))
		}
		cpFile := filepath.Join(filepath.Dir(file), audit.CheckpointName)
		if checkpoints, err = audit.ReadCheckpoint(cpFile, filepath.ToSlash(cpFile)); err != nil {
			return err
		}
	}
	if c.key != "" {
		if baseRef != "" {
			return usageErr("--key verifies a snapshot file's signature; with --base-ref there is none")
		}
		file := snapFile
		if file == "" {
			file = filepath.Join(dir, filepath.FromSlash(defaultSnapshot))
		}
		rel, err := filepath.Rel(dir, file)
		if err != nil || !filepath.IsLocal(rel) {
			return usageErr("--key: the snapshot must be inside %s, where the files it signs are", dir)
		}
		fs, pred, err := checkSignature(dir, filepath.ToSlash(rel), c.key)
		if err != nil {
			return err
		}
		findings = append(findings, fs...)
		verify.Sort(findings)
		if sc := signedCheckpoint(pred); sc != nil {
			if checkpoints == nil {
				checkpoints = make(map[string][]byte)
			}
			maps.Copy(checkpoints, sc)
		}
	}
	skipped, err := audit.ProveCheckpoints(ctx, audit.Options{Dir: dir, Environ: e, Offline: c.offline, CacheDir: cacheDir}, checkpoints)
	if err != nil {
		return err
	}
	findings = slices.DeleteFunc(findings, func(f verify.Finding) bool { return skip[f.Rule] })
	if h == nil {
		h = &report.Drift{Source: source}
	}
	rep := report.New(versionString(), &verify.Report{
		Dir:         dir,
		Module:      cur.Module,
		Findings:    findings,
		Skipped:     skipped,
		Modules:     dependencies(cur),
		GraphDigest: cur.GraphDigest,
	})
	c.locate(ctx, rep, "diff", dir, e)
	if err := c.write(h, rep, stdout); err != nil {
		return err
	}
	return failOn(rep, failRank)
}

// baseSnapshot computes the snapshot of cur's directory as it is at the git
// revision rev, and names it for the report: "REV (commit)".
//
// The base graph is the graph of the tree at rev: the module files
// gitrev.Materialise writes to a temporary directory, where the snapshot is
// computed with the same patterns and platforms. The working tree and the
// index are never read or touched.
func baseSnapshot(ctx context.Context, cur *graph.Command, rev string, opts graph.SnapshotOptions) (*graph.Snapshot, string, error) {
	co, err := gitrev.Materialise(ctx, cur.Dir, rev, gocmd.Getenv(cur.Environ, "GOWORK"))
	if nr := (*gitrev.NotRepositoryError)(nil); errors.As(err, &nr) {
		return nil, "", fmt.Errorf("%s is not in a git repository (--base-ref needs one): %v", nr.Dir, nr.Err)
	}
	if err != nil {
		return nil, "", err
	}
	defer co.Close()
	environ := gocmd.Setenv(slices.Clone(cur.Environ), "GOWORK", co.GOWORK)
	g := &graph.Command{Dir: co.Dir, Environ: environ, Offline: cur.Offline, CacheDir: cur.CacheDir, GoBin: cur.GoBin}
	s, err := g.Snapshot(ctx, opts)
	if err != nil {
		return nil, "", err
	}
	short := co.Commit
	if len(short) > 12 {
		short = short[:12]
	}
	return s, rev + " (" + short + ")", nil
}
