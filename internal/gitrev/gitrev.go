// Package gitrev reads a Go module's files as a git revision holds them:
// one file (go.sum at HEAD, for audit --changed), or every file the go
// command needs to compute the module graph at a revision, written to a
// temporary directory (diff --base-ref). The working tree and the index are
// never read or touched: what comes back is what was committed.
//
// It runs git through gocmd.Git, and is the one place modseal does.
package gitrev

import (
	"context"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/modseal/modseal/internal/gocmd"
)

// A NotRepositoryError reports that a directory is not in a git repository.
type NotRepositoryError struct {
	Dir string
	Err error // what git said
}

func (e *NotRepositoryError) Error() string {
	return fmt.Sprintf("%s is not in a git repository: %v", e.Dir, e.Err)
}

func (e *NotRepositoryError) Unwrap() error { return e.Err }

// Top returns the top-level directory of the git repository holding dir,
// with symbolic links resolved.
func Top(ctx context.Context, dir string) (string, error) {
	out, err := gocmd.Git(ctx, dir, "rev-parse", "--show-toplevel")
	if err != nil {
		return "", &NotRepositoryError{Dir: dir, Err: err}
	}
	return filepath.EvalSymlinks(strings.TrimSpace(string(out)))
}

// Commit returns the id of the commit rev names in the repository holding
// dir. A rev that starts with "-" is refused: git would read it as an
// option.
func Commit(ctx context.Context, dir, rev string) (string, error) {
	if strings.HasPrefix(rev, "-") {
		return "", fmt.Errorf("%q: not a git revision", rev)
	}
	out, err := gocmd.Git(ctx, dir, "rev-parse", "--verify", "--end-of-options", rev+"^{commit}")
	if err != nil {
		return "", fmt.Errorf("%q is not a commit of this repository: %v", rev, err)
	}
	return strings.TrimSpace(string(out)), nil
}

// ReadFile returns the file name (relative to dir) as the revision rev
// holds it, byte for byte (no filters, no textconv). The error wraps
// fs.ErrNotExist when rev is a commit that has no such file.
func ReadFile(ctx context.Context, dir, rev, name string) ([]byte, error) {
	commit, err := Commit(ctx, dir, rev)
	if err != nil {
		return nil, err
	}
	obj := commit + ":./" + filepath.ToSlash(name)
	if _, err := gocmd.Git(ctx, dir, "rev-parse", "--verify", "--quiet", "--end-of-options", obj); err != nil {
		return nil, &fs.PathError{Op: "read", Path: rev + ":" + filepath.ToSlash(name), Err: fs.ErrNotExist}
	}
	return gocmd.Git(ctx, dir, "cat-file", "blob", obj)
}

// HooksDir returns the hooks directory of the git repository holding dir,
// honouring core.hooksPath.
func HooksDir(ctx context.Context, dir string) (string, error) {
	out, err := gocmd.Git(ctx, dir, "rev-parse", "--git-path", "hooks")
	if err != nil {
		return "", &NotRepositoryError{Dir: dir, Err: err}
	}
	hooks := strings.TrimSpace(string(out))
	if !filepath.IsAbs(hooks) {
		hooks = filepath.Join(dir, hooks)
	}
	return hooks, nil
}
