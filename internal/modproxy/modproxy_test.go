package modproxy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/mod/module"

	"github.com/modseal/modseal/internal/testproxy"
	"github.com/modseal/modseal/verify"
)

// A fixture is the testdata/mod modules, plus one with upper-case letters
// in its path and version (to exercise escaping), built as a proxy in dir.
type fixture struct {
	dir  string
	mods []*testproxy.Module
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	mods, err := testproxy.Load("../../testdata/mod")
	if err != nil {
		t.Fatal(err)
	}
	if len(mods) == 0 {
		t.Fatal("no fixture modules")
	}
	upper := filepath.Join(t.TempDir(), "upper.txt")
	if err := os.WriteFile(upper, []byte("module example.com/Upper v1.0.0-RC1\n-- go.mod --\nmodule example.com/Upper\n-- u.go --\npackage u\n"), 0o666); err != nil {
		t.Fatal(err)
	}
	m, err := testproxy.LoadFile(upper)
	if err != nil {
		t.Fatal(err)
	}
	mods = append(mods, m)
	dir := t.TempDir()
	if err := testproxy.Build(dir, mods); err != nil {
		t.Fatal(err)
	}
	return &fixture{dir: dir, mods: mods}
}

func (fx *fixture) mod(t *testing.T, path, version string) *testproxy.Module {
	t.Helper()
	for _, m := range fx.mods {
		if m.Path == path && m.Version == version {
			return m
		}
	}
	t.Fatalf("no fixture %s@%s", path, version)
	return nil
}

// A server is an httptest server that counts its requests.
type server struct {
	*httptest.Server
	requests atomic.Int64
}

func serve(t *testing.T, h http.HandlerFunc) *server {
	t.Helper()
	s := &server{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		h(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

// proxyServer serves the fixture proxy over http, and answers @latest (which
// a file system proxy cannot) with the .info of the highest listed version.
func (fx *fixture) proxyServer(t *testing.T) *server {
	files := http.FileServer(http.Dir(fx.dir))
	return serve(t, func(w http.ResponseWriter, r *http.Request) {
		if modPath, ok := strings.CutSuffix(r.URL.Path, "/@latest"); ok {
			list, err := os.ReadFile(filepath.Join(fx.dir, filepath.FromSlash(modPath), "@v", "list"))
			fields := strings.Fields(string(list))
			if err != nil || len(fields) == 0 {
				http.NotFound(w, r)
				return
			}
			latest := fields[len(fields)-1] // Build sorts the list
			r.URL.Path = modPath + "/@v/" + latest + ".info"
		}
		files.ServeHTTP(w, r)
	})
}

func status(code int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { http.Error(w, "no", code) }
}

// hang answers nothing until the client goes away.
func hang(w http.ResponseWriter, r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-time.After(10 * time.Second):
	}
}

func newFetcher(t *testing.T, proxy string) *Fetcher {
	return &Fetcher{Proxy: proxy, Dir: t.TempDir(), Timeout: 5 * time.Second}
}

var (
	modA = module.Version{Path: "example.com/a", Version: "v1.0.0"}
	modB = module.Version{Path: "example.com/b", Version: "v1.1.0"}
)

// checkFetched fetches every file of every fixture module and checks what
// arrived against the fixture: the zip's h1 (by modseal's own verify.HashZip),
// the .mod bytes, the .info version and time, and the cache layout.
func checkFetched(t *testing.T, f *Fetcher, fx *fixture) {
	t.Helper()
	ctx := t.Context()
	for _, m := range fx.mods {
		mv := module.Version{Path: m.Path, Version: m.Version}
		escPath, _ := module.EscapePath(m.Path)
		escVer, _ := module.EscapeVersion(m.Version)
		for _, ext := range []string{"zip", "mod", "info"} {
			file, err := f.Fetch(ctx, mv, ext)
			if err != nil {
				t.Fatalf("Fetch(%s, %s): %v", mv, ext, err)
			}
			want := filepath.Join(f.Dir, filepath.FromSlash(escPath), "@v", escVer+"."+ext)
			if file != want {
				t.Errorf("Fetch(%s, %s) = %s, want %s", mv, ext, file, want)
			}
			switch ext {
			case "zip":
				got, h, err := verify.HashZip(file)
				if err != nil {
					t.Fatal(err)
				}
				if got != mv || h != m.Sum {
					t.Errorf("%s: zip is %s %s, want %s %s", mv, got, h, mv, m.Sum)
				}
			case "mod":
				data, err := f.GoMod(ctx, mv)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(data, m.Mod) {
					t.Errorf("%s: GoMod = %q, want %q", mv, data, m.Mod)
				}
				if h, err := verify.HashGoMod(data); err != nil || h != m.GoModSum {
					t.Errorf("%s: .mod hashes to %s (%v), want %s", mv, h, err, m.GoModSum)
				}
			case "info":
				data, err := os.ReadFile(file)
				if err != nil {
					t.Fatal(err)
				}
				var info Info
				if err := json.Unmarshal(data, &info); err != nil {
					t.Fatal(err)
				}
				if info.Version != m.Version || !info.Time.Equal(m.Time) {
					t.Errorf("%s: .info is %s %s, want %s %s", mv, info.Version, info.Time, m.Version, m.Time)
				}
			}
		}
	}
	checkNoTemp(t, f.Dir)
}

// checkNoTemp checks that no temporary file is left anywhere under dir.
func checkNoTemp(t *testing.T, dir string) {
	t.Helper()
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && strings.Contains(d.Name(), ".tmp-") {
			t.Errorf("temporary file left behind: %s", path)
		}
		return nil
	})
}

