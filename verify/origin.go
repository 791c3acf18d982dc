package verify

import (
	"fmt"
	"strings"
	"time"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
)

// An AuthorNotice is what the latest go.mod of a module says about it.
type AuthorNotice struct {
	Latest     string // the version whose go.mod was read
	Retracted  []*modfile.Retract
	Deprecated string // the module directive's "Deprecated:" notice
}

// ParseAuthorNotice reads the retract directives and the deprecation notice
// of the go.mod of a module's latest version (parsed leniently, as the go
// command parses a dependency's go.mod).
func ParseAuthorNotice(latest string, gomod []byte) (*AuthorNotice, error) {
	f, err := modfile.ParseLax("go.mod", gomod, nil)
	if err != nil {
		return nil, err
	}
	n := &AuthorNotice{Latest: latest, Retracted: f.Retract}
	if f.Module != nil {
		n.Deprecated = f.Module.Deprecated
	}
	return n, nil
}

// RetractedBy returns every retract directive covering v, in file order
// (an author may retract a version alone and again in a range, with two
// rationales); none if v is not retracted.
func (n *AuthorNotice) RetractedBy(v string) []*modfile.Retract {
	var rs []*modfile.Retract
	for _, r := range n.Retracted {
		if semver.Compare(r.Low, v) <= 0 && semver.Compare(v, r.High) <= 0 {
			rs = append(rs, r)
		}
	}
	return rs
}

// CheckPseudoOrigin compares a pseudo-version with what the proxy's .info
// says of it: the timestamp must be the commit time (UTC, to the second) and
// the revision must be a prefix of the commit hash, when the proxy reports
// the origin. v that is not a pseudo-version is not checked.
func CheckPseudoOrigin(v string, infoTime time.Time, originHash string) error {
	if !module.IsPseudoVersion(v) {
		return nil
	}
	t, err := module.PseudoVersionTime(v)
	if err != nil {
		return err
	}
	if !infoTime.IsZero() && !t.Equal(infoTime.UTC().Truncate(time.Second)) {
		return fmt.Errorf("its timestamp %s is not the commit time %s the proxy reports",
			t.Format("20060102150405"), infoTime.UTC().Format("20060102150405"))
	}
	rev, err := module.PseudoVersionRev(v)
	if err != nil {
		return err
	}
	if originHash != "" && !strings.HasPrefix(originHash, rev) {
		return fmt.Errorf("its revision %s is not the commit %s the proxy reports", rev, originHash)
	}
	return nil
}
