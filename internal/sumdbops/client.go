// Package sumdbops is the I/O of modseal's checksum database client: the
// golang.org/x/mod/sumdb.ClientOps that golang.org/x/mod/sumdb's client
// needs, as cmd/go's modfetch/sumdb.go provides them for the go command.
// verify holds the protocol-level check (verify.SumDB.Check); this package
// reaches the database and keeps what it verified.
//
// A Client finds the database as the go command does: the URL GOSUMDB
// gives, else the first GOPROXY entry that serves <proxy>/sumdb/<name>/
// (the same GOPROXY reader and walk as module downloads,
// internal/modproxy), else the database directly. Requests have a timeout
// and are retried after a 5xx or a timeout; errors show proxy URLs
// without their credentials.
//
// Before its first lookup a Client fetches the database's latest signed
// tree head and proves it consistent with every head seen before:
// modseal's saved one, the go command's, and the witnesses the caller
// gives (a committed snapshot's checkpoint). A database that shows another
// history (a fork) is a *verify.SecurityError on every run, even when
// every lookup is then answered from the cache.
//
// # What it writes
//
// A Client writes only below its CacheDir (modseal's cache): config/ holds
// the latest signed tree head it verified (replaced atomically, under a
// lock file next to it, so modseal processes sharing the cache take
// turns), cache/ the tiles and records it verified, as pack files (see
// packStore). It reads the go command's checksum database cache and saved
// tree head, and never writes them.
package sumdbops

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rogpeppe/go-internal/lockedfile"
	"golang.org/x/mod/module"
	"golang.org/x/mod/sumdb"

	"github.com/modseal/modseal/internal/modproxy"
	"github.com/modseal/modseal/verify"
)

// A Client looks module versions up in one checksum database
// (verify.SumDBLookup) and keeps a persistent cache: tiles, lookups and the
// latest signed tree head it verified. A warm run costs the proxy's
// /supported, /latest, and the tiles of the consistency proof when the log
// grew. Tiles and lookups reach the disk at Close (Check closes the
// client).
type Client struct {
	DB       *verify.SumDB
	GOPROXY  string // proxies to try for <proxy>/sumdb/<name>/
	CacheDir string // modseal's sumdb cache (config/ and cache/ below it); "" for none
	GoSumDB  string // the go command's GOMODCACHE/cache/download/sumdb, read only; "" for none
	GoConfig string // the go command's GOPATH/pkg/sumdb, read only; "" for none
	// Witnesses are more signed tree heads of the database seen before,
	// by what names them in messages (e.g. a committed snapshot's
	// checkpoint): each is proved consistent with the database's latest
	// like the saved ones. One that is not a valid signed tree head of
	// the database is an error.
	Witnesses map[string][]byte
	HTTP      *http.Client  // nil: modproxy.DefaultClient(0)
	Timeout   time.Duration // per request; 0: 20s
	Retries   int           // retries of a 5xx or timed-out request; 0: 2

	initOnce sync.Once
	base     string
	baseErr  error

	mu       sync.Mutex // serialises writeConfig
	requests atomic.Int64
	notFound sync.Map // remote paths answered 404/410
	security atomic.Pointer[string]

	clientOnce sync.Once
	client     *sumdb.Client

	latestOnce  sync.Once
	latestErr   error
	notesMu     sync.Mutex
	notes       []string // cached data ignored or repaired (SumDBResult.Cache)
	checked     []byte   // the latest tree head checkLatest verified
	tilesCached sync.Map // tlog.Tile -> true: read from a cache by checkLatest

	packOnce    sync.Once
	pack        *packStore
	noCacheRead bool         // read no cache (only what this client fetched): the retry of Check
	cacheHits   atomic.Int64 // entries read from a cache
	goHits      atomic.Int64 // of which from the go command's cache
	remoteFail  atomic.Bool  // a request failed (not a 404/410): the database is hard to reach
}

// ops is a Client as golang.org/x/mod/sumdb sees it: its sumdb.ClientOps.
type ops Client

var _ sumdb.ClientOps = (*ops)(nil)

