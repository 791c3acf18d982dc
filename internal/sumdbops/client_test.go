package sumdbops

import (
	"github.com/modseal/modseal/verify"

	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/mod/sumdb"
	"golang.org/x/mod/sumdb/note"
)

const testDBName = "sum.example.test"

// testDB is a real checksum database (golang.org/x/mod/sumdb's server over
// its TestServer), served the way a module proxy serves one, under
// /sumdb/<name>/, with hooks to inject faults.
type testDB struct {
	*httptest.Server
	vkey     string
	mu       sync.Mutex
	hashes   map[string]string // "path version" -> go.sum lines for it
	requests atomic.Int64
	fault    func(w http.ResponseWriter, r *http.Request) bool // true: handled
}

func newTestDB(t *testing.T, skey, vkey string, hashes map[string]string) *testDB {
	db := &testDB{vkey: vkey, hashes: hashes}
	gosum := func(path, vers string) ([]byte, error) {
		db.mu.Lock()
		defer db.mu.Unlock()
		if lines, ok := db.hashes[path+" "+vers]; ok {
			return []byte(lines), nil
		}
		return nil, os.ErrNotExist // the server maps it to 404 with os.IsNotExist, which does not unwrap
	}
	srv := sumdb.NewServer(sumdb.NewTestServer(skey, gosum))
	prefix := "/sumdb/" + testDBName
	mux := http.NewServeMux()
	mux.HandleFunc(prefix+"/supported", func(w http.ResponseWriter, r *http.Request) {})
	mux.Handle(prefix+"/", http.StripPrefix(prefix, srv))
	db.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		db.requests.Add(1)
		db.mu.Lock()
		fault := db.fault
		db.mu.Unlock()
		if fault != nil && fault(w, r) {
			return
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(db.Close)
	return db
}

func testKey(t *testing.T) (skey, vkey string) {
	skey, vkey, err := note.GenerateKey(rand.Reader, testDBName)
	if err != nil {
		t.Fatal(err)
	}
	return skey, vkey
}

const (
	sumA  = "example.com/a v1.0.0 h1:QUOLiTYaT3sns40kU17eKMQv5jKau946ieUPxIy6Ek8=\n"
	sumAm = "example.com/a v1.0.0/go.mod h1:Iz4LqFwWPTXGh7fB4pLUjv0WBm2F5Au27mBiQgYnuU8=\n"
	sumB  = "example.com/b v1.0.0 h1:39Z2nMyp254fr37e0mt49i4PiK3oogxePn04pu8d4ik=\n"
	sumBm = "example.com/b v1.0.0/go.mod h1:rjc9Jkp/xiv8OktC5V16OuYntMeTjs1dkvTkFbgnZKw=\n"
)

// ruleLines renders findings as "rule@line" in order, for compact assertions.
func ruleLines(fs []verify.Finding) string {
	var b []string
	for _, f := range fs {
		b = append(b, fmt.Sprintf("%s@%d", f.Rule, f.Line))
	}
	return strings.Join(b, " ")
}

func goodHashes() map[string]string {
	return map[string]string{
		"example.com/a v1.0.0": sumA + sumAm,
		"example.com/b v1.0.0": sumB + sumBm,
	}
}

func parseSum(t *testing.T, text string) []*verify.SumFile {
	f, fs := verify.ParseSum("go.sum", []byte(text))
	if len(fs) > 0 {
		t.Fatalf("bad test go.sum: %v", fs)
	}
	return []*verify.SumFile{f}
}

func newClient(db *testDB, cache string) *Client {
	return &Client{
		DB:       &verify.SumDB{Name: testDBName, Key: db.vkey},
		GOPROXY:  db.URL,
		CacheDir: cache,
		Timeout:  2 * time.Second,
	}
}

func TestCheckSumDB(t *testing.T) {
	skey, vkey := testKey(t)
	db := newTestDB(t, skey, vkey, goodHashes())
	cache := t.TempDir()
	sums := parseSum(t, sumA+sumAm+sumB+sumBm)

	c := newClient(db, cache)
	res, err := c.Check(context.Background(), sums, "", 4)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) != 0 || res.Lookups != 4 {
		t.Fatalf("clean go.sum: findings %v, lookups %d", res.Findings, res.Lookups)
	}
	if c.requests.Load() == 0 {
		t.Fatal("no requests on a cold cache")
	}

	// Warm: every line was verified before, so no lookup: only the
	// proxy's /supported and the latest signed tree head (fork detection).
	paths := recordPaths(db)
	c2 := newClient(db, cache)
	if _, err := c2.Check(context.Background(), sums, "", 4); err != nil {
		t.Fatal(err)
	}
	checkWarmRequests(t, paths(), c2.requests.Load())
}

