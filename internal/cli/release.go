package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"

	"github.com/modseal/modseal/graph"
	"github.com/modseal/modseal/internal/audit"
	"github.com/modseal/modseal/internal/gitrev"
	"github.com/modseal/modseal/internal/modproxy"
	"github.com/modseal/modseal/internal/release"
	"github.com/modseal/modseal/internal/report"
	"github.com/modseal/modseal/verify"
)

func init() {
	commandHelp["release"] = releaseHelp
}

const releaseHelp = `usage: modseal release check [--tag TAG]... [--all] [--pre-push] [flags] [DIR]

Release check checks the git release tags of the module in DIR (default .)
against the checksum database GOSUMDB names. For each tag it rebuilds the
module zip and go.mod the go command would build for that version from the
tagged commit (golang.org/x/mod/zip.CreateFromVCS; the go.mod of the
module's directory, or the one the go command synthesises for a version
without one), hashes them, and looks the version up, with proofs, in the
checksum database:

	tag-moved        (error) the database recorded other content: the tag
	                 was moved or re-created after the version was fetched
	tag-unpublished  (note) the database has no record of the version yet
	tag-invalid      (error) the tag is no valid version of the module path

The module's release tags are vX.Y.Z for a module at the repository root and
sub/dir/vX.Y.Z for one in sub/dir, as the go command maps them: a module
path ending in /vN takes only vN tags (in the root or in its vN/
subdirectory), v2 and up of a path without /vN is vX.Y.Z+incompatible when
the tagged commit has no go.mod. Tags that are not canonical semantic
versions ("latest", "v1.2") are no versions and are ignored, and so are the
tags of the repository's other modules (other directories, other major
versions).

Which tags:

	--tag TAG     this tag (repeatable): the tag name, or just the version
	--all         every release tag of the module
	--pre-push    the tags git is pushing, read from standard input in the
	              pre-push hook's format (modseal hook install --pre-push);
	              deletions are not checked
	(none)        the release tags naming HEAD's commit or, if none does,
	              the highest release tag

Flags:

	--format FORMAT      text|json|sarif|github (default text)
	--output FILE        write the report to FILE instead of standard output
	--json FILE          also write the JSON report to FILE, whatever --format is
	--sarif FILE         also write the SARIF log to FILE, whatever --format is
	--fail-on LEVEL      error|warning|note|never: exit 1 at or above LEVEL (default error)
	--skip RULE[,RULE]   leave out findings of these rules
	--offline            no network: the versions are built, the lookups listed as skipped
	--cache-dir DIR      modseal's cache (default $XDG_CACHE_HOME/modseal)
	--no-color           no colour (also NO_COLOR=1)
	--jobs, --progress, --no-cache
	                     accepted as for audit, without effect

GOSUMDB=off, and a module GONOSUMDB or GOPRIVATE covers, are not looked up
either: the report lists them as skipped, never as passed. Findings are
placed on go.mod's module line. Exit status: 0 no finding at or above
--fail-on (an unpublished tag is a note), 1 findings, 2 usage error or a
check that could not run (not a git repository, no such tag, the checksum
database unreachable or misbehaving).
`

// stringsFlag is a repeatable string flag.
type stringsFlag []string

func (s *stringsFlag) String() string     { return strings.Join(*s, ",") }
func (s *stringsFlag) Set(v string) error { *s = append(*s, v); return nil }

// runRelease is modseal release.
func runRelease(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, e env) error {
	if len(args) == 0 {
		return usageErr("usage: modseal release check [--tag TAG]... [--all] [--pre-push] [DIR]: run 'modseal help release'")
	}
	if isHelpFlag(args[0]) {
		fmt.Fprint(stderr, commandHelp["release"])
		return errHelp
	}
	if args[0] != "check" {
		return usageErr("unknown release command %q: want check (run 'modseal help release')", args[0])
	}
	return runReleaseCheck(ctx, args[1:], stdin, stdout, stderr, e)
}

