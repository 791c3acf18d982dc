package gobuild

import (
	"errors"
	"fmt"
	"go/build"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
	"time"

	"golang.org/x/mod/module"
)

// Embedded files: the //go:embed patterns of go/build and their resolution
// as cmd/go/internal/load.ResolveEmbed does it, on a module's file tree.

// EmbedPatterns returns the //go:embed patterns go mod vendor resolves for
// the package in dir of fsys: go/build's ImportDir with UseAllFiles;
// EmbedPatterns, plus the test ones if tests (go mod vendor counts them
// before go 1.22, golang/go#63473). A package without Go files has none;
// other ImportDir errors are ignored (go mod vendor accepts a
// MultiplePackageError and stops on the rest). As in go mod vendor, the
// embeds of cgo files count only if cgo is enabled in this process's
// environment (CGO_ENABLED). The error is an I/O error of fsys.
func EmbedPatterns(fsys fs.FS, dir string, tests bool) ([]string, error) {
	ctx := build.Default
	ctx.GOROOT, ctx.GOPATH = "", ""
	ctx.UseAllFiles = true
	ctx.JoinPath = path.Join
	ctx.SplitPathList = func(string) []string { return nil }
	ctx.IsAbsPath = path.IsAbs
	ctx.HasSubdir = func(string, string) (string, bool) { return "", false }
	ctx.IsDir = func(p string) bool {
		fi, err := fs.Stat(fsys, p)
		return err == nil && fi.IsDir()
	}
	var ioErr error
	ctx.ReadDir = func(p string) ([]fs.FileInfo, error) {
		infos, err := readDir(fsys, p)
		if err != nil {
			ioErr = err
		}
		return infos, err
	}
	ctx.OpenFile = func(p string) (io.ReadCloser, error) {
		r, err := fsys.Open(p)
		if err != nil {
			ioErr = err
		}
		return r, err
	}
	bp, err := ctx.ImportDir(dir, build.IgnoreVendor)
	if ioErr != nil {
		return nil, ioErr
	}
	if err != nil {
		if _, ok := errors.AsType[*build.NoGoError](err); ok {
			return nil, nil
		}
		if bp == nil {
			return nil, nil
		}
	}
	if !tests {
		return bp.EmbedPatterns, nil
	}
	var all []string
	all = append(all, bp.EmbedPatterns...)
	all = append(all, bp.TestEmbedPatterns...)
	all = append(all, bp.XTestEmbedPatterns...)
	return all, nil
}

// readDir returns the entries of dir in fsys, sorted by name, as
// os.ReadDir and Lstat give them (an entry whose Lstat fails has only its
// type).
func readDir(fsys fs.FS, dir string) ([]fs.FileInfo, error) {
	des, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, err
	}
	infos := make([]fs.FileInfo, len(des))
	for i, d := range des {
		fi, err := d.Info()
		if err != nil {
			fi = typeInfo{d}
		}
		infos[i] = fi
	}
	return infos, nil
}

// typeInfo is the FileInfo of a directory entry that only has its type.
type typeInfo struct{ d fs.DirEntry }

func (fi typeInfo) Name() string       { return fi.d.Name() }
func (fi typeInfo) Size() int64        { return 0 }
func (fi typeInfo) Mode() fs.FileMode  { return fi.d.Type() }
func (fi typeInfo) ModTime() time.Time { return time.Time{} }
func (fi typeInfo) IsDir() bool        { return fi.d.IsDir() }
func (fi typeInfo) Sys() any           { return nil }

