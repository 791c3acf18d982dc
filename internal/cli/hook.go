package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/modseal/modseal/internal/gitrev"
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
# the commit. Set MODSEAL to the
# binary to use; git commit --no-verify skips the hook.
staged=$(git diff --cached --name-only --diff-filter=ACMR -- \
	'go.mod' '*/go.mod' 'go.sum' '*/go.sum' 'go.work' 'go.work.sum' 'vendor/modules.txt' '*/vendor/modules.txt')
[ -n "$staged" ] || exit 0
exec "${MODSEAL:-modseal}" audit --offline --skip cache-tampered --changed HEAD .
`

func runHook(ctx context.Context, args []string, stdout, stderr io.Writer, e env) error {
	if len(args) == 0 {
		return usageErr("usage: modseal hook install|uninstall [--force] [DIR]")
	}
	sub := args[0]
	if isHelpFlag(sub) {
		fmt.Fprint(stderr, commandHelp["hook"])
		return errHelp
	}
	fs := newFlagSet("hook", stderr)
	force := fs.Bool("force", false, "overwrite a pre-commit hook modseal did not write")
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
	hook, err := hookPath(ctx, dir)
	if err != nil {
		return err
	}
	switch sub {
	case "install":
		return installHook(hook, *force, stdout)
	case "uninstall":
		return uninstallHook(hook, stdout)
	}
	return usageErr("unknown hook command %q: want install or uninstall", sub)
}

// hookPath returns the pre-commit hook file of the git repository holding
// dir, honouring core.hooksPath.
func hookPath(ctx context.Context, dir string) (string, error) {
	hooks, err := gitrev.HooksDir(ctx, dir)
	if err != nil {
		return "", err
	}
	return filepath.Join(hooks, "pre-commit"), nil
}

func installHook(hook string, force bool, stdout io.Writer) error {
	old, err := readHook(hook)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return err
	case !bytes.Contains(old, []byte(hookMarker)) && !force:
		return fmt.Errorf("%s exists and was not written by modseal: not overwriting it (add \"modseal audit --offline\" to it yourself, or pass --force)", hook)
	}
	if err := atomicWrite(hook, []byte(hookScript), 0o755); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "modseal: installed the pre-commit hook %s\n", hook)
	return nil
}

func uninstallHook(hook string, stdout io.Writer) error {
	old, err := readHook(hook)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		fmt.Fprintf(stdout, "modseal: no pre-commit hook at %s\n", hook)
		return nil
	case err != nil:
		return err
	case !bytes.Contains(old, []byte(hookMarker)):
		return fmt.Errorf("%s was not written by modseal: not removing it", hook)
	}
	if err := os.Remove(hook); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "modseal: removed the pre-commit hook %s\n", hook)
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