// checkAbsent checks that a failed Fetch left nothing at the final path, and
// no temporary file either.
func checkAbsent(t *testing.T, f *Fetcher, m module.Version, ext string) {
	t.Helper()
	file, err := f.cachePath(m, ext)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(file); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("%s exists after a failed download (%v)", file, err)
	}
	checkNoTemp(t, f.Dir)
}

func asUnavailable(t *testing.T, err error) *UnavailableError {
	t.Helper()
	var u *UnavailableError
	if !errors.As(err, &u) {
		t.Fatalf("error %v (%T), want an *UnavailableError", err, err)
	}
	return u
}

func TestFetchFileProxy(t *testing.T) {
	fx := newFixture(t)
	for _, proxy := range []string{testproxy.URL(fx.dir), testproxy.URL(fx.dir) + "/"} {
		checkFetched(t, newFetcher(t, proxy), fx)
	}
}

func TestFetchHTTP(t *testing.T) {
	fx := newFixture(t)
	s := fx.proxyServer(t)
	f := newFetcher(t, s.URL+"/") // a trailing slash is tolerated
	checkFetched(t, f, fx)
	if got, want := s.requests.Load(), int64(3*len(fx.mods)); got != want {
		t.Errorf("%d requests for %d modules, want %d", got, len(fx.mods), want)
	}
	// Everything again, and GoMod: all from the cache.
	s.requests.Store(0)
	checkFetched(t, f, fx)
	if _, err := f.GoMod(t.Context(), modA); err != nil {
		t.Fatal(err)
	}
	if n := s.requests.Load(); n != 0 {
		t.Errorf("%d requests for files already in the cache, want 0", n)
	}
	// GoMod of a module not yet fetched downloads only the .mod.
	f2 := newFetcher(t, s.URL)
	if _, err := f2.GoMod(t.Context(), modA); err != nil {
		t.Fatal(err)
	}
	if n := s.requests.Load(); n != 1 {
		t.Errorf("GoMod made %d requests, want 1", n)
	}
}

func TestCommaFallsThroughOnNotFound(t *testing.T) {
	fx := newFixture(t)
	good := fx.proxyServer(t)
	for _, code := range []int{http.StatusNotFound, http.StatusGone} {
		first := serve(t, status(code))
		f := newFetcher(t, first.URL+","+good.URL)
		if _, err := f.Fetch(t.Context(), modA, "zip"); err != nil {
			t.Fatalf("after a %d: %v", code, err)
		}
		if first.requests.Load() != 1 {
			t.Errorf("first proxy got %d requests, want 1", first.requests.Load())
		}
	}
	// A file:// proxy that lacks the file is a not-found too.
	f := newFetcher(t, testproxy.URL(t.TempDir())+","+good.URL)
	if _, err := f.Fetch(t.Context(), modA, "mod"); err != nil {
		t.Fatal(err)
	}
	// When every proxy says not found, the error says so.
	nf := serve(t, status(http.StatusNotFound))
	f = newFetcher(t, testproxy.URL(t.TempDir())+","+nf.URL)
	_, err := f.Fetch(t.Context(), modA, "zip")
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("all not found: %v, want an fs.ErrNotExist", err)
	}
	want := "example.com/a@v1.0.0: GET " + nf.URL + "/example.com/a/@v/v1.0.0.zip: 404 Not Found"
	if err == nil || err.Error() != want {
		t.Errorf("all not found: %v\nwant %s", err, want)
	}
}

