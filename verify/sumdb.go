package verify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/mod/module"
	"golang.org/x/mod/sumdb"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/modseal/modseal/verify/internal/goproxy"
)

// A ProxyEntry is one entry of a GOPROXY list: a proxy URL, or "off" or
// "direct" (Special), and whether a "|" follows it (FallBackOnError).
type ProxyEntry = goproxy.Entry

// ParseGOPROXY reads a GOPROXY value as the go command does: entries
// separated by "," or "|", "off" and "direct" ending the list, "" the
// go command's default, and an entry without a scheme ("proxy.example.com")
// given "https://". Errors show the entries redacted (RedactURL).
func ParseGOPROXY(v string) ([]ProxyEntry, error) { return goproxy.Parse(v) }

// RedactURL returns u without credentials, for messages: the user
// information (user name and password alike: the user name is often a
// token) and the query string show as "xxxxx".
func RedactURL(u *url.URL) string { return goproxy.Redact(u) }

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
// the latest signed tree head it has verified. Before its first lookup it
// fetches the database's latest signed tree head and proves it consistent
// with the one it saved and with the go command's (GoConfig), so a database
// that shows a different history (a fork) is caught on every run, even when
// every lookup is then answered from the cache: a warm run costs the
// proxy's /supported, /latest, and the tiles of the consistency proof when
// the log grew. Tiles and lookups reach the disk only at Close.
type SumDBClient struct {
	DB       *SumDB
	GOPROXY  string // proxies to try for <proxy>/sumdb/<name>/
	CacheDir string // modseal's sumdb cache (config/ and cache/ below it)
	GoSumDB  string // the go command's GOMODCACHE/cache/download/sumdb, read only; "" for none
	GoConfig string // the go command's GOPATH/pkg/sumdb, read only; "" for none
	// Witnesses are more signed tree heads of the database seen before,
	// by what names them in messages (e.g. a committed snapshot's
	// checkpoint): each is proved consistent with the database's latest
	// like the saved ones. One that is not a valid signed tree head of
	// the database is an error.
	Witnesses map[string][]byte
	HTTP      *http.Client  // nil: http.DefaultClient
	Timeout   time.Duration // per request; 0: 20s
	Retries   int           // retries of a 5xx or timed-out request; 0: 2

	initOnce sync.Once
	base     string
	baseErr  error

	mu       sync.Mutex // serialises WriteConfig
	requests atomic.Int64
	notFound sync.Map // remote paths answered 404/410
	security atomic.Pointer[string]

	clientOnce sync.Once
	client     *sumdb.Client

	latestOnce  sync.Once
	latestErr   error
	notesMu     sync.Mutex
	notes       []string // cached data ignored or repaired (CheckSumDB's Cache)
	checked     []byte   // the latest tree head checkLatest verified
	tilesCached sync.Map // tlog.Tile -> true: read from a cache by checkLatest

	packOnce    sync.Once
	pack        *packStore
	noCacheRead bool         // read no cache (only what this client fetched): the retry of CheckSumDB
	cacheHits   atomic.Int64 // entries read from a cache
	goHits      atomic.Int64 // of which from the go command's cache
	remoteFail  atomic.Bool  // a request failed (not a 404/410): the database is hard to reach
}

// Requests returns how many HTTP requests the client has made.
func (c *SumDBClient) Requests() int64 { return c.requests.Load() }

