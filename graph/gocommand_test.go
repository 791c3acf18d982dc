package graph

import (
	"context"
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"golang.org/x/mod/sumdb"
	"golang.org/x/mod/sumdb/note"

	"github.com/modseal/modseal/internal/gocmd"
	"github.com/modseal/modseal/internal/testproxy"
)

var (
	fixtureOnce sync.Once
	fixtureMods []*testproxy.Module
	fixtureErr  error
)

// fixtureModules loads the shared fixture modules (testdata/mod) once.
func fixtureModules(t *testing.T) []*testproxy.Module {
	t.Helper()
	if testing.Short() {
		t.Skip("runs the go command")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	fixtureOnce.Do(func() { fixtureMods, fixtureErr = testproxy.Load("../testdata/mod") })
	if fixtureErr != nil {
		t.Fatal(fixtureErr)
	}
	return fixtureMods
}

// fixtureProxy writes the fixture modules in the module proxy layout (which
// is also the layout of a module cache's cache/download) under dir.
func fixtureProxy(t *testing.T, dir string) string {
	t.Helper()
	if err := testproxy.Build(dir, fixtureModules(t)); err != nil {
		t.Fatal(err)
	}
	return dir
}

// sumLines returns the go.sum lines of the fixture module path@version.
func sumLines(t *testing.T, ids ...string) string {
	t.Helper()
	var b strings.Builder
	for _, id := range ids {
		i := slices.IndexFunc(fixtureModules(t), func(m *testproxy.Module) bool { return m.ID() == id })
		if i < 0 {
			t.Fatalf("no fixture module %s", id)
		}
		b.WriteString(fixtureModules(t)[i].SumLines())
	}
	return b.String()
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

// testEnv is a user's environment for the go command: the fixture proxy,
// no checksum database, an empty module cache and GOPATH of its own, no
// workspace; set overrides it.
func testEnv(t *testing.T, set map[string]string) []string {
	t.Helper()
	proxy := fixtureProxy(t, t.TempDir())
	e := os.Environ()
	for k, v := range map[string]string{
		"GOPROXY":     testproxy.URL(proxy),
		"GOSUMDB":     "off",
		"GONOSUMDB":   "",
		"GONOPROXY":   "",
		"GOPRIVATE":   "",
		"GOINSECURE":  "",
		"GOFLAGS":     "-modcacherw",
		"GOMODCACHE":  filepath.Join(t.TempDir(), "mod"),
		"GOPATH":      filepath.Join(t.TempDir(), "gopath"),
		"GOWORK":      "off",
		"GOTOOLCHAIN": "local",
		"GOENV":       "off",
	} {
		e = gocmd.Setenv(e, k, v)
	}
	for k, v := range set {
		e = gocmd.Setenv(e, k, v)
	}
	return e
}

// runGo runs the go command as the user would (not through Command).
func runGo(t *testing.T, dir string, environ []string, args ...string) {
	t.Helper()
	c := gocmd.Cmd{Env: environ}
	if _, err := c.Run(context.Background(), dir, args...); err != nil {
		t.Fatal(err)
	}
}

const appImportsA = "package main\n\nimport \"example.com/a\"\n\nfunc main() { println(a.A()) }\n"

// A vendored project's CI sets GOFLAGS=-mod=vendor; "go list -m all"
// refuses to compute the build list from a vendor directory, so every go
// command modseal runs gets -mod=readonly instead.
func TestGOFLAGSVendor(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"go.mod":  "module example.com/app\n\ngo 1.21\n\nrequire example.com/a v1.0.0\n\nrequire example.com/b v1.0.0 // indirect\n",
		"go.sum":  sumLines(t, "example.com/a@v1.0.0", "example.com/b@v1.0.0"),
		"main.go": appImportsA,
	})
	environ := testEnv(t, nil)
	runGo(t, dir, environ, "mod", "vendor")
	environ = gocmd.Setenv(environ, "GOFLAGS", "-mod=vendor")
	g := &Command{Dir: dir, Environ: environ, CacheDir: t.TempDir()}
	ctx := context.Background()
	list, err := g.BuildList(ctx)
	if err != nil {
		t.Fatalf("BuildList with GOFLAGS=-mod=vendor: %v", err)
	}
	if len(list) != 3 {
		t.Errorf("build list has %d modules, want 3", len(list))
	}
	if _, err := g.Edges(ctx); err != nil {
		t.Errorf("Edges with GOFLAGS=-mod=vendor: %v", err)
	}
	if tr, err := g.Tidy(ctx, dir, 4, 0); err != nil || len(tr.Sum) != 0 {
		t.Errorf("Tidy with GOFLAGS=-mod=vendor: %v, %v", tr, err)
	}
	if _, err := g.Snapshot(ctx, SnapshotOptions{Platforms: []string{"linux/amd64"}}); err != nil {
		t.Errorf("Snapshot with GOFLAGS=-mod=vendor: %v", err)
	}
}