// recordPaths makes db record the paths it is asked for, and returns what
// it recorded since.
func recordPaths(db *testDB) func() []string {
	var mu sync.Mutex
	var paths []string
	db.mu.Lock()
	db.fault = func(w http.ResponseWriter, r *http.Request) bool {
		mu.Lock()
		paths = append(paths, strings.TrimPrefix(r.URL.Path, "/sumdb/"+testDBName))
		mu.Unlock()
		return false
	}
	db.mu.Unlock()
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(paths)
	}
}

// checkWarmRequests checks what a warm run against an unchanged database
// asked: exactly the proxy's /supported and /latest.
func checkWarmRequests(t *testing.T, paths []string, counted int64) {
	t.Helper()
	slices.Sort(paths)
	if !slices.Equal(paths, []string{"/latest", "/supported"}) || counted != 2 {
		t.Errorf("warm run asked %q (client counted %d), want only /latest and /supported", paths, counted)
	}
}

func TestCheckSumDBMismatchAndMissing(t *testing.T) {
	skey, vkey := testKey(t)
	db := newTestDB(t, skey, vkey, goodHashes())
	tampered := strings.Replace(sumB, "h1:39Z2", "h1:AAAA", 1)
	unknown := "example.com/nosuch v1.0.0 h1:QUOLiTYaT3sns40kU17eKMQv5jKau946ieUPxIy6Ek8=\n"
	sums := parseSum(t, sumA+sumAm+tampered+sumBm+unknown)
	res, err := newClient(db, t.TempDir()).Check(context.Background(), sums, "", 2)
	if err != nil {
		t.Fatal(err)
	}
	if got := ruleLines(res.Findings); got != "sumdb-mismatch@3 sumdb-missing@5" {
		t.Fatalf("findings %s", got)
	}
	m := res.Findings[0]
	if m.Want != strings.Fields(sumB)[2] || m.Got != strings.Fields(tampered)[2] || m.Module != "example.com/b" {
		t.Errorf("mismatch finding %+v", m)
	}
}

