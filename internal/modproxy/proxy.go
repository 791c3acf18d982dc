package modproxy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/mod/module"
)

// A proxy is one entry of the GOPROXY list.
type proxy struct {
	url             *url.URL // nil for "off" and "direct"
	special         string   // "off" or "direct"
	fallBackOnError bool     // a "|" follows: try the next entry after any error
}

// parseProxyList reads a GOPROXY value as cmd/go's proxyList does.
func parseProxyList(goproxy string) ([]*proxy, error) {
	if goproxy == "" {
		goproxy = DefaultProxy
	}
	var list []*proxy
	for goproxy != "" {
		var entry string
		fallBack := false
		if i := strings.IndexAny(goproxy, ",|"); i >= 0 {
			entry, fallBack, goproxy = goproxy[:i], goproxy[i] == '|', goproxy[i+1:]
		} else {
			entry, goproxy = goproxy, ""
		}
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		if entry == "off" || entry == "direct" {
			// Both end the list; cmd/go ignores what follows, for
			// forward compatibility.
			list = append(list, &proxy{special: entry})
			break
		}
		// Single words are reserved for built-in behaviours; anything with
		// ":/" or an absolute path must be a complete URL; anything else
		// gets an implicit "https://".
		if strings.ContainsAny(entry, ".:/") && !strings.Contains(entry, ":/") && !filepath.IsAbs(entry) && !path.IsAbs(entry) {
			entry = "https://" + entry
		}
		u, err := parseProxyURL(entry)
		if err != nil {
			return nil, err
		}
		list = append(list, &proxy{url: u, fallBackOnError: fallBack})
	}
	if len(list) == 0 {
		list = append(list, &proxy{special: "off"})
	}
	return list, nil
}

func parseProxyURL(s string) (*url.URL, error) {
	shown := redactString(s)
	u, err := url.Parse(s)
	if err != nil {
		// The parse error may quote part of the credentials: say why
		// only when there can be none.
		var uerr *url.Error
		if !strings.Contains(s, "@") && errors.As(err, &uerr) {
			return nil, fmt.Errorf("GOPROXY: invalid proxy URL %s: %v", shown, uerr.Err)
		}
		return nil, fmt.Errorf("GOPROXY: invalid proxy URL %s", shown)
	}
	shown = redact(u)
	switch u.Scheme {
	case "http", "https":
		if u.Host == "" {
			return nil, fmt.Errorf("GOPROXY: invalid proxy URL missing host: %s", shown)
		}
	case "file":
		if *u != (url.URL{Scheme: u.Scheme, Path: u.Path, RawPath: u.RawPath}) || !strings.HasPrefix(u.Path, "/") {
			return nil, fmt.Errorf("GOPROXY: invalid file:// proxy URL (want file:///absolute/path): %s", shown)
		}
	case "":
		return nil, fmt.Errorf("GOPROXY: invalid proxy URL missing scheme: %s", shown)
	default:
		return nil, fmt.Errorf("GOPROXY: invalid proxy URL scheme (must be https, http, file): %s", shown)
	}
	return u, nil
}

// resolve returns the URL of rel ("@v/list", "@latest", "@v/V.zip") for
// the module path, which the caller has checked.
func (p *proxy) resolve(modPath, rel string) *url.URL {
	esc, _ := module.EscapePath(modPath)
	suffix := "/" + esc + "/" + rel
	t := *p.url
	t.Path = strings.TrimRight(p.url.Path, "/") + suffix
	t.RawPath = strings.TrimRight(p.url.EscapedPath(), "/") + pathEscape(suffix)
	return &t
}

// pathEscape escapes s for a URL path, leaving "/" alone (as cmd/go does).
func pathEscape(s string) string {
	return strings.ReplaceAll(url.PathEscape(s), "%2F", "/")
}

// try runs do on each entry of the proxy list in turn, as cmd/go's
// TryProxies does, and returns nil or the most helpful error.
func (f *Fetcher) try(ctx context.Context, m module.Version, do func(*proxy) error) error {
	if module.MatchPrefixPatterns(f.NoProxy, m.Path) {
		return &UnavailableError{Module: m, Reason: "private module (it matches GONOPROXY/GOPRIVATE): the go command fetches it directly from its version control system, never through a proxy, and modseal does not do that"}
	}
	list, err := parseProxyList(f.Proxy)
	if err != nil {
		return fmt.Errorf("%s: %v", m, err)
	}
	// As in cmd/go: "off" and "direct" end the list. Otherwise the error
	// reported is the last one that is not a not-found, else the last
	// not-found.
	var best error
	bestNotFound := true
	for _, p := range list {
		switch p.special {
		case "off":
			if best != nil && !bestNotFound {
				// cmd/go ranks "off" as a not-found: a real
				// failure before it says more.
				return fmt.Errorf("%s: %w", m, best)
			}
			return &UnavailableError{Module: m, Reason: afterError(best, "GOPROXY=off forbids downloading it", `then GOPROXY says "off": downloading it is forbidden`)}
		case "direct":
			return &UnavailableError{Module: m, Reason: afterError(best, `GOPROXY says "direct"`, `then GOPROXY says "direct"`) + ": the go command would fetch it from its version control system, which modseal does not do"}
		}
		err := do(p)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			// Cancelled by the caller: not a reason to try the next proxy.
			return fmt.Errorf("%s: %w", m, err)
		}
		notFound := isNotFoundErr(err)
		if !notFound || bestNotFound {
			best, bestNotFound = err, notFound
		}
		if !notFound && !p.fallBackOnError {
			break
		}
	}
	return fmt.Errorf("%s: %w", m, best)
}

