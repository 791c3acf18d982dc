package cli

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"unicode"

	"golang.org/x/mod/modfile"

	"github.com/modseal/modseal/graph"
	"github.com/modseal/modseal/internal/audit"
	"github.com/modseal/modseal/internal/gocmd"
	"github.com/modseal/modseal/internal/report"
	"github.com/modseal/modseal/internal/sign"
	"github.com/modseal/modseal/verify"
)

// defaultSnapshot is where snapshot writes and diff reads, relative to DIR.
const defaultSnapshot = ".modseal/graph.json"

func init() {
	commandHelp["snapshot"] = snapshotHelp
	commandHelp["diff"] = diffHelp
}

const snapshotHelp = `usage: modseal snapshot [flags] [DIR]

Snapshot writes the canonical graph snapshot of the module (or go.work
workspace) in DIR: the go mod graph edges, the build list with its go.sum
hashes, and the platforms each module provides packages for. The file is
byte for byte the same for the same go.mod, go.sum, go.work and sources.
Nothing is built: packages are only listed. Flags:

	--out FILE           write the snapshot to FILE (default DIR/.modseal/graph.json)
	--patterns P[,P]     package patterns of the build (default ./...; in a workspace,
	                     the packages of every workspace module)
	--platforms L[,L]    GOOS/GOARCH pairs (default linux/amd64,darwin/arm64,windows/amd64)
	--format text|json   the summary on standard output (default text)
	--offline            no network: the go command gets GOPROXY=off
	--cache-dir DIR      modseal's cache (default $XDG_CACHE_HOME/modseal)
	--jobs N             platforms listed at once (default GOMAXPROCS)
	--sign-key KEY       also audit DIR and write FILE.sig: a DSSE envelope of an in-toto
	                     statement over go.mod, go.sum (go.work, go.work.sum) and the
	                     snapshot, signed with the PEM private key KEY (ECDSA P-256,
	                     Ed25519, RSA, or cosign-encrypted with COSIGN_PASSWORD)
`

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
	--fail-on LEVEL      error|warning|note|never: exit 1 at or above LEVEL (default error)
	--skip RULE[,RULE]   leave out findings of these rules
	--offline            no network: the go command gets GOPROXY=off
	--cache-dir DIR      modseal's cache (default $XDG_CACHE_HOME/modseal)
	--jobs N             platforms listed at once (default GOMAXPROCS)
	--progress, --no-cache, --no-color
	                     accepted as for audit, without effect: diff shows no progress,
	                     hashes no zip, and its table has no colour