func TestCheckSumDBPrivate(t *testing.T) {
	skey, vkey := testKey(t)
	db := newTestDB(t, skey, vkey, goodHashes())
	var lookedUp []string
	db.fault = func(w http.ResponseWriter, r *http.Request) bool {
		lookedUp = append(lookedUp, r.URL.Path)
		return false
	}
	res, err := newClient(db, t.TempDir()).Check(context.Background(), parseSum(t, sumA+sumAm+sumB+sumBm), "example.com/b", 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range lookedUp {
		if strings.Contains(p, "example.com/b") {
			t.Errorf("a GONOSUMDB module was looked up: %s", p)
		}
	}
	if len(res.Private) != 1 || res.Private[0] != "example.com/b@v1.0.0" {
		t.Errorf("Private = %v", res.Private)
	}
}

// TestCheckSumDBFork: a second run that shares the cache meets a database
// whose log has a different history: SECURITY ERROR.
func TestCheckSumDBFork(t *testing.T) {
	skey, vkey := testKey(t)
	cache := t.TempDir()
	db1 := newTestDB(t, skey, vkey, goodHashes())
	if _, err := newClient(db1, cache).Check(context.Background(), parseSum(t, sumA+sumAm), "", 1); err != nil {
		t.Fatal(err)
	}
	// Same key, other history: b is logged first, with another hash.
	forked := goodHashes()
	forked["example.com/b v1.0.0"] = strings.Replace(sumB, "h1:39Z2", "h1:AAAA", 1) + sumBm
	db2 := newTestDB(t, skey, vkey, forked)
	_, err := newClient(db2, cache).Check(context.Background(), parseSum(t, sumB+sumBm+sumA+sumAm), "", 1)
	var se *verify.SecurityError
	if !errors.As(err, &se) {
		t.Fatalf("forked log: got %v, want a verify.SecurityError", err)
	}
	if !strings.HasPrefix(err.Error(), "SECURITY ERROR") {
		t.Errorf("message %q does not start with SECURITY ERROR", err)
	}
}

// TestCheckSumDBForkWarm: the database forks between two runs whose every
// go.sum line is answered from modseal's cache. The second run still asks
// the database for its latest signed tree head and proves it consistent
// with the saved one: SECURITY ERROR, though no lookup reaches the
// database. The honest database on the same warm cache passes with two
// requests and no lookup.
func TestCheckSumDBForkWarm(t *testing.T) {
	skey, vkey := testKey(t)
	cache := t.TempDir()
	sums := parseSum(t, sumA+sumAm+sumB+sumBm)
	db1 := newTestDB(t, skey, vkey, goodHashes())
	if _, err := newClient(db1, cache).Check(context.Background(), sums, "", 1); err != nil {
		t.Fatal(err)
	}

	paths := recordPaths(db1)
	c := newClient(db1, cache)
	if _, err := c.Check(context.Background(), sums, "", 1); err != nil {
		t.Fatalf("warm run, honest database: %v", err)
	}
	checkWarmRequests(t, paths(), c.requests.Load())

	// Same key, other history: b logged first, with another hash, then a.
	forked := goodHashes()
	forked["example.com/b v1.0.0"] = strings.Replace(sumB, "h1:39Z2", "h1:AAAA", 1) + sumBm
	db2 := newTestDB(t, skey, vkey, forked)
	for _, p := range []string{"/lookup/example.com/b@v1.0.0", "/lookup/example.com/a@v1.0.0"} {
		resp, err := http.Get(db2.URL + "/sumdb/" + testDBName + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	paths = recordPaths(db2)
	_, err := newClient(db2, cache).Check(context.Background(), sums, "", 1)
	var se *verify.SecurityError
	if !errors.As(err, &se) {
		t.Fatalf("forked database, warm cache: got %v, want a verify.SecurityError", err)
	}
	if !strings.HasPrefix(err.Error(), "SECURITY ERROR") || !strings.Contains(err.Error(), "modseal's saved tree head") {
		t.Errorf("message %q", err)
	}
	for _, p := range paths() {
		if strings.HasPrefix(p, "/lookup/") {
			t.Errorf("the fork was found by a lookup (%s), not by the tree head", p)
		}
	}

	// The go command's saved head is a witness too, on a cold modseal cache.
	latest, err := os.ReadFile(filepath.Join(cache, "config", testDBName, "latest"))
	if err != nil {
		t.Fatal(err)
	}
	goConfig := t.TempDir()
	os.MkdirAll(filepath.Join(goConfig, testDBName), 0o777)
	os.WriteFile(filepath.Join(goConfig, testDBName, "latest"), latest, 0o666)
	c = newClient(db2, t.TempDir())
	c.GoConfig = goConfig
	_, err = c.Check(context.Background(), sums, "", 1)
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "the go command's saved tree head") {
		t.Fatalf("forked from the go command's saved head: got %v, want a verify.SecurityError naming it", err)
	}

	// So is a checkpoint given as a witness (a committed snapshot's).
	c = newClient(db2, t.TempDir())
	c.Witnesses = map[string][]byte{".modseal/sumdb-checkpoint": latest}
	_, err = c.Check(context.Background(), sums, "", 1)
	if !errors.As(err, &se) || !strings.Contains(err.Error(), ".modseal/sumdb-checkpoint") {
		t.Fatalf("forked from the checkpoint: got %v, want a verify.SecurityError naming it", err)
	}
	c = newClient(db1, t.TempDir())
	c.Witnesses = map[string][]byte{".modseal/sumdb-checkpoint": latest}
	if _, err := c.Check(context.Background(), sums, "", 1); err != nil {
		t.Fatalf("the honest database against the checkpoint: %v", err)
	}
	c = newClient(db1, t.TempDir())
	c.Witnesses = map[string][]byte{".modseal/sumdb-checkpoint": []byte("not a note\x00")}
	if _, err := c.Check(context.Background(), sums, "", 1); err == nil || !strings.Contains(err.Error(), "not a valid signed tree head") || strings.Contains(err.Error(), "\x00") {
		t.Fatalf("a checkpoint that is no signed note: %v", err)
	}
}

// TestCheckSumDBGoWitness: the go command's saved tree head is a second
// witness: a database that forked from what the go command saw is caught
// even on modseal's first run.
func TestCheckSumDBGoWitness(t *testing.T) {
	skey, vkey := testKey(t)
	goConfig := t.TempDir()
	db1 := newTestDB(t, skey, vkey, goodHashes())
	// The go command's view: a run against db1 whose latest we copy to
	// where the go command keeps it.
	cache1 := t.TempDir()
	if _, err := newClient(db1, cache1).Check(context.Background(), parseSum(t, sumA+sumAm), "", 1); err != nil {
		t.Fatal(err)
	}
	latest, err := os.ReadFile(cache1 + "/config/" + testDBName + "/latest")
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(goConfig+"/"+testDBName, 0o777)
	os.WriteFile(goConfig+"/"+testDBName+"/latest", latest, 0o666)

	forked := goodHashes()
	forked["example.com/b v1.0.0"] = strings.Replace(sumB, "h1:39Z2", "h1:AAAA", 1) + sumBm
	db2 := newTestDB(t, skey, vkey, forked)
	c := newClient(db2, t.TempDir())
	c.GoConfig = goConfig
	_, err = c.Check(context.Background(), parseSum(t, sumB+sumBm+sumA+sumAm), "", 1)
	var se *verify.SecurityError
	if !errors.As(err, &se) {
		t.Fatalf("go's saved tree forks from the database: got %v, want a verify.SecurityError", err)
	}

	// The same witness against the honest database passes.
	c = newClient(db1, t.TempDir())
	c.GoConfig = goConfig
	if _, err := c.Check(context.Background(), parseSum(t, sumA+sumAm+sumB+sumBm), "", 1); err != nil {
		t.Fatalf("honest database: %v", err)
	}
}

func TestCheckSumDBFaults(t *testing.T) {
	skey, vkey := testKey(t)
	sums := sumA + sumAm + sumB + sumBm
	tests := []struct {
		name    string
		fault   func(n int64) func(w http.ResponseWriter, r *http.Request) bool
		wantErr string // "" means the check succeeds (after retries)
	}{
		{"transient 500s are retried", func(n int64) func(http.ResponseWriter, *http.Request) bool {
			var calls atomic.Int64
			return func(w http.ResponseWriter, r *http.Request) bool {
				if strings.Contains(r.URL.Path, "/lookup/") && calls.Add(1) <= 2 {
					http.Error(w, "busy", http.StatusServiceUnavailable)
					return true
				}
				return false
			}
		}, ""},
		{"persistent 500s fail", func(int64) func(http.ResponseWriter, *http.Request) bool {
			return func(w http.ResponseWriter, r *http.Request) bool {
				if strings.Contains(r.URL.Path, "/lookup/") {
					http.Error(w, "down", http.StatusInternalServerError)
					return true
				}
				return false
			}
		}, "500"},
		{"410 on lookup is missing, not failure", func(int64) func(http.ResponseWriter, *http.Request) bool {
			return func(w http.ResponseWriter, r *http.Request) bool {
				if strings.Contains(r.URL.Path, "/lookup/example.com/b@") {
					http.Error(w, "gone", http.StatusGone)
					return true
				}
				return false
			}
		}, ""},
		{"truncated tile", func(int64) func(http.ResponseWriter, *http.Request) bool {
			return func(w http.ResponseWriter, r *http.Request) bool {
				if strings.Contains(r.URL.Path, "/tile/") {
					w.Write([]byte("short"))
					return true
				}
				return false
			}
		}, "tile"},
		{"slow responses time out", func(int64) func(http.ResponseWriter, *http.Request) bool {
			return func(w http.ResponseWriter, r *http.Request) bool {
				if strings.Contains(r.URL.Path, "/lookup/") {
					time.Sleep(700 * time.Millisecond)
				}
				return false
			}
		}, "deadline"},
		{"no proxy supports the database", func(int64) func(http.ResponseWriter, *http.Request) bool {
			return func(w http.ResponseWriter, r *http.Request) bool {
				if strings.HasSuffix(r.URL.Path, "/supported") {
					http.NotFound(w, r)
					return true
				}
				return false
			}
		}, "https://" + testDBName},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := newTestDB(t, skey, vkey, goodHashes())
			db.fault = tt.fault(0)
			cache := t.TempDir()
			c := newClient(db, cache)
			c.Timeout = 300 * time.Millisecond
			c.HTTP = &http.Client{Transport: &http.Transport{}} // no proxy env, no reuse across tests
			start := time.Now()
			res, err := c.Check(context.Background(), parseSum(t, sums), "", 2)
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("took %v: a fault must not hang the check", d)
			}
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("got %v, want success", err)
				}
				t.Logf("findings: %s", ruleLines(res.Findings))
			} else if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("got error %v, want one mentioning %q", err, tt.wantErr)
			}

			// The fault left nothing bad in the cache: once the
			// database behaves, a run on the same cache passes.
			db.mu.Lock()
			db.fault = nil
			db.mu.Unlock()
			res, err = newClient(db, cache).Check(context.Background(), parseSum(t, sums), "", 2)
			if err != nil || len(res.Findings) > 0 {
				t.Fatalf("after the fault, same cache: %v, findings %s", err, ruleLines(res.Findings))
			}
		})
	}
}

