package gitrev

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modseal/modseal/verify"
)

// repo makes a git repository in a temporary directory with files
// committed, and returns its directory.
func repo(t *testing.T, files map[string]string) string {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git")
	}
	dir := t.TempDir()
	git := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1",
			"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	git("init", "-q")
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		os.MkdirAll(filepath.Dir(p), 0o777)
		if err := os.WriteFile(p, []byte(data), 0o666); err != nil {
			t.Fatal(err)
		}
	}
	git("add", "-A")
	git("commit", "-q", "-m", "c")
	return dir
}

func TestBlobID(t *testing.T) {
	// git hash-object of "hello\n".
	if got, want := blobID([]byte("hello\n"), 40), "ce013625030ba8dba906f756967f9e9ca394464a"; got != want {
		t.Errorf("blobID = %s, want %s", got, want)
	}
	h := sha1.Sum([]byte("blob 0\x00"))
	if got := blobID(nil, 40); got != hex.EncodeToString(h[:]) {
		t.Errorf("empty blob: %s", got)
	}
	if got := blobID(nil, 64); len(got) != 64 {
		t.Errorf("sha256 repository: %d hex digits", len(got))
	}
}

func TestRelUnder(t *testing.T) {
	for _, tc := range []struct {
		top, target, rel string
		ok               bool
	}{
		{"/r", "/r", ".", true},
		{"/r", "/r/a/b", "a/b", true},
		{"/r", "/ra", "", false},
		{"/r", "/x", "", false},
	} {
		rel, ok := Rel(tc.top, tc.target)
		if rel != tc.rel || ok != tc.ok {
			t.Errorf("Rel(%q, %q) = %q, %v; want %q, %v", tc.top, tc.target, rel, ok, tc.rel, tc.ok)
		}
	}
	for _, tc := range []struct {
		p, dir string
		want   bool
	}{
		{"a/go.mod", ".", true},
		{"a/go.mod", "a", true},
		{"a", "a", true},
		{"ab/go.mod", "a", false},
		{"go.mod", "a", false},
	} {
		if got := Under(tc.p, tc.dir); got != tc.want {
			t.Errorf("Under(%q, %q) = %v", tc.p, tc.dir, got)
		}
	}
}

// ReadFile returns a file as committed, and fs.ErrNotExist for one the
// revision lacks; the working tree is not read.
func TestReadFile(t *testing.T) {
	dir := repo(t, map[string]string{"go.sum": "committed\n", "sub/go.sum": "sub\n"})
	os.WriteFile(filepath.Join(dir, "go.sum"), []byte("edited\n"), 0o666)
	ctx := context.Background()
	data, err := ReadFile(ctx, dir, "HEAD", "go.sum")
	if err != nil || string(data) != "committed\n" {
		t.Errorf("go.sum: %q, %v", data, err)
	}
	data, err = ReadFile(ctx, filepath.Join(dir, "sub"), "HEAD", "go.sum")
	if err != nil || string(data) != "sub\n" {
		t.Errorf("sub/go.sum from sub: %q, %v", data, err)
	}
	if _, err := ReadFile(ctx, dir, "HEAD", "go.work.sum"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a file HEAD lacks: %v, want fs.ErrNotExist", err)
	}
	if _, err := ReadFile(ctx, dir, "nosuchrev", "go.sum"); err == nil || errors.Is(err, fs.ErrNotExist) {
		t.Errorf("no such revision: %v, want an error other than fs.ErrNotExist", err)
	}
	if _, err := Commit(ctx, dir, "--output=x"); err == nil || !strings.Contains(err.Error(), "not a git revision") {
		t.Errorf("an option as a revision: %v", err)
	}
}

func TestNotRepository(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git")
	}
	dir := t.TempDir()
	t.Setenv("GIT_CEILING_DIRECTORIES", filepath.Dir(dir))
	var nr *NotRepositoryError
	if _, err := HooksDir(context.Background(), dir); !errors.As(err, &nr) {
		t.Errorf("HooksDir: %v, want a NotRepositoryError", err)
	}
	if _, err := Materialise(context.Background(), dir, "HEAD", ""); !errors.As(err, &nr) || nr.Dir != dir {
		t.Errorf("Materialise: %v, want a NotRepositoryError for %s", err, dir)
	}
}

