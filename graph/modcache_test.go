package graph

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"golang.org/x/mod/module"
)

// treeState records every entry under root: its mode, and the content of a
// file or the target of a link.
func treeState(t *testing.T, root string) map[string]string {
	t.Helper()
	state := make(map[string]string)
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		s := fi.Mode().String()
		switch {
		case fi.Mode().IsRegular():
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			s += fmt.Sprintf(" %x", sha256.Sum256(data))
		case fi.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			s += " -> " + target
		}
		state[p] = s
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return state
}

func diffStates(t *testing.T, what string, before, after map[string]string) {
	t.Helper()
	for _, p := range slices.Sorted(maps.Keys(after)) {
		if b, ok := before[p]; !ok {
			t.Errorf("%s: %s was created (%s)", what, p, after[p])
		} else if b != after[p] {
			t.Errorf("%s: %s changed from %s to %s", what, p, b, after[p])
		}
	}
	for p := range before {
		if _, ok := after[p]; !ok {
			t.Errorf("%s: %s was removed", what, p)
		}
	}
}

// chmodTree sets the write permission of everything under root.
func chmodTree(t *testing.T, root string, writable bool) {
	t.Helper()
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.Type()&fs.ModeSymlink != 0 {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		m := fi.Mode().Perm()
		if writable {
			m |= 0o200
		} else {
			m &^= 0o222
		}
		return os.Chmod(p, m)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// The go commands modseal runs reuse the user's module cache through links
// and never write it: not when it is writable (GOFLAGS=-modcacherw), not for
// a module it lacks (example.com/b's zip, fetched from the proxy), not for a
// module whose .ziphash is damaged (example.com/c/v2: the go command rehashes
// the zip and writes the .ziphash, which must land in modseal's cache), not
// for a .info in an outdated form (the go command rewrites it), and not for
// the lock files it creates. And when the user's cache is read-only, as it
// is by default, they still work.
func TestLinkUserCacheReadOnly(t *testing.T) {
	for _, readOnly := range []bool{false, true} {
		t.Run(fmt.Sprintf("readonly=%v", readOnly), func(t *testing.T) {
			ctx := context.Background()
			usercache := filepath.Join(t.TempDir(), "mod")
			environ := testEnv(t, map[string]string{"GOMODCACHE": usercache})
			dir := t.TempDir()
			writeFiles(t, dir, map[string]string{
				"go.mod": "module example.com/app\n\ngo 1.21\n\nrequire (\n\texample.com/a v1.0.0\n\texample.com/c/v2 v2.0.0\n)\n\nrequire example.com/b v1.0.0 // indirect\n",
				"go.sum": sumLines(t, "example.com/a@v1.0.0", "example.com/b@v1.0.0", "example.com/c/v2@v2.0.0"),
				"main.go": "package main\n\nimport (\n\t\"example.com/a\"\n\t\"example.com/c/v2\"\n)\n\n" +
					"func main() { println(a.A(), c.C()) }\n",
			})
			runGo(t, dir, environ, "mod", "download", "example.com/a", "example.com/c/v2")
			dl := filepath.Join(usercache, "cache", "download")
			if _, err := os.Stat(filepath.Join(dl, "example.com", "b", "@v", "v1.0.0.zip")); err == nil {
				t.Fatal("example.com/b's zip is in the user's cache; the test needs it missing")
			}
			writeFiles(t, dl, map[string]string{
				"example.com/c/v2/@v/v2.0.0.ziphash": "damaged\n",
				"example.com/a/@v/v1.0.0.info":       `{"Version":"v1.0.0","Time":"2023-01-02T03:04:05Z","Name":"v1.0.0","Short":"v1.0.0"}`,
			})
			chmodTree(t, usercache, !readOnly)
			t.Cleanup(func() { chmodTree(t, usercache, true) })
			before := treeState(t, usercache)

			cache := t.TempDir()
			for run := range 2 { // the second run finds the links of the first
				g := &Command{Dir: dir, CacheDir: cache, Environ: environ}
				if out, err := g.run(ctx, "", "mod", "tidy", "-diff"); err != nil {
					t.Fatalf("run %d: go mod tidy -diff: %v\n%s", run, err, out)
				}
				if _, err := g.BuildList(ctx); err != nil {
					t.Fatalf("run %d: build list: %v", run, err)
				}
				if _, err := g.Edges(ctx); err != nil {
					t.Fatalf("run %d: graph: %v", run, err)
				}
				diffStates(t, fmt.Sprintf("run %d: the user's module cache", run), before, treeState(t, usercache))
			}

			own := filepath.Join(cache, "mod")
			for name, link := range map[string]bool{
				"example.com/a@v1.0.0":                       true, // reused
				"cache/download/example.com/a/@v/v1.0.0.zip": true,
				"example.com/b@v1.0.0":                       false, // fetched from the proxy
				"example.com/c/v2@v2.0.0":                    false, // extracted again: its ziphash was damaged
			} {
				fi, err := os.Lstat(filepath.Join(own, filepath.FromSlash(name)))
				if err != nil {
					t.Errorf("modseal's cache: %v", err)
					continue
				}
				if got := fi.Mode()&fs.ModeSymlink != 0; got != link {
					t.Errorf("modseal's cache: %s is a link: %v, want %v", name, got, link)
				}
			}
		})
	}
}

// A link whose target the user removed (go clean -modcache, or one module
// deleted) is removed, so that the go command fetches the module again
// instead of failing on a dangling link.
func TestLinkUserCacheTargetGone(t *testing.T) {
	ctx := context.Background()
	usercache := filepath.Join(t.TempDir(), "mod")
	environ := testEnv(t, map[string]string{"GOMODCACHE": usercache})
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"go.mod":  "module example.com/app\n\ngo 1.21\n\nrequire example.com/a v1.0.0\n\nrequire example.com/b v1.0.0 // indirect\n",
		"go.sum":  sumLines(t, "example.com/a@v1.0.0", "example.com/b@v1.0.0"),
		"main.go": appImportsA,
	})
	runGo(t, dir, environ, "mod", "download", "all")
	cache := t.TempDir()
	g := &Command{Dir: dir, CacheDir: cache, Environ: environ}
	if out, err := g.run(ctx, "", "mod", "tidy", "-diff"); err != nil {
		t.Fatalf("go mod tidy -diff: %v\n%s", err, out)
	}
	link := filepath.Join(cache, "mod", "example.com", "a@v1.0.0")
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Fatalf("example.com/a@v1.0.0 is not linked in modseal's cache: %v", err)
	}
	chmodTree(t, usercache, true)
	if err := os.RemoveAll(usercache); err != nil {
		t.Fatal(err)
	}
	g = &Command{Dir: dir, CacheDir: cache, Environ: environ}
	if out, err := g.run(ctx, "", "mod", "tidy", "-diff"); err != nil {
		t.Fatalf("go mod tidy -diff after the user's cache was removed: %v\n%s", err, out)
	}
	if fi, err := os.Lstat(link); err != nil || !fi.IsDir() {
		t.Errorf("example.com/a@v1.0.0 in modseal's cache is not a directory: %v", err)
	}
}

