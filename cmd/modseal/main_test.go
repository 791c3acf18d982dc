package main

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
	"golang.org/x/mod/sumdb"
	"golang.org/x/mod/sumdb/note"

	"github.com/modseal/modseal/internal/cli"
	"github.com/modseal/modseal/internal/testproxy"
)

var update = flag.Bool("update", false, "rewrite the golden files (cmp targets) in testdata/script")

// scriptBin, from $MODSEAL_TEST_BIN, is a modseal binary built apart for the
// scripts to run. make test builds one without the race detector: the
// race-instrumented test binary is several times slower to run as the
// scripts' modseal, and the scripts check behaviour, not data races (make
// test runs a set of them on the race-built binary too, see the Makefile).
// Unset, the scripts run this test binary as modseal.
var scriptBin = os.Getenv("MODSEAL_TEST_BIN")

func TestMain(m *testing.M) {
	testscript.Main(cleanupM{m}, map[string]func(){
		"modseal": func() {
			os.Exit(cli.Main(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Environ()))
		},
	})
}

// cleanupM runs the tests, then removes what tests shared across the
// process (the pre-commit store).
type cleanupM struct{ m *testing.M }

func (c cleanupM) Run() int {
	code := c.m.Run()
	if preCommitDir != "" {
		filepath.WalkDir(preCommitDir, func(p string, d os.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				os.Chmod(p, 0o755) // the go command's module cache is read-only
			}
			return nil
		})
		os.RemoveAll(preCommitDir)
	}
	return code
}

// testSumDBName is the name of the test checksum database the scripts use.
const testSumDBName = "sumdb.modseal.test"

var (
	proxyOnce sync.Once
	proxyDir  string // the file layout of the fixture proxy
	proxyURL  string // the same, served over HTTP, with the checksum database
	sumdbKey  string // the database's verifier key, for GOSUMDB
	proxyErr  error
)

// buildProxy builds the fixture module proxy once per test process and
// serves it over HTTP with a real checksum database (golang.org/x/mod/sumdb
// over its TestServer, signed by a key made for this run) at
// /sumdb/<name>/, as proxy.golang.org serves sum.golang.org.
func buildProxy(t *testing.T) {
	proxyOnce.Do(func() {
		dir, err := os.MkdirTemp("", "modseal-proxy-")
		if err != nil {
			proxyErr = err
			return
		}
		mods, err := testproxy.Load("../../testdata/mod")
		if err != nil {
			proxyErr = err
			return
		}
		if proxyErr = testproxy.Build(dir, mods); proxyErr != nil {
			return
		}
		proxyDir = dir
		skey, vkey, err := note.GenerateKey(rand.Reader, testSumDBName)
		if err != nil {
			proxyErr = err
			return
		}
		sumdbKey = vkey
		sums := make(map[string][]byte)
		for _, m := range mods {
			sums[m.Path+" "+m.Version] = []byte(m.SumLines())
		}
		db := sumdb.NewServer(sumdb.NewTestServer(skey, func(path, vers string) ([]byte, error) {
			if lines, ok := sums[path+" "+vers]; ok {
				return lines, nil
			}
			return nil, os.ErrNotExist
		}))
		prefix := "/sumdb/" + testSumDBName
		mux := http.NewServeMux()
		mux.HandleFunc(prefix+"/supported", func(http.ResponseWriter, *http.Request) {})
		mux.Handle(prefix+"/", http.StripPrefix(prefix, db))
		mux.Handle("/", http.FileServer(http.Dir(dir)))
		srv := httptest.NewServer(mux)
		proxyURL = srv.URL
	})
	if proxyErr != nil {
		t.Fatal(proxyErr)
	}
}

func goEnv(t *testing.T, key string) string {
	out, err := exec.Command("go", "env", key).Output()
	if err != nil {
		t.Fatalf("go env %s: %v", key, err)
	}
	return strings.TrimSpace(string(out))
}

// TestScripts runs the scripts in testdata/script against the modseal
// command, with the go command pointed at the fixture proxy and a fresh
// module cache per script. No script needs the network.
func TestScripts(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("the go command is not on PATH")
	}
	buildProxy(t)
	gocache := goEnv(t, "GOCACHE")
	var binDir string
	if scriptBin != "" {
		if !filepath.IsAbs(scriptBin) || filepath.Base(scriptBin) != "modseal" {
			t.Fatalf("MODSEAL_TEST_BIN=%s: want the absolute name of a binary called modseal", scriptBin)
		}
		if _, err := os.Stat(scriptBin); err != nil {
			t.Fatalf("MODSEAL_TEST_BIN: %v", err)
		}
		binDir = filepath.Dir(scriptBin)
	}
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		UpdateScripts:       *update,
		Setup: func(e *testscript.Env) error {
			work := e.WorkDir
			for k, v := range map[string]string{
				"GOPROXY":        proxyURL,
				"PROXY":          proxyDir,
				"GOSUMDB":        sumdbKey,
				"SUMDBKEY":       sumdbKey,
				"GONOSUMDB":      "",
				"GONOPROXY":      "",
				"GOPRIVATE":      "",
				"GOINSECURE":     "",
				"GOFLAGS":        "-modcacherw",
				"GOMODCACHE":     filepath.Join(work, "modcache"),
				"GOPATH":         filepath.Join(work, "gopath"),
				"GOCACHE":        gocache,
				"GOTOOLCHAIN":    "local",
				"GOWORK":         "",
				"CGO_ENABLED":    "0",
				"XDG_CACHE_HOME": filepath.Join(work, ".cache"),
				"HOME":           filepath.Join(work, "home"),
				"NO_COLOR":       "",
			} {
				e.Setenv(k, v)
			}
			if binDir != "" {
				// Ahead of the directory where testscript put this
				// test binary as modseal.
				e.Setenv("PATH", binDir+string(filepath.ListSeparator)+e.Getenv("PATH"))
			}
			return nil
		},
		Cmds: scriptCmds,
	})
}

