package graph

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modseal/modseal/internal/gocmd"
)

func TestMarshalCanonical(t *testing.T) {
	s := testSnapshot([]SnapshotModule{
		dep("example.com/b", "v1.0.0", "linux/amd64"),
		{Path: "example.com/r", Version: "v1.0.0", Replace: &Replacement{Path: "./r"}},
	}, []string{"example.com/app example.com/b@v1.0.0"})
	s.Toolchain = "go1.22.1"
	want := `{
  "schema": "modseal/graph/v1",
  "module": "example.com/app",
  "go": "1.21",
  "toolchain": "go1.22.1",
  "graph_digest": "` + s.GraphDigest + `",
  "content_digest": "` + s.ContentDigest + `",
  "modules": [
    {
      "path": "example.com/app",
      "version": "",
      "sum": "",
      "gomod_sum": "",
      "indirect": false,
      "platforms": [
        "darwin/arm64",
        "linux/amd64",
        "windows/amd64"
      ]
    },
    {
      "path": "example.com/b",
      "version": "v1.0.0",
      "sum": "` + hashA + `",
      "gomod_sum": "` + hashB + `",
      "indirect": false,
      "platforms": [
        "linux/amd64"
      ]
    },
    {
      "path": "example.com/r",
      "version": "v1.0.0",
      "sum": "",
      "gomod_sum": "",
      "indirect": false,
      "replace": {
        "path": "./r"
      },
      "platforms": []
    }
  ],
  "edges": [
    "example.com/app example.com/b@v1.0.0"
  ]
}
`
	got := Marshal(s)
	if string(got) != want {
		t.Fatalf("Marshal:\n%s\nwant:\n%s", got, want)
	}
	p, err := ParseSnapshot(got)
	if err != nil {
		t.Fatal(err)
	}
	if again := Marshal(p); !bytes.Equal(again, got) {
		t.Fatalf("Marshal(ParseSnapshot(Marshal(s))) differs:\n%s", again)
	}
	// Nil lists are written as [].
	empty := &Snapshot{Schema: SnapshotSchema, Module: "m", Modules: []SnapshotModule{{Path: "m"}}}
	if out := string(Marshal(empty)); !strings.Contains(out, `"edges": []`) || !strings.Contains(out, `"platforms": []`) {
		t.Errorf("nil lists not written as []:\n%s", out)
	}
}

func TestContentDigest(t *testing.T) {
	mods := []SnapshotModule{
		{Path: "example.com/app"},
		dep("example.com/z", "v1.0.0"),
		{Path: "example.com/b", Version: "v1.0.0", GoModSum: hashB},
		{Path: "example.com/r", Version: "v1.0.0", Replace: &Replacement{Path: "../r"}},
	}
	lines := "example.com/b v1.0.0 - " + hashB + "\n" +
		"example.com/r v1.0.0 - -\n" +
		"example.com/z v1.0.0 " + hashA + " " + hashB + "\n"
	sum := sha256.Sum256([]byte(lines))
	if got, want := ContentDigest(mods), "sha256:"+hex.EncodeToString(sum[:]); got != want {
		t.Errorf("ContentDigest = %s, want %s", got, want)
	}
}

func TestParseSnapshotErrors(t *testing.T) {
	valid := string(Marshal(testSnapshot([]SnapshotModule{dep("example.com/b", "v1.0.0", "linux/amd64")}, []string{"example.com/app example.com/b@v1.0.0"})))
	if _, err := ParseSnapshot([]byte(valid)); err != nil {
		t.Fatalf("valid snapshot: %v", err)
	}
	for _, tt := range []struct {
		name, old, new, err string
	}{
		{"schema", `"modseal/graph/v1"`, `"modseal/graph/v2"`, `unknown schema "modseal/graph/v2"`},
		{"unknown field", `"go": "1.21",`, `"go": "1.21", "extra": 1,`, `unknown field "extra"`},
		{"missing field", `"go": "1.21",`, ``, `no go field`},
		{"null list", `"edges": [
    "example.com/app example.com/b@v1.0.0"
  ]`, `"edges": null`, "no modules or no edges"},
		{"trailing data", "]\n}\n", "]\n}\n{}", "data after the JSON object"},
		{"platform", `"linux/amd64"`, `"linux"`, `platform "linux"`},
		{"version", `"version": "v1.0.0"`, `"version": "1.0.0"`, "example.com/b@1.0.0"},
		{"hash", hashA, "md5:xyz", `hash "md5:xyz"`},
		{"graph digest", `"example.com/app example.com/b@v1.0.0"`, `"example.com/app example.com/c@v1.0.0"`, "graph_digest"},
		{"content digest", hashA, hashC, "content_digest"},
		{"main with hash", `"sum": "",`, `"sum": "` + hashA + `",`, "a main module"},
		{"bad edge", `"example.com/app example.com/b@v1.0.0"`, `"example.com/app"`, `want "FROM TO"`},
	} {
		data := strings.Replace(valid, tt.old, tt.new, 1)
		if data == valid {
			t.Fatalf("%s: the edit changed nothing", tt.name)
		}
		_, err := ParseSnapshot([]byte(data))
		if err == nil || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("%s: err = %v, want one containing %q", tt.name, err, tt.err)
		}
	}
	// Unsorted modules.
	s := testSnapshot([]SnapshotModule{dep("example.com/b", "v1.0.0"), dep("example.com/c", "v1.0.0")}, nil)
	s.Modules[1], s.Modules[2] = s.Modules[2], s.Modules[1]
	if _, err := ParseSnapshot(Marshal(s)); err == nil || !strings.Contains(err.Error(), "sorted") {
		t.Errorf("unsorted modules: err = %v", err)
	}
}

