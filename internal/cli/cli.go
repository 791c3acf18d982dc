// Package cli is modseal's command line: flags, subcommands and exit codes.
// Everything runs behind Main, so tests call it in-process.
package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/modseal/modseal/internal/gocmd"
	"github.com/modseal/modseal/internal/report"
	"github.com/modseal/modseal/internal/report/sanitize"
	"github.com/modseal/modseal/verify"
)

// Set with -ldflags "-X github.com/modseal/modseal/internal/cli.version=... -X ...commit=...".
var (
	version = ""
	commit  = ""
)

const devVersion = "v0.1.0-dev"

// env is the process environment given to Main.
type env []string

func (e env) get(key string) string { return gocmd.Getenv(e, key) }

// Main runs modseal with args (without the program name) and returns the
// exit status (errors.go decides it).
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, environ []string) int {
	err := run(ctx, args, stdin, stdout, stderr, env(environ))
	printError(stderr, err)
	return exitStatus(err)
}

// safeText is sanitize.Text, for a line of modseal's own output.
func safeText(s string) string { return sanitize.Text(s) }

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, e env) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errReported
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "audit":
		return runAudit(ctx, rest, stdout, stderr, e)
	case "hash":
		return runHash(ctx, rest, stdout, stderr, e)
	case "version":
		return runVersion(rest, stdout, stderr)
	case "help", "-h", "-help", "--help":
		if len(rest) > 0 {
			if h, ok := commandHelp[rest[0]]; ok {
				fmt.Fprint(stdout, h)
				return nil
			}
			return usageErr("unknown command %q: run 'modseal help'", rest[0])
		}
		fmt.Fprint(stdout, usage)
		return nil
	case "snapshot":
		return runSnapshot(ctx, rest, stdout, stderr, e)
	case "diff":
		return runDiff(ctx, rest, stdout, stderr, e)
	case "hook":
		return runHook(ctx, rest, stdout, stderr, e)
	case "pr-comment":
		return runPRComment(ctx, rest, stdout, stderr, e)
	case "list-modules":
		return runListModules(ctx, rest, stdout, stderr, e)
	case "release":
		return runRelease(ctx, rest, stdin, stdout, stderr, e)
	case "explain":
		return runExplain(ctx, rest, stdout, stderr, e)
	case "action":
		// action runs audit and diff through Main, which prints their
		// messages, and returns the status they decided.
		return exitWith(runAction(ctx, rest, stdout, stderr, e))
	}
	return usageErr("unknown command %q: run 'modseal help'", cmd)
}

const usage = `modseal verifies the integrity of a Go module's dependencies.

Usage:

	modseal audit [flags] [DIR]      check go.mod, go.sum, go.work, vendor/, hashes and the checksum database
	modseal snapshot [flags] [DIR]   write the canonical graph snapshot (--sign-key: and sign it)
	modseal diff [flags] [DIR]       report drift from the snapshot or from --base-ref REV
	modseal hash [flags] TARGET      print the h1 hash of a zip, module directory, go.mod file or path@version
	modseal hook install [DIR]       install a git pre-commit hook running the offline audit
	                                 (--pre-push: a pre-push hook running release check --pre-push)
	modseal hook run [--mod|--repo-mod] [FILE...]  the offline audit the hooks run, per module
	modseal list-modules [DIR]       print the module directories below DIR (--format json for a matrix)
	modseal release check [--tag TAG]... [--all] [--pre-push] [DIR]
	                                 check the module's release tags against the checksum database
	modseal explain MODULE@VERSION [DIR]  every view of one module version, who agrees, and a verdict
	modseal pr-comment FILE          post FILE as the pull request's modseal comment (used by the GitHub Action)
	modseal version                  print version, commit and Go version
	modseal help [command]         show help

Run 'modseal help audit' for the audit flags. Exit status: 0 no findings at or
above --fail-on, 1 findings, 2 usage error or operational failure.
`

var commandHelp = map[string]string{
	"audit": `usage: modseal audit [flags] [DIR]

Audit checks the module (or go.work workspace) in DIR: go.mod and go.sum
syntax, module paths and versions, go.sum completeness with the go command
as the oracle, and the h1 hashes of module zips, .mod files and extracted
directories against go.sum. Flags:

	--format FORMAT      text|json|sarif|github (default text)
	--output FILE        write the report to FILE instead of standard output
	--json FILE          also write the JSON report to FILE, whatever --format is
	--sarif FILE         also write the SARIF log to FILE, whatever --format is; on
	                     exit 2 it is written too, with executionSuccessful false
	--fail-on LEVEL      error|warning|note|never: exit 1 at or above LEVEL (default error)
	--skip RULE[,RULE]   leave out findings of these rules
	--offline            no network: the go command gets GOPROXY=off
	--cache-dir DIR      modseal's cache (default $XDG_CACHE_HOME/modseal)
	--jobs N             modules hashed at once (default GOMAXPROCS)
	--progress MODE      auto|always|never (default auto)
	--no-cache           inflate every module zip; do not use the verification cache
	--no-color           no colour (also NO_COLOR=1)
	--key PUBKEY         require DIR/.modseal/graph.json to be signed by the PEM public key
	--changed REV        verify module hashes only where go.sum differs from git revision REV
	                     (the pre-commit hooks use HEAD); the rest are listed as skipped
`,
	"hash": `usage: modseal hash [--module PATH@VERSION] [--cache-dir DIR] TARGET

Hash prints the h1 hash of TARGET as go.sum records it:
	a module zip (PATH@VERSION/ entries)   PATH VERSION h1:...
	an extracted module directory          PATH VERSION h1:...
	a go.mod file                          h1:... FILE (or PATH VERSION/go.mod h1:... with --module)
	PATH@VERSION                           both go.sum lines, fetched through GOPROXY into modseal's cache
A directory inside the module cache names its module; elsewhere give --module.
`,
	"version": "usage: modseal version\n",
}