func (o *ops) ReadRemote(path string) ([]byte, error) { return (*Client)(o).readRemote(path) }
func (o *ops) ReadConfig(file string) ([]byte, error) { return (*Client)(o).readConfig(file) }
func (o *ops) WriteConfig(file string, old, new []byte) error {
	return (*Client)(o).writeConfig(file, old, new)
}
func (o *ops) ReadCache(file string) ([]byte, error) { return (*Client)(o).readCache(file) }
func (o *ops) WriteCache(file string, data []byte)   { (*Client)(o).writeCache(file, data) }
func (o *ops) Log(msg string)                        {}

// SecurityError records the message; the sumdb client then fails with
// sumdb.ErrSecurity, and Lookup returns a *verify.SecurityError.
func (o *ops) SecurityError(msg string) { o.security.Store(&msg) }

// Lookup returns the database's go.sum lines for path at version (which
// may end in "/go.mod"). A module version the database does not know is
// an error that is fs.ErrNotExist; a database that misbehaved, a
// *verify.SecurityError.
func (c *Client) Lookup(path, version string) ([]string, error) {
	c.latestOnce.Do(func() { c.latestErr = c.checkLatest() })
	if c.latestErr != nil {
		return nil, c.latestErr
	}
	c.clientOnce.Do(func() { c.client = sumdb.NewClient((*ops)(c)) })
	lines, err := c.client.Lookup(path, version)
	if err == nil {
		return lines, nil
	}
	if msg := c.security.Load(); msg != nil || errors.Is(err, sumdb.ErrSecurity) || isMisbehavior(err) {
		m := err.Error()
		if msg != nil {
			m = *msg
		}
		return nil, &verify.SecurityError{Msg: m}
	}
	if c.isNotFound(path, version) {
		return nil, fmt.Errorf("%s@%s: %w", path, version, fs.ErrNotExist)
	}
	return nil, firstLine(err)
}

// ProveLatest fetches the database's latest signed tree head and proves
// every tree head seen before consistent with it (modseal's saved one, the
// go command's, the Witnesses), as the first Lookup does, then saves what
// it verified. A fork is a *verify.SecurityError.
func (c *Client) ProveLatest() error {
	c.latestOnce.Do(func() { c.latestErr = c.checkLatest() })
	c.Close() // a cache that cannot be written costs the next run requests only
	return c.latestErr
}

// Checkpoint returns the latest signed tree head modseal has saved for the
// database: after Check, one the check verified its lookups against.
func (c *Client) Checkpoint() []byte {
	data, err := c.readConfig(c.DB.Name + "/latest")
	if err != nil {
		return nil
	}
	return data
}

// firstLine returns err cut at its first line: golang.org/x/mod/sumdb
// follows some messages with the data that failed to parse (a tree note,
// a record), which may be anything a damaged cache or a database served.
func firstLine(err error) error {
	msg := err.Error()
	i := strings.IndexByte(msg, '\n')
	if i < 0 {
		return err
	}
	rest := strings.TrimLeft(msg[i:], "\n")
	for _, label := range []string{"note:\n", "tree:\n"} {
		rest = strings.TrimPrefix(rest, label)
	}
	return fmt.Errorf("%s (the data begins %s)", msg[:i], excerpt([]byte(rest)))
}

// isMisbehavior reports errors golang.org/x/mod/sumdb returns as plain
// errors that are nonetheless proof of a misbehaving database: data it
// served that does not hash to the signed tree head it also served.
func isMisbehavior(err error) bool {
	s := err.Error()
	return strings.Contains(s, "downloaded inconsistent tile") || strings.Contains(s, "cannot authenticate record data")
}

func (c *Client) isNotFound(path, version string) bool {
	ep, err1 := module.EscapePath(path)
	ev, err2 := module.EscapeVersion(strings.TrimSuffix(version, "/go.mod"))
	if err1 != nil || err2 != nil {
		return false
	}
	_, ok := c.notFound.Load("/lookup/" + ep + "@" + ev)
	return ok
}

