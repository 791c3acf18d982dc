package sumdbops

import (
	"github.com/modseal/modseal/verify"

	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Benchmarks of SumDB.Check against the in-process checksum database of
// client_test.go (newTestDB: golang.org/x/mod/sumdb's real server), with
// 20 ms of latency injected into every request. Run:
//
//	go test ./internal/sumdbops -run '^$' -bench SumDB -benchtime 3x -count 5
//
// and TestRealSumDBRun, the driver scripts/bench-sumdb.sh runs against the
// real database. See docs/performance.md.

const (
	sdbBenchModules = 150                   // 300 go.sum lines
	sdbBenchLatency = 20 * time.Millisecond // per request, before the answer
	sdbAuditJobs    = 96                    // internal/audit: min(max(48*GOMAXPROCS, 48), 96) with GOMAXPROCS=2
)

// sdbBenchH1 returns a valid h1 value: the base64 of the SHA-256 of s.
func sdbBenchH1(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "h1:" + base64.StdEncoding.EncodeToString(sum[:])
}

// sdbBenchData returns the hashes the test database serves for modules
// example.com/benchN v1.0.N (N < n) and the go.sum that matches them: a zip
// line and a /go.mod line per module, 2n lines.
func sdbBenchData(n int) (hashes map[string]string, gosum string) {
	hashes = make(map[string]string, n)
	var sb strings.Builder
	for i := range n {
		path, vers := fmt.Sprintf("example.com/bench%d", i), fmt.Sprintf("v1.0.%d", i)
		lines := path + " " + vers + " " + sdbBenchH1("zip "+path+"@"+vers) + "\n" +
			path + " " + vers + "/go.mod " + sdbBenchH1("mod "+path+"@"+vers) + "\n"
		hashes[path+" "+vers] = lines
		sb.WriteString(lines)
	}
	return hashes, sb.String()
}

// sdbBenchT is the *testing.T newTestDB and testKey take. They use it only
// for t.Cleanup (never run on this T: sdbBenchDB closes the server with
// b.Cleanup) and t.Fatal on a failure of crypto/rand.
func sdbBenchT() *testing.T { return new(testing.T) }

// sdbBench is a test database with the latency hook, its go.sum, and
// counters of what the database was asked.
type sdbBench struct {
	db    *testDB
	sums  []*verify.SumFile
	mu    sync.Mutex
	paths map[string]int // request path -> times asked, since reset
}

func (s *sdbBench) reset() {
	s.mu.Lock()
	s.paths = make(map[string]int)
	s.mu.Unlock()
}

// dups returns how many requests asked again for a path already asked since reset.
func (s *sdbBench) dups() (n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.paths {
		n += c - 1
	}
	return n
}

// sdbBenchDB starts the database, with every record already in its log (a
// first, untimed run asks for each one: the test server logs a record when
// first asked; the real database does not grow as we ask), then turns the
// latency on.
func sdbBenchDB(b *testing.B) *sdbBench {
	b.Helper()
	hashes, gosum := sdbBenchData(sdbBenchModules)
	skey, vkey := testKey(sdbBenchT())
	db := newTestDB(sdbBenchT(), skey, vkey, hashes)
	b.Cleanup(db.Close)
	f, fs := verify.ParseSum("go.sum", []byte(gosum))
	if len(fs) > 0 || len(f.Lines) != 2*sdbBenchModules {
		b.Fatalf("bad benchmark go.sum: %d lines, findings %v", len(f.Lines), fs)
	}
	s := &sdbBench{db: db, sums: []*verify.SumFile{f}, paths: make(map[string]int)}
	if res, err := newClient(db, b.TempDir()).Check(context.Background(), s.sums, "", sdbAuditJobs); err != nil || len(res.Findings) > 0 {
		b.Fatalf("filling the log: %v %v", err, res)
	}
	db.fault = func(w http.ResponseWriter, r *http.Request) bool {
		s.mu.Lock()
		s.paths[r.URL.Path]++
		s.mu.Unlock()
		time.Sleep(sdbBenchLatency)
		return false
	}
	return s
}

// run checks the go.sum with c, failing on an error or a finding.
func (s *sdbBench) run(b *testing.B, c *Client, jobs int) {
	res, err := c.Check(context.Background(), s.sums, "", jobs)
	if err != nil {
		b.Fatal(err)
	}
	if len(res.Findings) > 0 || res.Lookups != 2*sdbBenchModules {
		b.Fatalf("findings %v, lookups %d (want none, %d)", res.Findings, res.Lookups, 2*sdbBenchModules)
	}
}

// BenchmarkSumDBCold: every iteration starts with an empty cache, so every
// record and tile is fetched; sequential is one lookup at a time
// (gosumcheck's algorithm without its unbounded goroutines), concurrent is
// the audit's default concurrency.
func BenchmarkSumDBCold(b *testing.B) {
	for _, bc := range []struct {
		name string
		jobs int
	}{{"sequential", 1}, {"concurrent", sdbAuditJobs}} {
		b.Run(bc.name, func(b *testing.B) {
			s := sdbBenchDB(b)
			before := s.db.requests.Load()
			var clientReqs, dups int64
			for b.Loop() {
				b.StopTimer()
				s.reset()
				cache, err := os.MkdirTemp(b.TempDir(), "cache")
				if err != nil {
					b.Fatal(err)
				}
				c := newClient(s.db, cache)
				b.StartTimer()
				s.run(b, c, bc.jobs)
				b.StopTimer()
				clientReqs += c.requests.Load()
				dups += int64(s.dups())
				b.StartTimer()
			}
			n := s.db.requests.Load() - before
			if n != clientReqs {
				b.Errorf("the database served %d requests, the clients counted %d", n, clientReqs)
			}
			b.ReportMetric(float64(n)/float64(b.N), "requests/op")
			b.ReportMetric(float64(dups)/float64(b.N), "duprequests/op")
		})
	}
}

// BenchmarkSumDBWarm: the cache was filled once; every iteration is a new
// client on it, and must look nothing up: its only requests are the
// proxy's /supported and the latest signed tree head (fork detection).
func BenchmarkSumDBWarm(b *testing.B) {
	s := sdbBenchDB(b)
	cache := b.TempDir()
	s.run(b, newClient(s.db, cache), sdbAuditJobs)
	before := s.db.requests.Load()
	b.ResetTimer()
	for b.Loop() {
		c := newClient(s.db, cache)
		s.run(b, c, sdbAuditJobs)
		if n := c.requests.Load(); n != 2 {
			b.Fatalf("warm run made %d requests, want 2 (/supported and /latest)", n)
		}
	}
	n := s.db.requests.Load() - before
	if n != 2*int64(b.N) {
		b.Fatalf("warm runs made %d requests, want %d", n, 2*b.N)
	}
	b.ReportMetric(float64(n)/float64(b.N), "requests/op")
}

// sdbCountingTransport records every request a Client makes to the
// real database: kind, duration, status or error.
type sdbCountingTransport struct {
	next http.RoundTripper
	t0   time.Time
	mu   sync.Mutex
	reqs []sdbReq
}

type sdbReq struct {
	path   string
	start  time.Duration // since the transport was made
	kind   string        // supported, lookup, tile, latest, other
	dur    time.Duration
	status int
	err    error
}

func (t *sdbCountingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := t.next.RoundTrip(r)
	// The body is read after RoundTrip; the time to first byte is what
	// latency means here (bodies are at most 8 KiB).
	q := sdbReq{path: r.URL.Path, start: start.Sub(t.t0), dur: time.Since(start), err: err}
	if resp != nil {
		q.status = resp.StatusCode
	}
	switch p := r.URL.Path; {
	case strings.HasSuffix(p, "/supported"):
		q.kind = "supported"
	case strings.Contains(p, "/lookup/"):
		q.kind = "lookup"
	case strings.Contains(p, "/tile/"):
		q.kind = "tile"
	case strings.HasSuffix(p, "/latest"):
		q.kind = "latest"
	default:
		q.kind = "other"
	}
	t.mu.Lock()
	t.reqs = append(t.reqs, q)
	t.mu.Unlock()
	return resp, err
}

// TestRealSumDBRun is the modseal side of scripts/bench-sumdb.sh: it checks
// the go.sum MODSEAL_BENCH_GOSUM names against the real checksum database
// (sum.golang.org through https://proxy.golang.org) as the audit does: the
// audit's default concurrency (96; MODSEAL_BENCH_JOBS overrides it),
// http.DefaultTransport, no go command cache. The cache is a fresh
// directory, or MODSEAL_BENCH_CACHE (the warm case). It prints
// "lookups=N requests=M findings=K" and fails on any error or finding.
// MODSEAL_BENCH_TRACE=FILE writes every request to FILE (start and
// duration in ms, status, path), in the order they started.
func TestRealSumDBRun(t *testing.T) {
	gosum := os.Getenv("MODSEAL_BENCH_GOSUM")
	if gosum == "" {
		t.Skip("set MODSEAL_BENCH_GOSUM=/path/to/go.sum to run (scripts/bench-sumdb.sh does)")
	}
	data, err := os.ReadFile(gosum)
	if err != nil {
		t.Fatal(err)
	}
	sf, fs := verify.ParseSum("go.sum", data)
	if len(fs) > 0 {
		t.Fatalf("%s: %v", gosum, fs)
	}
	db, err := verify.ParseGOSUMDB("sum.golang.org")
	if err != nil {
		t.Fatal(err)
	}
	cache := os.Getenv("MODSEAL_BENCH_CACHE")
	if cache == "" {
		cache = t.TempDir()
	}
	jobs := sdbAuditJobs
	if s := os.Getenv("MODSEAL_BENCH_JOBS"); s != "" {
		if jobs, err = strconv.Atoi(s); err != nil || jobs < 1 {
			t.Fatalf("MODSEAL_BENCH_JOBS=%q", s)
		}
	}
	tr := &sdbCountingTransport{next: http.DefaultTransport, t0: time.Now()}
	c := &Client{
		DB:       db,
		GOPROXY:  "https://proxy.golang.org",
		CacheDir: cache,
		HTTP:     &http.Client{Transport: tr},
	}
	start := time.Now()
	res, err := c.Check(context.Background(), []*verify.SumFile{sf}, "", jobs)
	elapsed := time.Since(start)
	sdbReport(t, tr)
	if err != nil {
		fmt.Printf("lookups=%d requests=%d findings=0 error=1 elapsed=%.3fs\n", len(sf.Lines), c.requests.Load(), elapsed.Seconds())
		t.Fatal(err)
	}
	fmt.Printf("lookups=%d requests=%d findings=%d error=0 elapsed=%.3fs\n", res.Lookups, c.requests.Load(), len(res.Findings), elapsed.Seconds())
	if len(res.Findings) > 0 {
		t.Fatalf("findings: %v", res.Findings)
	}
}

// sdbReport prints what the client asked the database: requests by kind,
// paths asked more than once, failed answers, and the slowest requests.
func sdbReport(t *testing.T, tr *sdbCountingTransport) {
	tr.mu.Lock()
	reqs := slices.Clone(tr.reqs)
	tr.mu.Unlock()
	kinds := map[string]int{}
	seen := map[string]int{}
	var failed []string
	for _, q := range reqs {
		kinds[q.kind]++
		seen[q.path]++
		if q.err != nil || q.status != http.StatusOK {
			failed = append(failed, fmt.Sprintf("%s: status %d err %v", q.path, q.status, q.err))
		}
	}
	dups := 0
	for _, n := range seen {
		dups += n - 1
	}
	fmt.Printf("kinds: supported=%d lookup=%d tile=%d latest=%d other=%d dup=%d failed=%d\n",
		kinds["supported"], kinds["lookup"], kinds["tile"], kinds["latest"], kinds["other"], dups, len(failed))
	for _, f := range failed {
		fmt.Printf("failed: %s\n", f)
	}
	if len(reqs) == 0 {
		return
	}
	if name := os.Getenv("MODSEAL_BENCH_TRACE"); name != "" {
		// One line per request, in the order they started: start and
		// duration in ms, status, path.
		var sb strings.Builder
		byStart := slices.Clone(reqs) // recorded as they finished
		slices.SortFunc(byStart, func(a, b sdbReq) int { return int(a.start - b.start) })
		for _, q := range byStart {
			fmt.Fprintf(&sb, "%.1f\t%.1f\t%d\t%s\n", q.start.Seconds()*1000, q.dur.Seconds()*1000, q.status, q.path)
		}
		if err := os.WriteFile(name, []byte(sb.String()), 0o666); err != nil {
			t.Error(err)
		}
	}
	slices.SortFunc(reqs, func(a, b sdbReq) int { return int(a.dur - b.dur) })
	pct := func(p float64) time.Duration { return reqs[min(len(reqs)-1, int(p*float64(len(reqs))))].dur }
	fmt.Printf("latency: p50=%v p90=%v p99=%v max=%v\n",
		pct(0.5).Round(time.Millisecond), pct(0.9).Round(time.Millisecond), pct(0.99).Round(time.Millisecond), reqs[len(reqs)-1].dur.Round(time.Millisecond))
	// The median by kind; tiles split into full and partial (".p/").
	var byKind []string
	for _, kind := range []string{"lookup", "tile-full", "tile-partial"} {
		var d []time.Duration
		for _, q := range reqs { // sorted by duration
			k := q.kind
			if k == "tile" {
				k = "tile-full"
				if strings.Contains(q.path, ".p/") {
					k = "tile-partial"
				}
			}
			if k == kind {
				d = append(d, q.dur)
			}
		}
		if len(d) > 0 {
			byKind = append(byKind, fmt.Sprintf("%s=%d@%v", kind, len(d), d[len(d)/2].Round(time.Millisecond)))
		}
	}
	fmt.Printf("p50 by kind: %s\n", strings.Join(byKind, " "))
	for _, q := range reqs[max(0, len(reqs)-3):] {
		fmt.Printf("slow: %v %s\n", q.dur.Round(time.Millisecond), q.path)
	}
	if testing.Verbose() {
		t.Logf("%d requests", len(reqs))
	}
}
