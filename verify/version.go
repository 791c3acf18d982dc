package verify

import (
	"fmt"
	"regexp"
	"strings"

	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
)

// looksPseudoRE matches the tail of a prerelease that was meant to be a
// pseudo-version: a timestamp-like run of digits and a revision.
var looksPseudoRE = regexp.MustCompile(`(^|[.-])[0-9]{12,16}-[0-9A-Za-z]+$`)

// CheckPseudoVersion checks the syntax of a pseudo-version: its shape
// (vX.0.0-yyyymmddhhmmss-abcdefabcdef, vX.Y.(Z+1)-0.yyyymmddhhmmss-abcdefabcdef
// or vX.Y.Z-pre.0.yyyymmddhhmmss-abcdefabcdef), a real timestamp, a 12-digit
// lower-case hexadecimal revision and a valid base version. A version that
// does not look like a pseudo-version at all is not checked and returns nil.
// The origin half (timestamp and revision against the proxy's .info) needs
// the network and is not done here.
func CheckPseudoVersion(v string) error {
	// What the go command takes for a pseudo-version is always checked;
	// the pattern adds near misses, such as a timestamp a digit short.
	pre := strings.TrimPrefix(semver.Prerelease(v), "-")
	if !module.IsPseudoVersion(v) && (pre == "" || !looksPseudoRE.MatchString(pre)) {
		return nil
	}
	if !module.IsPseudoVersion(v) {
		return fmt.Errorf("want vX.0.0-yyyymmddhhmmss-abcdefabcdef, vX.Y.(Z+1)-0.yyyymmddhhmmss-abcdefabcdef or vX.Y.Z-pre.0.yyyymmddhhmmss-abcdefabcdef")
	}
	if _, err := module.PseudoVersionTime(v); err != nil {
		return err
	}
	rev, err := module.PseudoVersionRev(v)
	if err != nil {
		return err
	}
	if !isShortRev(rev) {
		return fmt.Errorf("revision %q is not 12 lower-case hexadecimal digits, as the go command writes it", rev)
	}
	if _, err := module.PseudoVersionBase(v); err != nil {
		return err
	}
	return nil
}

func isShortRev(rev string) bool {
	if len(rev) != 12 {
		return false
	}
	for i := 0; i < len(rev); i++ {
		c := rev[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// checkPseudo reports a pseudo-version finding for m, or nil.
func checkPseudo(name string, line int, m module.Version) *Finding {
	if err := CheckPseudoVersion(m.Version); err != nil {
		fd := NewFinding(RulePseudoVersion, name, line, "%s: malformed pseudo-version %q: %v", m.Path, m.Version, unwrapVersionErr(err))
		fd.Module, fd.Version = m.Path, m.Version
		return &fd
	}
	return nil
}

// unwrapVersionErr drops the "version ... invalid:" prefix x/mod puts on
// errors about a version the message already names.
func unwrapVersionErr(err error) error {
	if ive, ok := err.(*module.InvalidVersionError); ok {
		return ive.Err
	}
	return err
}
