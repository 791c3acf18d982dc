package release

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
)

// A ReadFunc reads the file name (slash-separated, relative to the
// repository root) as one commit holds it. A file the commit does not have
// is an error that is fs.ErrNotExist.
type ReadFunc func(name string) ([]byte, error)

// Kind says what a tag is to the module.
type Kind int

const (
	// NotRelease: not a release tag of the module's directory at all
	// (another directory's tag, not canonical semver, a pseudo-version).
	NotRelease Kind = iota
	// OtherModule: a version tag of the module's directory that belongs
	// to another module path of the repository (another major version:
	// v1.5.0 while the module is example.com/m/v2, whose go.mod at that
	// commit says example.com/m).
	OtherModule
	// Release: a valid version of the module; Resolved says which, and
	// where the go command builds it from.
	Release
	// Invalid: a tag of the module the go command refuses as a version of
	// its path (tag-invalid); Resolved.Reason says why.
	Invalid
)

// Resolved is what a tag is, as the go command would resolve it for the
// module of a Layout.
type Resolved struct {
	Tag  string
	Kind Kind
	// Version is the module version the tag is, "+incompatible" included
	// (Release and Invalid; for Invalid the version as tagged).
	Version string
	// Dir is the module's directory at the tag's commit, slash-separated,
	// "" for the root (Release): CodeDir, or CodeDir/vN.
	Dir string
	// GoMod is the go.mod the go command serves for the version (Release):
	// Dir's go.mod, or the one it synthesises for a version without one.
	GoMod []byte
	// Synthesised reports that GoMod was synthesised (no go.mod file).
	Synthesised bool
	// Reason says why the tag is Invalid, or whose it is (OtherModule).
	Reason string
}

// Resolve decides what tag is to the module, reading the tagged commit's
// files with read, as cmd/go's codeRepo.Stat and findDir would for the
// module path (convert with a canonical statVers, then checkGoMod):
//
//   - a version whose major matches the path's suffix is a Release when
//     findDir finds the module's go.mod at the commit (or none, at the
//     root of a v0/v1 or gopkg.in module), and Invalid otherwise;
//   - v2 and up of a module at the repository root without a /vN suffix is
//     vX.Y.Z+incompatible when the commit has no go.mod at the root;
//   - another major version is OtherModule when it is a valid version of
//     the repository's module path for that major version (findDir for
//     that path succeeds), Invalid when the directory's go.mod at the
//     commit declares this module's path (the author tagged a major
//     version the path cannot have), OtherModule otherwise.
//
// An error is a file that could not be read for another reason than its
// absence.
func (l Layout) Resolve(tag string, read ReadFunc) (Resolved, error) {
	r := Resolved{Tag: tag}
	v, ok := l.TagVersion(tag)
	if !ok {
		return r, nil
	}
	r.Version = v
	if err := module.CheckPathMajor(v, l.PathMajor); err == nil {
		dir, gomod, err := findDir(l, v, read)
		if err != nil {
			var fe *findError
			if errors.As(err, &fe) {
				r.Kind, r.Reason = Invalid, fe.msg
				return r, nil
			}
			return r, err
		}
		r.Kind, r.Dir = Release, dir
		r.GoMod, r.Synthesised = goModOrLegacy(l, gomod)
		return r, nil
	}

	// The tag's major version is not the path's.
	major := semver.Major(v)
	if l.CodeDir == "" && l.PathMajor == "" {
		// canUseIncompatible: a plain tag, an unversioned path, no go.mod
		// at the root of the commit.
		_, err := read("go.mod")
		switch {
		case errors.Is(err, fs.ErrNotExist):
			iv := v + "+incompatible"
			dir, gomod, err := findDir(l, iv, read)
			if err != nil {
				var fe *findError
				if errors.As(err, &fe) {
					r.Kind, r.Version, r.Reason = Invalid, iv, fe.msg
					return r, nil
				}
				return r, err
			}
			r.Kind, r.Version, r.Dir = Release, iv, dir
			r.GoMod, r.Synthesised = goModOrLegacy(l, gomod)
			return r, nil
		case err != nil:
			return r, err
		}
	}
	sib := l.sibling(major)
	if _, _, err := findDir(sib, v, read); err == nil {
		r.Kind, r.Reason = OtherModule, fmt.Sprintf("%s is a version of %s", v, sib.Path)
		return r, nil
	} else if _, ok := err.(*findError); !ok {
		return r, err
	}
	data, err := read(path.Join(l.CodeDir, "go.mod"))
	switch {
	case err == nil && modfile.ModulePath(data) == l.Path:
		r.Kind = Invalid
		what := "module path"
		if l.PathMajor == "" {
			what = "module path without a major-version suffix"
		}
		r.Reason = fmt.Sprintf("%s at that commit declares the %s %s, which cannot have %s versions (%v)",
			path.Join(l.CodeDir, "go.mod"), what, l.Path, major, module.CheckPathMajor(v, l.PathMajor))
		if l.CodeDir == "" && l.PathMajor == "" {
			r.Reason = fmt.Sprintf("go.mod at that commit declares the module path %s: the module contains a go.mod file, so its major version must be v0 or v1 (a v2 or later release needs the path %s/%s, and +incompatible is only for a commit without go.mod)",
				l.Path, l.Path, major)
		}
		return r, nil
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return r, err
	}
	r.Kind, r.Reason = OtherModule, fmt.Sprintf("%s is not a version of %s (it would be one of %s, which has no go.mod for it at that commit)", v, l.Path, sib.Path)
	return r, nil
}

