package cli

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/modseal/modseal/internal/gitrev"
	"github.com/modseal/modseal/internal/report"
	"github.com/modseal/modseal/verify"
)

// hookMarker identifies a pre-commit hook modseal wrote; modseal overwrites
// or removes no other hook.
const hookMarker = "# modseal-hook: v1"

// hookScript is the pre-commit hook: the fast offline audit, only when a
// file that decides the dependencies is staged.
const hookScript = `#!/bin/sh
# Installed by "modseal hook install"; "modseal hook uninstall" removes it.
` + hookMarker + `
# Runs modseal's offline audit (no network; module hashes verified for the
# go.sum lines the commit changes; extracted module directories left to CI)
# when go.mod, go.sum, go.work, go.work.sum or vendor/modules.txt are part of
# the commit: the module (or go.work workspace) at the repository root, or,
# when the root has neither go.mod nor go.work, every module below it. Set
# MODSEAL to the binary to use; git commit --no-verify skips the hook.
staged=$(git diff --cached --name-only --diff-filter=ACMR -- \
	'go.mod' '*/go.mod' 'go.sum' '*/go.sum' 'go.work' 'go.work.sum' 'vendor/modules.txt' '*/vendor/modules.txt')
[ -n "$staged" ] || exit 0
exec "${MODSEAL:-modseal}" hook run --offline --skip cache-tampered --changed HEAD .
`

// prePushScript is the pre-push hook for the module in the directory dir
// (relative to the repository root, which is where git runs hooks): the
// release check of the tags being pushed, git's ref lines passed through
// on standard input.
func prePushScript(dir string) string {
	return `#!/bin/sh
# Installed by "modseal hook install --pre-push"; "modseal hook uninstall
# --pre-push" removes it.
` + hookMarker + `
# Before git push sends release tags of the module, runs modseal release
# check on them: a tag whose content differs from what the checksum database
# recorded for its version (a moved tag) fails the push. Pushes without
# release tags of the module pass untouched. Set MODSEAL to the binary to
# use; git push --no-verify skips the hook.
exec "${MODSEAL:-modseal}" release check --pre-push -- ` + shellQuote(dir) + `
`
}

// shellQuote quotes s for sh as one word.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

const hookHelp = `usage: modseal hook install|uninstall [--force] [--pre-push] [DIR]
       modseal hook run [--mod | --repo-mod] [AUDIT FLAGS] [FILE... | DIR]

Install writes a git pre-commit hook (honouring core.hooksPath) that runs
"modseal hook run --offline" when go.mod, go.sum, go.work, go.work.sum or
vendor/modules.txt are staged. It refuses to overwrite a hook modseal did not
write unless --force; uninstall removes only modseal's own hook.

With --pre-push, install writes a pre-push hook instead, which runs
"modseal release check --pre-push DIR" on the release tags of the module in
DIR (default .) that git push sends (see 'modseal help release'), and
uninstall removes that hook.

Run is what the hooks run: "modseal audit" with the AUDIT FLAGS (the flags of
audit: --offline, --skip, --changed, --fail-on, ...) on

	(no flag)    DIR (default .): its go.mod or go.work; when DIR has
	             neither (the repository's only module is svc/), each module
	             below DIR, as list-modules finds them, with a message; none
	             at all is a message and exit 0, not a failure
	--mod        the module of each FILE: the nearest directory at or above
	             it that holds a go.mod or go.work, each module once (the
	             pre-commit framework passes the staged files)
	--repo-mod   every module in DIR (default .) and below (list-modules)

Modules in vendor/, testdata/ and hidden directories are left out. The exit
status is the worst of the audits: 0, 1 (findings) or 2.
`

func init() {
	commandHelp["hook"] = hookHelp
}