func TestCommaStopsOnError(t *testing.T) {
	fx := newFixture(t)
	good := fx.proxyServer(t)
	bad := serve(t, status(http.StatusInternalServerError))
	f := newFetcher(t, bad.URL+","+good.URL)
	_, err := f.Fetch(t.Context(), modA, "zip")
	want := "example.com/a@v1.0.0: GET " + bad.URL + "/example.com/a/@v/v1.0.0.zip: 500 Internal Server Error"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v\nwant %s", err, want)
	}
	var rerr *RequestError
	if !errors.As(err, &rerr) || rerr.StatusCode != 500 {
		t.Errorf("err = %#v, want a *RequestError with status 500", err)
	}
	if errors.Is(err, fs.ErrNotExist) {
		t.Error("a 500 is fs.ErrNotExist")
	}
	if n := good.requests.Load(); n != 0 {
		t.Errorf("the proxy after a 500 and a \",\" got %d requests", n)
	}
	checkAbsent(t, f, modA, "zip")
}

func TestPipeFallsThrough(t *testing.T) {
	fx := newFixture(t)
	good := fx.proxyServer(t)
	bad := serve(t, status(http.StatusBadGateway))
	slow := serve(t, hang)
	stall := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1000")
		w.Write([]byte("module example.com/a\n"))
		w.(http.Flusher).Flush()
		hang(w, r)
	})
	ctx := t.Context()

	f := newFetcher(t, bad.URL+"|"+good.URL)
	if _, err := f.Fetch(ctx, modA, "zip"); err != nil {
		t.Fatalf("502|good: %v", err)
	}

	for _, s := range []*server{slow, stall} {
		f = newFetcher(t, s.URL+"|"+good.URL)
		f.Timeout = 200 * time.Millisecond
		start := time.Now()
		if _, err := f.Fetch(ctx, modA, "mod"); err != nil {
			t.Fatalf("timeout|good: %v", err)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("timeout|good took %v with a 200ms timeout", d)
		}

		// After a "," a timeout is final.
		before := good.requests.Load()
		f = newFetcher(t, s.URL+","+good.URL)
		f.Timeout = 200 * time.Millisecond
		_, err := f.Fetch(ctx, modA, "mod")
		if err == nil || !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "timeout: ") || !strings.Contains(err.Error(), "200ms") {
			t.Errorf("timeout,good: %v, want a timeout error", err)
		}
		if good.requests.Load() != before {
			t.Error("the proxy after a timeout and a \",\" was asked")
		}
		checkAbsent(t, f, modA, "mod")
	}
}

// TestTimeoutIsPerRead: a body that keeps arriving may take longer than the
// timeout in total.
func TestTimeoutIsPerRead(t *testing.T) {
	fx := newFixture(t)
	data, err := os.ReadFile(fx.mod(t, "example.com/a", "v1.0.0").GoModFile)
	if err != nil {
		t.Fatal(err)
	}
	s := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(len(data)))
		for i, b := range data {
			w.Write([]byte{b})
			w.(http.Flusher).Flush()
			if i%5 == 0 {
				time.Sleep(40 * time.Millisecond)
			}
		}
	})
	f := newFetcher(t, s.URL)
	f.Timeout = 200 * time.Millisecond
	start := time.Now()
	got, err := f.GoMod(t.Context(), modA)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data) {
		t.Errorf("GoMod = %q, want %q", got, data)
	}
	if d := time.Since(start); d < 2*f.Timeout {
		t.Fatalf("the slow body took only %v; the test proves nothing", d)
	}
}

func TestCancel(t *testing.T) {
	fx := newFixture(t)
	good := fx.proxyServer(t)
	slow := serve(t, hang)
	f := newFetcher(t, slow.URL+"|"+good.URL)
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(100*time.Millisecond, cancel)
	_, err := f.Fetch(ctx, modA, "zip")
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	if n := good.requests.Load(); n != 0 {
		t.Errorf("a cancelled Fetch went on to the next proxy (%d requests)", n)
	}
	checkAbsent(t, f, modA, "zip")
}

func TestOffDirect(t *testing.T) {
	fx := newFixture(t)
	good := fx.proxyServer(t)
	nf := serve(t, status(http.StatusNotFound))
	bad := serve(t, status(http.StatusInternalServerError))
	tests := []struct {
		proxy       string
		unavailable bool   // an *UnavailableError, else a *RequestError
		contains    string // in the error
	}{
		{"off", true, "example.com/a@v1.0.0: GOPROXY=off forbids downloading it"},
		{" , ", true, "GOPROXY=off forbids"},
		{"off," + good.URL, true, "GOPROXY=off forbids"},
		{nf.URL + ",off", true, `404 Not Found; then GOPROXY says "off"`},
		{"direct", true, "version control system, which modseal does not do"},
		{"direct|" + good.URL, true, "version control system"},
		{nf.URL + ",direct", true, `404 Not Found; then GOPROXY says "direct"`},
		// As in cmd/go, "direct" is the most telling answer, and a real
		// failure is more telling than "off".
		{bad.URL + "|direct", true, `500 Internal Server Error; then GOPROXY says "direct"`},
		{bad.URL + "|off", false, "500 Internal Server Error"},
		{bad.URL + ",direct", false, "500 Internal Server Error"},
	}
	for _, tt := range tests {
		before := good.requests.Load()
		f := newFetcher(t, tt.proxy)
		_, err := f.Fetch(t.Context(), modA, "zip")
		var u *UnavailableError
		if errors.As(err, &u) != tt.unavailable {
			t.Errorf("GOPROXY=%s: %v (%T), want unavailable=%v", tt.proxy, err, err, tt.unavailable)
			continue
		}
		if u != nil && u.Module != modA {
			t.Errorf("GOPROXY=%s: Module = %v", tt.proxy, u.Module)
		}
		if !strings.Contains(err.Error(), tt.contains) {
			t.Errorf("GOPROXY=%s: %v\nwant it to contain %q", tt.proxy, err, tt.contains)
		}
		if good.requests.Load() != before {
			t.Errorf("GOPROXY=%s: the proxy after off/direct was asked", tt.proxy)
		}
		checkAbsent(t, f, modA, "zip")
	}

	// Without a version, the message names the path only.
	_, err := newFetcher(t, "off").Versions(t.Context(), "example.com/a")
	if err == nil || err.Error() != "example.com/a: GOPROXY=off forbids downloading it" {
		t.Errorf("Versions with GOPROXY=off: %v", err)
	}
}

