package modproxy

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"path"
	"path/filepath"
	"strings"
)

// A ProxyEntry is one entry of a GOPROXY list.
type ProxyEntry struct {
	URL             *url.URL // nil for "off" and "direct"
	Special         string   // "off" or "direct"; "" for a URL
	FallBackOnError bool     // a "|" follows: try the next entry after any error
}

// String returns the entry as it would be written in GOPROXY, redacted.
func (e ProxyEntry) String() string {
	if e.URL == nil {
		return e.Special
	}
	return Redact(e.URL)
}

// ParseGOPROXY reads a GOPROXY value as cmd/go's proxyList does (see the
// package doc). The list it returns is never empty; its last entry may be
// "off" or "direct". Errors show the entries redacted.
func ParseGOPROXY(goproxy string) ([]ProxyEntry, error) {
	if goproxy == "" {
		goproxy = DefaultProxy
	}
	var list []ProxyEntry
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
			list = append(list, ProxyEntry{Special: entry})
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
		list = append(list, ProxyEntry{URL: u, FallBackOnError: fallBack})
	}
	if len(list) == 0 {
		list = append(list, ProxyEntry{Special: "off"})
	}
	return list, nil
}

func parseProxyURL(s string) (*url.URL, error) {
	shown := RedactString(s)
	u, err := url.Parse(s)
	if err != nil {
		// The parse error may quote part of the credentials: say why
		// only when there can be none.
		var uerr *url.Error
		if !strings.ContainsAny(s, "@?") && errors.As(err, &uerr) {
			return nil, fmt.Errorf("GOPROXY: invalid proxy URL %s: %v", shown, uerr.Err)
		}
		return nil, fmt.Errorf("GOPROXY: invalid proxy URL %s", shown)
	}
	shown = Redact(u)
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

// TryProxies calls try with each proxy of list in turn, as cmd/go's
// TryProxies does, and returns ("", nil) as soon as try returns nil. After
// an entry followed by ",", the next one is tried only when try's error is
// a proxy's not-found (a *RequestError with status 404 or 410); after a
// "|", after any error. "off" and "direct" end the list: the walk returns
// which it reached as end, with err the most helpful error try returned
// before (nil if none). Otherwise err is that error: the last one that is
// not a not-found, else the last not-found. An error while ctx is done
// ends the walk with that error: cancelling is not a reason to try the
// next proxy.
func TryProxies(ctx context.Context, list []ProxyEntry, try func(ProxyEntry) error) (end string, err error) {
	var best error
	bestNotFound := true
	for _, p := range list {
		if p.Special != "" {
			return p.Special, best
		}
		err := try(p)
		if err == nil {
			return "", nil
		}
		if ctx.Err() != nil {
			return "", err
		}
		notFound := isNotFoundErr(err)
		if !notFound || bestNotFound {
			best, bestNotFound = err, notFound
		}
		if !notFound && !p.FallBackOnError {
			break
		}
	}
	return "", best
}

// Redact returns u as a string without credentials: the user information
// (user name and password alike: the user name is often the token), the
// query string and the fragment show as "xxxxx".
func Redact(u *url.URL) string {
	if u.User == nil && u.RawQuery == "" && u.Fragment == "" {
		return u.String()
	}
	c := *u
	if c.User != nil {
		c.User = url.User("xxxxx")
	}
	if c.RawQuery != "" || c.ForceQuery {
		c.RawQuery, c.ForceQuery = "xxxxx", false
	}
	if c.Fragment != "" {
		c.Fragment, c.RawFragment = "xxxxx", ""
	}
	return c.String()
}

// RedactString is Redact for a URL given as a string. One that does not
// parse is redacted by guess: the user information ends at the last "@"
// (a password may hold an unescaped "/" or "#"), the query starts at the
// first "?" or "#".
func RedactString(s string) string {
	if u, err := url.Parse(s); err == nil {
		return Redact(u)
	}
	rest := s
	prefix := ""
	if i := strings.Index(s, "://"); i >= 0 {
		prefix, rest = s[:i+3], s[i+3:]
	}
	if i := strings.LastIndex(rest, "@"); i >= 0 {
		rest = "xxxxx" + rest[i:]
	}
	if i := strings.IndexAny(rest, "?#"); i >= 0 {
		rest = rest[:i+1] + "xxxxx"
	}
	return prefix + rest
}
