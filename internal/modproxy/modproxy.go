// Package modproxy is a client of the GOPROXY protocol that downloads module
// files into modseal's own cache, never into the user's GOMODCACHE.
//
// # Proxy list
//
// Fetcher.Proxy is read as the go command reads GOPROXY (cmd/go's proxyList
// and TryProxies). Entries are separated by "," or "|" and tried in order:
//
//   - after a ",", the next entry is tried only if the earlier one answered
//     404 Not Found or 410 Gone (for a file:// proxy: the file does not
//     exist);
//   - after a "|", the next entry is tried after any error: a 5xx, a timeout,
//     a refused connection, an answer that is too large or malformed;
//   - "off" ends the list: the module is unavailable, GOPROXY=off forbids
//     downloading it;
//   - "direct" ends the list too: the go command would fetch the module from
//     its version control system, which modseal does not do, so the module is
//     unavailable.
//
// An empty Proxy is the go command's default, "https://proxy.golang.org,direct";
// a list with no entries at all (" , ") is "off". An entry that contains ".",
// ":" or "/" but no ":/" and is not an absolute path gets "https://" in front,
// as the go command does. Proxy URLs may be https://, http:// or file://;
// a trailing slash is ignored. An invalid entry makes every request fail.
//
// When the entries are exhausted the error reported is the go command's
// choice: "off" or "direct" when the list got that far, else the last error
// that was not a not-found, else the last not-found (so errors.Is(err,
// fs.ErrNotExist) tells that no proxy has the module).
//
// A module whose path matches Fetcher.NoProxy (GONOPROXY, which go env
// defaults from GOPRIVATE; module.MatchPrefixPatterns) is private: the go
// command fetches it directly, never through a proxy, so it is unavailable
// here and no request is made for it.
//
// Modules for which the answer is "unavailable" get an *UnavailableError:
// callers report such a module as skipped, with its Reason, rather than
// failing.
//
// # Untrusted answers
//
// Everything a proxy sends is untrusted. Module paths and versions are checked
// with module.Check before any request, and escaped with module.EscapePath and
// module.EscapeVersion in URLs and file names. A zip larger than MaxZipSize is
// refused from its Content-Length and, when that is absent or wrong, while it
// streams to disk; it is never held in memory. A zip must also be a readable
// zip whose every file name starts with "path@version/" (cmd/go checks the
// same before it keeps a download); its hash is for the caller to check. A
// .mod, .info, @latest or list answer is read into memory up to 16 MiB. An
// .info must be JSON naming the version asked for (for @latest, and Stat of a
// non-canonical version: a canonical version valid for the module path). Only
// 200 OK is an answer: any other status is an error that names the URL and
// the status (with the standard status text, not the server's).
//
// Error messages name the URL of the request with its credentials removed:
// the whole user information of a proxy URL (https://user:token@host and
// https://TOKEN@host alike) and any query string show as "xxxxx".
//
// This package is modseal's one reader of GOPROXY: ParseGOPROXY,
// TryProxies and Redact serve the checksum database client too
// (internal/sumdbops), which finds its database through the same walk.
//
// # Downloads
//
// Fetch writes Dir/<escaped path>/@v/<escaped version>.<ext>, the layout of
// the go command's cache/download directory and of a file:// proxy. A
// download goes to a temporary file in that directory and is renamed into
// place only when it is complete and has passed the checks above, so a
// partial or refused download never leaves a file at the final path. A file
// already there is returned without a request. Concurrent downloads of the
// same file are harmless: each writes its own temporary file, and the
// renames replace one complete file by an identical one.
//
// # Timeouts
//
// Every request has its own timeout (Fetcher.Timeout, 30s by default): the
// response headers must arrive within it, and afterwards the body must keep
// arriving, with no gap longer than it. A large zip on a slow link therefore
// succeeds as long as it keeps moving, while a stalled proxy fails (and, after
// a "|", the next one is tried). The context given to each method cancels
// everything, and is never a reason to try the next proxy.
//
// The default HTTP client uses the proxy settings of the environment
// (HTTPS_PROXY and so on), bounds the TLS handshake and the wait for response
// headers, follows at most 10 redirects and, like the go command, refuses a
// redirect from https to a plain-http URL.
package modproxy

import (
	"archive/zip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
	modzip "golang.org/x/mod/zip"
)

// A Fetcher downloads module files through the GOPROXY protocol.
// Its methods may be called concurrently.
type Fetcher struct {
	Proxy      string        // GOPROXY value: URLs separated by "," or "|", plus "direct" and "off"
	NoProxy    string        // GONOPROXY patterns (go env has already defaulted it from GOPRIVATE)
	Dir        string        // download cache root
	Client     *http.Client  // nil: a default client (see the package doc)
	Timeout    time.Duration // per-request timeout (for the headers, then for each read of the body); 0: 30s
	MaxZipSize int64         // 0: golang.org/x/mod/zip.MaxZipFile
}