func TestNoProxy(t *testing.T) {
	fx := newFixture(t)
	s := fx.proxyServer(t)
	ctx := t.Context()
	for _, proxy := range []string{s.URL, "off", "direct", ""} {
		f := newFetcher(t, proxy)
		f.NoProxy = "*.corp.example,example.com/a"
		_, err := f.Fetch(ctx, modA, "zip")
		if u := asUnavailable(t, err); !strings.Contains(u.Reason, "GONOPROXY/GOPRIVATE") {
			t.Errorf("GOPROXY=%s: Reason = %q, want it to say GONOPROXY/GOPRIVATE", proxy, u.Reason)
		}
		_, err = f.Stat(ctx, modA)
		asUnavailable(t, err)
		_, err = f.Versions(ctx, "example.com/a")
		asUnavailable(t, err)
		_, err = f.Latest(ctx, "example.com/a")
		asUnavailable(t, err)
		_, err = f.Fetch(ctx, module.Version{Path: "git.corp.example/x", Version: "v1.0.0"}, "mod")
		asUnavailable(t, err)
		// Not even an empty directory names a private module in the cache.
		if entries, _ := os.ReadDir(f.Dir); len(entries) != 0 {
			t.Errorf("GOPROXY=%s: private modules left %d entries in Dir", proxy, len(entries))
		}
	}
	if n := s.requests.Load(); n != 0 {
		t.Errorf("%d requests for private modules, want 0", n)
	}
	// Others still go through the proxy.
	f := newFetcher(t, s.URL)
	f.NoProxy = "*.corp.example,example.com/a"
	if _, err := f.Fetch(ctx, modB, "zip"); err != nil {
		t.Fatal(err)
	}
	// example.com/a does not match example.com/ab.
	if module.MatchPrefixPatterns(f.NoProxy, "example.com/ab") {
		t.Fatal("pattern matched a longer element")
	}
}

func TestZipTooLarge(t *testing.T) {
	fx := newFixture(t)
	zipFile := fx.mod(t, "example.com/a", "v1.0.0").ZipFile
	data, err := os.ReadFile(zipFile)
	if err != nil {
		t.Fatal(err)
	}
	size := int64(len(data))
	withLength := fx.proxyServer(t) // http.FileServer sends Content-Length
	chunked := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush() // no Content-Length: the limit must hold while streaming
		w.Write(data)
	})
	short := serve(t, func(w http.ResponseWriter, r *http.Request) {
		// A complete HTTP answer that is only the start of the zip.
		w.Write(data[:10])
	})
	huge := serve(t, func(w http.ResponseWriter, r *http.Request) {
		// Refused from the Content-Length alone, without waiting for a body.
		w.Header().Set("Content-Length", strconv.FormatInt(1<<40, 10))
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		hang(w, r)
	})
	f := newFetcher(t, huge.URL)
	start := time.Now()
	if _, err := f.Fetch(t.Context(), modA, "zip"); err == nil || !strings.Contains(err.Error(), "answer too large: 1099511627776 bytes") {
		t.Errorf("Content-Length of 1 TiB: %v, want too large", err)
	}
	if d := time.Since(start); d >= f.Timeout {
		t.Errorf("Content-Length of 1 TiB: refused only after %v", d)
	}
	checkAbsent(t, f, modA, "zip")

	for _, proxy := range []string{withLength.URL, chunked.URL, testproxy.URL(fx.dir)} {
		f := newFetcher(t, proxy)
		f.MaxZipSize = size - 1
		_, err := f.Fetch(t.Context(), modA, "zip")
		if err == nil || !strings.Contains(err.Error(), "too large") {
			t.Errorf("%s: zip of %d bytes with MaxZipSize %d: %v, want too large", proxy, size, f.MaxZipSize, err)
		}
		checkAbsent(t, f, modA, "zip")

		// Exactly at the limit is fine.
		f = newFetcher(t, proxy)
		f.MaxZipSize = size
		if _, err := f.Fetch(t.Context(), modA, "zip"); err != nil {
			t.Errorf("%s: zip of %d bytes with MaxZipSize %d: %v", proxy, size, f.MaxZipSize, err)
		}
	}
	f = newFetcher(t, short.URL)
	if _, err := f.Fetch(t.Context(), modA, "zip"); err == nil || !strings.Contains(err.Error(), "not a valid zip") {
		t.Errorf("the start of a zip: %v, want not a valid zip", err)
	}
	checkAbsent(t, f, modA, "zip")
}

