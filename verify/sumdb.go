package verify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/mod/module"
	"golang.org/x/mod/sumdb"
	"golang.org/x/mod/sumdb/note"
)

// knownSumDBs are the checksum databases the go command knows by name.
var knownSumDBs = map[string]string{
	"sum.golang.org": "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8",
}

// A SumDB is a checksum database as GOSUMDB names it.
type SumDB struct {
	Name string // the database name, e.g. "sum.golang.org"
	Key  string // the note verifier key
	URL  string // an explicit URL from GOSUMDB; "" means through GOPROXY, else https://Name
}

// ParseGOSUMDB parses a GOSUMDB value exactly as the go command does: "off",
// a known name, "name+key", "name+key url" or "known-name url" (and the
// sum.golang.google.cn alias). It returns nil for "off"; "" means the default
// sum.golang.org.
func ParseGOSUMDB(v string) (*SumDB, error) {
	switch v {
	case "off":
		return nil, nil
	case "":
		v = "sum.golang.org"
	case "sum.golang.google.cn":
		v = "sum.golang.org https://sum.golang.google.cn"
	}
	f := strings.Fields(v)
	if len(f) == 0 {
		return nil, errors.New("invalid GOSUMDB: empty")
	}
	if len(f) > 2 {
		return nil, fmt.Errorf("invalid GOSUMDB %q: too many fields", v)
	}
	if k := knownSumDBs[f[0]]; k != "" {
		f[0] = k
	}
	vkey, err := note.NewVerifier(f[0])
	if err != nil {
		return nil, fmt.Errorf("invalid GOSUMDB %q: %v", v, err)
	}
	name := vkey.Name()
	direct, err := url.Parse("https://" + name)
	if err != nil || strings.HasSuffix(name, "/") || direct.Host == "" || direct.RawPath != "" ||
		*direct != (url.URL{Scheme: "https", Host: direct.Host, Path: direct.Path}) {
		return nil, fmt.Errorf("invalid GOSUMDB %q: database name must be host[/path]", v)
	}
	db := &SumDB{Name: name, Key: f[0]}
	if len(f) == 2 {
		u, err := url.Parse(f[1])
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") {
			return nil, fmt.Errorf("invalid GOSUMDB URL %q", f[1])
		}
		db.URL = strings.TrimSuffix(f[1], "/")
	}
	return db, nil
}

// SecurityError is the error of a checksum database that misbehaves: a
// signed tree inconsistent with one seen before (a forked log), or a record
// that does not match its proofs.
type SecurityError struct{ Msg string }

func (e *SecurityError) Error() string {
	return "SECURITY ERROR: the checksum database misbehaved: " + e.Msg +
		"\nThis can mean the database or a proxy between you and it serves a forked log. Do not trust go.sum changes " +
		"made since the last verified run; report it to the database operator, and keep modseal's cache (it holds the evidence)."
}

// A SumDBClient reaches a checksum database the way the go command does,
// verifies signed tree heads and inclusion proofs with
// golang.org/x/mod/sumdb, and keeps a persistent cache: tiles, lookups and
// the latest signed tree head it has verified, so a database that later
// shows a different history (a fork) is caught. Tiles and lookups reach
// the disk only at Close.
type SumDBClient struct {
	DB       *SumDB
	GOPROXY  string        // proxies to try for <proxy>/sumdb/<name>/
	CacheDir string        // modseal's sumdb cache (config/ and cache/ below it)
	GoSumDB  string        // the go command's GOMODCACHE/cache/download/sumdb, read only; "" for none
	GoConfig string        // the go command's GOPATH/pkg/sumdb, read only; "" for none
	HTTP     *http.Client  // nil: http.DefaultClient
	Timeout  time.Duration // per request; 0: 20s
	Retries  int           // retries of a 5xx or timed-out request; 0: 2

	initOnce sync.Once
	base     string
	baseErr  error

	mu       sync.Mutex // serialises WriteConfig
	requests atomic.Int64
	notFound sync.Map // remote paths answered 404/410
	security atomic.Pointer[string]

	clientOnce sync.Once
	client     *sumdb.Client

	packOnce    sync.Once
	pack        *packStore
	noCacheRead bool         // read no cache (only what this client fetched): the retry of CheckSumDB
	cacheHits   atomic.Int64 // entries read from a cache
}