// readRemote is a GET of the database path, through the first proxy that
// supports the database, with retries.
func (c *Client) readRemote(path string) ([]byte, error) {
	c.initOnce.Do(c.initBase)
	if c.baseErr != nil {
		c.remoteFail.Store(true)
		return nil, c.baseErr
	}
	data, status, err := c.get(c.base + path)
	if err != nil {
		c.remoteFail.Store(true)
		return nil, err
	}
	if status == http.StatusNotFound || status == http.StatusGone {
		c.notFound.Store(path, true)
		return nil, statusError(c.base+path, status)
	}
	if status != http.StatusOK {
		c.remoteFail.Store(true)
		return nil, statusError(c.base+path, status)
	}
	return data, nil
}

// statusError is the error of a GET of u answered with status.
func statusError(u string, status int) error {
	return &modproxy.RequestError{URL: modproxy.RedactString(u), StatusCode: status, Err: fmt.Errorf("%d %s", status, http.StatusText(status))}
}

// initBase finds how to reach the database, as cmd/go's dbClient does:
// the explicit GOSUMDB URL, else the first GOPROXY proxy whose
// <proxy>/sumdb/<name>/supported answers 200, walking the list as module
// downloads do (modproxy.TryProxies), else directly when the walk reaches
// "direct" or "off" or every proxy answered not-found. A file:// proxy
// (e.g. a module cache) serves no database here: it counts as not-found.
func (c *Client) initBase() {
	if c.DB.URL != "" {
		c.base = c.DB.URL
		return
	}
	list, err := modproxy.ParseGOPROXY(c.GOPROXY)
	if err != nil {
		c.baseErr = err
		return
	}
	end, err := modproxy.TryProxies(context.Background(), list, func(e modproxy.ProxyEntry) error {
		u := *e.URL
		u.Path = strings.TrimSuffix(u.Path, "/") + "/sumdb/" + c.DB.Name
		u.RawPath = ""
		base := u.String()
		if e.URL.Scheme == "file" {
			return &modproxy.RequestError{URL: modproxy.Redact(&u), StatusCode: http.StatusNotFound, Err: errors.New("a file:// proxy serves no checksum database")}
		}
		_, status, err := c.get(base + "/supported")
		switch {
		case err != nil:
			return fmt.Errorf("asking proxy %s: %v", e, err)
		case status == http.StatusOK:
			c.base = base
			return nil
		case status == http.StatusNotFound || status == http.StatusGone:
			return statusError(base+"/supported", status)
		default:
			return fmt.Errorf("proxy %s answered %d to /sumdb/%s/supported", e, status, c.DB.Name)
		}
	})
	switch {
	case end == "" && err == nil:
		// c.base is set.
	case end == "direct", err == nil, isNotFoundErr(err):
		// As cmd/go: "direct" is the best answer; after "off" or at the
		// end of the list, only a proxy's failure is reported.
		c.base = "https://" + c.DB.Name
	default:
		c.baseErr = err
	}
}

// isNotFoundErr reports a proxy's not-found answer (404 or 410).
func isNotFoundErr(err error) bool {
	var rerr *modproxy.RequestError
	return errors.As(err, &rerr) && (rerr.StatusCode == http.StatusNotFound || rerr.StatusCode == http.StatusGone)
}

// maxRemoteBody bounds a database response (tiles are 8 KiB, records small).
const maxRemoteBody = 1 << 20

// get fetches u with the per-request timeout, retrying 5xx answers and
// timeouts with backoff. It returns the body of the last answer.
func (c *Client) get(u string) ([]byte, int, error) {
	client := c.HTTP
	if client == nil {
		client = modproxy.DefaultClient(0)
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
			lastErr = fmt.Errorf("GET %s: %d %s", modproxy.RedactString(u), status, http.StatusText(status))
		} else {
			lastErr = err
		}
	}
	return nil, 0, lastErr
}

func (c *Client) get1(client *http.Client, u string, timeout time.Duration) ([]byte, int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	shown := modproxy.RedactString(u)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, 0, fmt.Errorf("GET %s: %v", shown, scrubURLError(err))
	}
	c.requests.Add(1)
	resp, err := client.Do(req)
	if err != nil {
		return nil, 0, fmt.Errorf("GET %s: %v", shown, scrubURLError(err))
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxRemoteBody+1))
	if err != nil {
		return nil, 0, fmt.Errorf("GET %s: reading body: %v", shown, scrubURLError(err))
	}
	if len(data) > maxRemoteBody {
		return nil, 0, fmt.Errorf("GET %s: response larger than %d bytes", shown, maxRemoteBody)
	}
	return data, resp.StatusCode, nil
}