func TestTruncatedBody(t *testing.T) {
	fx := newFixture(t)
	m := fx.mod(t, "example.com/a", "v1.0.0")
	// Declares the whole length, sends half, and hangs up.
	short := func(file string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			data, _ := os.ReadFile(file)
			w.Header().Set("Content-Length", strconv.Itoa(len(data)))
			w.Write(data[:len(data)/2])
		}
	}
	// No Content-Length, half the zip, connection closed: the HTTP
	// exchange looks complete, only the zip check can notice.
	hangUp := func(w http.ResponseWriter, r *http.Request) {
		data, _ := os.ReadFile(m.ZipFile)
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		defer conn.Close()
		buf.WriteString("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n")
		buf.Write(data[:len(data)/2])
		buf.Flush()
	}
	tests := []struct {
		h    http.HandlerFunc
		ext  string
		want string
	}{
		{short(m.ZipFile), "zip", "unexpected EOF"},
		{short(m.GoModFile), "mod", "unexpected EOF"},
		{hangUp, "zip", "not a valid zip"},
	}
	for _, tt := range tests {
		s := serve(t, tt.h)
		f := newFetcher(t, s.URL)
		_, err := f.Fetch(t.Context(), modA, tt.ext)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("truncated .%s: %v, want %q", tt.ext, err, tt.want)
		}
		checkAbsent(t, f, modA, tt.ext)
	}
}

func TestUntrustedContent(t *testing.T) {
	fx := newFixture(t)
	bZip := fx.mod(t, "example.com/b", "v1.1.0").ZipFile
	tests := []struct {
		name string
		ext  string
		body string // or the file bZip if empty
		want string
	}{
		{"zip of another module", "zip", "", `zip for example.com/a@v1.0.0 has unexpected file "example.com/b@v1.1.0/`},
		{"not a zip", "zip", "hello", "not a valid zip file"},
		{"info of another version", "info", `{"Version":"v1.1.0"}`, `proxy returned info for version "v1.1.0" instead of the requested version`},
		{"info not JSON", "info", `<html>`, "invalid .info JSON"},
	}
	for _, tt := range tests {
		s := serve(t, func(w http.ResponseWriter, r *http.Request) {
			if tt.body == "" {
				http.ServeFile(w, r, bZip)
				return
			}
			w.Write([]byte(tt.body))
		})
		f := newFetcher(t, s.URL)
		_, err := f.Fetch(t.Context(), modA, tt.ext)
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "GET "+s.URL) {
			t.Errorf("%s: %v\nwant the URL and %q", tt.name, err, tt.want)
		}
		checkAbsent(t, f, modA, tt.ext)
		if tt.ext == "info" {
			if _, err := f.Stat(t.Context(), modA); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("%s: Stat: %v, want %q", tt.name, err, tt.want)
			}
		}
	}
}