// DefaultProxy is the go command's GOPROXY when it is not set.
const DefaultProxy = "https://proxy.golang.org,direct"

const (
	defaultTimeout = 30 * time.Second
	// maxMeta bounds a .mod, .info, @latest or @v/list answer. It is the
	// limit golang.org/x/mod/zip puts on a go.mod file inside a zip.
	maxMeta = modzip.MaxGoMod
)

// Info is a .info file / @latest answer.
type Info struct {
	Version string
	Time    time.Time `json:",omitzero"`
	Origin  *Origin   `json:",omitempty"`
}

// An Origin tells where a module version came from, as the go command
// records it in .info files.
type Origin struct {
	VCS    string `json:",omitempty"` // "git" etc.
	URL    string `json:",omitempty"` // URL of the repository
	Subdir string `json:",omitempty"` // subdirectory in the repository
	Hash   string `json:",omitempty"` // commit hash or ID
	Ref    string `json:",omitempty"` // the ref that resolved to Hash, like "refs/tags/v1.2.3"
}

// An UnavailableError says why a module cannot be fetched through a proxy at all;
// callers report the module as skipped with Reason rather than failing.
type UnavailableError struct {
	Module module.Version // Version is empty for Versions and Latest
	Reason string
}

func (e *UnavailableError) Error() string { return e.Module.String() + ": " + e.Reason }

// A RequestError is a request to one proxy that failed: the proxy answered
// with a status other than 200 OK, the request did not complete, or the
// answer was refused (too large, malformed).
type RequestError struct {
	URL        string // the request URL, credentials redacted
	StatusCode int    // the HTTP status (404 for a missing file:// file); 0 if there was no answer
	Err        error
}

func (e *RequestError) Error() string { return "GET " + e.URL + ": " + e.Err.Error() }

func (e *RequestError) Unwrap() error { return e.Err }

// Is reports 404 and 410 answers as fs.ErrNotExist (os.ErrNotExist), as the
// go command does: only those let the next entry after a "," be tried.
func (e *RequestError) Is(target error) bool {
	return target == os.ErrNotExist && isNotFound(e.StatusCode)
}

func isNotFound(code int) bool { return code == http.StatusNotFound || code == http.StatusGone }

// Fetch returns the path of the module file ext ("info", "mod" or "zip") of m in
// f.Dir, downloading it first if it is not there. Layout:
// Dir/<module.EscapePath(path)>/@v/<module.EscapeVersion(version)>.<ext>
//
// The version must be canonical (module.CanonicalVersion). A downloaded .info
// must name m.Version, and a zip must hold only files under "path@version/";
// the zip's hash is not checked here.
func (f *Fetcher) Fetch(ctx context.Context, m module.Version, ext string) (string, error) {
	switch ext {
	case "info", "mod", "zip":
	default:
		return "", fmt.Errorf("%s: unknown module file extension %q (want info, mod or zip)", m, ext)
	}
	if err := checkCanonical(m); err != nil {
		return "", err
	}
	file, err := f.cachePath(m, ext)
	if err != nil {
		return "", err
	}
	if fi, err := os.Lstat(file); err == nil {
		if !fi.Mode().IsRegular() {
			return "", fmt.Errorf("%s: %s exists and is not a regular file", m, file)
		}
		return file, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("%s: %v", m, err)
	}
	escVer, _ := module.EscapeVersion(m.Version) // checked by cachePath
	rel := "@v/" + escVer + "." + ext
	err = f.try(ctx, m, func(p *proxy) error {
		u := p.resolve(m.Path, rel)
		switch ext {
		case "zip":
			return f.download(ctx, u, file, f.maxZipSize(), func(tmp *os.File, size int64) error {
				return checkZipNames(tmp, size, m)
			})
		case "info":
			return f.download(ctx, u, file, maxMeta, func(tmp *os.File, size int64) error {
				data, err := io.ReadAll(io.NewSectionReader(tmp, 0, size))
				if err != nil {
					return err
				}
				_, err = parseInfo(data, m.Path, m.Version)
				return err
			})
		default: // mod
			return f.download(ctx, u, file, maxMeta, nil)
		}
	})
	if err != nil {
		return "", err
	}
	return file, nil
}

// GoMod returns the bytes of the .mod file of m (cached in Dir like Fetch).
func (f *Fetcher) GoMod(ctx context.Context, m module.Version) ([]byte, error) {
	file, err := f.Fetch(ctx, m, "mod")
	if err != nil {
		return nil, err
	}
	data, err := readFileLimit(file, maxMeta)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", m, err)
	}
	return data, nil
}