// Materialise writes the committed module files of the graph's root, and
// the workspace modules and directory replacements it names, exactly as
// committed: a file the repository's attributes drop from or rewrite in git
// archive is read as the blob.
func TestMaterialise(t *testing.T) {
	dir := repo(t, map[string]string{
		".gitattributes":  "go.sum export-ignore\nsubst.go export-subst\n",
		"go.work":         "go 1.22\n\nuse ./app\n",
		"app/go.mod":      "module example.com/app\n\ngo 1.22\n\nreplace example.com/lib => ../lib\n",
		"app/main.go":     "package main\n",
		"app/subst.go":    "package main // $Format:%H$\n",
		"app/go.sum":      "example.com/x v1.0.0 h1:x\n",
		"app/README":      "not a module file\n",
		"lib/go.mod":      "module example.com/lib\n",
		"lib/lib.go":      "package lib\n",
		"other/go.mod":    "module example.com/other\n",
		"app/vendor/x.go": "package x\n",
	})
	// Uncommitted: never read.
	os.WriteFile(filepath.Join(dir, "app", "main.go"), []byte("edited"), 0o666)
	os.WriteFile(filepath.Join(dir, "app", "new.go"), []byte("new"), 0o666)

	co, err := Materialise(context.Background(), filepath.Join(dir, "app"), "HEAD", "")
	if err != nil {
		t.Fatal(err)
	}
	defer co.Close()
	root := filepath.Dir(co.Dir)
	if co.GOWORK != filepath.Join(root, "go.work") {
		t.Errorf("GOWORK = %s, want the checkout's go.work", co.GOWORK)
	}
	if len(co.Commit) != 40 && len(co.Commit) != 64 {
		t.Errorf("Commit = %q", co.Commit)
	}
	for name, want := range map[string]string{
		"go.work":      "go 1.22\n\nuse ./app\n",
		"app/main.go":  "package main\n",
		"app/subst.go": "package main // $Format:%H$\n",
		"app/go.sum":   "example.com/x v1.0.0 h1:x\n",
		"lib/go.mod":   "module example.com/lib\n",
		"lib/lib.go":   "package lib\n",
	} {
		data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(name)))
		if err != nil || string(data) != want {
			t.Errorf("%s: %q, %v; want %q", name, data, err, want)
		}
	}
	for _, name := range []string{"app/README", "app/new.go", ".gitattributes"} {
		if _, err := os.Stat(filepath.Join(root, filepath.FromSlash(name))); err == nil {
			t.Errorf("%s was materialised", name)
		}
	}
	if err := co.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(root); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Close left %s: %v", root, err)
	}

	// GOWORK=off: the module alone, and its replacement.
	co, err = Materialise(context.Background(), filepath.Join(dir, "app"), "HEAD", "off")
	if err != nil {
		t.Fatal(err)
	}
	defer co.Close()
	if co.GOWORK != "off" {
		t.Errorf("GOWORK = %s, want off", co.GOWORK)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(co.Dir), "go.work")); err == nil {
		t.Error("go.work materialised with GOWORK=off")
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(co.Dir), "lib", "go.mod")); err != nil {
		t.Errorf("the replacement ../lib: %v", err)
	}
}

// A go.work larger than modseal reads is refused with its name and the
// limit, without reading it (the file is sparse, 1 byte over).
func TestHugeGoWork(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "go.work")
	f, err := os.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if err := os.Truncate(name, verify.MaxSumFileSize+1); err != nil {
		t.Fatal(err)
	}
	_, err = localDirs(dir, ".", "go.work")
	if want := fmt.Sprintf("go.work is larger than %d MiB", verify.MaxSumFileSize>>20); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("localDirs: %v, want %q", err, want)
	}
}