func TestRedaction(t *testing.T) {
	const secret = "s3cr3t"
	var gotUser, gotPass atomic.Value
	bad := serve(t, func(w http.ResponseWriter, r *http.Request) {
		u, p, _ := r.BasicAuth()
		gotUser.Store(u)
		gotPass.Store(p)
		status(http.StatusInternalServerError)(w, r)
	})
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close() // connection refused
	withCreds := func(base, userinfo string) string {
		u, _ := url.Parse(base)
		return u.Scheme + "://" + userinfo + "@" + u.Host + "/p"
	}
	tests := []struct {
		proxy string
		shows string // in the error
	}{
		{withCreds(bad.URL, secret+":x-oauth-basic"), "//xxxxx@"},                        // a token as the user name, with a password
		{strings.TrimPrefix(withCreds(closed.URL, secret), "http://"), "https://xxxxx@"}, // scheme-less: https:// added
		{withCreds(bad.URL, "user:"+secret), "//xxxxx@"},
		{withCreds(bad.URL, secret), "//xxxxx@"}, // a token as the user name
		{bad.URL + "/?token=" + secret, "?xxxxx"},
		{withCreds(closed.URL, "user:"+secret), "//xxxxx@"},
		{withCreds(bad.URL, "user:"+secret) + "|" + withCreds(closed.URL, "user:"+secret), "//xxxxx@"},
		{"https://user:" + secret + "@bad host/", "xxxxx@bad host"},
		{"https://user:" + secret + "%zz@host/", "xxxxx@host"}, // url.Parse would quote "%zz"
		{"https://user:" + secret + "/x@host/", "xxxxx@host/"}, // url.Parse would quote the "port"
		{"https://user:" + secret + "@host:port/", "xxxxx@host:port"},
		{"ftp://user:" + secret + "@host/", "//xxxxx@host"},
		{"file://user:" + secret + "@host/x", "//xxxxx@host"},
		{"https://host/?tok=" + secret + "%zz", "?xxxxx"},
	}
	for _, tt := range tests {
		f := newFetcher(t, tt.proxy)
		for _, err := range []error{
			func() error { _, err := f.Fetch(t.Context(), modA, "zip"); return err }(),
			func() error { _, err := f.Versions(t.Context(), "example.com/a"); return err }(),
		} {
			if err == nil {
				t.Fatalf("%s: no error", tt.proxy)
			}
			if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), "%zz") {
				t.Errorf("the error shows the secret: %v", err)
			}
			if !strings.Contains(err.Error(), tt.shows) {
				t.Errorf("%v\nwant it to contain %q", err, tt.shows)
			}
		}
	}
	// The credentials are sent, though.
	if gotUser.Load() != "user" || gotPass.Load() != secret {
		t.Errorf("the proxy got basic auth %v:%v", gotUser.Load(), gotPass.Load())
	}
}

func TestVersionsLatestStat(t *testing.T) {
	fx := newFixture(t)
	s := fx.proxyServer(t)
	ctx := t.Context()
	for _, proxy := range []string{s.URL, testproxy.URL(fx.dir)} {
		f := newFetcher(t, proxy)
		list, err := f.Versions(ctx, "example.com/b")
		if err != nil || !slices.Equal(list, []string{"v1.0.0", "v1.1.0"}) {
			t.Errorf("%s: Versions = %v, %v", proxy, list, err)
		}
		// example.com/e has only a pseudo-version.
		if list, err := f.Versions(ctx, "example.com/e"); err != nil || len(list) != 0 {
			t.Errorf("%s: Versions(example.com/e) = %v, %v, want none", proxy, list, err)
		}
		if _, err := f.Versions(ctx, "example.com/nothere"); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s: Versions of an unknown module: %v, want fs.ErrNotExist", proxy, err)
		}
		info, err := f.Stat(ctx, modA)
		if err != nil || info.Version != "v1.0.0" || !info.Time.Equal(fx.mod(t, "example.com/a", "v1.0.0").Time) {
			t.Errorf("%s: Stat = %+v, %v", proxy, info, err)
		}
		if _, err := f.Stat(ctx, module.Version{Path: "example.com/a", Version: "v9.9.9"}); err == nil {
			t.Errorf("%s: Stat of a version the proxy lacks succeeded", proxy)
		}
		// Stat does not cache.
		if entries, _ := os.ReadDir(f.Dir); len(entries) != 0 {
			t.Errorf("%s: Stat/Versions wrote %d entries in Dir", proxy, len(entries))
		}
	}

	f := newFetcher(t, s.URL)
	info, err := f.Latest(ctx, "example.com/b")
	if err != nil || info.Version != "v1.1.0" || !info.Time.Equal(fx.mod(t, "example.com/b", "v1.1.0").Time) {
		t.Errorf("Latest = %+v, %v", info, err)
	}
	// A file system proxy has no @latest.
	f = newFetcher(t, testproxy.URL(fx.dir))
	if _, err := f.Latest(ctx, "example.com/b"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Latest over file://: %v, want fs.ErrNotExist", err)
	}
	// ... but it falls through to one that has.
	f = newFetcher(t, testproxy.URL(fx.dir)+","+s.URL)
	if info, err := f.Latest(ctx, "example.com/b"); err != nil || info.Version != "v1.1.0" {
		t.Errorf("Latest over file://,http:// = %+v, %v", info, err)
	}

	// Hand-written answers: a messy list, an Origin, bad @latest answers.
	answers := map[string]string{
		"/example.com/b/@v/list": "v1.1.0\nv1.0.0 2023-01-01T00:00:00Z\r\njunk\nv1.2\nv2.0.0\nv1.0.0\n" +
			"v0.0.0-20230102030405-abcdef123456\nv1.3.0-rc.1\nv1.0.1+meta\n\n  v0.9.0  \n",
		"/example.com/a/@v/v1.0.0.info": `{"Version":"v1.0.0","Time":"2023-01-02T03:04:05Z","Origin":{"VCS":"git","URL":"https://example.com/a.git","Hash":"0123456789abcdef0123456789abcdef01234567","Ref":"refs/tags/v1.0.0","TagSum":"t1:x"}}`,
		"/example.com/a/@latest":        `{"Version":"v2.0.0"}`,
		"/example.com/c/@latest":        `{"Version":"master"}`,
		"/example.com/d/@latest":        `{"Version":"v2.0.0+incompatible"}`,
	}
	h := serve(t, func(w http.ResponseWriter, r *http.Request) {
		body, ok := answers[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte(body))
	})
	f = newFetcher(t, h.URL)
	list, err := f.Versions(ctx, "example.com/b")
	if want := []string{"v0.9.0", "v1.0.0", "v1.1.0", "v1.3.0-rc.1"}; err != nil || !slices.Equal(list, want) {
		t.Errorf("Versions of a messy list = %v, %v, want %v", list, err, want)
	}
	info, err = f.Stat(ctx, modA)
	wantOrigin := Origin{VCS: "git", URL: "https://example.com/a.git", Hash: "0123456789abcdef0123456789abcdef01234567", Ref: "refs/tags/v1.0.0"}
	if err != nil || info.Origin == nil || *info.Origin != wantOrigin {
		t.Errorf("Stat with an Origin = %+v, %v", info, err)
	}
	for _, path := range []string{"example.com/a", "example.com/c"} {
		if info, err := f.Latest(ctx, path); err == nil {
			t.Errorf("Latest(%s) accepted %q", path, info.Version)
		}
	}
	if info, err := f.Latest(ctx, "example.com/d"); err != nil || info.Version != "v2.0.0+incompatible" {
		t.Errorf("Latest(example.com/d) = %+v, %v", info, err)
	}
	// The Origin JSON is as the go command writes it: empty fields left out.
	data, _ := json.Marshal(Info{Version: "v1.0.0", Origin: &Origin{VCS: "git", Hash: "abc"}})
	if want := `{"Version":"v1.0.0","Origin":{"VCS":"git","Hash":"abc"}}`; string(data) != want {
		t.Errorf("json of an Info = %s, want %s", data, want)
	}
}