// Stat returns the .info of m (GET <proxy>/<path>/@v/<version>.info), not cached.
// The version must be valid semver for the path; if it is canonical, the
// answer must name exactly that version.
func (f *Fetcher) Stat(ctx context.Context, m module.Version) (*Info, error) {
	if err := module.Check(m.Path, m.Version); err != nil {
		return nil, moduleErr(m, err)
	}
	escVer, err := module.EscapeVersion(m.Version)
	if err != nil {
		return nil, moduleErr(m, err)
	}
	var info *Info
	err = f.try(ctx, m, func(p *proxy) error {
		u := p.resolve(m.Path, "@v/"+escVer+".info")
		data, err := f.getBytes(ctx, u)
		if err != nil {
			return err
		}
		want := ""
		if m.Version == module.CanonicalVersion(m.Version) {
			want = m.Version
		}
		if info, err = parseInfo(data, m.Path, want); err != nil {
			return &RequestError{URL: redact(u), StatusCode: http.StatusOK, Err: err}
		}
		return nil
	})
	return info, err
}

// Versions returns the @v/list of path: its tagged versions, semver-sorted.
// Lines that are not a canonical semantic version valid for the path (such as
// v2.0.0 for a path without /v2), pseudo-versions and duplicates are dropped,
// as is anything after the first field of a line.
func (f *Fetcher) Versions(ctx context.Context, path string) ([]string, error) {
	m := module.Version{Path: path}
	if err := module.CheckPath(path); err != nil {
		return nil, moduleErr(m, err)
	}
	var list []string
	err := f.try(ctx, m, func(p *proxy) error {
		data, err := f.getBytes(ctx, p.resolve(path, "@v/list"))
		if err != nil {
			return err
		}
		list = parseList(path, data)
		return nil
	})
	return list, err
}

func parseList(path string, data []byte) []string {
	var list []string
	for line := range strings.SplitSeq(string(data), "\n") {
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		v := fields[0]
		if v != module.CanonicalVersion(v) || module.IsPseudoVersion(v) || module.Check(path, v) != nil {
			continue
		}
		list = append(list, v)
	}
	semver.Sort(list)
	return slices.Compact(list)
}

// Latest returns <proxy>/<path>/@latest. The answer must name a version
// valid for the path. A proxy without @latest (a file:// proxy has none, and
// some mirrors answer 404 for every @latest) is asked, as the go command
// asks it (modfetch's proxyRepo.latest), for the newest pseudo-version in its
// @v/list, by the time the list gives or the pseudo-version's own; no
// pseudo-version there either is not found.
func (f *Fetcher) Latest(ctx context.Context, path string) (*Info, error) {
	m := module.Version{Path: path}
	if err := module.CheckPath(path); err != nil {
		return nil, moduleErr(m, err)
	}
	var info *Info
	err := f.try(ctx, m, func(p *proxy) error {
		u := p.resolve(path, "@latest")
		data, err := f.getBytes(ctx, u)
		if errors.Is(err, os.ErrNotExist) {
			list, lerr := f.getBytes(ctx, p.resolve(path, "@v/list"))
			if lerr != nil {
				return lerr
			}
			v := latestPseudo(path, list)
			if v == "" {
				return err
			}
			su := p.resolve(path, "@v/"+escapeOrEmpty(v)+".info")
			if data, err = f.getBytes(ctx, su); err != nil {
				return err
			}
			if info, err = parseInfo(data, path, v); err != nil {
				return &RequestError{URL: redact(su), StatusCode: http.StatusOK, Err: err}
			}
			return nil
		}
		if err != nil {
			return err
		}
		if info, err = parseInfo(data, path, ""); err != nil {
			return &RequestError{URL: redact(u), StatusCode: http.StatusOK, Err: err}
		}
		return nil
	})
	return info, err
}

// latestPseudo returns the newest pseudo-version valid for path in an
// @v/list answer, by the time the line gives (RFC 3339, as some proxies add)
// or else the pseudo-version's own; "" if there is none.
func latestPseudo(path string, list []byte) string {
	var best string
	var bestTime time.Time
	for line := range strings.SplitSeq(string(list), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || !module.IsPseudoVersion(f[0]) || f[0] != module.CanonicalVersion(f[0]) || module.Check(path, f[0]) != nil {
			continue
		}
		t, _ := module.PseudoVersionTime(f[0])
		if len(f) >= 2 {
			if lt, err := time.Parse(time.RFC3339, f[1]); err == nil {
				t = lt
			}
		}
		if bestTime.Before(t) {
			best, bestTime = f[0], t
		}
	}
	return best
}

// escapeOrEmpty escapes a version for a proxy URL ("" if it cannot be).
func escapeOrEmpty(v string) string {
	e, _ := module.EscapeVersion(v)
	return e
}

