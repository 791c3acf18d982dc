package graph

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modseal/modseal/internal/gocmd"
)

// A requirement no package imports, with its go.sum lines absent: go list
// -m all refuses ("missing go.sum entry for go.mod file"), but go mod tidy
// would drop the requirement rather than add the lines. ListMissing finds
// the line; Tidy reports the go.mod line tidy would remove.
func TestListMissingUnimportedRequirement(t *testing.T) {
	gomod := "module example.com/app\n\ngo 1.21\n\nrequire example.com/a v1.0.0\n\nrequire example.com/b v1.0.0 // indirect\n\nrequire example.com/unused v1.0.0\n"
	sum := sumLines(t, "example.com/a@v1.0.0", "example.com/b@v1.0.0")
	for _, offline := range []bool{false, true} {
		dir := t.TempDir()
		writeFiles(t, dir, map[string]string{"go.mod": gomod, "go.sum": sum, "main.go": appImportsA})
		environ := testEnv(t, nil)
		if offline {
			// Offline, the modules come from the user's module cache only.
			usercache := filepath.Join(t.TempDir(), "mod")
			fixtureProxy(t, filepath.Join(usercache, "cache", "download"))
			environ = gocmd.Setenv(gocmd.Setenv(environ, "GOMODCACHE", usercache), "GOPROXY", "off")
		}
		g := &Command{Dir: dir, Environ: environ, Offline: offline, CacheDir: t.TempDir()}
		ctx := context.Background()
		edits, err := g.ListMissing(ctx, dir, 4)
		if err != nil {
			t.Fatalf("offline=%v: %v", offline, err)
		}
		want := strings.TrimSuffix(strings.SplitAfter(sumLines(t, "example.com/unused@v1.0.0"), "\n")[1], "\n")
		if len(edits) != 1 || !edits[0].Add || edits[0].Text != want || edits[0].Line != 4 {
			t.Errorf("offline=%v: ListMissing = %+v, want one addition %q at line 4", offline, edits, want)
		}
		tidy, err := g.Tidy(ctx, dir, 4, strings.Count(gomod, "\n"))
		if err != nil {
			t.Fatal(err)
		}
		if len(tidy.Sum) != 0 {
			t.Errorf("offline=%v: tidy would change go.sum: %+v", offline, tidy.Sum)
		}
		if len(tidy.Mod) != 1 || tidy.Mod[0].Add || tidy.Mod[0].Line != 9 || tidy.Mod[0].Text != "require example.com/unused v1.0.0" {
			t.Errorf("offline=%v: tidy's go.mod edits = %+v, want the removal of line 9", offline, tidy.Mod)
		}
		// The user's files are as they were.
		if data, _ := os.ReadFile(filepath.Join(dir, "go.sum")); string(data) != sum {
			t.Errorf("go.sum was written:\n%s", data)
		}
		if data, _ := os.ReadFile(filepath.Join(dir, "go.mod")); string(data) != gomod {
			t.Errorf("go.mod was written:\n%s", data)
		}
	}
}

func TestListMissingNone(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"go.mod":  "module example.com/app\n\ngo 1.21\n\nrequire example.com/a v1.0.0\n\nrequire example.com/b v1.0.0 // indirect\n",
		"go.sum":  sumLines(t, "example.com/a@v1.0.0", "example.com/b@v1.0.0"),
		"main.go": appImportsA,
	})
	g := &Command{Dir: dir, Environ: testEnv(t, nil), CacheDir: t.TempDir()}
	if edits, err := g.ListMissing(context.Background(), dir, 4); err != nil || edits != nil {
		t.Errorf("ListMissing = %v, %v; want nothing", edits, err)
	}
	// A refusal other than a missing line is the go command's error.
	writeFiles(t, dir, map[string]string{"go.sum": "garbage\n"})
	_, err := g.ListMissing(context.Background(), dir, 1)
	var ge *gocmd.Error
	if !errors.As(err, &ge) {
		t.Fatalf("malformed go.sum: err = %v, want a *gocmd.Error", err)
	}
	if ex, _ := Refusals(ge.Stderr); len(ex) != 1 || ex[0].Rule != "gosum-syntax" {
		t.Errorf("malformed go.sum: refusals %+v", ex)
	}
}

func TestAddedLines(t *testing.T) {
	before := "a v1 h1:x\na v1/go.mod h1:y\nc v1/go.mod h1:z\n"
	after := "a v1 h1:x\na v1/go.mod h1:y\nb v1/go.mod h1:w\nc v1/go.mod h1:z\nd v1/go.mod h1:v\n"
	got := addedLines([]byte(before), []byte(after), 3)
	if len(got) != 2 || got[0] != (SumEdit{Add: true, Line: 3, Text: "b v1/go.mod h1:w"}) || got[1] != (SumEdit{Add: true, Line: 3, Text: "d v1/go.mod h1:v"}) {
		t.Errorf("addedLines = %+v", got)
	}
	if got := addedLines(nil, []byte("a v1 h1:x\n"), 0); len(got) != 1 || got[0].Line != 0 {
		t.Errorf("into an empty go.sum: %+v", got)
	}
}

func TestMergeSumEdits(t *testing.T) {
	a := []SumEdit{{Add: true, Line: 1, Text: "a v1 h1:x"}}
	b := []SumEdit{{Add: true, Line: 2, Text: "a  v1 h1:x"}, {Add: true, Line: 2, Text: "b v1 h1:y"}, {Line: 1, Text: "a v1 h1:x"}}
	got := MergeSumEdits(a, b)
	if len(got) != 3 || got[1].Text != "b v1 h1:y" || got[2].Add {
		t.Errorf("MergeSumEdits = %+v", got)
	}
}
