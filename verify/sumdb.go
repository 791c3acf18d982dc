package verify

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

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

// A SumDBLookup looks module versions up in a checksum database, as
// golang.org/x/mod/sumdb's Client does: Lookup returns the database's
// go.sum lines for path at vers (which may end in "/go.mod"). For
// SumDB.Check, a module version the database does not know is an error
// that is fs.ErrNotExist, and a database that misbehaved a
// *SecurityError; any other error means the check could not run.
// (modseal's client, with its cache, is internal/sumdbops.)
type SumDBLookup interface {
	Lookup(path, vers string) ([]string, error)
}