// parseInfo parses a .info or @latest answer for a module path. If want is
// not empty the answer must name that version; otherwise any version valid
// for the path is accepted.
func parseInfo(data []byte, path, want string) (*Info, error) {
	info := new(Info)
	if err := json.Unmarshal(data, info); err != nil {
		return nil, fmt.Errorf("invalid .info JSON: %v", err)
	}
	switch {
	case want != "" && info.Version != want:
		return nil, fmt.Errorf("proxy returned info for version %q instead of the requested version", info.Version)
	case want == "" && (info.Version != module.CanonicalVersion(info.Version) || module.Check(path, info.Version) != nil):
		return nil, fmt.Errorf("proxy returned info for version %q, not a canonical version of %s", info.Version, path)
	}
	return info, nil
}

// checkCanonical checks m as cmd/go checks the module versions it downloads.
func checkCanonical(m module.Version) error {
	if err := module.Check(m.Path, m.Version); err != nil {
		return moduleErr(m, err)
	}
	if c := module.CanonicalVersion(m.Version); c != m.Version {
		return moduleErr(m, &module.InvalidVersionError{Version: m.Version, Err: fmt.Errorf("not a canonical version (want %s)", c)})
	}
	return nil
}

// moduleErr prefixes err with m, unless module.Check already did.
func moduleErr(m module.Version, err error) error {
	var merr *module.ModuleError
	if errors.As(err, &merr) {
		return err
	}
	return fmt.Errorf("%s: %w", m, err)
}

// cachePath returns the file of m's ext in f.Dir, and checks that it is
// inside f.Dir.
func (f *Fetcher) cachePath(m module.Version, ext string) (string, error) {
	if f.Dir == "" {
		return "", fmt.Errorf("%s: no download directory (modproxy.Fetcher.Dir is empty)", m)
	}
	dir, err := filepath.Abs(f.Dir)
	if err != nil {
		return "", fmt.Errorf("%s: %v", m, err)
	}
	escPath, err := module.EscapePath(m.Path)
	if err != nil {
		return "", moduleErr(m, err)
	}
	escVer, err := module.EscapeVersion(m.Version)
	if err != nil {
		return "", moduleErr(m, err)
	}
	file := filepath.Join(dir, filepath.FromSlash(escPath), "@v", escVer+"."+ext)
	if rel, err := filepath.Rel(dir, file); err != nil || !filepath.IsLocal(rel) {
		return "", fmt.Errorf("%s: cache file %s would be outside %s", m, file, dir)
	}
	return file, nil
}

func (f *Fetcher) maxZipSize() int64 {
	if f.MaxZipSize > 0 {
		return f.MaxZipSize
	}
	return modzip.MaxZipFile
}

// download GETs u into a temporary file next to file, runs check on the
// complete temporary file, and renames it to file.
func (f *Fetcher) download(ctx context.Context, u *url.URL, file string, limit int64, check func(tmp *os.File, size int64) error) (err error) {
	if err := os.MkdirAll(filepath.Dir(file), 0o777); err != nil {
		return err
	}
	tmp, err := createTemp(file)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	size, err := f.get(ctx, u, limit, tmp)
	if err != nil {
		return err
	}
	if check != nil {
		if err := check(tmp, size); err != nil {
			return &RequestError{URL: redact(u), StatusCode: http.StatusOK, Err: err}
		}
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), file); err != nil {
		// A concurrent download of the same file may have won (on systems
		// where a rename cannot replace an open file).
		if fi, serr := os.Lstat(file); serr == nil && fi.Mode().IsRegular() {
			os.Remove(tmp.Name())
			return nil
		}
		return err
	}
	return nil
}

// createTemp creates a new file next to file, named file.tmp-N, with the
// permissions os.Create gives (0666 less the umask), not CreateTemp's 0600.
func createTemp(file string) (*os.File, error) {
	for range 100 {
		name := file + ".tmp-" + strconv.FormatUint(rand.Uint64(), 36)
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o666)
		if !errors.Is(err, os.ErrExist) {
			return f, err
		}
	}
	return nil, fmt.Errorf("cannot create a temporary file next to %s", file)
}

// checkZipNames checks that the downloaded zip is a zip and that every file
// in it is under "path@version/", as cmd/go does before keeping a download.
func checkZipNames(tmp *os.File, size int64, m module.Version) error {
	z, err := zip.NewReader(tmp, size)
	if err != nil {
		return fmt.Errorf("not a valid zip file: %v", err)
	}
	prefix := m.Path + "@" + m.Version + "/"
	for _, zf := range z.File {
		if !strings.HasPrefix(zf.Name, prefix) {
			return fmt.Errorf("zip for %s has unexpected file %q", m, zf.Name)
		}
	}
	return nil
}

// readFileLimit reads file, refusing one larger than limit bytes.
func readFileLimit(file string, limit int64) ([]byte, error) {
	fh, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	data, err := io.ReadAll(io.LimitReader(fh, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s: larger than %d bytes", file, limit)
	}
	return data, nil
}