func TestCheckSumDBWrongKey(t *testing.T) {
	skey, _ := testKey(t)
	_, otherVkey := testKey(t) // the client trusts another key of the same name
	db := newTestDB(t, skey, otherVkey, goodHashes())
	_, err := newClient(db, t.TempDir()).Check(context.Background(), parseSum(t, sumA), "", 1)
	if err == nil {
		t.Fatal("a database signing with the wrong key was accepted")
	}
	t.Log(err)
}

// TestCheckSumDBNoDuplicateRequests: concurrent lookups share the tiles
// of their proofs; no path is asked twice.
func TestCheckSumDBNoDuplicateRequests(t *testing.T) {
	hashes, gosum := sdbBenchData(40)
	skey, vkey := testKey(t)
	db := newTestDB(t, skey, vkey, hashes)
	var mu sync.Mutex
	asked := make(map[string]int)
	db.fault = func(w http.ResponseWriter, r *http.Request) bool {
		mu.Lock()
		asked[r.URL.Path]++
		mu.Unlock()
		return false
	}
	res, err := newClient(db, t.TempDir()).Check(t.Context(), parseSum(t, gosum), "", 16)
	if err != nil || len(res.Findings) > 0 {
		t.Fatalf("%v %v", err, res)
	}
	tiles := 0
	for p, n := range asked {
		if n > 1 {
			t.Errorf("%s asked %d times", p, n)
		}
		if strings.Contains(p, "/tile/") {
			tiles++
		}
	}
	if tiles == 0 {
		t.Fatal("no tile fetched")
	}
}