`

// graphFlags are the flags of the build a snapshot covers.
type graphFlags struct {
	patterns, platforms string
}

func (g *graphFlags) register(fs interface {
	StringVar(p *string, name, value, usage string)
}) {
	fs.StringVar(&g.patterns, "patterns", "", "package `patterns` of the build, comma-separated (default ./..., in a workspace every workspace module's packages)")
	fs.StringVar(&g.platforms, "platforms", strings.Join(graph.DefaultPlatforms, ","), "GOOS/GOARCH `list`, comma-separated")
}

func (g *graphFlags) options(jobs int) (graph.SnapshotOptions, error) {
	split := func(s string) []string {
		return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || unicode.IsSpace(r) })
	}
	opts := graph.SnapshotOptions{Platforms: split(g.platforms), Jobs: jobs}
	if g.patterns != "" {
		if opts.Patterns = split(g.patterns); len(opts.Patterns) == 0 {
			return opts, usageErr("--patterns: no package pattern")
		}
	}
	if len(opts.Platforms) == 0 {
		return opts, usageErr("--platforms: no platform")
	}
	for _, p := range opts.Platforms {
		if err := graph.CheckPlatform(p); err != nil {
			return opts, usageErr("--platforms: %v", err)
		}
	}
	slices.Sort(opts.Platforms)
	opts.Platforms = slices.Compact(opts.Platforms)
	return opts, nil
}

// moduleDir returns the directory argument of snapshot and diff.
func moduleDir(cmd string, pos []string) (string, error) {
	switch len(pos) {
	case 0:
		pos = []string{"."}
	case 1:
	default:
		return "", usageErr("%s takes one directory, got %d arguments: %s", cmd, len(pos), strings.Join(pos, " "))
	}
	dir := filepath.Clean(pos[0])
	fi, err := os.Stat(dir)
	if err != nil {
		return "", &exitError{ExitFailure, err}
	}
	if !fi.IsDir() {
		return "", usageErr("%s: %s is not a directory", cmd, dir)
	}
	return dir, nil
}

// checkRoot fails unless dir holds a go.mod or go.work: the snapshot is of
// a whole module or workspace, and lives in its root.
func checkRoot(dir string) error {
	for _, f := range []string{"go.mod", "go.work"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			return nil
		}
	}
	return &exitError{ExitFailure, fmt.Errorf("%s has no go.mod or go.work: run modseal in the root directory of a Go module or workspace", dir)}
}

// snapshotErr is the operational failure of computing a snapshot, with a hint.
func snapshotErr(dir string, err error) error {
	switch {
	case errors.Is(err, graph.ErrPlatform):
		return usageErr("--platforms: %v", err)
	case errors.Is(err, graph.ErrOffline):
		return &exitError{ExitFailure, fmt.Errorf("cannot compute the module graph of %s: %v\n(run without --offline, or go mod download first)", dir, err)}
	}
	return &exitError{ExitFailure, fmt.Errorf("cannot compute the module graph of %s: %v\n(modseal audit %s explains what is wrong with go.mod and go.sum)", dir, err, dir)}
}

// runSnapshot implements "modseal snapshot".
func runSnapshot(ctx context.Context, args []string, stdout, stderr io.Writer, e env) error {
	flags := newFlagSet("snapshot", stderr)
	var (
		gf                     graphFlags
		out, format, cacheFlag string
		offline                bool
		jobs                   int
	)
	gf.register(flags)
	flags.StringVar(&out, "out", "", "write the snapshot to `FILE` (default DIR/"+defaultSnapshot+")")
	flags.StringVar(&format, "format", "text", "summary `format`: text|json")
	flags.BoolVar(&offline, "offline", false, "no network: the go command gets GOPROXY=off")
	flags.StringVar(&cacheFlag, "cache-dir", "", "modseal's cache `dir`")
	flags.IntVar(&jobs, "jobs", 0, "platforms listed at once (default GOMAXPROCS)")
	signKey := flags.String("sign-key", "", "also write FILE.sig, a DSSE envelope signed with the private `key` (COSIGN_PASSWORD for an encrypted one)")
	pos, err := parseArgs(flags, args)
	if err != nil {
		return flagErr(err)
	}
	dir, err := moduleDir("snapshot", pos)
	if err != nil {
		return err
	}
	if err := checkRoot(dir); err != nil {
		return err
	}
	if format != "text" && format != "json" {
		return usageErr("--format must be text or json for snapshot, got %q", format)
	}
	if jobs < 0 {
		return usageErr("--jobs must be at least 1, got %d", jobs)
	}
	opts, err := gf.options(jobs)
	if err != nil {
		return err
	}
	cacheDir, err := resolveCacheDir(cacheFlag, e)
	if err != nil {
		return err
	}
	g := &graph.Command{Dir: dir, Environ: e, Offline: offline, CacheDir: cacheDir}
	snap, err := g.Snapshot(ctx, opts)
	if err != nil {
		return snapshotErr(dir, err)
	}
	data, err := checkWritable(snap)
	if err != nil {
		return &exitError{ExitFailure, err}
	}
	if out == "" {
		out = filepath.Join(dir, filepath.FromSlash(defaultSnapshot))
		if err := os.MkdirAll(filepath.Dir(out), 0o777); err != nil {
			return &exitError{ExitFailure, err}
		}
	}
	if err := writeFileAtomic(out, func(w io.Writer) error { _, err := w.Write(data); return err }); err != nil {
		return &exitError{ExitFailure, fmt.Errorf("writing the snapshot: %v", err)}
	}
	sig := ""
	if *signKey != "" {
		rel, err := filepath.Rel(dir, out)
		if err != nil || !filepath.IsLocal(rel) {
			return usageErr("--sign-key: the snapshot must be inside %s to be signed with go.mod and go.sum, got --out %s", dir, out)
		}
		pred, err := attestation(ctx, dir, cacheDir, offline, jobs, snap, e)
		if err != nil {
			return err
		}
		if sig, err = signSnapshot(dir, filepath.ToSlash(rel), *signKey, e, pred); err != nil {
			return &exitError{ExitFailure, err}
		}
	}
	n := dependencies(snap)
	if format == "json" {
		b, _ := json.MarshalIndent(struct {
			File          string `json:"file"`
			Module        string `json:"module"`
			Modules       int    `json:"modules"`
			GraphDigest   string `json:"graph_digest"`
			ContentDigest string `json:"content_digest"`
			Signature     string `json:"signature,omitempty"`
		}{filepath.ToSlash(out), snap.Module, n, snap.GraphDigest, snap.ContentDigest, filepath.ToSlash(sig)}, "", "  ")
		fmt.Fprintf(stdout, "%s\n", b)
		return nil
	}
	fmt.Fprintf(stdout, "modseal: wrote %s: %s, %s, graph %s\n", safeText(filepath.ToSlash(out)), safeText(snap.Module), plural(n, "module"), snap.GraphDigest)
	if sig != "" {
		fmt.Fprintf(stdout, "modseal: signed %s\n", safeText(filepath.ToSlash(sig)))
	}
	return nil
}

// checkWritable returns the snapshot file's content, or an error if diff
// and audit could not read it back: a snapshot is refused when it is made,
// not on every later run. The one such case the go command accepts is a
// directory replacement whose name has a control character (replace x =>
// "./a\tb" is legal go.mod), which a snapshot does not record; anything else
// ParseSnapshot refuses is a bug, reported as such.
func checkWritable(snap *graph.Snapshot) ([]byte, error) {
	for _, m := range snap.Modules {
		if r := m.Replace; r != nil && r.Version == "" && strings.ContainsFunc(r.Path, isControl) {
			return nil, fmt.Errorf("%s is replaced by the directory %q, whose name has a control character: a snapshot does not record such a name (diff and audit would refuse to read it); rename the directory and its replace directive",
				m.Path, r.Path)
		}
	}
	data := graph.Marshal(snap)
	if _, err := graph.ParseSnapshot(data); err != nil {
		return nil, fmt.Errorf("the snapshot computed for %s would not read back (%v): not writing it; this is a bug in modseal, please report it", snap.Module, err)
	}
	return data, nil
}

// isControl reports whether r is a character a snapshot's replacement
// directory may not hold (graph.ParseSnapshot's rule): a C0 or C1 control,
// DEL, or the replacement character of invalid UTF-8.
func isControl(r rune) bool {
	return r < ' ' || r == 0x7f || r >= 0x80 && r <= 0x9f || r == '\uFFFD'
}

// attestation audits dir and returns what a snapshot signature records: the
// digests, the checksum-database checkpoint the audit verified, and the
// audit's counts. An audit that cannot run is an error: nothing is signed.
func attestation(ctx context.Context, dir, cacheDir string, offline bool, jobs int, snap *graph.Snapshot, e env) (sign.Predicate, error) {
	if jobs == 0 {
		jobs = runtime.GOMAXPROCS(0)
	}
	res, err := audit.Run(ctx, audit.Options{Dir: dir, Environ: e, Offline: offline, CacheDir: cacheDir, Jobs: jobs})
	if err != nil {
		return sign.Predicate{}, &exitError{ExitFailure, fmt.Errorf("auditing before signing: %w", err)}
	}
	rep := report.New(versionString(), res)
	return sign.Predicate{
		GraphDigest:   snap.GraphDigest,
		ContentDigest: snap.ContentDigest,
		Checkpoint:    res.Checkpoint,
		Audit:         auditSummary(rep.Summary.Errors, rep.Summary.Warnings, rep.Summary.Notes),
	}, nil
}

// dependencies counts the modules of s that are not main modules.
func dependencies(s *graph.Snapshot) int {
	n := 0
	for _, m := range s.Modules {
		if m.Version != "" {
			n++
		}
	}
	return n
}

// runDiff implements "modseal diff".
func runDiff(ctx context.Context, args []string, stdout, stderr io.Writer, e env) error {
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
	if !slices.Contains(report.Formats, c.format) {
		return usageErr("--format: unknown format %q (want one of %v)", c.format, report.Formats)
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
			return &exitError{ExitFailure, fmt.Errorf("no snapshot at %s: run 'modseal snapshot %s' and commit %s, or pass --snapshot FILE or --base-ref REV", source, dir, defaultSnapshot)}
		case errors.As(err, &tl):
			return &exitError{ExitFailure, fmt.Errorf("%s is larger than %d MiB, the most modseal reads: not a snapshot modseal wrote; recreate it with modseal snapshot", source, tl.Limit>>20)}
		case err != nil:
			return &exitError{ExitFailure, err}
		}
		if old, err = graph.ParseSnapshot(data); err != nil {
			return &exitError{ExitFailure, fmt.Errorf("%s: %v (recreate it with modseal snapshot)", source, err)}
		}
	} else {
		wg.Go(func() { old, source, oldErr = baseSnapshot(ctx, curGo, baseRef, opts) })
	}
	wg.Go(func() { cur, curErr = curGo.Snapshot(ctx, opts) })
	wg.Wait()
	if oldErr != nil {
		return &exitError{ExitFailure, fmt.Errorf("the graph at %s: %v", baseRef, oldErr)}
	}
	if curErr != nil {
		return snapshotErr(dir, curErr)
	}

	findings := graph.Drift(old, cur)
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
		fs, _, err := checkSignature(dir, filepath.ToSlash(rel), c.key)
		if err != nil {
			return &exitError{ExitFailure, err}
		}
		findings = append(findings, fs...)
		verify.Sort(findings)
	}
	findings = slices.DeleteFunc(findings, func(f verify.Finding) bool { return skip[f.Rule] })
	if c.format == "text" {
		write := func(w io.Writer) error { return writeDriftTable(w, source, cur, findings) }
		if c.output == "" {
			err = write(stdout)
		} else {
			err = writeFileAtomic(c.output, write)
		}
	} else {
		h, herr := report.NewHandlerWith(c.format, report.Options{
			FailOn:      failRank,
			SummaryFile: e.get("GITHUB_STEP_SUMMARY"),
			OutputFile:  e.get("GITHUB_OUTPUT"),
		})
		if herr != nil {
			return usageErr("--format: %v", herr)
		}
		rep := report.New(versionString(), &verify.Report{
			Dir:         dir,
			Module:      cur.Module,
			Findings:    findings,
			Modules:     dependencies(cur),
			GraphDigest: cur.GraphDigest,
		})
		err = writeReport(h, rep, c.output, stdout)
	}
	if err != nil {
		return &exitError{ExitFailure, err}
	}
	for _, f := range findings {
		if f.Severity.Rank() >= failRank {
			return &exitError{ExitFindings, errFindings}
		}
	}
	return nil
}

// writeDriftTable writes the drift as a table, then a summary line. The
// table quotes module paths, versions and replacement directories from the
// snapshot and the go.mod files of the change under review: every cell and
// the source are written with safeText, so a control character, a line
// break or a tab in them is a visible escape, the row stays one row and no
// workflow command starts in it.
func writeDriftTable(w io.Writer, source string, cur *graph.Snapshot, findings []verify.Finding) error {
	source = safeText(source)
	var buf bytes.Buffer
	if len(findings) > 0 {
		tw := tabwriter.NewWriter(&buf, 0, 8, 2, ' ', 0)
		fmt.Fprintln(tw, "SEVERITY\tRULE\tWHERE\tCHANGE")
		for _, f := range findings {
			where := f.File
			if where == "" {
				where = "-"
			} else if f.Line > 0 {
				where += ":" + strconv.Itoa(f.Line)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", f.Severity, f.Rule, safeText(where), safeText(f.Message))
		}
		tw.Flush()
		buf.WriteString("\n")
	}
	var errs, warns, notes int
	for _, f := range findings {
		switch f.Severity {
		case verify.SeverityError:
			errs++
		case verify.SeverityWarning:
			warns++
		case verify.SeverityNote:
			notes++
		}
	}
	if len(findings) == 0 {
		fmt.Fprintf(&buf, "modseal: no drift from %s: %s, graph %s\n", source, plural(dependencies(cur), "module"), cur.GraphDigest)
	} else {
		fmt.Fprintf(&buf, "modseal: %s, %s, %s of drift from %s\n", plural(errs, "error"), plural(warns, "warning"), plural(notes, "note"), source)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// baseSnapshot computes the snapshot of cur's directory as it is at the git
// revision rev, and names it for the report.
//
// The base graph is the graph of the tree at rev: the Go files and the
// go.mod, go.sum, go.work, go.work.sum and vendor/modules.txt files below
// the directory that roots the graph (the go.work directory, else the
// module's), as committed, are written to a temporary directory and the
// snapshot is computed there with the same patterns and platforms. The
// working tree and the index are never read or touched. A workspace module
// or a directory replacement outside that directory is materialised too when
// it is in the repository; one outside the repository is not, and the go
// command reports it missing.
//
// The files come from git archive, and every one is checked against the
// blob id git ls-tree lists for it: a file the repository's export-ignore
// or export-subst attributes dropped or rewrote is read again with git
// cat-file, so the base is exactly what was committed. Symbolic links and
// submodules are left out.
func baseSnapshot(ctx context.Context, cur *graph.Command, rev string, opts graph.SnapshotOptions) (*graph.Snapshot, string, error) {
	fail := func(err error) (*graph.Snapshot, string, error) { return nil, "", err }
	absDir, err := filepath.Abs(cur.Dir)
	if err != nil {
		return fail(err)
	}
	if absDir, err = filepath.EvalSymlinks(absDir); err != nil {
		return fail(err)
	}
	out, err := gocmd.Git(ctx, absDir, "rev-parse", "--show-toplevel")
	if err != nil {
		return fail(fmt.Errorf("%s is not in a git repository (--base-ref needs one): %v", cur.Dir, err))
	}
	top, err := filepath.EvalSymlinks(strings.TrimSpace(string(out)))
	if err != nil {
		return fail(err)
	}
	out, err = gocmd.Git(ctx, top, "rev-parse", "--verify", "--end-of-options", rev+"^{commit}")
	if err != nil {
		return fail(fmt.Errorf("%q is not a commit of this repository: %v", rev, err))
	}
	commit := strings.TrimSpace(string(out))
	dirRel, ok := relInside(top, absDir)
	if !ok {
		return fail(fmt.Errorf("%s is outside the repository %s", cur.Dir, top))
	}
	tree, err := listTree(ctx, top, commit)
	if err != nil {
		return fail(err)
	}
	tmp, err := os.MkdirTemp("", "modseal-base-")
	if err != nil {
		return fail(err)
	}
	defer os.RemoveAll(tmp)

	// The root of the graph at rev: the go.work the go command would find
	// (GOWORK permitting), else the nearest go.mod.
	userWork := gocmd.Getenv(cur.Environ, "GOWORK")
	gowork := "off"
	root := ""
	switch {
	case userWork == "off":
	case userWork != "" && filepath.IsAbs(userWork):
		if rel, ok := relInside(top, userWork); ok {
			if _, ok := tree.files[rel]; ok {
				gowork, root = rel, path.Dir(rel)
			}
		} else {
			gowork = userWork // outside the repository: the same file for both graphs
		}
	default:
		if w := tree.nearest(dirRel, "go.work"); w != "" {
			gowork, root = w, path.Dir(w)
		}
	}
	if root == "" {
		m := tree.nearest(dirRel, "go.mod")
		if m == "" {
			return fail(fmt.Errorf("no go.mod in %s or above at %s", dirRel, rev))
		}
		root = path.Dir(m)
	}
	if err := tree.materialise(ctx, tmp, []string{root}); err != nil {
		return fail(err)
	}
	// Workspace modules and directory replacements outside root, until
	// there are no more (a workspace module's go.mod names replacements).
	done := []string{root}
	for range 8 {
		extra, err := localDirs(tmp, root, gowork)
		if err != nil {
			return fail(err)
		}
		var more []string
		for _, d := range extra {
			if !slices.ContainsFunc(done, func(r string) bool { return under(d, r) }) {
				more = append(more, d)
				done = append(done, d)
			}
		}
		if len(more) == 0 {
			break
		}
		if err := tree.materialise(ctx, tmp, more); err != nil {
			return fail(err)
		}
	}
	environ := slices.Clone(cur.Environ)
	if gowork != "off" && filepath.IsAbs(gowork) {
		environ = gocmd.Setenv(environ, "GOWORK", gowork)
	} else if gowork != "off" {
		environ = gocmd.Setenv(environ, "GOWORK", filepath.Join(tmp, filepath.FromSlash(gowork)))
	} else {
		environ = gocmd.Setenv(environ, "GOWORK", "off")
	}
	baseDir := filepath.Join(tmp, filepath.FromSlash(dirRel))
	if fi, err := os.Stat(baseDir); err != nil || !fi.IsDir() {
		return fail(fmt.Errorf("%s holds no Go module files at %s", dirRel, rev))
	}
	g := &graph.Command{Dir: baseDir, Environ: environ, Offline: cur.Offline, CacheDir: cur.CacheDir, GoBin: cur.GoBin}
	s, err := g.Snapshot(ctx, opts)
	if err != nil {
		return fail(err)
	}
	short := commit
	if len(short) > 12 {
		short = short[:12]
	}
	return s, rev + " (" + short + ")", nil
}

// relInside returns target relative to the directory top, slash-separated,
// if it is inside it.
func relInside(top, target string) (string, bool) {
	r, err := filepath.Rel(top, target)
	if err != nil || !filepath.IsLocal(r) && r != "." {
		return "", false
	}
	return filepath.ToSlash(r), true
}

// under reports whether the slash path p is dir or below it.
func under(p, dir string) bool {
	return dir == "." || p == dir || strings.HasPrefix(p, dir+"/")
}

// gitTree is the listing of the regular files of a commit.
type gitTree struct {
	top    string
	commit string
	files  map[string]string // slash path from the top -> blob id
}

func listTree(ctx context.Context, top, commit string) (*gitTree, error) {
	out, err := gocmd.Git(ctx, top, "ls-tree", "-r", "-z", "--full-tree", commit)
	if err != nil {
		return nil, err
	}
	t := &gitTree{top: top, commit: commit, files: make(map[string]string)}
	for _, rec := range bytes.Split(out, []byte{0}) {
		meta, name, ok := bytes.Cut(rec, []byte{'\t'})
		if !ok {
			continue
		}
		f := strings.Fields(string(meta))
		// Regular files only: no symbolic links (120000), no submodules.
		if len(f) != 3 || f[1] != "blob" || (f[0] != "100644" && f[0] != "100755") {
			continue
		}
		t.files[string(name)] = f[2]
	}
	return t, nil
}

// nearest returns the file named name in dir or the closest directory above
// it, "" if there is none.
func (t *gitTree) nearest(dir, name string) string {
	for {
		p := path.Join(dir, name)
		if _, ok := t.files[p]; ok {
			return p
		}
		if dir == "." || dir == "/" || dir == "" {
			return ""
		}
		dir = path.Dir(dir)
	}
}

// moduleFileNames are the files besides *.go the go command reads to list packages.
var moduleFileNames = []string{"go.mod", "go.sum", "go.work", "go.work.sum", "modules.txt"}

func wanted(p string) bool {
	base := path.Base(p)
	if base == "modules.txt" {
		return path.Base(path.Dir(p)) == "vendor"
	}
	return strings.HasSuffix(base, ".go") || slices.Contains(moduleFileNames, base)
}

// materialise writes the wanted files below dirs, as committed, under dst.
func (t *gitTree) materialise(ctx context.Context, dst string, dirs []string) error {
	type file struct{ name, id string }
	var files []file
	globs := make(map[string]bool)
	for name, id := range t.files {
		for _, d := range dirs {
			if under(name, d) && wanted(name) {
				files = append(files, file{name, id})
				prefix := ""
				if d != "." {
					prefix = d + "/"
				}
				pattern := path.Base(name)
				if strings.HasSuffix(pattern, ".go") {
					pattern = "*.go"
				}
				globs[":(glob)"+prefix+"**/"+pattern] = true
				break
			}
		}
	}
	if len(files) == 0 {
		return nil
	}
	args := append([]string{"archive", "--format=tar", t.commit, "--"}, slices.Sorted(maps.Keys(globs))...)
	out, err := gocmd.Git(ctx, t.top, args...)
	if err != nil {
		return err
	}
	archived := make(map[string][]byte)
	tr := tar.NewReader(bytes.NewReader(out))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("git archive: %v", err)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			return fmt.Errorf("git archive: %v", err)
		}
		archived[h.Name] = data
	}
	for _, f := range files {
		if !filepath.IsLocal(filepath.FromSlash(f.name)) {
			return fmt.Errorf("git ls-tree: unexpected path %q", f.name)
		}
		data, ok := archived[f.name]
		if !ok || blobID(data, len(f.id)) != f.id {
			// Dropped (export-ignore) or rewritten (export-subst) by the
			// repository's attributes: the blob as committed.
			if data, err = gocmd.Git(ctx, t.top, "cat-file", "blob", f.id); err != nil {
				return err
			}
		}
		p := filepath.Join(dst, filepath.FromSlash(f.name))
		if err := os.MkdirAll(filepath.Dir(p), 0o777); err != nil {
			return err
		}
		if err := os.WriteFile(p, data, 0o666); err != nil {
			return err
		}
	}
	return nil
}

// blobID is git's object id of a blob: SHA-1, or SHA-256 in a repository of
// that object format (64 hex digits).
func blobID(data []byte, idLen int) string {
	var h hash.Hash = sha1.New()
	if idLen == 64 {
		h = sha256.New()
	}
	fmt.Fprintf(h, "blob %d\x00", len(data))
	h.Write(data)
	return hex.EncodeToString(h.Sum(nil))
}

// localDirs returns the slash directories, relative to the repository top,
// of the workspace's modules and of the directory replacements of the main
// modules and the workspace, as materialised below tmp.
func localDirs(tmp, root, gowork string) ([]string, error) {
	var mods []string // module directories, slash, from the top
	var dirs []string
	add := func(base, p string) {
		if filepath.IsAbs(p) {
			return
		}
		d := path.Clean(path.Join(base, filepath.ToSlash(p)))
		if d == ".." || strings.HasPrefix(d, "../") {
			return // outside the repository
		}
		dirs = append(dirs, d)
	}
	if gowork != "off" && !filepath.IsAbs(gowork) {
		data, err := verify.ReadFileLimited(filepath.Join(tmp, filepath.FromSlash(gowork)), verify.MaxSumFileSize)
		if err != nil {
			return nil, err
		}
		wf, err := modfile.ParseWork(gowork, data, nil)
		if err != nil {
			return nil, err
		}
		base := path.Dir(gowork)
		for _, u := range wf.Use {
			add(base, u.Path)
		}
		mods = append(mods, dirs...)
		for _, r := range wf.Replace {
			if r.New.Version == "" {
				add(base, r.New.Path)
			}
		}
	} else {
		mods = append(mods, root)
	}
	for _, m := range mods {
		data, err := verify.ReadFileLimited(filepath.Join(tmp, filepath.FromSlash(m), "go.mod"), verify.MaxSumFileSize)
		if errors.Is(err, fs.ErrNotExist) {
			continue // materialised later, or missing: the go command says so
		}
		if err != nil {
			return nil, err
		}
		mf, err := modfile.ParseLax(path.Join(m, "go.mod"), data, nil)
		if err != nil {
			return nil, err
		}
		for _, r := range mf.Replace {
			if r.New.Version == "" {
				add(m, r.New.Path)
			}
		}
	}
	return dirs, nil
}
