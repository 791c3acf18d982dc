package cli

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/modseal/modseal/verify"
)

// exitStatus is the one mapping from outcome to exit status: help is 0,
// findings 1, and every other error 2, whatever its type or wrapping (an
// error from audit.Run needs no type of its own to be a failure).
func TestExitStatus(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want int
	}{
		{nil, ExitOK},
		{errHelp, ExitOK},
		{flagErr(errHelp), ExitOK},
		{errFindings, ExitFindings},
		{fmt.Errorf("diff: %w", errFindings), ExitFindings},
		{usageErr("--jobs must be at least 1, got %d", 0), ExitFailure},
		{flagErr(errors.New("flag provided but not defined: -bogus")), ExitFailure},
		{errReported, ExitFailure},
		{errors.New("go: go.mod:3: unknown directive"), ExitFailure},
		{fmt.Errorf("auditing before signing: %w", errors.New("x")), ExitFailure},
		{&verify.SecurityError{Msg: "fork"}, ExitFailure},
		{errors.Join(errors.New("a"), errors.New("--sarif: b")), ExitFailure},
		{exitWith(ExitOK), ExitOK},
		{exitWith(ExitFindings), ExitFindings},
		{exitWith(ExitFailure), ExitFailure},
		{exitWith(3), ExitFailure},
	} {
		if got := exitStatus(tc.err); got != tc.want {
			t.Errorf("exitStatus(%v) = %d, want %d", tc.err, got, tc.want)
		}
	}
}

// What is printed: nothing for help, findings and a missing command (each
// printed its own output); "modseal: " and the message otherwise; a
// checksum database's SecurityError first on its line.
func TestPrintError(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{nil, ""},
		{errHelp, ""},
		{errFindings, ""},
		{errReported, ""},
		{usageErr("audit takes one directory"), "modseal: audit takes one directory\n"},
		{errors.New("no cache"), "modseal: no cache\n"},
		{&verify.SecurityError{Msg: "fork"}, (&verify.SecurityError{Msg: "fork"}).Error() + "\n"},
	} {
		var b bytes.Buffer
		printError(&b, tc.err)
		if b.String() != tc.want {
			t.Errorf("printError(%v) printed %q, want %q", tc.err, b.String(), tc.want)
		}
	}
}

// Files modseal writes (reports, snapshots, signatures) are 0644 as
// before, though renameio's temporary file is 0600; the hook is 0755. A
// missing directory is created.
func TestAtomicWriteMode(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		perm os.FileMode
	}{
		{filepath.Join(dir, "new", "sub", "report.sarif"), 0o644},
		{filepath.Join(dir, "hook"), 0o755},
	} {
		if err := atomicWrite(tc.name, []byte("x"), tc.perm); err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(tc.name)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != tc.perm {
			t.Errorf("%s: mode %v, want %v", tc.name, fi.Mode().Perm(), tc.perm)
		}
	}
	// A regular file through writeFileAtomic: rewritten, 0644, no
	// temporary file left.
	name := filepath.Join(dir, "report.json")
	os.WriteFile(name, []byte("old"), 0o600)
	if err := writeFileAtomic(name, writeString("new")); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(name); fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644", fi.Mode().Perm())
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "report.json*.tmp")); len(m) > 0 {
		t.Errorf("temporary files left: %v", m)
	}
}