// The go command saves the checksum database's latest tree head in
// GOPATH/pkg/sumdb. That is the user's state, which modseal reads as a
// witness and promises never to write: the go commands modseal runs keep
// theirs in modseal's cache.
func TestSumDBStateNotWritten(t *testing.T) {
	mods := fixtureModules(t)
	proxy := fixtureProxy(t, t.TempDir())
	skey, vkey, err := note.GenerateKey(rand.Reader, "sumdb.test")
	if err != nil {
		t.Fatal(err)
	}
	db := sumdb.NewServer(sumdb.NewTestServer(skey, func(path, vers string) ([]byte, error) {
		for _, m := range mods {
			if m.Path == path && m.Version == vers {
				return []byte(m.SumLines()), nil
			}
		}
		return nil, os.ErrNotExist
	}))
	mux := http.NewServeMux()
	mux.HandleFunc("/sumdb/sumdb.test/supported", func(http.ResponseWriter, *http.Request) {})
	mux.Handle("/sumdb/sumdb.test/", http.StripPrefix("/sumdb/sumdb.test", db))
	mux.Handle("/", http.FileServer(http.Dir(proxy)))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"go.mod":  "module example.com/app\n\ngo 1.21\n\nrequire example.com/a v1.0.0\n\nrequire example.com/b v1.0.0 // indirect\n",
		"main.go": appImportsA,
	})
	gopath := filepath.Join(t.TempDir(), "gopath")
	cache := t.TempDir()
	g := &Command{Dir: dir, CacheDir: cache, Environ: testEnv(t, map[string]string{
		"GOPROXY": srv.URL,
		"GOSUMDB": vkey,
		"GOPATH":  gopath,
	})}
	tr, err := g.Tidy(context.Background(), dir, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	edits := tr.Sum
	if len(edits) != 4 {
		t.Errorf("tidy would add %d lines, want 4: %v", len(edits), edits)
	}
	// The go command checked the lines it would add against the database...
	if _, err := os.Stat(filepath.Join(cache, "gopath", "pkg", "sumdb", "sumdb.test", "latest")); err != nil {
		t.Errorf("the go command kept no tree head in modseal's cache: %v", err)
	}
	// ...and left the user's GOPATH alone.
	if _, err := os.Stat(filepath.Join(gopath, "pkg")); !os.IsNotExist(err) {
		t.Errorf("the go command wrote to the user's GOPATH: %v", err)
	}
}

// A GOMODCACHE whose path holds "," or "|" (the separators of a GOPROXY
// list) is still one file:// proxy.
func TestModCacheCommaProxy(t *testing.T) {
	usercache := filepath.Join(t.TempDir(), "mod,cache|x")
	fixtureProxy(t, filepath.Join(usercache, "cache", "download"))
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"go.mod":  "module example.com/app\n\ngo 1.21\n\nrequire example.com/a v1.0.0\n\nrequire example.com/b v1.0.0 // indirect\n",
		"go.sum":  sumLines(t, "example.com/a@v1.0.0", "example.com/b@v1.0.0"),
		"main.go": appImportsA,
	})
	g := &Command{Dir: dir, Offline: true, CacheDir: t.TempDir(), Environ: testEnv(t, map[string]string{
		"GOMODCACHE": usercache,
		"GOPROXY":    "off",
	})}
	list, err := g.BuildList(context.Background())
	if err != nil {
		t.Fatalf("BuildList from a module cache named %q: %v", filepath.Base(usercache), err)
	}
	if len(list) != 3 {
		t.Errorf("build list has %d modules, want 3", len(list))
	}
}

func TestFileProxyURL(t *testing.T) {
	for dir, want := range map[string]string{
		"/home/u/go/pkg/mod/cache/download": "file:///home/u/go/pkg/mod/cache/download",
		"/tmp/a,b|c d%e/cache/download":     "file:///tmp/a%2Cb%7Cc%20d%25e/cache/download",
	} {
		if got := fileProxyURL(dir); got != want {
			t.Errorf("fileProxyURL(%q) = %q, want %q", dir, got, want)
		}
	}
}