func runReleaseCheck(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, e env) (err error) {
	fs := newFlagSet("release", stderr)
	var (
		c       commonFlags
		tags    stringsFlag
		all     bool
		prePush bool
	)
	c.register(fs)
	fs.Var(&tags, "tag", "check the tag `TAG` (repeatable): a tag name or a version")
	fs.BoolVar(&all, "all", false, "check every release tag of the module")
	fs.BoolVar(&prePush, "pre-push", false, "check the tags git pushes (pre-push hook input on stdin)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return flagErr(err)
	}
	dir := "."
	if len(pos) == 1 {
		dir = filepath.Clean(pos[0])
	}
	if err := c.checkFiles(); err != nil {
		return err
	}
	defer func() { err = c.failed(ctx, "release", dir, e, err) }()
	if len(pos) > 1 {
		return usageErr("release check takes one directory, got %d arguments: %s", len(pos), strings.Join(pos, " "))
	}
	modes := 0
	for _, on := range []bool{len(tags) > 0, all, prePush} {
		if on {
			modes++
		}
	}
	if modes > 1 {
		return usageErr("release check: --tag, --all and --pre-push exclude each other")
	}
	if c.key != "" {
		return usageErr("release check: --key is not used (it checks a snapshot's signature; release check reads none)")
	}
	failRank, skip, err := c.check()
	if err != nil {
		return err
	}
	h, err := c.handler(stdout, e, failRank)
	if err != nil {
		return err
	}
	cacheDir, err := resolveCacheDir(c.cacheDir, e)
	if err != nil {
		return err
	}

	// The module: its path and module line, from DIR/go.mod.
	gomodFile := filepath.Join(dir, "go.mod")
	data, err := verify.ReadFileLimited(gomodFile, 16<<20)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("%s has no go.mod: run release check in the module's directory", dir)
		}
		return err
	}
	mf, err := modfile.ParseLax(gomodFile, data, nil)
	if err != nil {
		return fmt.Errorf("cannot parse %s: %v (modseal audit reports why)", gomodFile, err)
	}
	if mf.Module == nil {
		return fmt.Errorf("%s has no module directive", gomodFile)
	}
	modPath, line := mf.Module.Mod.Path, mf.Module.Syntax.Start.Line

	top, err := gitrev.Top(ctx, dir)
	if err != nil {
		return fmt.Errorf("%v: release check reads the module's tags from git", err)
	}
	abs, err := realPath(dir)
	if err != nil {
		return err
	}
	rel, ok := gitrev.Rel(top, abs)
	if !ok {
		return fmt.Errorf("%s is not inside the repository %s", dir, top)
	}
	layout, err := release.NewLayout(modPath, rel)
	if err != nil {
		return fmt.Errorf("%s: %v", gomodFile, err)
	}

	sel := release.Selection{Tags: tags, All: all}
	if prePush {
		sel.PrePush = stdin
	}
	targets, err := layout.Select(ctx, top, sel)
	if err != nil {
		return err
	}
	if prePush && len(targets) == 0 {
		// The push sends no release tag of this module: nothing to say.
		return nil
	}

	g := &graph.Command{Dir: dir, Environ: e, Offline: c.offline, CacheDir: cacheDir}
	genv, err := g.Env(ctx)
	if err != nil {
		return fmt.Errorf("cannot ask the go command about %s: %v", dir, err)
	}
	chk := &release.Checker{Top: top, Layout: layout, File: "go.mod", Line: line}
	var client interface{ Close() error }
	switch db, perr := verify.ParseGOSUMDB(genv.GOSUMDB); {
	case c.offline:
		chk.NoLookup = "--offline"
	case perr != nil:
		return perr
	case db == nil:
		chk.NoLookup = "GOSUMDB=off"
	case module.MatchPrefixPatterns(genv.GONOSUMDB, modPath):
		chk.NoLookup = "GONOSUMDB/GOPRIVATE covers " + modPath
	default:
		sc := audit.NewSumDBClient(db, genv, cacheDir, nil)
		// The committed checkpoint, if any, witnesses the database's
		// history here too, as in audit.
		cp, err := audit.CommittedCheckpoint(dir)
		if err != nil {
			return err
		}
		sc.Witnesses, _ = audit.Witnesses(db, cp)
		chk.DB, client = sc, sc
		fetcher := &modproxy.Fetcher{Proxy: genv.GOPROXY, NoProxy: genv.GONOPROXY, Dir: filepath.Join(cacheDir, "download")}
		chk.Origin = func(ctx context.Context, m module.Version) string {
			info, err := fetcher.Stat(ctx, m)
			if err != nil || info == nil || info.Origin == nil {
				return ""
			}
			return info.Origin.Hash
		}
	}
	res, err := chk.Check(ctx, targets)
	if client != nil {
		if cerr := client.Close(); err == nil && cerr != nil {
			fmt.Fprintf(stderr, "modseal: saving the checksum database cache: %s\n", safeText(cerr.Error()))
		}
	}
	if err != nil {
		return err
	}
	for _, st := range res.Statuses {
		fmt.Fprintf(stderr, "modseal: %s@%s (tag %s, commit %.12s): %s\n",
			safeText(modPath), safeText(st.Version), safeText(st.Name), st.Commit, st.Outcome)
	}

	vr := &verify.Report{Dir: dir, Module: modPath, Findings: res.Findings, Skipped: res.Skipped, Modules: res.Checked, Verified: res.Verified}
	if len(targets) == 0 {
		vr.Skipped = append(vr.Skipped, verify.Skipped{Check: "release", Reason: fmt.Sprintf("no release tag of %s in the repository (its release tags are %s)", modPath, layout.Tag("vX.Y.Z"))})
	}
	var kept []verify.Finding
	for _, f := range vr.Findings {
		if !skip[f.Rule] {
			kept = append(kept, f)
		}
	}
	vr.Findings = kept
	rep := report.New(versionString(), vr)
	c.locate(ctx, rep, "release", dir, e)
	if err := c.write(h, rep, stdout); err != nil {
		return err
	}
	return failOn(rep, failRank)
}