func runHook(ctx context.Context, args []string, stdout, stderr io.Writer, e env) error {
	if len(args) == 0 {
		return usageErr("usage: modseal hook install|uninstall [--force] [--pre-push] [DIR], or modseal hook run [--mod | --repo-mod] [FLAGS] [FILE...]")
	}
	sub := args[0]
	if isHelpFlag(sub) {
		fmt.Fprint(stderr, commandHelp["hook"])
		return errHelp
	}
	if sub == "run" {
		return runHookRun(ctx, args[1:], stdout, stderr, e)
	}
	fs := newFlagSet("hook", stderr)
	force := fs.Bool("force", false, "overwrite a hook modseal did not write")
	prePush := fs.Bool("pre-push", false, "the pre-push hook running release check, not the pre-commit hook")
	pos, err := parseArgs(fs, args[1:])
	if err != nil {
		return flagErr(err)
	}
	if len(pos) > 1 {
		return usageErr("hook %s takes one directory, got %d arguments", sub, len(pos))
	}
	dir := "."
	if len(pos) == 1 {
		dir = pos[0]
	}
	if sub != "install" && sub != "uninstall" {
		return usageErr("unknown hook command %q: want install, uninstall or run", sub)
	}
	name, script, own := "pre-commit", hookScript, `"modseal audit --offline"`
	if *prePush {
		name, own = "pre-push", `"modseal release check --pre-push DIR"`
		if sub == "install" {
			rel, err := moduleDirInRepo(ctx, dir)
			if err != nil {
				return err
			}
			script = prePushScript(rel)
		}
	}
	hook, err := hookPath(ctx, dir, name)
	if err != nil {
		return err
	}
	if sub == "install" {
		return installHook(hook, name, script, own, *force, stdout)
	}
	return uninstallHook(hook, name, stdout)
}

// moduleDirInRepo returns dir, a module's directory, relative to the root
// of its git repository (slash-separated, "." for the root): where the
// pre-push hook, which git runs at the root, finds the module.
func moduleDirInRepo(ctx context.Context, dir string) (string, error) {
	if !isFile(filepath.Join(dir, "go.mod")) {
		return "", fmt.Errorf("%s has no go.mod: install the pre-push hook for a module's directory (modseal hook install --pre-push DIR)", dir)
	}
	top, err := gitrev.Top(ctx, dir)
	if err != nil {
		return "", err
	}
	abs, err := realPath(dir)
	if err != nil {
		return "", err
	}
	rel, ok := gitrev.Rel(top, abs)
	if !ok {
		return "", fmt.Errorf("%s is not inside the repository %s", dir, top)
	}
	return rel, nil
}

// hookPath returns the file of the hook name (pre-commit, pre-push) of the
// git repository holding dir, honouring core.hooksPath.
func hookPath(ctx context.Context, dir, name string) (string, error) {
	hooks, err := gitrev.HooksDir(ctx, dir)
	if err != nil {
		return "", err
	}
	return filepath.Join(hooks, name), nil
}

// installHook writes script as the hook file hook (named name), unless a
// hook modseal did not write is there and force is false; own is the
// command to suggest adding to that hook.
func installHook(hook, name, script, own string, force bool, stdout io.Writer) error {
	old, err := readHook(hook)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return err
	case !bytes.Contains(old, []byte(hookMarker)) && !force:
		return fmt.Errorf("%s exists and was not written by modseal: not overwriting it (add %s to it yourself, or pass --force)", hook, own)
	}
	if err := atomicWrite(hook, []byte(script), 0o755); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "modseal: installed the %s hook %s\n", name, hook)
	return nil
}

func uninstallHook(hook, name string, stdout io.Writer) error {
	old, err := readHook(hook)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		fmt.Fprintf(stdout, "modseal: no %s hook at %s\n", name, hook)
		return nil
	case err != nil:
		return err
	case !bytes.Contains(old, []byte(hookMarker)):
		return fmt.Errorf("%s was not written by modseal: not removing it", hook)
	}
	if err := os.Remove(hook); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "modseal: removed the %s hook %s\n", name, hook)
	return nil
}

// maxHook bounds how much of an existing pre-commit hook is read: modseal's
// is a few hundred bytes.
const maxHook = 1 << 20

// readHook reads the pre-commit hook file; one larger than maxHook is not
// modseal's, and comes back empty (so --force may still replace it).
func readHook(hook string) ([]byte, error) {
	data, err := verify.ReadFileLimited(hook, maxHook)
	var tl *verify.FileTooLargeError
	if errors.As(err, &tl) {
		return nil, nil
	}
	return data, err
}