// Requests returns how many HTTP requests the client has made.
func (c *SumDBClient) Requests() int64 { return c.requests.Load() }

// Lookup returns the database's go.sum lines for path at version (which may
// end in "/go.mod"). found is false when the database does not know the
// module version. A *SecurityError means the database misbehaved.
func (c *SumDBClient) Lookup(path, version string) (lines []string, found bool, err error) {
	c.clientOnce.Do(func() { c.client = sumdb.NewClient(c) })
	lines, err = c.client.Lookup(path, version)
	if err == nil {
		return lines, true, nil
	}
	if msg := c.security.Load(); msg != nil || errors.Is(err, sumdb.ErrSecurity) || isMisbehavior(err) {
		m := err.Error()
		if msg != nil {
			m = *msg
		}
		return nil, false, &SecurityError{Msg: m}
	}
	if c.isNotFound(path, version) {
		return nil, false, nil
	}
	return nil, false, err
}

// isMisbehavior reports errors golang.org/x/mod/sumdb returns as plain
// errors that are nonetheless proof of a misbehaving database: data it
// served that does not hash to the signed tree head it also served.
func isMisbehavior(err error) bool {
	s := err.Error()
	return strings.Contains(s, "downloaded inconsistent tile") || strings.Contains(s, "cannot authenticate record data")
}

func (c *SumDBClient) isNotFound(path, version string) bool {
	ep, err1 := module.EscapePath(path)
	ev, err2 := module.EscapeVersion(strings.TrimSuffix(version, "/go.mod"))
	if err1 != nil || err2 != nil {
		return false
	}
	_, ok := c.notFound.Load("/lookup/" + ep + "@" + ev)
	return ok
}

// WitnessGo checks the latest tree head the go command saved (GoConfig) for
// consistency with the database, using path@version (already looked up, so
// its record is cached) to make the client merge the two views. A fork
// between what the go command saw and what modseal sees is a SecurityError.
func (c *SumDBClient) WitnessGo(path, version string) error {
	if c.GoConfig == "" {
		return nil
	}
	data, err := os.ReadFile(filepath.Join(c.GoConfig, filepath.FromSlash(c.DB.Name), "latest"))
	if err != nil || len(data) == 0 {
		return nil // the go command has not talked to this database
	}
	w := &witnessOps{SumDBClient: c, latest: data}
	wc := sumdb.NewClient(w)
	if _, err := wc.Lookup(path, version); err != nil {
		if msg := w.security.Load(); msg != nil || errors.Is(err, sumdb.ErrSecurity) || isMisbehavior(err) {
			m := err.Error()
			if msg != nil {
				m = *msg
			}
			return &SecurityError{Msg: "the go command's saved tree head (" + filepath.Join(c.GoConfig, c.DB.Name, "latest") + ") and the database disagree: " + m}
		}
		return fmt.Errorf("checking the go command's saved tree head: %v", err)
	}
	return nil
}

// witnessOps starts a client from the go command's saved tree head and
// never writes it back.
type witnessOps struct {
	*SumDBClient
	latest   []byte
	security atomic.Pointer[string]
}

func (w *witnessOps) ReadConfig(file string) ([]byte, error) {
	if file == "key" {
		return []byte(w.DB.Key), nil
	}
	return w.latest, nil
}

func (w *witnessOps) WriteConfig(file string, old, new []byte) error {
	w.latest = new
	return nil
}

func (w *witnessOps) SecurityError(msg string) { w.security.Store(&msg) }