func TestInvalidInput(t *testing.T) {
	s := serve(t, status(http.StatusNotFound))
	ctx := t.Context()
	f := newFetcher(t, s.URL)
	fetch := func(path, version, ext string) error {
		_, err := f.Fetch(ctx, module.Version{Path: path, Version: version}, ext)
		return err
	}
	tests := []struct {
		err  error
		want string
	}{
		{fetch("nodot/x", "v1.0.0", "zip"), "malformed module path"},
		{fetch("example.com/../x", "v1.0.0", "zip"), "malformed module path"},
		{fetch("example.com/a", "v1.0", "zip"), "not a canonical version"},
		{fetch("example.com/a", "v1.0.0+meta", "mod"), "not a canonical version"},
		{fetch("example.com/a", "latest", "info"), "not a semantic version"},
		{fetch("example.com/a", "v2.0.0", "zip"), "should be v0 or v1"},
		{fetch("example.com/c/v2", "v1.0.0", "zip"), "should be v2"},
		{fetch("example.com/a", "v1.0.0", "tar"), `unknown module file extension "tar"`},
		{fetch("example.com/a", "v1.0.0", "../x"), "unknown module file extension"},
		{func() error { _, err := f.Versions(ctx, "Example.com/a"); return err }(), "malformed module path"},
		{func() error { _, err := f.Latest(ctx, "/abs"); return err }(), "malformed module path"},
		{func() error { _, err := f.Stat(ctx, module.Version{Path: "example.com/a", Version: "x"}); return err }(), "not a semantic version"},
		{func() error { _, err := (&Fetcher{Proxy: s.URL}).Fetch(ctx, modA, "zip"); return err }(), "no download directory"},
	}
	for _, tt := range tests {
		if tt.err == nil || !strings.Contains(tt.err.Error(), tt.want) {
			t.Errorf("err = %v, want %q", tt.err, tt.want)
		}
	}
	if n := s.requests.Load(); n != 0 {
		t.Errorf("%d requests for invalid input, want 0", n)
	}
	if entries, _ := os.ReadDir(f.Dir); len(entries) != 0 {
		t.Errorf("invalid input wrote %d entries in Dir", len(entries))
	}
}

