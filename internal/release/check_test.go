package release

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/module"

	"github.com/modseal/modseal/internal/gitrev"
	"github.com/modseal/modseal/verify"
)

// gitRepo makes a git repository in a temporary directory and returns its
// top-level directory and a function running git there.
func gitRepo(t *testing.T) (string, func(args ...string) string) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not found")
	}
	dir := t.TempDir()
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1",
			"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return strings.TrimSpace(string(out))
	}
	run("init", "-q", "-b", "main", ".")
	top, err := gitrev.Top(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	return top, run
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o777); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o666); err != nil {
			t.Fatal(err)
		}
	}
}

// fakeDB is a checksum database: go.sum lines by "path version", or an
// error for every lookup.
type fakeDB struct {
	lines map[string][]string
	err   error
}

func (db *fakeDB) Lookup(path, vers string) ([]string, error) {
	if db.err != nil {
		return nil, db.err
	}
	ls, ok := db.lines[path+" "+strings.TrimSuffix(vers, "/go.mod")]
	if !ok {
		return nil, fmt.Errorf("%s@%s: %w", path, vers, fs.ErrNotExist)
	}
	var out []string
	for _, l := range ls {
		if strings.HasPrefix(l, path+" "+vers+" ") {
			out = append(out, l)
		}
	}
	return out, nil
}

func TestCheck(t *testing.T) {
	ctx := context.Background()
	top, git := gitRepo(t)
	const gomod = "module example.com/m\n\ngo 1.21\n"
	v1 := map[string]string{"go.mod": gomod, "m.go": "package m\n"}
	writeFiles(t, top, v1)
	// The database's record, computed from the extracted tree (rehash),
	// not from a module zip.
	m := module.Version{Path: "example.com/m", Version: "v1.0.0"}
	modHash, _ := verify.HashGoMod([]byte(gomod))
	git("add", "-A")
	git("commit", "-q", "-m", "one")
	git("tag", "v1.0.0")
	git("tag", "v1.1.0")
	git("tag", "v1.2.0")

	writeFiles(t, top, map[string]string{"m.go": "package m // changed\n"})
	git("commit", "-q", "-am", "two")
	git("tag", "-f", "v1.1.0") // zip differs
	writeFiles(t, top, map[string]string{"go.mod": gomod + "\n"})
	git("commit", "-q", "-am", "three")
	git("tag", "-f", "v1.2.0") // zip and go.mod differ
	git("tag", "v1.3.0")       // unpublished

	db := &fakeDB{lines: map[string][]string{}}
	for _, v := range []string{"v1.0.0", "v1.1.0", "v1.2.0"} {
		// The database recorded each version from the first commit.
		db.lines[m.Path+" "+v] = []string{
			m.Path + " " + v + " " + rehash(t, top, git, "v1.0.0", v),
			m.Path + " " + v + "/go.mod " + modHash,
		}
	}

	l, _ := NewLayout(m.Path, "")
	targets, err := l.Select(ctx, top, Selection{All: true})
	if err != nil {
		t.Fatal(err)
	}
	c := &Checker{Top: top, Layout: l, DB: db, File: "go.mod", Line: 1}
	res, err := c.Check(ctx, targets)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range res.Findings {
		got = append(got, f.Rule+" "+f.Version)
		if f.File != "go.mod" || f.Line != 1 || f.Module != m.Path {
			t.Errorf("finding %v: not placed on go.mod:1 for the module", f)
		}
		switch f.Version {
		case "v1.1.0":
			if !strings.Contains(f.Message, "the module zip hashes differently (go.mod matches)") || f.Want == f.Got || f.Want == "" {
				t.Errorf("v1.1.0: %+v", f)
			}
		case "v1.2.0":
			if !strings.Contains(f.Message, "both the module zip and go.mod hash differently (go.mod: database "+modHash) {
				t.Errorf("v1.2.0: %+v", f)
			}
		}
	}
	want := []string{"tag-moved v1.1.0", "tag-moved v1.2.0", "tag-unpublished v1.3.0"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("findings %v, want %v", got, want)
	}
	if res.Checked != 4 || res.Verified != 1 {
		t.Errorf("checked %d, verified %d; want 4, 1", res.Checked, res.Verified)
	}

	// A misbehaving database is a SecurityError, returned as is; any
	// other failure is an error: the check could not run.
	se := &verify.SecurityError{Msg: "forked"}
	c.DB = &fakeDB{err: se}
	if _, err := c.Check(ctx, targets); err != se {
		t.Errorf("security error: got %v", err)
	}
	c.DB = &fakeDB{err: errors.New("connection refused")}
	if _, err := c.Check(ctx, targets); err == nil || !strings.Contains(err.Error(), "connection refused") || !strings.Contains(err.Error(), "--offline") {
		t.Errorf("unreachable database: got %v", err)
	}

	// No database: built, listed as skipped, never as verified.
	c.DB, c.NoLookup = nil, "GOSUMDB=off"
	res, err = c.Check(ctx, targets)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) != 0 || res.Verified != 0 || len(res.Skipped) != 1 ||
		res.Skipped[0].Reason != "GOSUMDB=off: 4 versions of example.com/m not looked up in the checksum database: v1.0.0, v1.1.0, v1.2.0, v1.3.0" {
		t.Errorf("no database: %+v", res)
	}
}