// ReadRemote implements sumdb.ClientOps: a GET of the database path, through
// the first proxy that supports the database, with retries.
func (c *SumDBClient) ReadRemote(path string) ([]byte, error) {
	c.initOnce.Do(c.initBase)
	if c.baseErr != nil {
		return nil, c.baseErr
	}
	data, status, err := c.get(c.base + path)
	if err != nil {
		return nil, err
	}
	if status == http.StatusNotFound || status == http.StatusGone {
		c.notFound.Store(path, true)
		return nil, fmt.Errorf("GET %s: %d %s", redactURL(c.base+path), status, http.StatusText(status))
	}
	if status != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %d %s", redactURL(c.base+path), status, http.StatusText(status))
	}
	return data, nil
}

// initBase finds how to reach the database, as the go command does: the
// explicit GOSUMDB URL, else the first GOPROXY entry whose
// <proxy>/sumdb/<name>/supported answers 200 (404 and 410, or any error
// after a "|", move on to the next), else directly.
func (c *SumDBClient) initBase() {
	if c.DB.URL != "" {
		c.base = c.DB.URL
		return
	}
	proxies := c.GOPROXY
	if proxies == "" {
		proxies = "https://proxy.golang.org,direct"
	}
	for proxies != "" {
		entry := proxies
		sep := byte(0)
		if i := strings.IndexAny(proxies, ",|"); i >= 0 {
			entry, sep, proxies = proxies[:i], proxies[i], proxies[i+1:]
		} else {
			proxies = ""
		}
		entry = strings.TrimSpace(entry)
		switch entry {
		case "":
			continue
		case "direct", "off":
			c.base = "https://" + c.DB.Name
			return
		}
		if strings.HasPrefix(entry, "file://") {
			continue // a file proxy (e.g. a module cache) serves no database
		}
		u := strings.TrimSuffix(entry, "/") + "/sumdb/" + c.DB.Name
		_, status, err := c.get(u + "/supported")
		switch {
		case err == nil && status == http.StatusOK:
			c.base = u
			return
		case err == nil && (status == http.StatusNotFound || status == http.StatusGone), sep == '|':
			continue
		case err != nil:
			c.baseErr = fmt.Errorf("checksum database %s: asking proxy %s: %v", c.DB.Name, redactURL(entry), err)
			return
		default:
			c.baseErr = fmt.Errorf("checksum database %s: proxy %s answered %d to /sumdb/%s/supported", c.DB.Name, redactURL(entry), status, c.DB.Name)
			return
		}
	}
	c.base = "https://" + c.DB.Name
}

// maxRemoteBody bounds a database response (tiles are 8 KiB, records small).
const maxRemoteBody = 1 << 20

// get fetches u with the per-request timeout, retrying 5xx answers and
// timeouts with backoff. It returns the body of the last answer.
func (c *SumDBClient) get(u string) ([]byte, int, error) {
	client := c.HTTP
	if client == nil {
		client = http.DefaultClient
	}
	timeout := c.timeout()
	retries := c.Retries
	if retries == 0 {
		retries = 2
	}
	var lastErr error
	for attempt := 0; attempt <= retries; attempt++ {
		if attempt > 0 {
			time.Sleep(time.Duration(100<<(2*(attempt-1))) * time.Millisecond) // 100ms, 400ms, ...
		}
		data, status, err := c.get1(client, u, timeout)
		if err == nil && status < 500 {
			return data, status, nil
		}
		if err == nil {
			lastErr = fmt.Errorf("GET %s: %d %s", redactURL(u), status, http.StatusText(status))
		} else {
			lastErr = err
		}
	}
	return nil, 0, lastErr
}

func (c *SumDBClient) get1(client *http.Client, u string, timeout time.Duration) ([]byte, int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, 0, err
	}
	c.requests.Add(1)
	resp, err := client.Do(req)
	if err != nil {
		return nil, 0, fmt.Errorf("GET %s: %v", redactURL(u), scrubURLError(err))
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxRemoteBody+1))
	if err != nil {
		return nil, 0, fmt.Errorf("GET %s: reading body: %v", redactURL(u), scrubURLError(err))
	}
	if len(data) > maxRemoteBody {
		return nil, 0, fmt.Errorf("GET %s: response larger than %d bytes", redactURL(u), maxRemoteBody)
	}
	return data, resp.StatusCode, nil
}