func afterError(prev error, alone, after string) string {
	if prev == nil {
		return alone
	}
	return prev.Error() + "; " + after
}

// isNotFoundErr reports whether err is a proxy's not-found answer, the only
// error after which the entry after a "," is tried. (Local errors such as a
// missing cache directory are not, even if they are fs.ErrNotExist.)
func isNotFoundErr(err error) bool {
	var rerr *RequestError
	return errors.As(err, &rerr) && isNotFound(rerr.StatusCode)
}

// getBytes GETs u into memory, at most maxMeta bytes.
func (f *Fetcher) getBytes(ctx context.Context, u *url.URL) ([]byte, error) {
	var buf bytes.Buffer
	if _, err := f.get(ctx, u, maxMeta, &buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// get GETs u and copies its body, at most limit bytes, to w. It returns the
// number of bytes copied. Every error is a *RequestError.
func (f *Fetcher) get(ctx context.Context, u *url.URL, limit int64, w io.Writer) (int64, error) {
	shown := redact(u)
	if u.Scheme == "file" {
		n, code, err := getFile(ctx, u, limit, w)
		if err != nil {
			return 0, &RequestError{URL: shown, StatusCode: code, Err: err}
		}
		return n, nil
	}

	timeout := f.timeout()
	reqCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var timedOut atomic.Bool
	timer := time.AfterFunc(timeout, func() {
		timedOut.Store(true)
		cancel()
	})
	defer timer.Stop()
	failure := func(code int, err error, what string) (int64, error) {
		switch {
		case ctx.Err() != nil:
			err = ctx.Err()
		case timedOut.Load():
			err = &timeoutError{what: what, d: timeout}
		default:
			var uerr *url.Error
			if errors.As(err, &uerr) {
				err = uerr.Err // its URL would repeat ours, maybe with a user name
			}
		}
		return 0, &RequestError{URL: shown, StatusCode: code, Err: err}
	}

	req, err := http.NewRequestWithContext(reqCtx, http.MethodGet, u.String(), nil)
	if err != nil {
		return failure(0, err, "")
	}
	resp, err := f.client().Do(req)
	if err != nil {
		return failure(0, err, "no response within")
	}
	defer resp.Body.Close()
	if code := resp.StatusCode; code != http.StatusOK {
		// The status text is ours, not the server's reason phrase.
		return 0, &RequestError{URL: shown, StatusCode: code, Err: errors.New(strconv.Itoa(code) + " " + http.StatusText(code))}
	}
	if resp.ContentLength > limit {
		return 0, &RequestError{URL: shown, StatusCode: http.StatusOK, Err: tooLarge(limit, resp.ContentLength)}
	}
	timer.Reset(timeout)
	n, err := io.Copy(w, io.LimitReader(&idleReader{r: resp.Body, t: timer, d: timeout}, limit+1))
	if err != nil {
		return failure(http.StatusOK, fmt.Errorf("reading the answer: %w", err), "the answer stalled for more than")
	}
	if n > limit {
		return 0, &RequestError{URL: shown, StatusCode: http.StatusOK, Err: tooLarge(limit, -1)}
	}
	return n, nil
}

func tooLarge(limit, size int64) error {
	if size >= 0 {
		return fmt.Errorf("answer too large: %d bytes, more than the limit of %d", size, limit)
	}
	return fmt.Errorf("answer too large: more than the limit of %d bytes", limit)
}

// A timeoutError is a request that hit Fetcher.Timeout.
type timeoutError struct {
	what string
	d    time.Duration
}

func (e *timeoutError) Error() string     { return "timeout: " + e.what + " " + e.d.String() }
func (e *timeoutError) Timeout() bool     { return true }
func (e *timeoutError) Is(err error) bool { return err == context.DeadlineExceeded }

// An idleReader pushes back the timer t by d whenever data arrives.
type idleReader struct {
	r io.Reader
	t *time.Timer
	d time.Duration
}

func (r *idleReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if n > 0 {
		r.t.Reset(r.d)
	}
	return n, err
}

// getFile reads a file:// URL. A missing file (or a directory) is a 404.
func getFile(ctx context.Context, u *url.URL, limit int64, w io.Writer) (n int64, code int, err error) {
	if err := ctx.Err(); err != nil {
		return 0, 0, err
	}
	notFound := errors.New("404 " + http.StatusText(http.StatusNotFound))
	fh, err := os.Open(filePath(u))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return 0, http.StatusNotFound, notFound
		}
		var perr *os.PathError
		if errors.As(err, &perr) {
			err = perr.Err // the path would repeat the URL
		}
		return 0, 0, err
	}
	defer fh.Close()
	fi, err := fh.Stat()
	if err != nil {
		return 0, 0, err
	}
	if fi.IsDir() {
		return 0, http.StatusNotFound, notFound
	}
	if fi.Size() > limit {
		return 0, http.StatusOK, tooLarge(limit, fi.Size())
	}
	n, err = io.Copy(w, io.LimitReader(ctxReader{ctx, fh}, limit+1))
	if err != nil {
		return 0, http.StatusOK, fmt.Errorf("reading the file: %w", err)
	}
	if n > limit {
		return 0, http.StatusOK, tooLarge(limit, -1)
	}
	return n, http.StatusOK, nil
}

