package cli

import (
	"context"
	"io"
	"path/filepath"
	"strings"

	"github.com/modseal/modseal/internal/audit"
	"github.com/modseal/modseal/internal/report"
	"github.com/modseal/modseal/verify"
)

// runAudit implements "modseal audit".
func runAudit(ctx context.Context, args []string, stdout, stderr io.Writer, e env) (err error) {
	fs := newFlagSet("audit", stderr)
	var c commonFlags
	c.register(fs)
	changed := fs.String("changed", "", "verify module hashes only where go.sum differs from git revision `REV` (for pre-commit hooks)")
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
	defer func() { err = c.failed(ctx, "audit", dir, e, err) }()
	if len(pos) > 1 {
		return usageErr("audit takes one directory, got %d arguments: %s", len(pos), strings.Join(pos, " "))
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

	// The signature first: the checkpoint it records is one more tree head
	// the checksum database's latest must be consistent with.
	var sigFindings []verify.Finding
	var checkpoints map[string][]byte
	if c.key != "" && !skip[verify.RuleSnapshotSignature] {
		if sigFindings, checkpoints, err = requireSignedSnapshot(dir, c.key); err != nil {
			return err
		}
	}
	prog := newProgress(stderr, c.progress, e)
	res, err := audit.Run(ctx, audit.Options{
		Dir:          dir,
		Environ:      e,
		Offline:      c.offline,
		CacheDir:     cacheDir,
		Skip:         skip,
		Jobs:         c.jobs,
		NoCache:      c.noCache,
		ChangedSince: *changed,
		Checkpoints:  checkpoints,
		Progress:     prog.update,
	})
	prog.finish()
	if err != nil {
		return err
	}
	if len(sigFindings) > 0 {
		res.Findings = append(res.Findings, sigFindings...)
		verify.Sort(res.Findings)
	}
	rep := report.New(versionString(), res)
	c.locate(ctx, rep, "audit", dir, e)
	if err := c.write(h, rep, stdout); err != nil {
		return err
	}
	return failOn(rep, failRank)
}