// timeout is the per-request timeout (and the longest wait for the lock
// of the tree head).
func (c *SumDBClient) timeout() time.Duration {
	if c.Timeout == 0 {
		return 20 * time.Second
	}
	return c.Timeout
}

// redactURL hides any password in u.
func redactURL(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return u
	}
	return p.Redacted()
}

// scrubURLError drops the URL a *url.Error repeats (it may carry a password).
func scrubURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// ReadConfig implements sumdb.ClientOps: the key, and the latest signed tree
// head modseal has verified (empty the first time).
func (c *SumDBClient) ReadConfig(file string) ([]byte, error) {
	if file == "key" {
		return []byte(c.DB.Key), nil
	}
	p, err := c.confined(filepath.Join(c.CacheDir, "config"), file)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		return []byte{}, nil
	}
	return data, err
}

// WriteConfig implements sumdb.ClientOps: a compare-and-swap of the latest
// tree head, written atomically, under a lock (NAME.lock next to it) that
// keeps modseal processes sharing the cache from overwriting each other's
// newer head.
func (c *SumDBClient) WriteConfig(file string, old, new []byte) error {
	if file == "key" {
		return errors.New("cannot write the key")
	}
	p, err := c.confined(filepath.Join(c.CacheDir, "config"), file)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := os.MkdirAll(filepath.Dir(p), 0o777); err != nil {
		return err
	}
	unlock, err := lockFile(p+".lock", c.timeout())
	if err != nil {
		return err
	}
	defer unlock()
	cur, err := os.ReadFile(p)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if len(cur) > 0 && !bytes.Equal(cur, old) {
		return sumdb.ErrWriteConflict
	}
	return WriteFileAtomic(p, new)
}

// ReadCache implements sumdb.ClientOps: modseal's cache, else the go
// command's (read only). An empty file counts as missing.
func (c *SumDBClient) ReadCache(file string) ([]byte, error) {
	if c.noCacheRead {
		return c.packs().getPending(file)
	}
	if data, ok := c.packs().get(file); ok {
		c.cacheHits.Add(1)
		return data, nil
	}
	if c.GoSumDB != "" {
		p, err := c.confined(c.GoSumDB, file)
		if err != nil {
			return nil, err
		}
		if data, err := os.ReadFile(p); err == nil && len(data) > 0 {
			c.cacheHits.Add(1)
			return data, nil
		}
	}
	return nil, os.ErrNotExist
}

// WriteCache implements sumdb.ClientOps: into modseal's cache only, on disk
// at the next Flush.
func (c *SumDBClient) WriteCache(file string, data []byte) {
	c.packs().put(file, data)
}

// Close writes what the client cached since it started (or since the last
// Close) to modseal's cache, one pack file written atomically, and closes
// the cache's files. Call it when done with the client; CheckSumDB does.
func (c *SumDBClient) Close() error {
	return c.packs().close()
}

func (c *SumDBClient) packs() *packStore {
	c.packOnce.Do(func() {
		dir := ""
		if c.CacheDir != "" {
			dir = filepath.Join(c.CacheDir, "cache")
		}
		c.pack = newPackStore(dir)
		c.pack.fresh = c.noCacheRead || dir == ""
	})
	return c.pack
}

// Log implements sumdb.ClientOps.
func (c *SumDBClient) Log(msg string) {}

// SecurityError implements sumdb.ClientOps: it records the message; the
// client then fails with ErrSecurity and Lookup returns a *SecurityError.
func (c *SumDBClient) SecurityError(msg string) { c.security.Store(&msg) }

// confined joins dir and the slash path file, refusing a result outside dir.
func (c *SumDBClient) confined(dir, file string) (string, error) {
	p := filepath.Join(dir, filepath.FromSlash(file))
	if rel, err := filepath.Rel(dir, p); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", fmt.Errorf("sumdb cache: %q escapes the cache", file)
	}
	return p, nil
}
