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

	"github.com/modseal/modseal/internal/atomicfile"
	"github.com/modseal/modseal/internal/gitrev"
	"github.com/modseal/modseal/internal/report"
	"github.com/modseal/modseal/verify"
)

// handler returns the report handler of --format: colour only for text on
// a terminal (not with --output, --no-color, NO_COLOR or TERM=dumb), the
// job summary and step outputs where GitHub Actions names them.
func (c *commonFlags) handler(stdout io.Writer, e env, failRank int) (report.Handler, error) {
	color := c.format == "text" && c.output == "" && !c.noColor && e.get("NO_COLOR") == "" && e.get("TERM") != "dumb" && isTerminal(stdout)
	h, err := report.NewHandlerWith(c.format, report.Options{
		Color:       color,
		FailOn:      failRank,
		SummaryFile: e.get("GITHUB_STEP_SUMMARY"),
		OutputFile:  e.get("GITHUB_OUTPUT"),
	})
	if err != nil {
		return nil, usageErr("--format: %v", err)
	}
	return h, nil
}

// write writes the views of one run's report rep: the --format view (h) to
// --output or standard output, then the JSON report to --json and the SARIF
// log to --sarif.
func (c *commonFlags) write(h report.Handler, rep *report.Report, stdout io.Writer) error {
	if err := writeReport(h, rep, c.output, stdout); err != nil {
		return err
	}
	if c.json != "" {
		if err := writeFileAtomic(c.json, func(w io.Writer) error { return report.JSON{}.Write(w, rep) }); err != nil {
			return fmt.Errorf("--json: %v", err)
		}
	}
	if c.sarif != "" {
		c.sarifWritten = true
		if err := writeFileAtomic(c.sarif, func(w io.Writer) error { return report.SARIF{}.Write(w, rep) }); err != nil {
			return fmt.Errorf("--sarif: %v", err)
		}
	}
	return nil
}

// failed returns err, the outcome of the run of dir, after writing the
// --sarif file of a run that failed (exit status 2) before it wrote one: a
// SARIF log with executionSuccessful false and the error as a tool
// execution notification. Nothing is written to --json or --output for such
// a run: a report without the findings of the checks that did not run would
// read as a pass.
func (c *commonFlags) failed(ctx context.Context, command, dir string, e env, err error) error {
	if c.sarif == "" || c.sarifWritten || exitStatus(err) != ExitFailure {
		return err
	}
	c.sarifWritten = true
	rep := report.New(versionString(), &verify.Report{Dir: dir})
	rep.Command, rep.RepoDir = command, repoDir(ctx, dir, e)
	h := report.SARIF{Failure: err}
	if werr := writeFileAtomic(c.sarif, func(w io.Writer) error { return h.Write(w, rep) }); werr != nil {
		return errors.Join(err, fmt.Errorf("--sarif: %v", werr))
	}
	return err
}

// locate tells rep, the report of command run on dir, where dir is in the
// repository, when a view that points into the repository is written
// (SARIF, GitHub annotations): their paths are relative to the repository
// root whatever the working directory and DIR.
func (c *commonFlags) locate(ctx context.Context, rep *report.Report, command, dir string, e env) {
	rep.Command = command
	if c.sarif != "" || c.format == "sarif" || c.format == "github" {
		rep.RepoDir = repoDir(ctx, dir, e)
	}
}

// repoDir returns dir relative to the root of the repository holding it,
// slash-separated ("." for the root itself): the git top level, or, where
// git finds no repository (an export without .git, a container where git
// refuses the checkout's owner), $GITHUB_WORKSPACE when it contains dir.
// It returns "" when neither does: the report then places files relative
// to the current directory.
func repoDir(ctx context.Context, dir string, e env) string {
	abs, err := realPath(dir)
	if err != nil {
		return ""
	}
	if top, err := gitrev.Top(ctx, abs); err == nil {
		if rel, ok := gitrev.Rel(top, abs); ok {
			return rel
		}
	}
	if ws := e.get("GITHUB_WORKSPACE"); ws != "" {
		if root, err := realPath(ws); err == nil {
			if rel, ok := gitrev.Rel(root, abs); ok {
				return rel
			}
		}
	}
	return ""
}

// realPath is the absolute path of name with symbolic links resolved, as
// gitrev.Top returns the top level.
func realPath(name string) (string, error) {
	abs, err := filepath.Abs(name)
	if err != nil {
		return "", err
	}
	return filepath.EvalSymlinks(abs)
}

// writeReport renders rep to stdout, or atomically to file.
func writeReport(h report.Handler, rep *report.Report, file string, stdout io.Writer) error {
	if file == "" {
		return h.Write(stdout, rep)
	}
	return writeFileAtomic(file, func(w io.Writer) error { return h.Write(w, rep) })
}

// writeFileAtomic renders a file in memory (reports and snapshots are
// small) and writes it to file (--output, --json, --sarif, --out):
//
//   - a regular file, or a name that does not exist yet, is written with
//     atomicWrite: through a temporary file in the same directory and a
//     rename, so it is never seen half written;
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
		return atomicWrite(file, buf.Bytes(), 0o644)
	case err != nil:
		return err
	case lfi.Mode().IsRegular():
		return atomicWrite(file, buf.Bytes(), 0o644)
	case lfi.IsDir():
		return fmt.Errorf("%s is a directory: name a file to write", file)
	}
	if lfi.Mode()&os.ModeSymlink != 0 {
		if fi, err := os.Stat(file); err == nil && fi.Mode().IsRegular() {
			if target, err := filepath.EvalSymlinks(file); err == nil {
				return atomicWrite(target, buf.Bytes(), 0o644)
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

// atomicWrite writes data to the file name atomically and durably
// (atomicfile), with the mode perm.
func atomicWrite(name string, data []byte, perm fs.FileMode) error {
	return atomicfile.Write(name, perm, true, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}