// goModOrLegacy returns gomod, or the go.mod cmd/go's legacyGoMod
// synthesises for a version without one: just the module path.
func goModOrLegacy(l Layout, gomod []byte) ([]byte, bool) {
	if gomod != nil {
		return gomod, false
	}
	return []byte(fmt.Sprintf("module %s\n", modfile.AutoQuote(l.Path))), true
}

// A findError is findDir's refusal of a version: the go command would not
// serve it.
type findError struct{ msg string }

func (e *findError) Error() string { return e.msg }

func findErrorf(format string, args ...any) error {
	return &findError{fmt.Sprintf(format, args...)}
}

// findDir is cmd/go's codeRepo.findDir for version of the module of l at
// the commit read reads: the module's directory and its go.mod (nil when
// the version may do without one). It assumes the repository root's import
// path is a proper prefix of the module path (codeRoot != modPath) unless
// the path is a gopkg.in path: it also looks in CodeDir/vN.
func findDir(l Layout, version string, read ReadFunc) (dir string, gomod []byte, err error) {
	file1 := path.Join(l.CodeDir, "go.mod")
	gomod1, err1 := read(file1)
	if err1 != nil && !errors.Is(err1, fs.ErrNotExist) {
		return "", nil, fmt.Errorf("reading %s: %v", file1, err1)
	}
	mpath1 := modfile.ModulePath(gomod1)
	found1 := err1 == nil && (isMajor(mpath1, l.PathMajor) || canReplaceMismatchedVersionDueToBug(l, mpath1))

	var file2 string
	if l.PathMajor != "" && !strings.HasPrefix(l.PathMajor, ".") {
		// Either go.mod claims vN and vN/go.mod does not exist, or
		// vN/go.mod exists and claims vN. Not both.
		dir2 := path.Join(l.CodeDir, l.PathMajor[1:])
		file2 = path.Join(dir2, "go.mod")
		gomod2, err2 := read(file2)
		if err2 != nil && !errors.Is(err2, fs.ErrNotExist) {
			return "", nil, fmt.Errorf("reading %s: %v", file2, err2)
		}
		mpath2 := modfile.ModulePath(gomod2)
		found2 := err2 == nil && isMajor(mpath2, l.PathMajor)
		if found1 && found2 {
			return "", nil, findErrorf("%s and %s both have ...%s module paths", file1, file2, l.PathMajor)
		}
		if found2 {
			return dir2, gomod2, nil
		}
		if err2 == nil {
			if mpath2 == "" {
				return "", nil, findErrorf("%s is missing module path", file2)
			}
			return "", nil, findErrorf("%s has non-...%s module path %q", file2, l.PathMajor, mpath2)
		}
	}
	if found1 {
		return l.CodeDir, gomod1, nil
	}
	if err1 == nil {
		suffix := ""
		if file2 != "" {
			suffix = fmt.Sprintf(" (and %s does not exist)", file2)
		}
		if mpath1 == "" {
			return "", nil, findErrorf("%s is missing module path%s", file1, suffix)
		}
		if l.PathMajor != "" {
			return "", nil, findErrorf("%s has non-...%s module path %q%s", file1, l.PathMajor, mpath1, suffix)
		}
		if _, _, ok := module.SplitPathVersion(mpath1); !ok {
			return "", nil, findErrorf("%s has malformed module path %q%s", file1, mpath1, suffix)
		}
		return "", nil, findErrorf("%s has post-%s module path %q%s", file1, semver.Major(version), mpath1, suffix)
	}
	if l.CodeDir == "" && (l.PathMajor == "" || strings.HasPrefix(l.PathMajor, ".")) {
		// An implicit go.mod at the repository root: fine for v0/v1 and
		// for gopkg.in.
		return "", nil, nil
	}
	if file2 != "" {
		return "", nil, findErrorf("missing %s and %s", file1, file2)
	}
	return "", nil, findErrorf("missing %s", file1)
}

// isMajor is cmd/go's: whether the versions allowed for mpath are
// compatible with the major version(s) pathMajor implies.
func isMajor(mpath, pathMajor string) bool {
	if mpath == "" {
		return false
	}
	_, mpathMajor, ok := module.SplitPathVersion(mpath)
	if !ok {
		return false
	}
	if pathMajor == "" {
		switch module.PathMajorPrefix(mpathMajor) {
		case "", "v0", "v1":
			return true
		default:
			return false
		}
	}
	if mpathMajor == "" {
		return false
	}
	return pathMajor[1:] == mpathMajor[1:]
}

// canReplaceMismatchedVersionDueToBug is cmd/go's (golang.org/issue/34254):
// an unversioned path accepts a gopkg.in go.mod.
func canReplaceMismatchedVersionDueToBug(l Layout, mpath string) bool {
	return l.PathMajor == "" && strings.HasPrefix(mpath, "gopkg.in/")
}