// timeout is the per-request timeout (and the longest wait for the lock
// of the tree head).
func (c *Client) timeout() time.Duration {
	if c.Timeout == 0 {
		return 20 * time.Second
	}
	return c.Timeout
}

// scrubURLError drops the URL a *url.Error repeats (it may carry a password).
func scrubURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// readConfig returns the key, or the latest signed tree head modseal has
// verified (empty the first time).
func (c *Client) readConfig(file string) ([]byte, error) {
	if file == "key" {
		return []byte(c.DB.Key), nil
	}
	p, err := confined(filepath.Join(c.CacheDir, "config"), file)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		return []byte{}, nil
	}
	return data, err
}

// writeConfig is a compare-and-swap of the latest tree head, written
// atomically, under a lock (NAME.lock next to it) that keeps modseal
// processes sharing the cache from overwriting each other's newer head.
func (c *Client) writeConfig(file string, old, new []byte) error {
	if file == "key" {
		return errors.New("cannot write the key")
	}
	p, err := confined(filepath.Join(c.CacheDir, "config"), file)
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
	return writeAtomic(p, func(w io.Writer) error {
		_, err := w.Write(new)
		return err
	})
}

// lockFile takes the lock file name (lockedfile.Mutex, created if needed),
// so that modseal processes sharing a cache take turns; unlock releases
// it. It gives up after timeout: a process that keeps the lock that long
// is stuck, and waiting on it would hang the audit. (The abandoned wait
// releases the lock as soon as it gets it.)
func lockFile(name string, timeout time.Duration) (unlock func(), err error) {
	type locked struct {
		unlock func()
		err    error
	}
	done := make(chan locked, 1)
	go func() {
		unlock, err := lockedfile.MutexAt(name).Lock()
		done <- locked{unlock, err}
	}()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case l := <-done:
		if l.err != nil {
			return nil, fmt.Errorf("locking %s: %v", name, l.err)
		}
		return l.unlock, nil
	case <-timer.C:
		go func() {
			if l := <-done; l.err == nil {
				l.unlock()
			}
		}()
		return nil, fmt.Errorf("locking %s: another process has held it for %v", name, timeout)
	}
}

// readCache reads modseal's cache, else the go command's (read only). An
// empty file counts as missing.
func (c *Client) readCache(file string) ([]byte, error) {
	if c.noCacheRead {
		return c.packs().getPending(file)
	}
	if data, ok := c.packs().get(file); ok {
		c.cacheHits.Add(1)
		return data, nil
	}
	if c.GoSumDB != "" {
		p, err := confined(c.GoSumDB, file)
		if err != nil {
			return nil, err
		}
		if data, err := os.ReadFile(p); err == nil && len(data) > 0 {
			c.cacheHits.Add(1)
			c.goHits.Add(1)
			return data, nil
		}
	}
	return nil, os.ErrNotExist
}

// writeCache writes into modseal's cache only, on disk at the next Close.
func (c *Client) writeCache(file string, data []byte) {
	c.packs().put(file, data)
}

// Close writes what the client cached since it started (or since the last
// Close) to modseal's cache, one pack file written atomically, and closes
// the cache's files. Call it when done with the client; Check does.
func (c *Client) Close() error {
	return c.packs().close()
}

func (c *Client) packs() *packStore {
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

// confined joins dir and the slash path file, refusing a result outside dir.
func confined(dir, file string) (string, error) {
	p := filepath.Join(dir, filepath.FromSlash(file))
	if rel, err := filepath.Rel(dir, p); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", fmt.Errorf("sumdb cache: %q escapes the cache", file)
	}
	return p, nil
}

// note records something done about damaged cached data.
func (c *Client) note(msg string) {
	c.notesMu.Lock()
	defer c.notesMu.Unlock()
	c.notes = append(c.notes, msg)
}

// cacheNotes returns what the client ignored or repaired in the caches.
func (c *Client) cacheNotes() []string {
	c.notesMu.Lock()
	defer c.notesMu.Unlock()
	return slices.Clone(c.notes)
}