func FuzzParseSnapshot(f *testing.F) {
	f.Add(Marshal(testSnapshot([]SnapshotModule{dep("example.com/b", "v1.0.0", "linux/amd64")}, []string{"example.com/app example.com/b@v1.0.0"})))
	repl := dep("example.com/r", "v1.0.0")
	repl.Replace = &Replacement{Path: "example.com/fork", Version: "v1.0.0"}
	s := testSnapshot([]SnapshotModule{repl}, nil)
	s.Toolchain = "go1.22.0"
	f.Add(Marshal(s))
	f.Add([]byte(`{"schema":"modseal/graph/v1"}`))
	f.Add([]byte(`{"schema":"modseal/graph/v1","module":"m","go":"","graph_digest":"","content_digest":"","modules":[{"path":"m","version":"","sum":"","gomod_sum":"","indirect":false,"platforms":[]}],"edges":[]}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ParseSnapshot(data)
		if err != nil {
			return
		}
		// What parses is canonical: it marshals to bytes that parse to
		// the same snapshot.
		out := Marshal(s)
		s2, err := ParseSnapshot(out)
		if err != nil {
			t.Fatalf("Marshal of a parsed snapshot does not parse: %v\n%s", err, out)
		}
		if !bytes.Equal(Marshal(s2), out) {
			t.Fatalf("Marshal is not stable:\n%s", out)
		}
	})
}

// benchSnapshots returns two snapshots of n modules with a few differences
// of every kind.
func benchSnapshots(n int) (old, cur *Snapshot) {
	var om, nm []SnapshotModule
	var oe, ne []string
	for i := range n {
		p := fmt.Sprintf("example.com/m%03d", i)
		m := dep(p, "v1.0.0", "linux/amd64")
		om = append(om, m)
		oe = append(oe, "example.com/app "+p+"@v1.0.0", p+"@v1.0.0 example.com/m000@v1.0.0", p+"@v1.0.0 go@1.21")
		switch i % 20 {
		case 1:
			m.Version = "v1.1.0"
		case 2:
			m.Sum = hashC
		case 3:
			m.Platforms = allPlatforms
		case 4:
			continue // removed
		}
		nm = append(nm, m)
		ne = append(ne, "example.com/app "+p+"@"+m.Version, p+"@"+m.Version+" example.com/m000@v1.0.0", p+"@"+m.Version+" go@1.21")
	}
	for i := range n / 20 {
		p := fmt.Sprintf("example.com/new%03d", i)
		nm = append(nm, dep(p, "v0.1.0", "linux/amd64"))
		ne = append(ne, "example.com/app "+p+"@v0.1.0")
	}
	return testSnapshot(om, oe), testSnapshot(nm, ne)
}

func BenchmarkDrift(b *testing.B) {
	old, cur := benchSnapshots(300)
	b.ReportAllocs()
	for b.Loop() {
		Drift(old, cur)
	}
}

// TestSnapshotLocal computes snapshots of modules with no module to
// download (a directory replacement), so it needs no network: platforms,
// replacements, workspaces, and byte-for-byte determinism across
// directories.
func TestSnapshotLocal(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	files := map[string]string{
		"go.mod":           "module example.com/app\n\ngo 1.21\n\ntoolchain go1.21.1\n\nrequire example.com/local v1.0.0\n\nreplace example.com/local => ./local\n",
		"main.go":          "package main\n\nfunc main() {}\n",
		"main_linux.go":    "package main\n\nimport _ \"example.com/local\"\n",
		"local/go.mod":     "module example.com/local\n\ngo 1.21\n",
		"local/local.go":   "package local\n\nimport \"C\"\n",
		"local/testdata/x": "not a package",
	}
	ctx := context.Background()
	snap := func(dir string, work bool) []byte {
		t.Helper()
		environ := gocmd.Setenv(os.Environ(), "GOPROXY", "off")
		environ = gocmd.Setenv(environ, "GOFLAGS", "")
		if !work {
			environ = gocmd.Setenv(environ, "GOWORK", "off")
		}
		g := &Command{Dir: dir, Environ: environ, CacheDir: t.TempDir()}
		s, err := g.Snapshot(ctx, SnapshotOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return Marshal(s)
	}
	write := func(dir string, files map[string]string) {
		for name, data := range files {
			p := filepath.Join(dir, filepath.FromSlash(name))
			os.MkdirAll(filepath.Dir(p), 0o777)
			if err := os.WriteFile(p, []byte(data), 0o666); err != nil {
				t.Fatal(err)
			}
		}
	}
	d1, d2 := t.TempDir(), filepath.Join(t.TempDir(), "elsewhere", "app")
	write(d1, files)
	write(d2, files)
	out1 := snap(d1, false)
	if out2 := snap(d2, false); !bytes.Equal(out1, out2) {
		t.Fatalf("snapshots in two directories differ:\n%s\n%s", out1, out2)
	}
	if out := snap(d1, false); !bytes.Equal(out1, out) {
		t.Fatalf("two snapshots differ:\n%s\n%s", out1, out)
	}
	s, err := ParseSnapshot(out1)
	if err != nil {
		t.Fatalf("%v\n%s", err, out1)
	}
	if s.Go != "1.21" || s.Toolchain != "go1.21.1" || s.Module != "example.com/app" {
		t.Errorf("go %q toolchain %q module %q", s.Go, s.Toolchain, s.Module)
	}
	i := slices.IndexFunc(s.Modules, func(m SnapshotModule) bool { return m.Path == "example.com/local" })
	if i < 0 {
		t.Fatalf("no example.com/local:\n%s", out1)
	}
	if m := s.Modules[i]; !slices.Equal(m.Platforms, []string{"linux/amd64"}) || m.Replace == nil || m.Replace.Path != "./local" || m.Sum != "" {
		t.Errorf("example.com/local = %+v, want linux/amd64 only, replaced by ./local, no hashes", m)
	}

	// A workspace: one snapshot, the modules sorted.
	w := t.TempDir()
	write(w, map[string]string{
		"go.work":      "go 1.22\n\nuse (\n\t./z\n\t./a\n)\n",
		"z/go.mod":     "module example.com/z\n\ngo 1.21\n",
		"z/z.go":       "package z\n",
		"a/go.mod":     "module example.com/a\n\ngo 1.21\n",
		"a/a_linux.go": "package a\n\nimport _ \"example.com/z\"\n",
	})
	ws, err := ParseSnapshot(snap(w, true))
	if err != nil {
		t.Fatal(err)
	}
	if ws.Module != "example.com/a,example.com/z" || ws.Go != "1.22" {
		t.Errorf("workspace: module %q go %q", ws.Module, ws.Go)
	}

	// An import no module provides is an error, not a quiet gap.
	write(d1, map[string]string{"bad_windows.go": "package main\n\nimport _ \"example.com/nowhere\"\n"})
	environ := gocmd.Setenv(gocmd.Setenv(os.Environ(), "GOPROXY", "off"), "GOWORK", "off")
	g := &Command{Dir: d1, Environ: environ, CacheDir: t.TempDir()}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if _, err := g.Snapshot(ctx, SnapshotOptions{}); err == nil || !strings.Contains(err.Error(), "windows/amd64") || !strings.Contains(err.Error(), "listing packages") || !strings.Contains(err.Error(), "example.com/nowhere") {
		t.Errorf("unresolved import: err = %v", err)
	}
}

// TestSnapshotReadFile: a snapshot reads go.mod and go.sum through
// SnapshotOptions.ReadFile, so that a caller that has read them (the
// audit) gets the snapshot of the bytes it checked.
func TestSnapshotReadFile(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command")
	}
	dir := t.TempDir()
	gomod := "module example.com/app\n\ngo 1.21\n"
	for name, data := range map[string]string{"go.mod": gomod, "main.go": "package main\n\nfunc main() {}\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o666); err != nil {
			t.Fatal(err)
		}
	}
	environ := gocmd.Setenv(gocmd.Setenv(gocmd.Setenv(os.Environ(), "GOPROXY", "off"), "GOWORK", "off"), "GOFLAGS", "")
	g := &Command{Dir: dir, Environ: environ, CacheDir: t.TempDir()}
	var (
		mu   sync.Mutex
		read []string
	)
	s, err := g.Snapshot(context.Background(), SnapshotOptions{Platforms: []string{"linux/amd64"}, ReadFile: func(name string) ([]byte, error) {
		mu.Lock()
		read = append(read, filepath.Base(name))
		mu.Unlock()
		if filepath.Base(name) == "go.mod" {
			return []byte(gomod + "\ntoolchain go1.21.9\n"), nil // as the caller read it
		}
		return os.ReadFile(name)
	}})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(read)
	if !slices.Equal(read, []string{"go.mod", "go.mod", "go.sum"}) {
		t.Errorf("ReadFile read %v, want go.mod (as the root file and the main module's) and go.sum", read)
	}
	if s.Toolchain != "go1.21.9" {
		t.Errorf("toolchain %q: the snapshot did not read go.mod through ReadFile", s.Toolchain)
	}
}