// Lookup returns the database's go.sum lines for path at version (which may
// end in "/go.mod"). found is false when the database does not know the
// module version. A *SecurityError means the database misbehaved.
func (c *SumDBClient) Lookup(path, version string) (lines []string, found bool, err error) {
	c.latestOnce.Do(func() { c.latestErr = c.checkLatest() })
	if c.latestErr != nil {
		return nil, false, c.latestErr
	}
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
	return nil, false, firstLine(err)
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

func (c *SumDBClient) isNotFound(path, version string) bool {
	ep, err1 := module.EscapePath(path)
	ev, err2 := module.EscapeVersion(strings.TrimSuffix(version, "/go.mod"))
	if err1 != nil || err2 != nil {
		return false
	}
	_, ok := c.notFound.Load("/lookup/" + ep + "@" + ev)
	return ok
}

// ReadRemote implements sumdb.ClientOps: a GET of the database path, through
// the first proxy that supports the database, with retries.
func (c *SumDBClient) ReadRemote(path string) ([]byte, error) {
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
		return nil, fmt.Errorf("GET %s: %d %s", redactURL(c.base+path), status, http.StatusText(status))
	}
	if status != http.StatusOK {
		c.remoteFail.Store(true)
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
	entries, err := goproxy.Parse(c.GOPROXY)
	if err != nil {
		c.baseErr = err
		return
	}
	for _, e := range entries {
		if e.Special != "" {
			break // "direct" and "off" both mean: the database itself
		}
		if e.URL.Scheme == "file" {
			continue // a file proxy (e.g. a module cache) serves no database
		}
		u := *e.URL
		u.Path = strings.TrimSuffix(u.Path, "/") + "/sumdb/" + c.DB.Name
		u.RawPath = ""
		base := u.String()
		_, status, err := c.get(base + "/supported")
		switch {
		case err == nil && status == http.StatusOK:
			c.base = base
			return
		case err == nil && (status == http.StatusNotFound || status == http.StatusGone), e.FallBackOnError:
			continue
		case err != nil:
			c.baseErr = fmt.Errorf("asking proxy %s: %v", e, err)
			return
		default:
			c.baseErr = fmt.Errorf("proxy %s answered %d to /sumdb/%s/supported", e, status, c.DB.Name)
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
		return nil, 0, fmt.Errorf("GET %s: %v", redactURL(u), scrubURLError(err))
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

// redactURL hides the credentials in u (goproxy.Redact).
func redactURL(u string) string { return goproxy.RedactString(u) }

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
			c.goHits.Add(1)
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

// checkLatest fetches the database's latest signed tree head and proves it
// consistent with every tree head seen before: the one modseal persisted
// (config/NAME/latest) and the one the go command saved (GoConfig, read
// only). It runs once per client, before the first lookup, so a database
// that forked since the last run is caught even when every lookup is then
// answered from the cache. A fork is a *SecurityError. A saved tree head
// that is not a valid signed note of this database is damaged data, not
// evidence: modseal's is replaced by the fetched one, the go command's is
// ignored, and the client's notes say so. The fetched head is persisted
// when it is newer, so the lookups that follow start from it.
func (c *SumDBClient) checkLatest() error {
	verifier, err := note.NewVerifier(c.DB.Key)
	if err != nil {
		return fmt.Errorf("checksum database key: %v", err)
	}
	verifiers := note.VerifierList(verifier)
	msg, err := c.ReadRemote("/latest")
	if err != nil {
		return fmt.Errorf("fetching the latest signed tree head: %v", err)
	}
	latest, err := openTree(msg, verifiers)
	if err != nil {
		return fmt.Errorf("the latest signed tree head the database served is not valid: %v (served: %s); check the key in GOSUMDB", err, excerpt(msg))
	}
	configFile := c.DB.Name + "/latest"
	saved, err := c.ReadConfig(configFile)
	if err != nil {
		return fmt.Errorf("reading modseal's saved tree head: %v", err)
	}
	replace := len(saved) == 0
	if len(saved) > 0 {
		old, err := openTree(saved, verifiers)
		if err != nil {
			c.note(fmt.Sprintf("modseal's saved tree head of %s was damaged (%v; it began %s): replaced by the database's latest", c.DB.Name, err, excerpt(saved)))
			replace = true
		} else {
			if err := c.checkTrees("modseal's saved tree head", old, saved, latest, msg); err != nil {
				return err
			}
			replace = latest.N > old.N
		}
	}
	if err := c.checkWitnesses(latest, msg, verifiers); err != nil {
		return err
	}
	c.checked = msg
	if replace {
		// A conflict means another process saved a head meanwhile: the
		// client merges it when it starts.
		if err := c.WriteConfig(configFile, saved, msg); err != nil && !errors.Is(err, sumdb.ErrWriteConflict) {
			return fmt.Errorf("saving the latest signed tree head: %v", err)
		}
	}
	return nil
}

// checkWitnesses proves the go command's saved tree head (if any) and the
// Witnesses consistent with latest, a tree head of the database this
// client verified.
func (c *SumDBClient) checkWitnesses(latest tlog.Tree, msg []byte, verifiers note.Verifiers) error {
	for _, what := range slices.Sorted(maps.Keys(c.Witnesses)) {
		data := c.Witnesses[what]
		old, err := openTree(data, verifiers)
		if err != nil {
			return fmt.Errorf("%s is not a valid signed tree head of %s: %v (it begins %s)", what, c.DB.Name, err, excerpt(data))
		}
		if err := c.checkTrees(what, old, data, latest, msg); err != nil {
			return err
		}
	}
	if c.GoConfig == "" {
		return nil
	}
	file := filepath.Join(c.GoConfig, filepath.FromSlash(c.DB.Name), "latest")
	data, err := os.ReadFile(file)
	if err != nil || len(data) == 0 {
		return nil // the go command has not talked to this database
	}
	old, err := openTree(data, verifiers)
	if err != nil {
		c.note(fmt.Sprintf("the go command's saved tree head %s is not a valid signed tree head of %s (%v; it begins %s): ignored (modseal never writes it; the go command replaces it on its next checksum database request)", file, c.DB.Name, err, excerpt(data)))
		return nil
	}
	return c.checkTrees("the go command's saved tree head ("+file+")", old, data, latest, msg)
}

// rewitness proves the go command's saved tree head consistent with the
// tree head the lookups moved modseal's saved one to, when they moved it
// past the one checkLatest checked.
func (c *SumDBClient) rewitness() error {
	if (c.GoConfig == "" && len(c.Witnesses) == 0) || c.checked == nil {
		return nil
	}
	cur, err := c.ReadConfig(c.DB.Name + "/latest")
	if err != nil || len(cur) == 0 || bytes.Equal(cur, c.checked) {
		return nil
	}
	verifier, err := note.NewVerifier(c.DB.Key)
	if err != nil {
		return nil
	}
	verifiers := note.VerifierList(verifier)
	tree, err := openTree(cur, verifiers)
	if err != nil {
		return nil
	}
	return c.checkWitnesses(tree, cur, verifiers)
}

// openTree verifies the signed tree head msg and parses its tree.
func openTree(msg []byte, verifiers note.Verifiers) (tlog.Tree, error) {
	n, err := note.Open(msg, verifiers)
	if err != nil {
		return tlog.Tree{}, fmt.Errorf("signed note: %v", err)
	}
	return tlog.ParseTree([]byte(n.Text))
}

// checkTrees proves the trees old (what was seen before, described by
// what) and latest (what the database serves now) one history: the
// smaller is a prefix of the larger, by the larger's tiles, each tile
// authenticated against the larger's hash.
func (c *SumDBClient) checkTrees(what string, old tlog.Tree, oldMsg []byte, latest tlog.Tree, latestMsg []byte) error {
	if old == latest {
		return nil
	}
	older, newer := old, latest
	if older.N > newer.N {
		older, newer = newer, older
	}
	h, err := tlog.TreeHash(older.N, tlog.TileHashReader(newer, sumdbTiles{c}))
	if err != nil {
		if isMisbehavior(err) {
			return &SecurityError{Msg: fmt.Sprintf("proving %s (tree#%d) consistent with the database's latest (tree#%d): %v", what, old.N, latest.N, err)}
		}
		return fmt.Errorf("proving %s (tree#%d) consistent with the database's latest (tree#%d): %v", what, old.N, latest.N, err)
	}
	if h == older.Hash {
		return nil
	}
	return &SecurityError{Msg: fmt.Sprintf("%s (tree#%d) and the database's latest signed tree head (tree#%d) are not one history: tree#%d of the larger hashes to %v, the smaller says %v\nsaved:\n\t%s\nlatest:\n\t%s",
		what, old.N, latest.N, older.N, h, older.Hash,
		strings.ReplaceAll(strings.TrimSpace(string(oldMsg)), "\n", "\n\t"),
		strings.ReplaceAll(strings.TrimSpace(string(latestMsg)), "\n", "\n\t"))}
}

// note records something done about damaged cached data.
func (c *SumDBClient) note(msg string) {
	c.notesMu.Lock()
	defer c.notesMu.Unlock()
	c.notes = append(c.notes, msg)
}

// Notes returns what the client ignored or repaired in the caches.
func (c *SumDBClient) Notes() []string {
	c.notesMu.Lock()
	defer c.notesMu.Unlock()
	return slices.Clone(c.notes)
}

// excerpt quotes the start of untrusted data, at most 16 bytes, escaped.
func excerpt(data []byte) string {
	const max = 16
	s := string(data)
	if len(s) > max {
		return strconv.QuoteToASCII(s[:max]) + "..."
	}
	return strconv.QuoteToASCII(s)
}

// sumdbTiles is the tiles of the database as the sumdb client reads them
// (tlog.TileReader): from the caches, else the database, a missing
// partial tile from the full one; tiles saved once authenticated. It
// shares the client's caches, so the lookups that follow reuse them.
type sumdbTiles struct{ c *SumDBClient }

// tileHeight is the sumdb client's tile height.
const tileHeight = 8

func (r sumdbTiles) Height() int { return tileHeight }

func (r sumdbTiles) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	data := make([][]byte, len(tiles))
	errs := make([]error, len(tiles))
	var wg sync.WaitGroup
	for i, t := range tiles {
		wg.Go(func() { data[i], errs[i] = r.readTile(t) })
	}
	wg.Wait()
	return data, errors.Join(errs...)
}

func (r sumdbTiles) readTile(t tlog.Tile) ([]byte, error) {
	name := r.c.DB.Name + "/" + t.Path()
	full := t
	full.W = 1 << uint(t.H)
	if data, err := r.c.ReadCache(name); err == nil {
		r.c.tilesCached.Store(t, true)
		return data, nil
	}
	if t != full {
		if data, err := r.c.ReadCache(r.c.DB.Name + "/" + full.Path()); err == nil && len(data) >= t.W*tlog.HashSize {
			r.c.tilesCached.Store(t, true)
			return data[:t.W*tlog.HashSize], nil
		}
	}
	data, err := r.c.ReadRemote("/" + t.Path())
	if err == nil {
		return data, nil
	}
	if t != full {
		if fdata, ferr := r.c.ReadRemote("/" + full.Path()); ferr == nil && len(fdata) >= t.W*tlog.HashSize {
			return fdata[:t.W*tlog.HashSize], nil
		}
	}
	return nil, err
}

func (r sumdbTiles) SaveTiles(tiles []tlog.Tile, data [][]byte) {
	for i, t := range tiles {
		if _, ok := r.c.tilesCached.Load(t); ok {
			continue // already in a cache
		}
		r.c.WriteCache(r.c.DB.Name+"/"+t.Path(), data[i])
	}
}