// rehash returns the h1 hash of version v of example.com/m as the files of
// tag's tree hash, extracted with git archive into a directory.
func rehash(t *testing.T, top string, git func(...string) string, tag, v string) string {
	t.Helper()
	dir := t.TempDir()
	archive := filepath.Join(dir, "a.tar")
	git("archive", "--format=tar", "-o", archive, tag)
	x := filepath.Join(dir, "x")
	os.Mkdir(x, 0o777)
	if out, err := exec.Command("tar", "-x", "-f", archive, "-C", x).CombinedOutput(); err != nil {
		t.Fatalf("tar: %v\n%s", err, out)
	}
	h, err := verify.HashDir(x, module.Version{Path: "example.com/m", Version: v})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestParsePrePush(t *testing.T) {
	ctx := context.Background()
	top, git := gitRepo(t)
	writeFiles(t, top, map[string]string{"go.mod": "module example.com/m\n"})
	git("add", "-A")
	git("commit", "-q", "-m", "one")
	commit := git("rev-parse", "HEAD")
	git("tag", "-a", "-m", "annotated", "v1.0.0")
	tagObj := git("rev-parse", "v1.0.0")
	tree := git("rev-parse", "HEAD^{tree}")
	zero := strings.Repeat("0", 40)
	in := strings.Join([]string{
		"refs/heads/main " + commit + " refs/heads/main " + zero,
		"refs/tags/v1.0.0 " + tagObj + " refs/tags/v1.0.0 " + zero, // annotated: peeled
		"HEAD " + commit + " refs/tags/v2.0.0 " + zero,             // pushed under another name
		"(delete) " + zero + " refs/tags/v0.9.0 " + commit,         // a deletion
		"refs/tags/tree " + tree + " refs/tags/tree " + zero,       // a tag of a tree
		"",
	}, "\n")
	tags, err := ParsePrePush(ctx, top, strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []Tag{{"v1.0.0", commit}, {"v2.0.0", commit}}
	if fmt.Sprint(tags) != fmt.Sprint(want) {
		t.Errorf("ParsePrePush = %v, want %v", tags, want)
	}
	if _, err := ParsePrePush(ctx, top, strings.NewReader("refs/tags/v1 abc\n")); err == nil {
		t.Error("a malformed line was accepted")
	}
	if _, err := ParsePrePush(ctx, top, strings.NewReader("refs/tags/v1.0.1 "+strings.Repeat("1", 40)+" refs/tags/v1.0.1 "+zero+"\n")); err == nil {
		t.Error("an unknown object was taken for a tag of a tree")
	}
}

// TestBuildWorktree: in a linked worktree (a .git file, which
// golang.org/x/mod/zip.CreateFromVCS does not recognise), the module zip is
// built all the same, and hashes the same.
func TestBuildWorktree(t *testing.T) {
	ctx := context.Background()
	top, git := gitRepo(t)
	writeFiles(t, top, map[string]string{
		"LICENSE":        "license\n",
		"go.mod":         "module example.com/m\n",
		"m.go":           "package m\n",
		"sub/go.mod":     "module example.com/m/sub\n",
		"sub/sub.go":     "package sub\n",
		"sub/inner/x.go": "package inner\n",
	})
	git("add", "-A")
	git("commit", "-q", "-m", "one")
	commit := git("rev-parse", "HEAD")
	wt := filepath.Join(t.TempDir(), "wt")
	git("worktree", "add", "-q", wt)
	wtTop, err := gitrev.Top(ctx, wt)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ path, dir string }{{"example.com/m", ""}, {"example.com/m/sub", "sub"}} {
		l, _ := NewLayout(tt.path, tt.dir)
		tag := l.Tag("v1.0.0")
		r, err := l.Resolve(tag, Reader(ctx, top, commit))
		if err != nil || r.Kind != Release {
			t.Fatalf("%s: Resolve: %v %+v", tag, err, r)
		}
		want, err := Build(ctx, top, commit, tt.path, r)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Build(ctx, wtTop, commit, tt.path, r)
		if err != nil {
			t.Fatalf("%s in a worktree: %v", tt.path, err)
		}
		if got != want {
			t.Errorf("%s: in a worktree %v, in the repository %v", tt.path, got, want)
		}
	}
}