// scriptCmds are the scripts' own commands. Test files for one command of
// modseal add theirs in an init function.
var scriptCmds = map[string]func(ts *testscript.TestScript, neg bool, args []string){
	"fault-proxy":  faultProxy,
	"gen-gosum":    genGoSum,
	"schema-valid": schemaValid,
	"status":       status,
	"zip-edit":     zipEdit,
}

// status N CMD ARGS... runs CMD like exec and fails unless it exits with
// status N: the contract gives 1 and 2 different meanings.
func status(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: status N command [args...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("status: %v", err)
	}
	got := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("status: %v", err)
		}
		got = ee.ExitCode()
	}
	if got != want {
		ts.Fatalf("%s exited with status %d, want %d", args[1], got, want)
	}
}

// zip-edit ZIP NAME CONTENT rewrites the zip with the file NAME (the path
// inside the zip) replaced by CONTENT, or added if it is not there: a valid
// module zip with another hash.
func zipEdit(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: zip-edit ZIP NAME CONTENT")
	}
	file, name, content := ts.MkAbs(args[0]), args[1], args[2]
	r, err := zip.OpenReader(file)
	if err != nil {
		ts.Fatalf("zip-edit: %v", err)
	}
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	found := false
	for _, f := range r.File {
		dst, err := w.Create(f.Name)
		if err != nil {
			ts.Fatalf("zip-edit: %v", err)
		}
		if f.Name == name {
			found = true
			dst.Write([]byte(content))
			continue
		}
		rc, err := f.Open()
		if err != nil {
			ts.Fatalf("zip-edit: %v", err)
		}
		io.Copy(dst, rc)
		rc.Close()
	}
	if !found {
		dst, _ := w.Create(name)
		dst.Write([]byte(content))
	}
	w.Close()
	r.Close()
	os.Chmod(file, 0o666)
	if err := os.WriteFile(file, buf.Bytes(), 0o666); err != nil {
		ts.Fatalf("zip-edit: %v", err)
	}
}

// gen-gosum N FILE writes a well-formed go.sum of N lines (N/2 modules).
func genGoSum(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: gen-gosum N FILE")
	}
	n, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("gen-gosum: %v", err)
	}
	var b strings.Builder
	for i := 0; i < n; i++ {
		sum := sha256.Sum256([]byte(strconv.Itoa(i)))
		suffix := ""
		if i%2 == 1 {
			suffix = "/go.mod"
		}
		fmt.Fprintf(&b, "example.com/gen%d v1.0.%d%s h1:%s\n", i/2, i/2, suffix, base64.StdEncoding.EncodeToString(sum[:]))
	}
	if err := os.WriteFile(ts.MkAbs(args[1]), []byte(b.String()), 0o666); err != nil {
		ts.Fatalf("gen-gosum: %v", err)
	}
}

// xmodSum returns the golang.org/x/mod version modseal's go.mod requires and
// modseal's two go.sum lines for it (zip, then go.mod): building modseal put
// that module in the module cache, so tests that need a real, cached
// dependency use it.
func xmodSum(t *testing.T) (version string, lines []string) {
	t.Helper()
	gomod, _ := os.ReadFile("../../go.mod")
	gosum, _ := os.ReadFile("../../go.sum")
	m := regexp.MustCompile(`(?m)^\s*(?:require\s+)?golang\.org/x/mod (v\S+)`).FindSubmatch(gomod)
	if m == nil {
		t.Fatal("modseal's go.mod does not require golang.org/x/mod")
	}
	version = string(m[1])
	for _, l := range strings.Split(string(gosum), "\n") {
		if strings.HasPrefix(l, "golang.org/x/mod "+version+" ") || strings.HasPrefix(l, "golang.org/x/mod "+version+"/go.mod ") {
			lines = append(lines, l)
		}
	}
	if len(lines) != 2 {
		t.Fatalf("modseal's go.sum has %d lines for golang.org/x/mod %s, want 2", len(lines), version)
	}
	slices.Sort(lines)
	return version, lines
}