// runHookRun implements "modseal hook run" (see hookHelp): the audit of the
// modules the hook is about, each once, in-process.
func runHookRun(ctx context.Context, args []string, stdout, stderr io.Writer, e env) error {
	fs := newFlagSet("hook", stderr)
	mod := fs.Bool("mod", false, "audit the module of each FILE")
	repoMod := fs.Bool("repo-mod", false, "audit every module of DIR")
	var c commonFlags
	c.register(fs)
	fs.String("changed", "", "audit --changed `REV`")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return flagErr(err)
	}
	if *mod && *repoMod {
		return usageErr("hook run: --mod and --repo-mod exclude each other")
	}
	// The audit flags given, as audit reads them (--name=value, which also
	// keeps a value that starts with "-" a value).
	var auditArgs []string
	fs.Visit(func(f *flag.Flag) {
		if f.Name != "mod" && f.Name != "repo-mod" {
			auditArgs = append(auditArgs, "--"+f.Name+"="+f.Value.String())
		}
	})
	if _, _, err := c.check(); err != nil {
		return err
	}

	var dirs []string
	switch {
	case *mod:
		if len(pos) == 0 {
			fmt.Fprintln(stderr, "modseal: hook run --mod: no files given: nothing to audit")
			return nil
		}
		seen := map[string]bool{}
		for _, file := range pos {
			dir, ok := moduleOf(file)
			switch {
			case !ok:
				fmt.Fprintf(stderr, "modseal: %s is in no Go module (no go.mod or go.work at or above it): not audited\n", safeText(file))
			case ignoredDir(dir):
				fmt.Fprintf(stderr, "modseal: %s: the module %s is in a vendor, testdata or hidden directory: not audited\n", safeText(file), safeText(filepath.ToSlash(dir)))
			case !seen[dir]:
				seen[dir] = true
				dirs = append(dirs, dir)
			}
		}
		slices.Sort(dirs)
	default:
		if len(pos) > 1 {
			return usageErr("hook run takes one directory without --mod, got %d arguments: %s", len(pos), strings.Join(pos, " "))
		}
		root := "."
		if len(pos) == 1 {
			root = filepath.Clean(pos[0])
		}
		if !*repoMod && (isFile(filepath.Join(root, "go.mod")) || isFile(filepath.Join(root, "go.work"))) {
			dirs = []string{root}
			break
		}
		mods, err := listModules(root)
		if err != nil {
			return err
		}
		for _, m := range mods {
			dirs = append(dirs, filepath.Join(root, filepath.FromSlash(m)))
		}
		if !*repoMod && len(dirs) > 0 {
			fmt.Fprintf(stderr, "modseal: no go.mod or go.work in %s: auditing the %s below it\n", safeText(root), report.Plural(len(dirs), "module"))
		}
	}
	if len(dirs) == 0 {
		fmt.Fprintln(stderr, "modseal: no Go module to audit")
		return nil
	}
	worst := ExitOK
	for _, dir := range dirs {
		if len(dirs) > 1 {
			fmt.Fprintf(stderr, "modseal: auditing %s\n", safeText(filepath.ToSlash(dir)))
		}
		args := append(append([]string{"audit"}, auditArgs...), "--", dir)
		worst = max(worst, Main(ctx, args, strings.NewReader(""), stdout, stderr, e))
	}
	return exitWith(worst)
}

// moduleOf returns the nearest directory at or above file's that holds a
// go.mod or go.work file, and false when there is none up to the current
// directory (for a relative file) or the file system's root.
func moduleOf(file string) (string, bool) {
	dir := filepath.Dir(filepath.Clean(file))
	for {
		if isFile(filepath.Join(dir, "go.mod")) || isFile(filepath.Join(dir, "go.work")) {
			return dir, true
		}
		parent := filepath.Dir(dir)
		if dir == "." || parent == dir {
			return "", false
		}
		dir = parent
	}
}

// ignoredDir reports whether dir lies in a directory list-modules skips
// (vendor, testdata, a name starting with "." or "_").
func ignoredDir(dir string) bool {
	for _, elem := range strings.Split(filepath.ToSlash(filepath.Clean(dir)), "/") {
		if elem != "." && elem != ".." && elem != "" && skipDir(elem) {
			return true
		}
	}
	return false
}

func isFile(name string) bool {
	fi, err := os.Stat(name)
	return err == nil && fi.Mode().IsRegular()
}

// listModules returns the directories below root (root itself is ".") that
// hold a go.mod file, relative to root, slash-separated and sorted. It skips
// the directories the go command leaves out of ./... (vendor, testdata,
// names starting with "." or "_"), and does not follow symbolic links.
func listModules(root string) ([]string, error) {
	fi, err := os.Stat(root)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("%s is not a directory", root)
	}
	var mods []string
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p != root && errors.Is(err, fs.ErrPermission) {
				return nil
			}
			return err
		}
		if d.IsDir() {
			if p != root && skipDir(d.Name()) {
				return filepath.SkipDir
			}
			return nil
		}
		if d.Name() == "go.mod" && d.Type().IsRegular() {
			rel, err := filepath.Rel(root, filepath.Dir(p))
			if err != nil {
				return err
			}
			mods = append(mods, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.Sort(mods)
	return mods, nil
}

// skipDir reports whether a directory of this name is left out of the
// module search, as the go command leaves it out of ./... patterns.
func skipDir(name string) bool {
	return name == "vendor" || name == "testdata" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")
}