// ResolveEmbed is load.ResolveEmbed on fsys: the files (relative to
// pkgdir, sorted) that the patterns embed. It fails where the go command
// fails; embedfollowsymlinks is taken at its default (off).
func ResolveEmbed(fsys fs.FS, pkgdir string, patterns []string) ([]string, error) {
	have := make(map[string]int)
	dirOK := make(map[string]bool)
	pid := 0
	relOf := func(p string) string {
		if pkgdir == "." {
			return p
		}
		return strings.TrimPrefix(p, pkgdir+"/")
	}
	for _, pattern := range patterns {
		pid++
		glob, all := strings.CutPrefix(pattern, "all:")
		if _, err := path.Match(glob, ""); err != nil || glob == "." || !fs.ValidPath(glob) {
			return nil, fmt.Errorf("pattern %s: invalid pattern syntax", pattern)
		}
		full := glob
		if pkgdir != "." {
			full = quoteGlob(pkgdir) + "/" + glob
		}
		match, err := fsGlob(fsys, full)
		if err != nil {
			return nil, err
		}
		n := 0
		for _, file := range match {
			rel := relOf(file)
			what := "file"
			fi, err := fs.Lstat(fsys, file)
			if err != nil {
				return nil, err
			}
			mode := fi.Mode()
			if mode.IsDir() {
				what = "directory"
			}
			for d := file; d != pkgdir && d != "." && !dirOK[d]; d = path.Dir(d) {
				if _, err := fs.Stat(fsys, path.Join(d, "go.mod")); err == nil {
					return nil, fmt.Errorf("cannot embed %s %s: in different module", what, rel)
				}
				if d != file {
					if fi, err := fs.Lstat(fsys, d); err == nil && !fi.IsDir() {
						return nil, fmt.Errorf("cannot embed %s %s: in non-directory %s", what, rel, relOf(d))
					}
				}
				dirOK[d] = true
				if elem := path.Base(d); badEmbedName(elem) {
					return nil, fmt.Errorf("cannot embed %s %s: invalid name %s", what, rel, elem)
				}
			}
			switch {
			case mode.IsRegular():
				if have[rel] != pid {
					have[rel] = pid
					n++
				}
			case mode.IsDir():
				count := 0
				err := walk(fsys, file, mode, func(p string, m fs.FileMode) error {
					rel := relOf(p)
					name := path.Base(p)
					if p != file && (badEmbedName(name) || ((name[0] == '.' || name[0] == '_') && !all)) {
						if m.IsDir() {
							return fs.SkipDir
						}
						if name[0] == '.' || name[0] == '_' {
							return nil
						}
						return fmt.Errorf("cannot embed file %s: invalid name %s", rel, name)
					}
					if m.IsDir() {
						if _, err := fs.Stat(fsys, path.Join(p, "go.mod")); err == nil {
							return fs.SkipDir
						}
						return nil
					}
					if !m.IsRegular() {
						return nil
					}
					count++
					if have[rel] != pid {
						have[rel] = pid
						n++
					}
					return nil
				})
				if err != nil {
					return nil, err
				}
				if count == 0 {
					return nil, fmt.Errorf("cannot embed directory %s: contains no embeddable files", rel)
				}
			default:
				return nil, fmt.Errorf("cannot embed irregular file %s", rel)
			}
		}
		if n == 0 {
			return nil, fmt.Errorf("pattern %s: no matching files found", pattern)
		}
	}
	files := make([]string, 0, len(have))
	for f := range have {
		files = append(files, f)
	}
	slices.Sort(files)
	return files, nil
}

// badEmbedName is load.isBadEmbedName.
func badEmbedName(name string) bool {
	if err := module.CheckFilePath(name); err != nil {
		return true
	}
	switch name {
	case "", ".bzr", ".hg", ".git", ".svn":
		return true
	}
	return false
}

// walk is fs.WalkDir with Lstat modes: root first, then each directory's
// entries in lexical order.
func walk(fsys fs.FS, root string, mode fs.FileMode, fn func(string, fs.FileMode) error) error {
	err := fn(root, mode)
	if err != nil || !mode.IsDir() {
		if err == fs.SkipDir && mode.IsDir() {
			return nil
		}
		return err
	}
	entries, err := readDir(fsys, root)
	if err != nil {
		return err
	}
	for _, e := range entries {
		p := path.Join(root, e.Name())
		if e.IsDir() {
			if err := walk(fsys, p, e.Mode(), fn); err != nil {
				return err
			}
			continue
		}
		if err := fn(p, e.Mode()); err != nil {
			if err == fs.SkipDir {
				return nil
			}
			return err
		}
	}
	return nil
}

// quoteGlob escapes the glob metacharacters of s (str.QuoteGlob).
func quoteGlob(s string) string {
	var b strings.Builder
	for _, c := range s {
		if strings.ContainsRune(`*?[\`, c) {
			b.WriteByte('\\')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func hasMeta(p string) bool { return strings.ContainsAny(p, `*?[\`) }

// fsGlob is cmd/go's fsys.Glob on a tree: an existing name without
// metacharacters matches itself (Lstat); otherwise directories are listed
// and their names matched in sorted order, I/O errors ignored.
func fsGlob(fsys fs.FS, pattern string) ([]string, error) {
	if _, err := path.Match(pattern, ""); err != nil {
		return nil, err
	}
	if !hasMeta(pattern) {
		if _, err := fs.Lstat(fsys, pattern); err != nil {
			return nil, nil
		}
		return []string{pattern}, nil
	}
	dir, file := path.Split(pattern)
	if dir == "" {
		dir = "."
	} else {
		dir = dir[:len(dir)-1]
	}
	if !hasMeta(dir) {
		return globDir(fsys, dir, file, nil)
	}
	if dir == pattern {
		return nil, path.ErrBadPattern
	}
	dirs, err := fsGlob(fsys, dir)
	if err != nil {
		return nil, err
	}
	var matches []string
	for _, d := range dirs {
		if matches, err = globDir(fsys, d, file, matches); err != nil {
			return matches, err
		}
	}
	return matches, nil
}

func globDir(fsys fs.FS, dir, pattern string, matches []string) ([]string, error) {
	if fi, err := fs.Stat(fsys, dir); err != nil || !fi.IsDir() {
		return matches, nil
	}
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return matches, nil
	}
	for _, e := range entries { // sorted by name
		ok, err := path.Match(pattern, e.Name())
		if err != nil {
			return matches, err
		}
		if ok {
			matches = append(matches, path.Join(dir, e.Name()))
		}
	}
	return matches, nil
}
