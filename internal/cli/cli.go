// Package cli is modseal's command line: flags, subcommands and exit codes.
// Everything runs behind Main, so tests call it in-process.
package cli

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"unicode"

	"github.com/modseal/modseal/internal/audit"
	"github.com/modseal/modseal/internal/gocmd"
	"github.com/modseal/modseal/internal/report"
	"github.com/modseal/modseal/internal/sanitize"
	"github.com/modseal/modseal/verify"
)

// Exit statuses, as the contract fixes them for every format.
const (
	ExitOK       = 0 // no finding at or above --fail-on
	ExitFindings = 1 // at least one finding at or above --fail-on
	ExitFailure  = 2 // usage error or operational failure
)

// Set with -ldflags "-X github.com/modseal/modseal/internal/cli.version=... -X ...commit=...".
var (
	version = ""
	commit  = ""
)

const devVersion = "v0.1.0-dev"

// exitError is an error with the exit status it causes.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) ExitCode() int { return e.code }

func usageErr(format string, args ...any) error {
	return &exitError{ExitFailure, fmt.Errorf(format, args...)}
}

// env is the process environment given to Main.
type env []string

func (e env) get(key string) string { return gocmd.Getenv(e, key) }

// Main runs modseal with args (without the program name) and returns the exit status.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, environ []string) int {
	err := run(ctx, args, stdin, stdout, stderr, env(environ))
	if err == nil {
		return ExitOK
	}
	var se *verify.SecurityError
	if errors.As(err, &se) {
		// Loud, and first on the line: a forked or lying checksum database.
		writeError(stderr, "", se.Error())
		return ExitFailure
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err == errFindings {
			return ee.code
		}
		if ee.err != flag.ErrHelp {
			writeError(stderr, "modseal: ", ee.err.Error())
		}
		return ee.code
	}
	writeError(stderr, "modseal: ", err.Error())
	return ExitFailure
}

// writeError prints an error message on standard error: prefix, then msg.
//
// Error messages quote what others wrote: the go command's and servers'
// error text, file and module names from the repository under audit. Each
// line of msg is printed with its control characters, format characters
// and invalid UTF-8 escaped (sanitize.Text), so nothing in it can drive a
// terminal. Line breaks ("\n", "\r\n") stay line breaks, and a line's
// leading tabs and spaces stay indentation: modseal's own multi-line
// messages (a hint on the next line, the go command's indented checksum
// mismatch) keep their layout. A lone "\r" is escaped. A GitHub Actions
// runner reads a workflow command from any line of a step's output that
// starts with "::" after white space, and from "##[" anywhere in a line: a
// continuation line that would start with "::" has that first colon
// written as \x3a, and every "##[" is written as ##\x5b, so no line of an
// error can be a workflow command.
func writeError(w io.Writer, prefix, msg string) {
	var b strings.Builder
	msg = strings.TrimRight(strings.ReplaceAll(msg, "\r\n", "\n"), "\n")
	for i, line := range strings.Split(msg, "\n") {
		if i == 0 {
			b.WriteString(prefix)
		}
		b.WriteString(safeErrorLine(line))
		b.WriteByte('\n')
	}
	io.WriteString(w, b.String())
}

// safeErrorLine is one line of an error message, safe to print on its own
// line: see writeError.
func safeErrorLine(line string) string {
	rest := strings.TrimLeft(line, " \t")
	indent := line[:len(line)-len(rest)]
	rest = safeText(rest)
	if strings.HasPrefix(strings.TrimLeftFunc(rest, unicode.IsSpace), "::") {
		// The runner trims Unicode white space (which Text leaves) too.
		j := strings.Index(rest, ":")
		rest = rest[:j] + `\x3a` + rest[j+1:]
	}
	return indent + rest
}

// safeText is sanitize.Text, for a line of modseal's own output.
func safeText(s string) string { return sanitize.Text(s) }

var errFindings = errors.New("findings at or above --fail-on")

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, e env) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return &exitError{ExitFailure, flag.ErrHelp}
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
	"hook": `usage: modseal hook install|uninstall [--force] [DIR]

Install writes a git pre-commit hook (honouring core.hooksPath) that runs
"modseal audit --offline" when go.mod, go.sum, go.work, go.work.sum or
vendor/modules.txt are staged. It refuses to overwrite a hook modseal did not
write unless --force; uninstall removes only modseal's own hook.
`,
}

// commonFlags are the flags audit (and later snapshot and diff) share.
type commonFlags struct {
	format, output, failOn, progress, cacheDir, skip, key string
	offline, noColor, noCache                             bool
	jobs                                                  int
}

func (c *commonFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&c.format, "format", "text", "output `format`: "+strings.Join(report.Formats, "|"))
	fs.StringVar(&c.output, "output", "", "write the report to `FILE`")
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