// TestWriteConfigAcrossClients: clients that share a cache directory but
// not a process's mutex (as two modseal processes do) take turns: of
// writers that all saw the same head, exactly one replaces it.
func TestWriteConfigAcrossClients(t *testing.T) {
	cache := t.TempDir()
	db := &verify.SumDB{Name: testDBName}
	const file = testDBName + "/latest"
	for round := range 20 {
		c0 := &Client{DB: db, CacheDir: cache}
		old, err := c0.readConfig(file)
		if err != nil {
			t.Fatal(err)
		}
		if round == 0 {
			if err := c0.writeConfig(file, old, []byte("round 0")); err != nil {
				t.Fatal(err)
			}
			continue
		}
		var wins atomic.Int64
		var wg sync.WaitGroup
		for i := range 8 {
			c := &Client{DB: db, CacheDir: cache}
			wg.Go(func() {
				switch err := c.writeConfig(file, old, fmt.Appendf(nil, "round %d writer %d", round, i)); err {
				case nil:
					wins.Add(1)
				case sumdb.ErrWriteConflict:
				default:
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if n := wins.Load(); n != 1 {
			t.Fatalf("round %d: %d writers replaced the same head, want 1", round, n)
		}
	}
}

// TestWriteConfigLockTimeout: a process that keeps the tree head's lock
// (stuck, or on a hung file system) makes WriteConfig fail after the
// client's timeout instead of hanging the audit.
func TestWriteConfigLockTimeout(t *testing.T) {
	cache := t.TempDir()
	c := &Client{DB: &verify.SumDB{Name: testDBName}, CacheDir: cache, Timeout: 200 * time.Millisecond}
	const file = testDBName + "/latest"
	if err := c.writeConfig(file, nil, []byte("head 1")); err != nil {
		t.Fatal(err)
	}
	unlock, err := lockFile(filepath.Join(cache, "config", testDBName, "latest.lock"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	start := time.Now()
	err = c.writeConfig(file, []byte("head 1"), []byte("head 2"))
	if err == nil || !strings.Contains(err.Error(), "another process has held it") {
		t.Fatalf("WriteConfig under a held lock: %v", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("gave up after %v", d)
	}
}

// TestSumDBSchemelessProxy: a GOPROXY entry without a scheme gets
// https://, as the go command reads it, and reaches the database.
func TestSumDBSchemelessProxy(t *testing.T) {
	skey, vkey := testKey(t)
	db := newTestDB(t, skey, vkey, goodHashes())
	tlsDB := httptest.NewTLSServer(db.Config.Handler)
	t.Cleanup(tlsDB.Close)
	c := newClient(db, t.TempDir())
	c.GOPROXY = strings.TrimPrefix(tlsDB.URL, "https://") + ",direct"
	c.HTTP = tlsDB.Client()
	res, err := c.Check(context.Background(), parseSum(t, sumA+sumAm), "", 1)
	if err != nil {
		t.Fatalf("GOPROXY=%s: %v", c.GOPROXY, err)
	}
	if len(res.Findings) != 0 || res.Lookups != 2 {
		t.Fatalf("findings %v, lookups %d", res.Findings, res.Lookups)
	}
}

// TestSumDBRedaction: credentials in GOPROXY (a token as the user name,
// a password, a query string) never appear in an error of the checksum
// database client, whatever fails: the proxy's /supported, a lookup, the
// connection.
func TestSumDBRedaction(t *testing.T) {
	const secret = "s3cr3tT0ken"
	skey, vkey := testKey(t)
	db := newTestDB(t, skey, vkey, goodHashes())
	var failSupported atomic.Bool
	db.fault = func(w http.ResponseWriter, r *http.Request) bool {
		if strings.HasSuffix(r.URL.Path, "/supported") && !failSupported.Load() {
			return false
		}
		http.Error(w, "down "+secret, http.StatusInternalServerError)
		return true
	}
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close() // connection refused
	withCreds := func(base, userinfo string) string {
		return strings.Replace(base, "http://", "http://"+userinfo+"@", 1)
	}
	for _, fail := range []bool{false, true} {
		failSupported.Store(fail)
		for _, proxy := range []string{
			withCreds(db.URL, secret),
			withCreds(db.URL, secret+":x-oauth-basic"),
			withCreds(db.URL, "user:"+secret),
			db.URL + "/?token=" + secret,
			withCreds(closed.URL, secret),
			closed.URL + "/?token=" + secret,
			strings.TrimPrefix(withCreds(closed.URL, secret), "http://"),
		} {
			c := newClient(db, t.TempDir())
			c.GOPROXY = proxy
			c.Timeout = 300 * time.Millisecond
			c.Retries = 1
			_, err := c.Check(context.Background(), parseSum(t, sumA+sumAm), "", 1)
			if err == nil {
				t.Fatalf("GOPROXY=%s: no error", proxy)
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("the error shows the secret: %v", err)
			} else if !strings.Contains(err.Error(), "xxxxx") {
				t.Errorf("the error does not show the redacted proxy: %v", err)
			}
		}
	}
}

// TestCheckSumDBWarmGrownLog: when the log grew since the last run, the
// warm run also fetches the tiles that prove the saved tree head a prefix
// of the latest one, and still looks nothing up.
func TestCheckSumDBWarmGrownLog(t *testing.T) {
	skey, vkey := testKey(t)
	db := newTestDB(t, skey, vkey, goodHashes())
	cache := t.TempDir()
	sums := parseSum(t, sumA+sumAm)
	if _, err := newClient(db, cache).Check(context.Background(), sums, "", 1); err != nil {
		t.Fatal(err)
	}
	// Someone else's lookup grows the log.
	if _, err := newClient(db, t.TempDir()).Check(context.Background(), parseSum(t, sumB), "", 1); err != nil {
		t.Fatal(err)
	}
	paths := recordPaths(db)
	c := newClient(db, cache)
	if _, err := c.Check(context.Background(), sums, "", 1); err != nil {
		t.Fatal(err)
	}
	got := paths()
	tiles := 0
	for _, p := range got {
		switch {
		case p == "/latest", p == "/supported":
		case strings.HasPrefix(p, "/tile/"):
			tiles++
		default:
			t.Errorf("warm run asked %s", p)
		}
	}
	if tiles == 0 || len(got) > 4 {
		t.Errorf("warm run on a grown log asked %q, want /supported, /latest and a tile or two", got)
	}
	t.Logf("warm run on a grown log: %d requests: %q", c.requests.Load(), got)
}