func TestParseProxyList(t *testing.T) {
	show := func(list []ProxyEntry) string {
		var parts []string
		for _, p := range list {
			s := p.Special
			if p.URL != nil {
				s = p.URL.String()
			}
			if p.FallBackOnError {
				s += "|"
			}
			parts = append(parts, s)
		}
		return strings.Join(parts, " ")
	}
	tests := []struct{ in, want string }{
		{"", "https://proxy.golang.org direct"},
		{"off", "off"},
		{" , ,", "off"},
		{"direct,https://a.example", "direct"},
		{"https://a.example|http://b.example/x/,file:///tmp/p,off,https://c.example", "https://a.example| http://b.example/x/ file:///tmp/p off"},
		{"proxy.example.com/x", "https://proxy.example.com/x"},
		{"localhost:3000", "https://localhost:3000"},
		{" https://a.example ", "https://a.example"},
		{"foo", "error: missing scheme"},
		{"gopher://a.example", "error: must be https, http, file"},
		{"file://host/x", "error: file:///absolute/path"},
		{"file:///rel/../x?q", "error: file:///absolute/path"},
		{"file:rel", "error: invalid port"}, // as in cmd/go: it becomes https://file:rel
		{"https://", "error: missing host"},
		{"https://a.example,direct", "https://a.example direct"},
	}
	for _, tt := range tests {
		list, err := ParseGOPROXY(tt.in)
		got := show(list)
		if err != nil {
			got = "error: " + err.Error()
		}
		if got != tt.want && !(strings.HasPrefix(tt.want, "error: ") && strings.Contains(got, strings.TrimPrefix(tt.want, "error: "))) {
			t.Errorf("ParseGOPROXY(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestRedirects(t *testing.T) {
	fx := newFixture(t)
	good := fx.proxyServer(t)
	hop := serve(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, good.URL+r.URL.Path, http.StatusFound)
	})
	f := newFetcher(t, hop.URL)
	if _, err := f.Fetch(t.Context(), modA, "zip"); err != nil {
		t.Fatalf("through a redirect: %v", err)
	}
	var loop *server
	loop = serve(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, loop.URL+r.URL.Path, http.StatusFound)
	})
	f = newFetcher(t, loop.URL)
	if _, err := f.Fetch(t.Context(), modA, "zip"); err == nil || !strings.Contains(err.Error(), "stopped after 10 redirects") {
		t.Errorf("redirect loop: %v", err)
	}
	if n := loop.requests.Load(); n != 10 {
		t.Errorf("redirect loop: %d requests, want 10", n)
	}
	// https to http is refused (checked directly: the test servers are http).
	req := func(s string) *http.Request {
		r, err := http.NewRequest("GET", s, nil)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	if err := checkRedirect(req("http://b.example/x"), []*http.Request{req("https://u:p@a.example/x")}); err == nil || strings.Contains(err.Error(), ":p@") {
		t.Errorf("https→http redirect: %v, want a refusal without the password", err)
	}
	if err := checkRedirect(req("https://b.example/x"), []*http.Request{req("https://a.example/x")}); err != nil {
		t.Errorf("https→https redirect: %v", err)
	}
}

// TestConcurrent: many goroutines fetch the same files and different ones
// at once (run with -race); every result is whole.
func TestConcurrent(t *testing.T) {
	fx := newFixture(t)
	s := fx.proxyServer(t)
	f := newFetcher(t, s.URL)
	var wg sync.WaitGroup
	errs := make(chan error, 1000)
	for range 4 {
		for _, m := range fx.mods {
			for _, ext := range []string{"zip", "mod", "info"} {
				wg.Go(func() {
					mv := module.Version{Path: m.Path, Version: m.Version}
					file, err := f.Fetch(t.Context(), mv, ext)
					if err != nil {
						errs <- err
						return
					}
					if ext == "zip" {
						if _, h, err := verify.HashZip(file); err != nil || h != m.Sum {
							errs <- fmt.Errorf("%s: zip hashes to %s (%v), want %s", mv, h, err, m.Sum)
						}
					}
				})
			}
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	checkFetched(t, f, fx)
}

// TestLatestPseudo: with no tagged version and no @latest, the newest
// pseudo-version of @v/list stands for the module, as the go command picks
// it: by the list's time if it gives one, else the pseudo-version's own.
func TestLatestPseudo(t *testing.T) {
	const old = "v0.0.0-20230102030405-abcdef123456"
	const newer = "v0.0.0-20240102030405-abcdef123456"
	for _, tt := range []struct{ list, want string }{
		{old + "\n" + newer + "\n", newer},
		{newer + "\n" + old + "\n", newer},
		{old + " 2025-01-01T00:00:00Z\n" + newer + " 2024-01-01T00:00:00Z\n", old},
		{"v1.0.0\n", ""},
		{"garbage\n\n", ""},
		{"v0.0.0-2023-bad\n" + old + "\n", old},
	} {
		if got := latestPseudo("example.com/p", []byte(tt.list)); got != tt.want {
			t.Errorf("latestPseudo(%q) = %q, want %q", tt.list, got, tt.want)
		}
	}
}
