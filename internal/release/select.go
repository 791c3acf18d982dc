package release

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"golang.org/x/mod/semver"

	"github.com/modseal/modseal/internal/gitrev"
	"github.com/modseal/modseal/internal/gocmd"
)

// A Target is one tag to check and what it is to the module.
type Target struct {
	Tag
	Resolved
}

// Selection says which tags to check.
type Selection struct {
	// Tags are the --tag values: a tag name, or just a version (the tag
	// TagPrefix + version).
	Tags []string
	// All: every release tag of the module.
	All bool
	// PrePush, if not nil, is git's pre-push hook input: the tags being
	// pushed are checked.
	PrePush io.Reader
}

// Select returns the tags sel names that are release tags of the module
// (Release or Invalid), resolved against their commits, in version order.
// With no --tag, --all or pre-push input, it selects the module's release
// tags that name HEAD's commit, or, if none does, the highest release tag.
//
// A --tag that does not exist, or is not a release tag of the module, is an
// error; pushed tags and --all skip the tags of other directories and
// modules quietly.
func (l Layout) Select(ctx context.Context, top string, sel Selection) ([]Target, error) {
	switch {
	case sel.PrePush != nil:
		pushed, err := ParsePrePush(ctx, top, sel.PrePush)
		if err != nil {
			return nil, err
		}
		return l.resolveAll(ctx, top, pushed, false)
	case len(sel.Tags) > 0:
		tags, err := ListTags(ctx, top)
		if err != nil {
			return nil, err
		}
		byName := make(map[string]Tag, len(tags))
		for _, t := range tags {
			byName[t.Name] = t
		}
		var picked []Tag
		seen := map[string]bool{}
		for _, name := range sel.Tags {
			name = strings.TrimPrefix(name, "refs/tags/")
			// A version names the module's tag for it, even where the
			// repository has a tag of that name for the root module.
			t, ok := byName[l.TagPrefix()+name]
			if !ok || strings.HasPrefix(name, l.TagPrefix()) {
				t, ok = byName[name]
			}
			if !ok {
				return nil, fmt.Errorf("no tag %s in the repository (git tag --list shows the tags; the module's release tags are %s)", name, l.Tag("vX.Y.Z"))
			}
			if !seen[t.Name] {
				seen[t.Name] = true
				picked = append(picked, t)
			}
		}
		return l.resolveAll(ctx, top, picked, true)
	}
	tags, err := ListTags(ctx, top)
	if err != nil {
		return nil, err
	}
	if sel.All {
		return l.resolveAll(ctx, top, tags, false)
	}
	head, err := gitrev.Commit(ctx, top, "HEAD")
	if err != nil {
		return nil, err
	}
	var atHead, rest []Tag
	for _, t := range tags {
		if _, ok := l.TagVersion(t.Name); !ok {
			continue
		}
		if t.Commit == head {
			atHead = append(atHead, t)
		} else {
			rest = append(rest, t)
		}
	}
	if found, err := l.resolveAll(ctx, top, atHead, false); err != nil || len(found) > 0 {
		return found, err
	}
	// The highest release tag: resolve from the top down until one is the
	// module's.
	slices.SortFunc(rest, func(a, b Tag) int {
		va, _ := l.TagVersion(a.Name)
		vb, _ := l.TagVersion(b.Name)
		return semver.Compare(vb, va)
	})
	for _, t := range rest {
		found, err := l.resolveAll(ctx, top, []Tag{t}, false)
		if err != nil || len(found) > 0 {
			return found, err
		}
	}
	return nil, nil
}

// resolveAll resolves tags, keeping the module's (Release and Invalid), in
// version order. strict makes any other tag an error.
func (l Layout) resolveAll(ctx context.Context, top string, tags []Tag, strict bool) ([]Target, error) {
	var out []Target
	for _, t := range tags {
		if _, ok := l.TagVersion(t.Name); !ok {
			if strict {
				return nil, fmt.Errorf("tag %s is not a release tag of %s: its release tags are %s, a canonical semantic version (git tags that are not, such as \"latest\" or \"v1.2\", are no module version to the go command)", t.Name, l.Path, l.Tag("vX.Y.Z"))
			}
			continue
		}
		r, err := l.Resolve(t.Name, Reader(ctx, top, t.Commit))
		if err != nil {
			return nil, fmt.Errorf("tag %s: %v", t.Name, err)
		}
		switch r.Kind {
		case Release, Invalid:
			out = append(out, Target{Tag: t, Resolved: r})
		case OtherModule:
			if strict {
				return nil, fmt.Errorf("tag %s is not a release of %s: %s; run release check in that module's directory", t.Name, l.Path, r.Reason)
			}
		}
	}
	slices.SortStableFunc(out, func(a, b Target) int {
		if c := semver.Compare(a.Version, b.Version); c != 0 {
			return c
		}
		return strings.Compare(a.Version, b.Version)
	})
	return out, nil
}

// ParsePrePush reads git's pre-push hook input, one line per ref pushed:
//
//	<local ref> SP <local object name> SP <remote ref> SP <remote object name> LF
//
// and returns the tags pushed: the remote ref's name below refs/tags/ (the
// name the tag will have), with the local object peeled to its commit.
// A deletion (a local object name of zeros) is not returned, nor a tag of
// something other than a commit.
func ParsePrePush(ctx context.Context, top string, r io.Reader) ([]Tag, error) {
	var tags []Tag
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(line) == "" {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 4 {
			return nil, fmt.Errorf("pre-push input: malformed line %q: want \"<local ref> <local sha1> <remote ref> <remote sha1>\"", line)
		}
		local, remote := f[1], f[2]
		name, ok := strings.CutPrefix(remote, "refs/tags/")
		if !ok || name == "" || zeroSHA(local) {
			continue
		}
		commit, err := gitrev.Commit(ctx, top, local)
		if err != nil {
			if _, terr := gocmd.Git(ctx, top, "cat-file", "-t", "--end-of-options", local+"^{}"); terr == nil {
				// A tag of a tree or a blob: no version.
				continue
			}
			return nil, fmt.Errorf("pre-push input: tag %s: %v", name, err)
		}
		tags = append(tags, Tag{Name: name, Commit: commit})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading the pre-push input: %v", err)
	}
	return tags, nil
}