// commonFlags are the flags audit (and later snapshot and diff) share.
type commonFlags struct {
	format, output, failOn, progress, cacheDir, skip, key string
	json, sarif                                           string // --json, --sarif
	offline, noColor, noCache                             bool
	jobs                                                  int

	sarifWritten bool // the --sarif file was written (or tried)
}

func (c *commonFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&c.format, "format", "text", "output `format`: "+strings.Join(report.Formats, "|"))
	fs.StringVar(&c.output, "output", "", "write the report to `FILE`")
	fs.StringVar(&c.json, "json", "", "also write the JSON report to `FILE`, whatever --format is")
	fs.StringVar(&c.sarif, "sarif", "", "also write the SARIF log to `FILE`, whatever --format is (on exit 2 too)")
	fs.StringVar(&c.failOn, "fail-on", "error", "exit 1 on findings at or above `level`: error|warning|note|never")
	fs.StringVar(&c.skip, "skip", "", "comma-separated rule ids to leave out")
	fs.BoolVar(&c.offline, "offline", false, "no network: the go command gets GOPROXY=off")
	fs.StringVar(&c.cacheDir, "cache-dir", "", "modseal's cache `dir`")
	fs.IntVar(&c.jobs, "jobs", runtime.GOMAXPROCS(0), "modules hashed at once")
	fs.StringVar(&c.progress, "progress", "auto", "progress on stderr: auto|always|never")
	fs.BoolVar(&c.noColor, "no-color", false, "no colour in text output")
	fs.BoolVar(&c.noCache, "no-cache", false, "inflate and hash every module zip; do not use the verification cache")
	fs.StringVar(&c.key, "key", "", "require a valid signature of the snapshot by the PEM public `key`")
}

// check validates the common flags and returns the --fail-on rank and the
// --skip set.
func (c *commonFlags) check() (failRank int, skip map[string]bool, err error) {
	if failRank, err = failOnRank(c.failOn); err != nil {
		return 0, nil, err
	}
	if skip, err = parseSkip(c.skip); err != nil {
		return 0, nil, err
	}
	if c.jobs < 1 {
		return 0, nil, usageErr("--jobs must be at least 1, got %d", c.jobs)
	}
	switch c.progress {
	case "auto", "always", "never":
	default:
		return 0, nil, usageErr("--progress must be auto, always or never, got %q", c.progress)
	}
	return failRank, skip, nil
}

// isHelpFlag reports whether arg asks for help, as the flag package reads it.
func isHelpFlag(arg string) bool {
	return arg == "-h" || arg == "-help" || arg == "--help" || arg == "--h"
}

// checkFiles fails if --output, --json and --sarif name the same file. It
// runs before anything may be written to --sarif.
func (c *commonFlags) checkFiles() error {
	files := map[string]string{}
	for _, f := range []struct{ flag, file string }{{"--output", c.output}, {"--json", c.json}, {"--sarif", c.sarif}} {
		if f.file == "" {
			continue
		}
		if other, ok := files[filepath.Clean(f.file)]; ok {
			return usageErr("%s and %s name the same file %s: give each view its own file", other, f.flag, f.file)
		}
		files[filepath.Clean(f.file)] = f.flag
	}
	return nil
}

// parseArgs parses flags that may stand before or after positional arguments.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("modseal "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, commandHelp[name])
	}
	return fs
}

// failOnRank maps --fail-on to the lowest severity rank that fails the run.
func failOnRank(s string) (int, error) {
	switch s {
	case "never":
		return 99, nil
	case string(verify.SeverityError), string(verify.SeverityWarning), string(verify.SeverityNote):
		return verify.Severity(s).Rank(), nil
	}
	return 0, usageErr("--fail-on must be error, warning, note or never, got %q", s)
}

func parseSkip(s string) (map[string]bool, error) {
	skip := make(map[string]bool)
	for _, id := range strings.Split(s, ",") {
		id = strings.TrimSpace(id)
		if id == "" {
			continue
		}
		if _, ok := verify.LookupRule(id); !ok {
			return nil, usageErr("--skip: unknown rule %q (the rule ids are listed in 'go doc github.com/modseal/modseal/cmd/modseal')", id)
		}
		skip[id] = true
	}
	return skip, nil
}

// resolveCacheDir returns --cache-dir, or $XDG_CACHE_HOME/modseal, or the
// user cache directory's modseal folder.
func resolveCacheDir(flagValue string, e env) (string, error) {
	if flagValue != "" {
		return filepath.Abs(flagValue)
	}
	if x := e.get("XDG_CACHE_HOME"); x != "" && filepath.IsAbs(x) {
		return filepath.Join(x, "modseal"), nil
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no cache directory: %v; pass --cache-dir", err)
	}
	return filepath.Join(d, "modseal"), nil
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

func versionString() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return devVersion
}

func commitString() string {
	if commit != "" {
		return commit
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				return s.Value
			}
		}
	}
	return "unknown"
}

func runVersion(args []string, stdout, stderr io.Writer) error {
	if len(args) == 1 && isHelpFlag(args[0]) {
		fmt.Fprint(stderr, commandHelp["version"])
		return errHelp
	}
	if len(args) > 0 {
		return usageErr("version takes no arguments")
	}
	fmt.Fprintf(stdout, "modseal %s\ncommit %s\n%s %s/%s\n", versionString(), commitString(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return nil
}
