package verify

import (
	"slices"
	"strings"

	"golang.org/x/mod/module"
)

// Settings are go command settings by variable name (GOSUMDB, GOFLAGS,
// ...): the environment as "go env" reports it, or the one variable a line
// of a file assigns. Names the go command does not know may be included:
// those that look like a verification setting are reported.
type Settings map[string]string

// publicHosts are code hosts where a pattern covering any owner covers
// other people's modules.
var publicHosts = []string{
	"github.com", "gitlab.com", "bitbucket.org", "golang.org", "google.golang.org",
	"gopkg.in", "go.googlesource.com", "cloud.google.com", "k8s.io", "sigs.k8s.io",
	"go.uber.org", "go.opentelemetry.io", "codeberg.org", "git.sr.ht",
}

// settingOrder is the order in which CheckSettings judges the settings it
// knows; other names follow, sorted.
var settingOrder = []string{"GOSUMDB", "GONOSUMDB", "GOPRIVATE", "GOINSECURE", "GOFLAGS", "GOPROXY"}

// CheckSettings reports insecure-setting for settings that switch module
// verification off or open it wide: GOSUMDB=off; GONOSUMDB or GOPRIVATE
// patterns that cover a public host's every owner (such as "*" or
// "github.com"); any GOINSECURE; GOFLAGS with -insecure or -mod=mod; a
// GOPROXY that fetches from version control first (direct); and a GO
// variable the go command does not know whose name looks like a
// verification setting (GONOSUMCHECK, GO_NOSUMDB, GOSUMDB_OFF), which does
// nothing. The findings carry no file: the caller places them.
func CheckSettings(s Settings) []Finding {
	var out []Finding
	add := func(format string, args ...any) {
		out = append(out, NewFinding(RuleInsecureSetting, "", 0, format, args...))
	}
	names := make([]string, 0, len(s))
	for name := range s {
		if !slices.Contains(settingOrder, name) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	names = append(slices.Clone(settingOrder), names...)
	for _, name := range names {
		v, ok := s[name]
		if !ok {
			continue
		}
		switch name {
		case "GOSUMDB":
			if v == "off" {
				add("GOSUMDB=off: the go command checks no module against the checksum database; unset GOSUMDB, and use GONOSUMDB for private modules only")
			}
		case "GONOSUMDB", "GOPRIVATE":
			if host := coversPublic(v); host != "" {
				add("%s=%s covers every module on %s, which are then never checked against the checksum database: list your private module path prefixes only", name, v, host)
			}
		case "GOINSECURE":
			if strings.TrimSpace(v) != "" {
				add("GOINSECURE=%s: modules matching it may be fetched from their origin over plain HTTP or without checking HTTPS certificates, so anyone on the network path can substitute them; only go.sum and the checksum database then catch it", v)
			}
		case "GOFLAGS":
			for _, f := range strings.Fields(v) {
				switch f {
				case "-insecure", "--insecure", "-insecure=true", "--insecure=true":
					add("GOFLAGS has %s: older go commands (go get -insecure) fetch over plain HTTP and skip checksum verification with it, current ones ignore it: remove it", f)
				case "-mod=mod", "--mod=mod":
					add("GOFLAGS has %s: the go command may rewrite go.mod and go.sum during builds instead of failing on a mismatch", f)
				}
			}
		case "GOPROXY":
			if directFirst(v) {
				add("GOPROXY=%s: every module is fetched from its origin version control repository, not a module proxy; a moved tag or a compromised repository is then caught only by go.sum and the checksum database, and for modules GONOSUMDB or GOPRIVATE cover not at all: put a proxy first (GOPROXY=https://proxy.golang.org,direct)", v)
			}
		default:
			if meant := lookAlike(name); meant != "" {
				add("%s does nothing: the go command has no such variable (the setting is %s)", name, meant)
			}
		}
	}
	return out
}

// directFirst reports whether the GOPROXY list v fetches every module from
// version control: its first entry is "direct".
func directFirst(v string) bool {
	first, _, _ := strings.Cut(v, ",")
	first, _, _ = strings.Cut(first, "|")
	return strings.TrimSpace(first) == "direct"
}

// verificationSettings are the settings a look-alike name can mean.
var verificationSettings = []string{"GOSUMDB", "GONOSUMDB", "GOPROXY", "GONOPROXY", "GOPRIVATE", "GOINSECURE"}

// formerNames were meant for a verification setting but the go command
// never read them: names from the checksum database's design drafts and
// from posts about it.
var formerNames = map[string]string{
	"GONOVERIFY": "GONOSUMDB", "GONOSUMCHECK": "GONOSUMDB", "GONOSUMVERIFY": "GONOSUMDB",
	"GONOCHECKSUM": "GONOSUMDB", "GOSUMCHECK": "GOSUMDB", "GOCHECKSUM": "GOSUMDB",
	"GOVERIFY": "GOSUMDB", "GONOSUMDBCHECK": "GONOSUMDB",
}

// offSuffixes end names that try to switch a setting off (GOSUMDB_OFF).
var offSuffixes = []string{"OFF", "DISABLE", "DISABLED", "SKIP", "NONE", "FALSE", "IGNORE", "NO", "0"}

// lookAlike returns the verification setting that a GO variable the go
// command does not know was meant to be, or "". Names of other tools'
// variables (GOTESTSUM_JSONFILE, GOPROXY_URL) must not fire, so it is
// narrow: a known former name (GONOSUMCHECK, GONOVERIFY), a setting's name
// with underscores put in (GO_NOSUMDB, GONO_PROXY), a setting's name with
// a suffix that tries to switch it off (GOSUMDB_OFF, GOINSECURE_SKIP), or
// a setting's name misspelled by one letter (GOSUMBD, GONOSUMDDB).
func lookAlike(name string) string {
	if !strings.HasPrefix(name, "GO") || slices.Contains(verificationSettings, name) {
		return ""
	}
	if meant, ok := formerNames[name]; ok {
		return meant
	}
	squeezed := strings.ReplaceAll(name, "_", "")
	for _, real := range verificationSettings {
		if squeezed == real {
			return real
		}
		if suffix, ok := strings.CutPrefix(name, real+"_"); ok && slices.Contains(offSuffixes, suffix) {
			return real
		}
	}
	for _, real := range verificationSettings {
		if oneEdit(squeezed, real) {
			return real
		}
	}
	return ""
}

// oneEdit reports whether a and b differ by exactly one inserted, deleted
// or replaced byte, or two adjacent bytes swapped.
func oneEdit(a, b string) bool {
	if a == b {
		return false
	}
	if len(a) == len(b) {
		var diff []int
		for i := range len(a) {
			if a[i] != b[i] {
				diff = append(diff, i)
			}
		}
		return len(diff) == 1 || len(diff) == 2 && diff[1] == diff[0]+1 && a[diff[0]] == b[diff[1]] && a[diff[1]] == b[diff[0]]
	}
	if len(a) < len(b) {
		a, b = b, a
	}
	if len(a) != len(b)+1 {
		return false
	}
	for i := range len(b) {
		if a[i] != b[i] {
			return a[i+1:] == b[i:]
		}
	}
	return true
}

// coversPublic returns a public host whose every owner the comma-separated
// glob patterns cover, or "".
func coversPublic(patterns string) string {
	if strings.TrimSpace(patterns) == "" {
		return ""
	}
	for _, h := range publicHosts {
		if module.MatchPrefixPatterns(patterns, h+"/modseal-probe-owner/repo") {
			return h
		}
	}
	return ""
}