// filePath converts a file:// URL to a file name.
func filePath(u *url.URL) string {
	p := u.Path
	if runtime.GOOS == "windows" && len(p) >= 3 && p[0] == '/' && p[2] == ':' {
		p = p[1:] // file:///C:/dir
	}
	return filepath.FromSlash(p)
}

type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (r ctxReader) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	return r.r.Read(p)
}

func (f *Fetcher) timeout() time.Duration {
	if f.Timeout > 0 {
		return f.Timeout
	}
	return defaultTimeout
}

// defaultClients holds the default client for each timeout, so that
// Fetchers with the same timeout share connections.
var defaultClients sync.Map // time.Duration → *http.Client

func (f *Fetcher) client() *http.Client {
	if f.Client != nil {
		return f.Client
	}
	return DefaultClient(f.timeout())
}

// DefaultClient is the HTTP client of a Fetcher without one, for requests
// that take at most timeout: the environment's proxy, no redirect from
// https to another scheme (as cmd/go), and a connection pool for many
// requests at once to one host. Clients with the same timeout are shared;
// 0 means a Fetcher's default.
func DefaultClient(timeout time.Duration) *http.Client {
	d := timeout
	if d <= 0 {
		d = defaultTimeout
	}
	if c, ok := defaultClients.Load(d); ok {
		return c.(*http.Client)
	}
	t := &http.Transport{Proxy: http.ProxyFromEnvironment}
	if dt, ok := http.DefaultTransport.(*http.Transport); ok {
		t = dt.Clone() // also its dial timeouts and connection pool limits
	}
	t.TLSHandshakeTimeout = 10 * time.Second
	// The audit runs up to 96 requests at once to one proxy; over HTTP/1.1
	// each needs a connection, and the default keeps only 2 idle ones.
	t.MaxIdleConnsPerHost = 128
	t.ResponseHeaderTimeout = d + d/2 // a backstop: the request's own timer fires first
	c, _ := defaultClients.LoadOrStore(d, &http.Client{Transport: t, CheckRedirect: checkRedirect})
	return c.(*http.Client)
}

const maxRedirects = 10

// checkRedirect allows at most maxRedirects redirects and, like cmd/go,
// none from https to another scheme.
func checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) > 0 && via[0].URL.Scheme == "https" && req.URL.Scheme != "https" {
		return fmt.Errorf("redirected from secure URL %s to insecure URL %s", redact(via[len(via)-1].URL), redact(req.URL))
	}
	if len(via) >= maxRedirects {
		return fmt.Errorf("stopped after %d redirects", maxRedirects)
	}
	return nil
}

// redact returns u as a string without credentials: a password, a user name
// without a password (usually a token) and a query string show as "xxxxx".
func redact(u *url.URL) string {
	if u.User == nil && u.RawQuery == "" {
		return u.String()
	}
	c := *u
	if c.User != nil {
		if _, ok := c.User.Password(); ok {
			c.User = url.UserPassword(c.User.Username(), "xxxxx")
		} else {
			c.User = url.User("xxxxx")
		}
	}
	if c.RawQuery != "" {
		c.RawQuery = "xxxxx"
	}
	return c.String()
}

// redactString hides the user information of a URL that does not parse.
// Since it does not parse, where the user information ends is a guess: at
// the last "@" (a password may hold an unescaped "/" or "#").
func redactString(s string) string {
	rest := s
	prefix := ""
	if i := strings.Index(s, "://"); i >= 0 {
		prefix, rest = s[:i+3], s[i+3:]
	}
	if i := strings.LastIndex(rest, "@"); i >= 0 {
		return prefix + "xxxxx" + rest[i:]
	}
	if i := strings.IndexAny(rest, "?#"); i >= 0 {
		return prefix + rest[:i+1] + "xxxxx"
	}
	return s
}
