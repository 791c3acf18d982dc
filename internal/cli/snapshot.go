package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"unicode"

	"github.com/modseal/modseal/graph"
	"github.com/modseal/modseal/internal/audit"
	"github.com/modseal/modseal/internal/report"
	"github.com/modseal/modseal/internal/sign"
	"github.com/modseal/modseal/verify"
)

// defaultSnapshot is where snapshot writes and diff reads, relative to DIR.
const defaultSnapshot = ".modseal/graph.json"

func init() {
	commandHelp["snapshot"] = snapshotHelp
}

const snapshotHelp = `usage: modseal snapshot [flags] [DIR]

Snapshot writes the canonical graph snapshot of the module (or go.work
workspace) in DIR: the go mod graph edges, the build list with its go.sum
hashes, and the platforms each module provides packages for. The file is
byte for byte the same for the same go.mod, go.sum, go.work and sources.
Nothing is built: packages are only listed. Online, go.sum is also verified
against the checksum database and the signed tree head it was verified
against is written next to the snapshot as sumdb-checkpoint: commit both,
and audit and diff prove the database still shows the same history. Flags:

	--out FILE           write the snapshot to FILE (default DIR/.modseal/graph.json)
	--patterns P[,P]     package patterns of the build (default ./...; in a workspace,
	                     the packages of every workspace module)
	--platforms L[,L]    GOOS/GOARCH pairs (default linux/amd64,darwin/arm64,windows/amd64)
	--format text|json   the summary on standard output (default text)
	--offline            no network: the go command gets GOPROXY=off
	--cache-dir DIR      modseal's cache (default $XDG_CACHE_HOME/modseal)
	--jobs N             platforms listed at once (default GOMAXPROCS)
	--sign-key KEY       also audit DIR and write FILE.sig: a DSSE envelope of an in-toto
	                     statement over go.mod, go.sum (go.work, go.work.sum), the
	                     snapshot and its checkpoint, signed with the PEM private key
	                     KEY (ECDSA P-256, Ed25519, RSA, or cosign-encrypted with
	                     COSIGN_PASSWORD)
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
		return "", err
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
	return fmt.Errorf("%s has no go.mod or go.work: run modseal in the root directory of a Go module or workspace", dir)
}

// snapshotErr is the operational failure of computing a snapshot, with a hint.
func snapshotErr(dir string, err error) error {
	switch {
	case errors.Is(err, graph.ErrPlatform):
		return usageErr("--platforms: %v", err)
	case errors.Is(err, graph.ErrOffline):
		return fmt.Errorf("cannot compute the module graph of %s: %v\n(run without --offline, or go mod download first)", dir, err)
	}
	return fmt.Errorf("cannot compute the module graph of %s: %v\n(modseal audit %s explains what is wrong with go.mod and go.sum)", dir, err, dir)
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
		return err
	}
	if out == "" {
		out = filepath.Join(dir, filepath.FromSlash(defaultSnapshot))
		if err := os.MkdirAll(filepath.Dir(out), 0o777); err != nil {
			return err
		}
	}
	if err := writeFileAtomic(out, func(w io.Writer) error { _, err := w.Write(data); return err }); err != nil {
		return fmt.Errorf("writing the snapshot: %v", err)
	}
	var rel string
	if *signKey != "" {
		if rel, err = filepath.Rel(dir, out); err != nil || !filepath.IsLocal(rel) {
			return usageErr("--sign-key: the snapshot must be inside %s to be signed with go.mod and go.sum, got --out %s", dir, out)
		}
	}
	// Online, go.sum is verified against the checksum database and the tree
	// head it was verified against is written next to the snapshot: the
	// checkpoint. Signing audits the module anyway; without it, only the
	// checksum database check runs.
	var res *verify.Report
	if !offline || *signKey != "" {
		if res, err = snapshotAudit(ctx, dir, cacheDir, offline, jobs, *signKey != "", e); err != nil {
			return err
		}
	}
	cpFile, disputed, err := writeCheckpoint(out, res, offline, stderr)
	if err != nil {
		return err
	}
	sig := ""
	if *signKey != "" {
		signed := []string{filepath.ToSlash(rel)}
		if cpFile != "" {
			signed = append(signed, filepath.ToSlash(filepath.Join(filepath.Dir(rel), audit.CheckpointName)))
		}
		rep := report.New(versionString(), res)
		pred := sign.Predicate{
			GraphDigest:   snap.GraphDigest,
			ContentDigest: snap.ContentDigest,
			Checkpoint:    res.Checkpoint,
			Audit:         auditSummary(rep.Summary.Errors, rep.Summary.Warnings, rep.Summary.Notes),
		}
		if sig, err = signSnapshot(dir, signed, *signKey, e, pred); err != nil {
			return err
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
			Checkpoint    string `json:"checkpoint,omitempty"`
			Signature     string `json:"signature,omitempty"`
		}{filepath.ToSlash(out), snap.Module, n, snap.GraphDigest, snap.ContentDigest, filepath.ToSlash(cpFile), filepath.ToSlash(sig)}, "", "  ")
		fmt.Fprintf(stdout, "%s\n", b)
		return disputed
	}
	fmt.Fprintf(stdout, "modseal: wrote %s: %s, %s, graph %s\n", safeText(filepath.ToSlash(out)), safeText(snap.Module), report.Plural(n, "module"), snap.GraphDigest)
	if cpFile != "" {
		fmt.Fprintf(stdout, "modseal: wrote %s: the checksum database's %s\n", safeText(filepath.ToSlash(cpFile)), safeText(audit.DescribeCheckpoint([]byte(res.Checkpoint))))
	}
	if sig != "" {
		fmt.Fprintf(stdout, "modseal: signed %s\n", safeText(filepath.ToSlash(sig)))
	}
	return disputed
}

// snapshotAudit audits dir for snapshot: every check when full (for the
// signature's predicate), else only the checksum database check of go.sum
// (with the committed checkpoint proved, as audit does). A checksum
// database that cannot be reached is not an error here unless full: the
// snapshot is written without a checkpoint (writeCheckpoint says so).
func snapshotAudit(ctx context.Context, dir, cacheDir string, offline bool, jobs int, full bool, e env) (*verify.Report, error) {
	if jobs == 0 {
		jobs = runtime.GOMAXPROCS(0)
	}
	opts := audit.Options{Dir: dir, Environ: e, Offline: offline, CacheDir: cacheDir, Jobs: jobs}
	if !full {
		opts.Skip = make(map[string]bool)
		for _, r := range verify.Rules {
			if r.ID != verify.RuleSumDBMismatch && r.ID != verify.RuleSumDBMissing {
				opts.Skip[r.ID] = true
			}
		}
	}
	res, err := audit.Run(ctx, opts)
	var se *verify.SecurityError
	switch {
	case err == nil:
		return res, nil
	case full:
		return nil, fmt.Errorf("auditing before signing: %w", err)
	case errors.As(err, &se):
		return nil, err
	}
	reason, _, _ := strings.Cut(err.Error(), "\n") // the rest is audit's advice
	return &verify.Report{Dir: dir, Skipped: []verify.Skipped{{Check: "sumdb", Reason: reason}}}, nil
}

// writeCheckpoint writes the checkpoint res verified go.sum against next to
// the snapshot out, and returns its name ("" if none was written). When
// the checksum database disputes go.sum, or could not be asked, no
// checkpoint is written and stderr says why; a dispute is also the error
// errFindings, for snapshot's exit status (the snapshot itself is written:
// audit reports the dispute on every run).
func writeCheckpoint(out string, res *verify.Report, offline bool, stderr io.Writer) (file string, disputed error, err error) {
	if offline || res == nil {
		return "", nil, nil
	}
	var disputes []verify.Finding
	for _, f := range res.Findings {
		if f.Rule == verify.RuleSumDBMismatch || f.Rule == verify.RuleSumDBMissing {
			disputes = append(disputes, f)
		}
	}
	if len(disputes) > 0 {
		fmt.Fprintf(stderr, "modseal: go.sum disagrees with the checksum database, so no %s was written:\n", audit.CheckpointName)
		for i, f := range disputes {
			if i == 5 {
				fmt.Fprintf(stderr, "\t... and %d more\n", len(disputes)-5)
				break
			}
			fmt.Fprintf(stderr, "\t%s:%d: %s: %s\n", safeText(f.File), f.Line, f.Rule, safeText(f.Message))
		}
		fmt.Fprintf(stderr, "run modseal audit for the whole story\n")
		return "", errFindings, nil
	}
	if res.Checkpoint == "" {
		for _, s := range res.Skipped {
			if s.Check == "sumdb" {
				fmt.Fprintf(stderr, "modseal: no %s written: %s\n", audit.CheckpointName, safeText(s.Reason))
			}
		}
		return "", nil, nil
	}
	file = filepath.Join(filepath.Dir(out), audit.CheckpointName)
	if err := atomicWrite(file, []byte(res.Checkpoint), 0o644); err != nil {
		return "", nil, fmt.Errorf("writing the checkpoint: %v", err)
	}
	return file, nil, nil
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
