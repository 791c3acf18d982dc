package gobuild

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func write(t *testing.T, name, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(data), 0o666); err != nil {
		t.Fatal(err)
	}
}

// TestShouldBuildAnyTags: go mod vendor leaves out a .go file only when its
// build constraints can never hold, whatever GOOS, GOARCH and tags.
func TestShouldBuildAnyTags(t *testing.T) {
	for _, tc := range []struct {
		src  string
		want bool
	}{
		{"package x\n", true},
		{"//go:build ignore\n\npackage x\n", false},
		{"//go:build ignore\npackage x\n", false},
		{"//go:build linux\n\npackage x\n", true},
		{"//go:build !linux\n\npackage x\n", true},
		{"//go:build linux && !linux\n\npackage x\n", true},
		{"//go:build !ignore\n\npackage x\n", true},
		{"//go:build ignore && linux\n\npackage x\n", false},
		{"//go:build ignore || linux\n\npackage x\n", true},
		{"//go:build linux,amd64\n\npackage x\n", false}, // not //go:build syntax
		{"//go:build a\n//go:build b\n\npackage x\n", false},
		{"/* c */\n//go:build ignore\n\npackage x\n", false},
		{"// +build ignore\n\npackage x\n", false},
		{"// +build ignore\npackage x\n", true}, // not followed by a blank line
		{"// +build !ignore,linux\n\npackage x\n", true},
		{"// +build linux\n// +build ignore\n\npackage x\n", false},
		{"//go:build linux\n// +build ignore\n\npackage x\n", true}, // //go:build controls
	} {
		if got := ShouldBuildAnyTags([]byte(tc.src)); got != tc.want {
			t.Errorf("%q: %v, want %v", tc.src, got, tc.want)
		}
	}
}

// TestResolveEmbed: //go:embed patterns resolve as the go command
// resolves them, or fail where it fails (go mod vendor then copies none).
func TestResolveEmbed(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"p/a.txt", "p/d/.h", "p/d/_u", "p/d/x.txt", "p/d/e/y.txt", "p/sub/go.mod", "p/sub/z.txt", "p/.git/config", "p/d2/.only"} {
		write(t, filepath.Join(dir, f), f)
	}
	tree := os.DirFS(dir)
	for _, tc := range []struct {
		patterns []string
		want     string // files, or "error"
	}{
		{[]string{"a.txt"}, "a.txt"},
		{[]string{"d"}, "d/e/y.txt d/x.txt"},
		{[]string{"all:d"}, "d/.h d/_u d/e/y.txt d/x.txt"},
		{[]string{"d/*"}, "d/.h d/_u d/e/y.txt d/x.txt"},
		{[]string{"*.txt", "a.txt"}, "a.txt"},
		{[]string{"sub/z.txt"}, "error"},
		{[]string{"sub"}, "error"},
		{[]string{"nomatch*"}, "error"},
		{[]string{"../a.txt"}, "error"},
		{[]string{"."}, "error"},
		{[]string{".git/config"}, "error"},
		{[]string{"d2"}, "error"}, // no embeddable files
		{[]string{"all:d2"}, "d2/.only"},
	} {
		files, err := ResolveEmbed(tree, "p", tc.patterns)
		got := strings.Join(files, " ")
		if err != nil {
			got = "error"
		}
		if got != tc.want {
			t.Errorf("%q: %q (%v), want %q", tc.patterns, got, err, tc.want)
		}
	}
}
