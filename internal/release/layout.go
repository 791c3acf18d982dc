// Package release checks a module's git release tags against the checksum
// database: for each tag it rebuilds the module zip and go.mod the go
// command would serve for that version from the tagged commit, and compares
// their h1 hashes with the database's record (modseal release check).
//
// How a tag maps to a module version, and which directory and go.mod the
// version is built from, follows cmd/go's modfetch/coderepo.go: codeDir and
// pathMajor (newCodeRepo), the tags a module lists (Versions), the
// "+incompatible" rule (convert, canUseIncompatible), the module's directory
// at a revision (findDir, isMajor) and the go.mod synthesised for a version
// without one (legacyGoMod).
package release

import (
	"fmt"
	"path"
	"strings"

	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
)

// A Layout is where the versions of one module live in its git repository,
// as cmd/go's codeRepo sees them.
type Layout struct {
	// Path is the module path.
	Path string
	// CodeDir is the directory of the repository, slash-separated and ""
	// for the root, whose tags name the module's versions: a tag is
	// CodeDir + "/" + version, or just the version when CodeDir is "".
	// For a module in a major-version subdirectory (example.com/m/v2 in
	// v2/) it is the parent directory, as the go command looks for the
	// module both in CodeDir and in CodeDir/vN.
	CodeDir string
	// PathMajor is the path's major-version suffix ("/v2", ".v2" for
	// gopkg.in), "" for a v0/v1 path (module.SplitPathVersion).
	PathMajor string
	// PathPrefix is Path without PathMajor.
	PathPrefix string
}

// NewLayout returns the layout of the module with path modPath whose go.mod
// is in the directory dir of its repository (slash-separated, relative to
// the repository root; "" or "." for the root).
//
// The go command derives codeDir from the module path and the import path
// of the repository root (codeRoot); here the module's own directory is
// known and codeRoot is not, so the layout is worked out the other way
// round: the module is in dir, unless dir ends in the path's major version
// (example.com/m/v2 in v2/ or sub/v2/), the major-version subdirectory of
// CodeDir = dir's parent. gopkg.in paths carry their major version with a
// dot and always live at the repository root.
func NewLayout(modPath, dir string) (Layout, error) {
	prefix, major, ok := module.SplitPathVersion(modPath)
	if !ok {
		return Layout{}, fmt.Errorf("invalid module path %q", modPath)
	}
	if err := module.CheckPath(modPath); err != nil {
		return Layout{}, err
	}
	dir = strings.Trim(path.Clean("/"+strings.ReplaceAll(dir, "\\", "/")), "/")
	l := Layout{Path: modPath, CodeDir: dir, PathMajor: major, PathPrefix: prefix}
	if strings.HasPrefix(major, "/") && path.Base(dir) == major[1:] {
		// A major-version subdirectory, unless the path itself ends in
		// the directory twice (example.com/m/v2/v2 in v2/).
		if !strings.HasSuffix(prefix, "/"+dir) {
			l.CodeDir = strings.TrimSuffix(strings.TrimSuffix(dir, major[1:]), "/")
		}
	}
	return l, nil
}

// TagPrefix is what every release tag of the module starts with: CodeDir
// and a slash, or "" for a module whose tags are bare versions.
func (l Layout) TagPrefix() string {
	if l.CodeDir == "" {
		return ""
	}
	return l.CodeDir + "/"
}

// TagVersion returns the semantic version a tag names for this module's
// directory: the tag without TagPrefix, when that is a canonical semantic
// version (vX.Y.Z or vX.Y.Z-pre, no build metadata) that is not a
// pseudo-version. Other tags (another directory's, "latest", "v1.2",
// "v1.2.3+meta", "v1.2.3-0.20240101000000-abcdefabcdef") are not release
// tags of the module, as cmd/go's codeRepo.Versions ignores them, and
// TagVersion returns false.
func (l Layout) TagVersion(tag string) (string, bool) {
	p := l.TagPrefix()
	if !strings.HasPrefix(tag, p) {
		return "", false
	}
	v := tag[len(p):]
	if v == "" || semver.Canonical(v) != v || module.IsPseudoVersion(v) {
		return "", false
	}
	if strings.HasPrefix(l.Path, "gopkg.in/") && strings.HasSuffix(l.Path, "-unstable") {
		// cmd/go: gopkg.in/macaroon-bakery.v2-unstable has no tags at all.
		return "", false
	}
	return v, true
}

// Tag returns the tag name of version v of the module: TagPrefix + v.
func (l Layout) Tag(v string) string { return l.TagPrefix() + v }

// sibling is the layout of the module path of the same repository
// directory with major version major ("v0", "v1", "v2", ...): the module
// another major version's tags belong to.
func (l Layout) sibling(major string) Layout {
	s := l
	switch {
	case strings.HasPrefix(l.PathMajor, "."):
		// gopkg.in/yaml.v2 -> gopkg.in/yaml.v3: another repository in
		// gopkg.in's scheme; the dot keeps isMajor's rules.
		s.PathMajor = "." + major
		s.Path = l.PathPrefix + s.PathMajor
	case major == "v0" || major == "v1":
		s.PathMajor = ""
		s.Path = l.PathPrefix
	default:
		s.PathMajor = "/" + major
		s.Path = l.PathPrefix + s.PathMajor
	}
	return s
}