func flagErr(err error) error {
	if err == flag.ErrHelp {
		return &exitError{ExitFailure, flag.ErrHelp}
	}
	return usageErr("%v", err)
}

func runAudit(ctx context.Context, args []string, stdout, stderr io.Writer, e env) error {
	fs := newFlagSet("audit", stderr)
	var c commonFlags
	c.register(fs)
	changed := fs.String("changed", "", "verify module hashes only where go.sum differs from git revision `REV` (for pre-commit hooks)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return flagErr(err)
	}
	if len(pos) > 1 {
		return usageErr("audit takes one directory, got %d arguments: %s", len(pos), strings.Join(pos, " "))
	}
	dir := "."
	if len(pos) == 1 {
		dir = filepath.Clean(pos[0])
	}
	failRank, skip, err := c.check()
	if err != nil {
		return err
	}
	color := c.format == "text" && c.output == "" && !c.noColor && e.get("NO_COLOR") == "" && e.get("TERM") != "dumb" && isTerminal(stdout)
	h, err := report.NewHandlerWith(c.format, report.Options{
		Color:       color,
		FailOn:      failRank,
		SummaryFile: e.get("GITHUB_STEP_SUMMARY"),
		OutputFile:  e.get("GITHUB_OUTPUT"),
	})
	if err != nil {
		return usageErr("--format: %v", err)
	}
	cacheDir, err := resolveCacheDir(c.cacheDir, e)
	if err != nil {
		return err
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
		Progress:     prog.update,
	})
	prog.finish()
	if err != nil {
		return &exitError{ExitFailure, err}
	}
	if c.key != "" && !skip[verify.RuleSnapshotSignature] {
		fs, err := requireSignedSnapshot(dir, c.key)
		if err != nil {
			return &exitError{ExitFailure, err}
		}
		res.Findings = append(res.Findings, fs...)
		verify.Sort(res.Findings)
	}
	rep := report.New(versionString(), res)
	if err := writeReport(h, rep, c.output, stdout); err != nil {
		return &exitError{ExitFailure, err}
	}
	for _, f := range rep.Findings {
		if f.Severity.Rank() >= failRank {
			return &exitError{ExitFindings, errFindings}
		}
	}
	return nil
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
		return "", &exitError{ExitFailure, fmt.Errorf("no cache directory: %v; pass --cache-dir", err)}
	}
	return filepath.Join(d, "modseal"), nil
}

// writeReport renders rep to stdout, or atomically to file.
func writeReport(h report.Handler, rep *report.Report, file string, stdout io.Writer) error {
	if file == "" {
		return h.Write(stdout, rep)
	}
	return writeFileAtomic(file, func(w io.Writer) error { return h.Write(w, rep) })
}

// writeFileAtomic renders a file in memory (reports and snapshots are
// small) and writes it to file (--output, --out):
//
//   - a regular file, or a name that does not exist yet, is written with
//     verify.WriteFileAtomic: through a temporary file in the same directory
//     and a rename, so it is never seen half written;
//   - a symbolic link to a regular file keeps the link: the file it points
//     to is replaced atomically, next to it;
//   - anything else (a terminal or /dev/stdout, a pipe such as bash's
//     >(cmd), a FIFO, a device; a dangling link) is opened and written to in
//     place, since a rename would replace it with a regular file, or fail.
//
// Like the shell's ">", this follows symbolic links: a file name inside a
// checkout of an untrusted pull request may be a link planted to elsewhere,
// so reports for such runs belong outside the checkout ($RUNNER_TEMP).
func writeFileAtomic(file string, write func(io.Writer) error) error {
	var buf bytes.Buffer
	if err := write(&buf); err != nil {
		return err
	}
	lfi, err := os.Lstat(file)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return verify.WriteFileAtomic(file, buf.Bytes())
	case err != nil:
		return err
	case lfi.Mode().IsRegular():
		return verify.WriteFileAtomic(file, buf.Bytes())
	case lfi.IsDir():
		return fmt.Errorf("%s is a directory: name a file to write", file)
	}
	if lfi.Mode()&os.ModeSymlink != 0 {
		if fi, err := os.Stat(file); err == nil && fi.Mode().IsRegular() {
			if target, err := filepath.EvalSymlinks(file); err == nil {
				return verify.WriteFileAtomic(target, buf.Bytes())
			}
		} else if err == nil && fi.IsDir() {
			return fmt.Errorf("%s is a directory: name a file to write", file)
		}
	}
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(buf.Bytes())
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
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
	if len(args) > 0 {
		return usageErr("version takes no arguments")
	}
	fmt.Fprintf(stdout, "modseal %s\ncommit %s\n%s %s/%s\n", versionString(), commitString(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return nil
}
