package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
)

// list-modules finds every go.mod below DIR, nested modules too, and leaves
// out what the go command leaves out of ./...: vendor/, testdata/, and
// directories starting with "." or "_"; it does not follow links.
func TestListModules(t *testing.T) {
	root := t.TempDir()
	for _, d := range []string{".", "svc", "svc/inner", "api/v2", "tools", "vendor/example.com/m", "svc/testdata/m", ".git/x", "_old", "pkg/nomod"} {
		os.MkdirAll(filepath.Join(root, d), 0o777)
		if d != "pkg/nomod" && d != "tools" {
			os.WriteFile(filepath.Join(root, d, "go.mod"), []byte("module example.com/x\n"), 0o666)
		}
	}
	os.WriteFile(filepath.Join(root, "tools", "go.work"), []byte("go 1.22\n"), 0o666)
	os.Mkdir(filepath.Join(root, "tools", "go.mod"), 0o777) // not a file
	os.Symlink(filepath.Join(root, "svc"), filepath.Join(root, "link"))

	run := func(args ...string) (string, error) {
		var stdout, stderr bytes.Buffer
		err := runListModules(context.Background(), args, &stdout, &stderr, nil)
		return stdout.String(), err
	}
	out, err := run(root)
	if want := ".\napi/v2\nsvc\nsvc/inner\n"; err != nil || out != want {
		t.Errorf("text: %q, %v\nwant %q", out, err, want)
	}
	out, err = run("--format", "json", filepath.Join(root, "svc"))
	if want := "[\".\",\"inner\"]\n"; err != nil || out != want {
		t.Errorf("json: %q, %v, want %q", out, err, want)
	}
	out, err = run("--format=json", filepath.Join(root, "pkg"))
	if err != nil || out != "[]\n" {
		t.Errorf("none: %q, %v", out, err)
	}
	t.Chdir(root)
	if out, err := run(); err != nil || out != ".\napi/v2\nsvc\nsvc/inner\n" {
		t.Errorf("default dir: %q, %v", out, err)
	}
	for _, args := range [][]string{{"--format", "sarif"}, {"a", "b"}, {filepath.Join(root, "missing")}, {filepath.Join(root, "go.mod")}} {
		if _, err := run(args...); err == nil {
			t.Errorf("%q: no error", args)
		}
	}
}

func TestModuleOf(t *testing.T) {
	root := t.TempDir()
	t.Chdir(root)
	os.MkdirAll("svc/vendor", 0o777)
	os.MkdirAll("ws/a/b", 0o777)
	os.MkdirAll("none", 0o777)
	os.WriteFile("svc/go.mod", nil, 0o666)
	os.WriteFile("ws/go.work", nil, 0o666)
	for _, tc := range []struct {
		file, dir string
		ok        bool
	}{
		{"svc/go.sum", "svc", true},
		{"svc/vendor/modules.txt", "svc", true},
		{"./svc/go.mod", "svc", true},
		{"ws/a/b/go.sum", "ws", true},
		{"none/go.sum", "", false},
		{"go.sum", "", false},
	} {
		dir, ok := moduleOf(tc.file)
		if dir != tc.dir || ok != tc.ok {
			t.Errorf("moduleOf(%q) = %q, %v, want %q, %v", tc.file, dir, ok, tc.dir, tc.ok)
		}
	}
	for dir, want := range map[string]bool{"svc": false, "svc/testdata/m": true, "vendor/x": true, ".hidden/m": true, "../up/m": false, ".": false, "_x": true} {
		if got := ignoredDir(dir); got != want {
			t.Errorf("ignoredDir(%q) = %v", dir, got)
		}
	}
}
