package verify

import (
	"strings"

	"golang.org/x/mod/module"
)

// Settings are the go environment values that decide how much verification
// the go command does (as "go env" reports them).
type Settings struct {
	GOSUMDB, GONOSUMDB, GOPRIVATE, GOINSECURE, GOFLAGS string
}

// publicHosts are code hosts where a pattern covering any owner covers
// other people's modules.
var publicHosts = []string{
	"github.com", "gitlab.com", "bitbucket.org", "golang.org", "google.golang.org",
	"gopkg.in", "go.googlesource.com", "cloud.google.com", "k8s.io", "sigs.k8s.io",
	"go.uber.org", "go.opentelemetry.io", "codeberg.org", "git.sr.ht",
}

// CheckSettings reports insecure-setting for settings that switch module
// verification off or open it wide: GOSUMDB=off, GONOSUMDB or GOPRIVATE
// patterns that cover a public host's every owner (such as "*" or
// "github.com"), any GOINSECURE, and GOFLAGS with -insecure or -mod=mod.
func CheckSettings(s Settings) []Finding {
	var out []Finding
	add := func(format string, args ...any) {
		out = append(out, NewFinding(RuleInsecureSetting, "", 0, format, args...))
	}
	if s.GOSUMDB == "off" {
		add("GOSUMDB=off: the go command checks no module against the checksum database; unset GOSUMDB, and use GONOSUMDB for private modules only")
	}
	for _, v := range []struct{ name, value string }{{"GONOSUMDB", s.GONOSUMDB}, {"GOPRIVATE", s.GOPRIVATE}} {
		if host := coversPublic(v.value); host != "" {
			add("%s=%s covers every module on %s, which are then never checked against the checksum database: list your private module path prefixes only", v.name, v.value, host)
		}
	}
	if s.GOINSECURE != "" {
		add("GOINSECURE=%s: modules matching it may be fetched over plain HTTP and without checksum database verification", s.GOINSECURE)
	}
	for _, f := range strings.Fields(s.GOFLAGS) {
		switch f {
		case "-insecure", "--insecure", "-insecure=true", "--insecure=true":
			add("GOFLAGS has %s: the go command may fetch over plain HTTP and skip verification", f)
		case "-mod=mod", "--mod=mod":
			add("GOFLAGS has %s: the go command may rewrite go.mod and go.sum during builds instead of failing on a mismatch", f)
		}
	}
	return out
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
