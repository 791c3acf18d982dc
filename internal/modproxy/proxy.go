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
type proxy struct{ ProxyEntry }

// resolve returns the URL of rel ("@v/list", "@latest", "@v/V.zip") for
// the module path, which the caller has checked.
func (p *proxy) resolve(modPath, rel string) *url.URL {
	esc, _ := module.EscapePath(modPath)
	suffix := "/" + esc + "/" + rel
	t := *p.URL
	t.Path = strings.TrimRight(p.URL.Path, "/") + suffix
	t.RawPath = strings.TrimRight(p.URL.EscapedPath(), "/") + pathEscape(suffix)
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
	list, err := ParseGOPROXY(f.Proxy)
	if err != nil {
		return fmt.Errorf("%s: %v", m, err)
	}
	end, err := TryProxies(ctx, list, func(e ProxyEntry) error { return do(&proxy{e}) })
	switch end {
	case "off":
		if err != nil && !isNotFoundErr(err) {
			// cmd/go ranks "off" as a not-found: a real failure
			// before it says more.
			return fmt.Errorf("%s: %w", m, err)
		}
		return &UnavailableError{Module: m, Reason: afterError(err, "GOPROXY=off forbids downloading it", `then GOPROXY says "off": downloading it is forbidden`)}
	case "direct":
		return &UnavailableError{Module: m, Reason: afterError(err, `GOPROXY says "direct"`, `then GOPROXY says "direct"`) + ": the go command would fetch it from its version control system, which modseal does not do"}
	}
	if err != nil {
		return fmt.Errorf("%s: %w", m, err)
	}
	return nil
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

// redact returns u as a string without credentials (Redact).
func redact(u *url.URL) string { return Redact(u) }
