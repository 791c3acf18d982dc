package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/mod/module"

	"github.com/modseal/modseal/graph"
	"github.com/modseal/modseal/internal/audit"
	"github.com/modseal/modseal/internal/explain"
	"github.com/modseal/modseal/verify"
)

func init() {
	commandHelp["explain"] = `usage: modseal explain [flags] MODULE@VERSION [DIR]

Explain gathers every view of one module version and says who agrees with
whom: the go.sum and go.work.sum lines of the module in DIR (default .),
the user's module cache (.zip, .ziphash, .mod and the extracted directory),
modseal's cache, each GOPROXY entry on its own (.zip, .mod, .info), the
checksum database's record (proved), and the repository the proxies' .info
names (git ls-remote of the ref). It prints a table of the views, then one
verdict: consistent, gosum-edited, cache-tampered, proxy-diverges,
sumdb-disagrees, tag-moved, sumdb-security or inconsistent. Exit status 0
when the views agree, 1 when they disagree, 2 when modseal could not ask.
Flags:

	--format FORMAT   text|json (default text; json: schema modseal/explain/v1)
	--output FILE     write the explanation to FILE instead of standard output
	--offline         only the local views: go.sum and the module caches
	--cache-dir DIR   modseal's cache (default $XDG_CACHE_HOME/modseal)
`
}

// runExplain is modseal explain.
func runExplain(ctx context.Context, args []string, stdout, stderr io.Writer, e env) error {
	fs := newFlagSet("explain", stderr)
	format := fs.String("format", "text", "output `format`: text|json")
	output := fs.String("output", "", "write the explanation to `FILE`")
	offline := fs.Bool("offline", false, "only the local views: no network")
	cacheFlag := fs.String("cache-dir", "", "modseal's cache `dir`")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return flagErr(err)
	}
	if len(pos) < 1 || len(pos) > 2 {
		return usageErr("explain takes MODULE@VERSION and at most one directory: run 'modseal help explain'")
	}
	if *format != "text" && *format != "json" {
		return usageErr("--format must be text or json, got %q", *format)
	}
	p, v, ok := strings.Cut(pos[0], "@")
	m := module.Version{Path: p, Version: v}
	if !ok || module.Check(p, v) != nil || module.CanonicalVersion(v) != v {
		return usageErr("%s: want MODULE@VERSION with a canonical version (example.com/mod@v1.2.3)", pos[0])
	}
	dir := "."
	if len(pos) == 2 {
		dir = filepath.Clean(pos[1])
	}
	if fi, err := os.Stat(dir); err != nil {
		return err
	} else if !fi.IsDir() {
		return usageErr("%s is not a directory", dir)
	}
	cacheDir, err := resolveCacheDir(*cacheFlag, e)
	if err != nil {
		return err
	}
	g := &graph.Command{Dir: dir, Environ: e, Offline: *offline, CacheDir: cacheDir}
	genv, err := g.Env(ctx)
	if err != nil {
		return fmt.Errorf("cannot ask the go command about %s: %v", dir, err)
	}
	// The committed checkpoint, if any, witnesses the database's history
	// here too, as in audit.
	checkpoint, err := audit.CommittedCheckpoint(dir)
	if err != nil {
		return err
	}
	res, err := explain.Run(ctx, explain.Options{
		Module:   m,
		Dir:      dir,
		Env:      genv,
		CacheDir: cacheDir,
		Offline:  *offline,
		SumDB: func(db *verify.SumDB) explain.SumDBClient {
			c := audit.NewSumDBClient(db, genv, cacheDir, nil)
			c.Witnesses, _ = audit.Witnesses(db, checkpoint)
			return c
		},
	})
	if err != nil {
		return err
	}
	if !res.Known() {
		hint := "check the path and version"
		if *offline {
			hint = "--offline read only go.sum and the module caches: run without it"
		}
		return fmt.Errorf("%s: no view holds this module version: it is in neither go.sum, the module caches, a proxy nor the checksum database; %s", m, hint)
	}
	res.Tool = explain.Tool{Name: "modseal", Version: versionString()}
	write := explain.WriteText
	if *format == "json" {
		write = explain.WriteJSON
	}
	if *output != "" {
		err = writeFileAtomic(*output, func(w io.Writer) error { return write(w, res) })
	} else {
		err = write(stdout, res)
	}
	if err != nil {
		return err
	}
	if !res.Consistent {
		return errFindings
	}
	return nil
}
