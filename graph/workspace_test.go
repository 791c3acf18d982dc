package graph

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/mod/modfile"

	"github.com/modseal/modseal/internal/gocmd"
)

// wsFiles is a workspace whose module app requires example.com/a (which
// requires example.com/b) with go.sum lines for neither, and a replacement
// in go.work with a relative directory.
var wsFiles = map[string]string{
	"go.work":         "go 1.21\n\nuse (\n\t./app\n\t./tool\n)\n\nreplace example.com/r v1.0.0 => ./rr\n",
	"app/go.mod":      "module example.com/app\n\ngo 1.21\n\nrequire example.com/a v1.0.0\n\nrequire example.com/b v1.0.0 // indirect\n",
	"app/main.go":     appImportsA,
	"tool/go.mod":     "module example.com/tool\n\ngo 1.21\n\nrequire example.com/r v1.0.0\n",
	"tool/main.go":    "package main\n\nimport \"example.com/r\"\n\nfunc main() { r.R() }\n",
	"rr/go.mod":       "module example.com/r\n\ngo 1.21\n",
	"rr/r.go":         "package r\n\nfunc R() {}\n",
	"tool/.keep-sums": "",
}

// In workspace mode the go command writes the go.sum lines it misses to
// go.work.sum even with -mod=readonly; modseal's go commands must not.
func TestWorkspaceReadOnly(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, wsFiles)
	g := &Command{Dir: dir, Environ: testEnv(t, map[string]string{"GOWORK": ""}), CacheDir: t.TempDir()}
	ctx := context.Background()
	list, err := g.BuildList(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if i := slices.IndexFunc(list, func(m Module) bool { return m.Path == "example.com/r" }); i < 0 || list[i].Replace == nil || list[i].Replace.Dir != filepath.Join(dir, "rr") {
		t.Errorf("the relative replacement in go.work did not resolve to %s: %+v", filepath.Join(dir, "rr"), list)
	}
	if _, err := g.Edges(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := g.Snapshot(ctx, SnapshotOptions{Platforms: []string{"linux/amd64"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "go.work.sum")); !os.IsNotExist(err) {
		data, _ := os.ReadFile(filepath.Join(dir, "go.work.sum"))
		t.Errorf("go.work.sum was written:\n%s", data)
	}
}

func TestWorkSumMissing(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, wsFiles)
	g := &Command{Dir: dir, Environ: testEnv(t, map[string]string{"GOWORK": ""}), CacheDir: t.TempDir()}
	ctx := context.Background()
	file, edits, err := g.WorkSumMissing(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if file != filepath.Join(dir, "go.work.sum") {
		t.Errorf("file = %s", file)
	}
	var got []string
	for _, e := range edits {
		if !e.Add || e.Line != 0 {
			t.Errorf("edit %+v: want an addition at line 0", e)
		}
		got = append(got, e.Text)
	}
	want := strings.Split(strings.TrimSpace(sumLines(t, "example.com/a@v1.0.0", "example.com/b@v1.0.0")), "\n")
	if !slices.Equal(got, want) {
		t.Errorf("WorkSumMissing:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if _, err := os.Stat(filepath.Join(dir, "go.work.sum")); !os.IsNotExist(err) {
		t.Errorf("go.work.sum was written")
	}

	// With the lines in the module's go.sum, or in go.work.sum, none is missing.
	for _, name := range []string{"app/go.sum", "go.work.sum"} {
		d := t.TempDir()
		writeFiles(t, d, wsFiles)
		writeFiles(t, d, map[string]string{name: sumLines(t, "example.com/a@v1.0.0", "example.com/b@v1.0.0")})
		g := &Command{Dir: d, Environ: testEnv(t, map[string]string{"GOWORK": ""}), CacheDir: t.TempDir()}
		if _, edits, err := g.WorkSumMissing(ctx, 4); err != nil || len(edits) != 0 {
			t.Errorf("lines in %s: WorkSumMissing = %+v, %v", name, edits, err)
		}
	}

	// Outside a workspace: nothing to say.
	g = &Command{Dir: filepath.Join(dir, "app"), Environ: testEnv(t, nil), CacheDir: t.TempDir()}
	if file, edits, err := g.WorkSumMissing(ctx, 0); file != "" || edits != nil || err != nil {
		t.Errorf("module mode: %q %v %v", file, edits, err)
	}
}

// A workspace module may import another without requiring it: the go
// command builds it, go mod tidy (which ignores go.work) cannot resolve the
// import. Tidy says so with a *SiblingError.
func TestTidySibling(t *testing.T) {
	files := map[string]string{
		"go.work":      "go 1.21\n\nuse (\n\t./a\n\t./b\n)\n",
		"a/go.mod":     "module example.com/wa\n\ngo 1.21\n",
		"a/a.go":       "package wa\n\nfunc A() string { return \"a\" }\n",
		"a/sub/sub.go": "package sub\n",
		"b/go.mod":     "module example.com/wb\n\ngo 1.21\n\nrequire example.com/b v1.0.0\n",
		"b/go.sum":     sumLines(t, "example.com/b@v1.0.0"),
		"b/main.go":    "package main\n\nimport (\n\t\"example.com/b\"\n\t\"example.com/wa\"\n\t_ \"example.com/wa/sub\"\n)\n\nfunc main() { println(wa.A(), b.B()) }\n",
	}
	for _, offline := range []bool{false, true} {
		dir := t.TempDir()
		writeFiles(t, dir, files)
		environ := testEnv(t, map[string]string{"GOWORK": ""})
		if offline {
			usercache := filepath.Join(t.TempDir(), "mod")
			fixtureProxy(t, filepath.Join(usercache, "cache", "download"))
			environ = gocmd.Setenv(gocmd.Setenv(environ, "GOMODCACHE", usercache), "GOPROXY", "off")
		}
		g := &Command{Dir: dir, Environ: environ, Offline: offline, CacheDir: t.TempDir()}
		ctx := context.Background()
		_, err := g.Tidy(ctx, filepath.Join(dir, "b"), 2, 0)
		var se *SiblingError
		if !errors.As(err, &se) {
			t.Fatalf("offline=%v: Tidy in b: %v, want a *SiblingError", offline, err)
		}
		if !slices.Equal(se.Siblings, []string{"example.com/wa"}) || se.Dir != filepath.Join(dir, "b") {
			t.Errorf("offline=%v: %+v", offline, se)
		}
		if _, err := g.Tidy(ctx, filepath.Join(dir, "a"), 0, 0); err != nil {
			t.Errorf("offline=%v: Tidy in a: %v", offline, err)
		}
		// An import no module of the workspace provides either is a failure.
		writeFiles(t, dir, map[string]string{"b/other.go": "package main\n\nimport _ \"example.com/nowhere\"\n"})
		if _, err := g.Tidy(ctx, filepath.Join(dir, "b"), 2, 0); err == nil || errors.As(err, &se) {
			t.Errorf("offline=%v: unresolvable import: err = %v, want a failure", offline, err)
		}
		os.Remove(filepath.Join(dir, "b", "other.go"))
		// The workspace itself builds: nothing is missing from its go.sum files.
		if _, edits, err := g.WorkSumMissing(ctx, 0); err != nil || len(edits) != 0 {
			t.Errorf("offline=%v: WorkSumMissing = %+v, %v", offline, edits, err)
		}
	}
}

func TestAbsWork(t *testing.T) {
	src := "go 1.22\n\ntoolchain go1.22.3\n\ngodebug default=go1.21\n\nuse (\n\t./a\n\t\"./b c\"\n\t/abs/d\n)\n\nreplace (\n\texample.com/x v1.0.0 => ../x\n\texample.com/y => example.com/z v1.2.0\n\texample.com/w => /abs/w\n)\n"
	wf, err := modfile.ParseWork("go.work", []byte(src), nil)
	if err != nil {
		t.Fatal(err)
	}
	got := string(absWork(wf, "/ws/root"))
	want := "go 1.22\ntoolchain go1.22.3\ngodebug default=go1.21\nuse /ws/root/a\nuse \"/ws/root/b c\"\nuse /abs/d\nreplace example.com/x v1.0.0 => /ws/x\nreplace example.com/y => example.com/z v1.2.0\nreplace example.com/w => /abs/w\n"
	if filepath.Separator != '/' {
		t.Skip("paths below are Unix paths")
	}
	if got != want {
		t.Errorf("absWork:\n%s\nwant:\n%s", got, want)
	}
	if _, err := modfile.ParseWork("go.work", []byte(got), nil); err != nil {
		t.Errorf("the copy does not parse: %v", err)
	}
}
