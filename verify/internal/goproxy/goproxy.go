// Package goproxy reads a GOPROXY value as the go command does, and
// redacts the credentials a proxy URL may carry, for every part of modseal
// that walks the proxy list: the module downloads (internal/modproxy) and
// the checksum database client (verify).
//
// # The list
//
// Entries are separated by "," or "|" (cmd/go's proxyList). After a ",",
// the next entry is tried only when the earlier one answered 404 or 410;
// after a "|", after any error. "off" and "direct" end the list (the go
// command ignores what follows them, for forward compatibility). An empty
// value is the go command's default, [Default]; a list with no entries at
// all (" , ") is "off". An entry that contains ".", ":" or "/" but no ":/"
// and is not an absolute path gets "https://" in front, as the go command
// does, so "proxy.example.com" means "https://proxy.example.com". Proxy
// URLs may be https://, http:// or file://.
//
// # Redaction
//
// A proxy URL may carry credentials: https://user:token@host,
// https://TOKEN@host, https://host/?token=T. [Redact] hides the whole user
// information (user name and password alike: the user name is often the
// token) and the whole query string. Every error this package returns
// shows entries redacted.
package goproxy

import (
	"errors"
	"fmt"
	"net/url"
	"path"
	"path/filepath"
	"strings"
)

// Default is the go command's GOPROXY when it is not set.
const Default = "https://proxy.golang.org,direct"

// An Entry is one entry of a GOPROXY list.
type Entry struct {
	URL             *url.URL // nil for "off" and "direct"
	Special         string   // "off" or "direct"; "" for a URL
	FallBackOnError bool     // a "|" follows: try the next entry after any error
}

// String returns the entry as it would be written in GOPROXY, redacted.
func (e Entry) String() string {
	if e.URL == nil {
		return e.Special
	}
	return Redact(e.URL)
}

// Parse reads the GOPROXY value goproxy as the go command's proxyList does.
// The list it returns is never empty; its last entry may be "off" or
// "direct".
func Parse(goproxy string) ([]Entry, error) {
	if goproxy == "" {
		goproxy = Default
	}
	var list []Entry
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
			list = append(list, Entry{Special: entry})
			break
		}
		// Single words are reserved for built-in behaviours; anything with
		// ":/" or an absolute path must be a complete URL; anything else
		// gets an implicit "https://".
		if strings.ContainsAny(entry, ".:/") && !strings.Contains(entry, ":/") && !filepath.IsAbs(entry) && !path.IsAbs(entry) {
			entry = "https://" + entry
		}
		u, err := parseURL(entry)
		if err != nil {
			return nil, err
		}
		list = append(list, Entry{URL: u, FallBackOnError: fallBack})
	}
	if len(list) == 0 {
		list = append(list, Entry{Special: "off"})
	}
	return list, nil
}

func parseURL(s string) (*url.URL, error) {
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

// Redact returns u as a string without credentials: the user information
// (user name and password alike) and the query string show as "xxxxx".
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
