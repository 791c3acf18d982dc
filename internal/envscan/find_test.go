package envscan

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestFind(t *testing.T) {
	top := t.TempDir()
	outside := t.TempDir()
	write := func(dir, name, data string) {
		t.Helper()
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o777); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o666); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{
		"Makefile", "Dockerfile", ".envrc", "README.md",
		".github/workflows/ci.yml", ".github/workflows/release.yaml", ".github/workflows/notes.txt",
		".github/Dockerfile",
		"svc/Makefile", "svc/go.mod", "svc/.envrc", "svc/build.mk", "svc/ci.yml",
		"svc/deploy/Dockerfile.prod", "svc/deploy/app.Dockerfile", "svc/deploy/Containerfile",
		"svc/.github/workflows/ci.yml",
		"svc/testdata/Makefile", "svc/vendor/x/Makefile", "svc/node_modules/y/Makefile",
		"svc/.hidden/Makefile", "svc/.git/Makefile",
		"svc/nested/go.mod", "svc/nested/Makefile",
		"svc/ws/go.mod", "svc/ws/Makefile",
		"other/Makefile",
	} {
		write(top, name, "GOSUMDB=off\n")
	}
	write(top, "svc/big.mk", strings.Repeat("#", MaxFileSize+1))
	write(outside, "Makefile", "GOSUMDB=off\n")
	if err := os.Symlink(filepath.Join(outside, "Makefile"), filepath.Join(top, "svc", "out.mk")); err != nil {
		t.Skip(err)
	}
	if err := os.Symlink(filepath.Join(top, "other", "Makefile"), filepath.Join(top, "svc", "in.mk")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(top, "svc", "linkdir")); err != nil {
		t.Fatal(err)
	}
	list := func(tr Tree) []string {
		files, complete := Find(tr)
		if !complete {
			t.Errorf("Find(%+v) incomplete", tr)
		}
		var got []string
		for _, f := range files {
			got = append(got, f.Rel+" "+f.Kind.String())
			if want := filepath.Join(tr.Dir, filepath.FromSlash(f.Rel)); filepath.Clean(want) != f.Path {
				t.Errorf("%s: Rel %s", f.Path, f.Rel)
			}
		}
		slices.Sort(got)
		return got
	}
	svc := filepath.Join(top, "svc")
	got := list(Tree{Dir: svc, Top: top, Modules: []string{filepath.Join(svc, "ws")}})
	want := []string{
		"../.envrc shell", "../.github/workflows/ci.yml workflow", "../.github/workflows/release.yaml workflow",
		"../Dockerfile Dockerfile", "../Makefile Makefile",
		".envrc shell", "Makefile Makefile", "build.mk Makefile",
		"deploy/Containerfile Dockerfile", "deploy/Dockerfile.prod Dockerfile", "deploy/app.Dockerfile Dockerfile",
		"in.mk Makefile", "ws/Makefile Makefile",
	}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("Find below the top level:\n got %q\nwant %q", got, want)
	}

	// Without a git top level: the directory only, its .github included.
	got = list(Tree{Dir: svc})
	want = []string{
		".envrc shell", ".github/workflows/ci.yml workflow", "Makefile Makefile", "build.mk Makefile",
		"deploy/Containerfile Dockerfile", "deploy/Dockerfile.prod Dockerfile", "deploy/app.Dockerfile Dockerfile",
	}
	if !slices.Equal(got, want) {
		t.Errorf("Find without a top level:\n got %q\nwant %q", got, want)
	}

	// At the top level: .github's own Dockerfile too, and the workflows once.
	got = list(Tree{Dir: top, Top: top})
	want = []string{
		".envrc shell", ".github/Dockerfile Dockerfile", ".github/workflows/ci.yml workflow", ".github/workflows/release.yaml workflow",
		"Dockerfile Dockerfile", "Makefile Makefile", "other/Makefile Makefile",
	}
	if !slices.Equal(got, want) {
		t.Errorf("Find at the top level:\n got %q\nwant %q", got, want)
	}
}

func TestFindBounded(t *testing.T) {
	dir := t.TempDir()
	for i := range MaxFiles + 5 {
		sub := filepath.Join(dir, fmt.Sprint(i%10))
		if err := os.MkdirAll(sub, 0o777); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(sub, fmt.Sprintf("f%d.mk", i)), nil, 0o666); err != nil {
			t.Fatal(err)
		}
	}
	files, complete := Find(Tree{Dir: dir})
	if complete || len(files) != MaxFiles {
		t.Errorf("Find over %d files: %d files, complete %v; want %d, false", MaxFiles+5, len(files), complete, MaxFiles)
	}
}
