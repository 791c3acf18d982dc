package release

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"golang.org/x/mod/module"

	"github.com/modseal/modseal/verify"
)

// A Checker checks release tags of one module against a checksum database.
type Checker struct {
	Top    string // the repository's top-level directory
	Layout Layout
	// DB looks versions up in the checksum database; nil when the lookups
	// are not made, for the reason NoLookup gives (--offline, GOSUMDB=off,
	// GONOSUMDB/GOPRIVATE).
	DB       verify.SumDBLookup
	NoLookup string
	// Origin, if not nil, returns the commit the module proxy's .info says
	// version m was built from, "" if it says nothing (unauthenticated: it
	// only colours a tag-moved message).
	Origin func(ctx context.Context, m module.Version) string
	// File and Line place the findings: the module's go.mod (relative to
	// the checked directory) and its module directive.
	File string
	Line int
}

// Status is what became of one tag.
type Status struct {
	Target
	Hashes  Hashes // when built (a Release)
	Outcome string // "matches", "moved", "unpublished", "invalid", "not looked up"
}

// Result is what Check found.
type Result struct {
	Findings []verify.Finding
	Skipped  []verify.Skipped
	Statuses []Status
	Checked  int // versions built and looked up
	Verified int // of which matched the database
}

// Check builds each Release target and compares its hashes with the
// database's record; an Invalid target is a tag-invalid finding. A
// *verify.SecurityError from the database is returned as is; any other
// lookup failure is an error (the check could not run).
func (c *Checker) Check(ctx context.Context, targets []Target) (*Result, error) {
	res := &Result{}
	var notLooked []string
	for _, t := range targets {
		st := Status{Target: t}
		if t.Kind == Invalid {
			st.Outcome = "invalid"
			f := c.finding(verify.RuleTagInvalid, t, "tag %s (commit %s) is not a valid version of %s: %s",
				t.Name, short(t.Commit), c.Layout.Path, t.Reason)
			res.Findings = append(res.Findings, f)
			res.Statuses = append(res.Statuses, st)
			continue
		}
		h, err := Build(ctx, c.Top, t.Commit, c.Layout.Path, t.Resolved)
		if err != nil {
			return nil, fmt.Errorf("tag %s: %v", t.Name, err)
		}
		st.Hashes = h
		if c.DB == nil {
			st.Outcome = "not looked up"
			notLooked = append(notLooked, t.Version)
			res.Statuses = append(res.Statuses, st)
			continue
		}
		res.Checked++
		m := module.Version{Path: c.Layout.Path, Version: t.Version}
		wantZip, err := c.lookup(m.Path, m.Version)
		if err == nil {
			var wantMod string
			wantMod, err = c.lookup(m.Path, m.Version+"/go.mod")
			if err == nil {
				st.Outcome = c.compare(ctx, res, t, m, h, wantZip, wantMod)
			}
		}
		switch {
		case err == nil:
		case errors.Is(err, fs.ErrNotExist):
			st.Outcome = "unpublished"
			f := c.finding(verify.RuleTagUnpublished, t,
				"tag %s (commit %s): the checksum database has no record of %s yet; the first fetch through the module proxy fixes its content: from then on the tag must never move",
				t.Name, short(t.Commit), m)
			f.Got = h.Zip
			res.Findings = append(res.Findings, f)
		default:
			var se *verify.SecurityError
			if errors.As(err, &se) {
				return nil, se
			}
			return nil, fmt.Errorf("checksum database: looking up %s (tag %s): %v\n"+
				"(the release check needs the checksum database; run with --offline to build the versions without looking them up)", m, t.Name, err)
		}
		res.Statuses = append(res.Statuses, st)
	}
	if len(notLooked) > 0 {
		res.Skipped = append(res.Skipped, verify.Skipped{
			Check:  "sumdb",
			Reason: fmt.Sprintf("%s: %s of %s not looked up in the checksum database: %s", c.NoLookup, plural(len(notLooked), "version"), c.Layout.Path, strings.Join(notLooked, ", ")),
		})
	}
	verify.Sort(res.Findings)
	return res, nil
}

// compare compares the hashes built for t with the database's, adds a
// tag-moved finding if they differ, and returns the outcome.
func (c *Checker) compare(ctx context.Context, res *Result, t Target, m module.Version, h Hashes, wantZip, wantMod string) string {
	zipDiff, modDiff := wantZip != h.Zip, wantMod != h.GoMod
	if !zipDiff && !modDiff {
		res.Verified++
		return "matches"
	}
	var what string
	f := c.finding(verify.RuleTagMoved, t, "")
	switch {
	case zipDiff && modDiff:
		what = fmt.Sprintf("both the module zip and go.mod hash differently (go.mod: database %s, built %s)", wantMod, h.GoMod)
		f.Want, f.Got = wantZip, h.Zip
	case zipDiff:
		what = "the module zip hashes differently (go.mod matches)"
		f.Want, f.Got = wantZip, h.Zip
	default:
		what = "go.mod hashes differently (the module zip matches)"
		f.Want, f.Got = wantMod, h.GoMod
	}
	if t.Synthesised && modDiff {
		what += "; the commit has no go.mod, so the go command uses one that only declares the module path"
	}
	msg := fmt.Sprintf("tag %s names commit %s, but the checksum database recorded other content for %s: %s", t.Name, short(t.Commit), m, what)
	if c.Origin != nil {
		switch o := c.Origin(ctx, m); {
		case o == "":
		case strings.HasPrefix(t.Commit, o) || strings.HasPrefix(o, t.Commit):
			msg += fmt.Sprintf("; the proxy says its copy came from this same commit %s (unauthenticated .info), so the tag was moved back or the files differ in what git archive exports", short(o))
		default:
			msg += fmt.Sprintf("; the proxy says the recorded content came from commit %s (unauthenticated .info: confirm with git)", short(o))
		}
	}
	msg += ". The database's record is permanent: tag the change as a new version; do not move the tag again"
	f.Message = msg
	res.Findings = append(res.Findings, f)
	return "moved"
}

// lookup returns the h1 hash of the database's go.sum line for path at
// version (which may end in /go.mod).
func (c *Checker) lookup(path, version string) (string, error) {
	lines, err := c.DB.Lookup(path, version)
	if err != nil {
		return "", err
	}
	prefix := path + " " + version + " h1:"
	for _, line := range lines {
		if strings.HasPrefix(line, prefix) {
			return strings.TrimSpace(line[len(prefix)-len("h1:"):]), nil
		}
	}
	return "", fmt.Errorf("%s %s: the checksum database's record has no h1 line", path, version)
}

func (c *Checker) finding(rule string, t Target, format string, args ...any) verify.Finding {
	f := verify.NewFinding(rule, c.File, c.Line, format, args...)
	f.Module, f.Version = c.Layout.Path, t.Version
	return f
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