// A module version the hash check found tampered with in the user's cache is
// not read through a link: with it in Distrust, the go command fetches it
// through the file:// proxy of the user's cache, which checks the zip against
// go.sum and extracts it again, so a tampered extracted directory does not
// change what go mod tidy computes. Without Distrust it does (here a.go no
// longer imports example.com/b, and tidy would drop b's go.sum lines).
func TestLinkUserCacheDistrust(t *testing.T) {
	ctx := context.Background()
	usercache := filepath.Join(t.TempDir(), "mod")
	environ := testEnv(t, map[string]string{"GOMODCACHE": usercache})
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"go.mod":  "module example.com/app\n\ngo 1.21\n\nrequire example.com/a v1.0.0\n\nrequire example.com/b v1.0.0 // indirect\n",
		"go.sum":  sumLines(t, "example.com/a@v1.0.0", "example.com/b@v1.0.0"),
		"main.go": appImportsA,
	})
	runGo(t, dir, environ, "mod", "download", "all")
	chmodTree(t, usercache, true)
	writeFiles(t, usercache, map[string]string{
		"example.com/a@v1.0.0/a.go": "package a\n\nfunc A() string { return \"evil\" }\n",
	})
	before := treeState(t, usercache)
	cache := t.TempDir()

	g := &Command{Dir: dir, CacheDir: cache, Environ: environ}
	if _, err := g.run(ctx, "", "mod", "tidy", "-diff"); err == nil {
		t.Fatal("go mod tidy -diff read the tampered a.go through the link and found nothing to change; the test needs it to")
	}
	g = &Command{Dir: dir, CacheDir: cache, Environ: environ, Distrust: map[module.Version]bool{{Path: "example.com/a", Version: "v1.0.0"}: true}}
	if out, err := g.run(ctx, "", "mod", "tidy", "-diff"); err != nil {
		t.Errorf("go mod tidy -diff with example.com/a distrusted: %v\n%s", err, out)
	}
	if fi, err := os.Lstat(filepath.Join(cache, "mod", "example.com", "a@v1.0.0")); err != nil || !fi.IsDir() {
		t.Errorf("example.com/a@v1.0.0 in modseal's cache is not a directory of its own: %v", err)
	}
	diffStates(t, "the user's module cache", before, treeState(t, usercache))
}
