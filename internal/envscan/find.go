package envscan

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Bounds of Find: it reads no file larger than MaxFileSize, lists at most
// MaxEntries directory entries and returns at most MaxFiles files.
const (
	MaxFileSize = 1 << 20
	MaxEntries  = 100_000
	MaxFiles    = 1_000
)

// skipDirs are directories below the audited one that hold no settings of
// its build: version control, vendored and test copies, node modules.
var skipDirs = []string{".git", "vendor", "testdata", "node_modules"}

// A Tree is where Find looks: the audited directory and its repository.
type Tree struct {
	Dir string // the audited directory, absolute, symbolic links resolved
	// Top is the git top level holding Dir (absolute, links resolved), or
	// "" when there is none: then Dir stands for it.
	Top string
	// Modules are directories below Dir with a go.mod of their own that
	// are part of the audit (a workspace's modules): walked, not skipped.
	Modules []string
}

// A File is a file that may set the go command's environment.
type File struct {
	Path string // absolute
	Rel  string // slash path relative to Tree.Dir (../ for files above it)
	Kind Kind
}

// Find returns the files that may set the go command's environment for
// t.Dir: below Dir, the files KindOf knows, except in directories skipDirs
// names, hidden ones but .github, and those with a go.mod of their own (a
// module audited on its own) not in t.Modules; directly in each directory
// from Dir's parent up to the top level, the same kinds; and the top
// level's .github/workflows/*.yml and *.yaml. It follows no symbolic link
// that leaves the top level, and skips files larger than MaxFileSize.
// complete is false when a bound stopped it early.
func Find(t Tree) (files []File, complete bool) {
	root := t.Top
	if root == "" {
		root = t.Dir
	}
	if _, ok := under(root, t.Dir); !ok {
		root = t.Dir
	}
	seen := make(map[string]bool)
	entries := 0
	complete = true
	add := func(p string, d fs.DirEntry, kind Kind) bool {
		if len(files) >= MaxFiles {
			complete = false
			return false
		}
		real, ok := regularInside(root, p, d)
		if !ok || seen[real] {
			return true
		}
		seen[real] = true
		rel, err := filepath.Rel(t.Dir, p)
		if err != nil {
			return true
		}
		files = append(files, File{Path: p, Rel: filepath.ToSlash(rel), Kind: kind})
		return true
	}
	filepath.WalkDir(t.Dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if d != nil && d.IsDir() && p != t.Dir {
				return fs.SkipDir
			}
			return nil
		}
		entries++
		if entries > MaxEntries {
			complete = false
			return fs.SkipAll
		}
		if d.IsDir() {
			if p == t.Dir {
				return nil
			}
			name := d.Name()
			if slices.Contains(skipDirs, name) || strings.HasPrefix(name, ".") && name != ".github" {
				return fs.SkipDir
			}
			if _, err := os.Lstat(filepath.Join(p, "go.mod")); err == nil && !slices.Contains(t.Modules, p) {
				return fs.SkipDir
			}
			return nil
		}
		if k := KindOf(d.Name()); k != None && !add(p, d, k) {
			return fs.SkipAll
		}
		return nil
	})
	if complete && root != t.Dir {
		for dir := filepath.Dir(t.Dir); ; dir = filepath.Dir(dir) {
			if _, ok := under(root, dir); !ok {
				break
			}
			ds, _ := os.ReadDir(dir)
			for _, d := range ds {
				if k := KindOf(d.Name()); k != None && !d.IsDir() {
					add(filepath.Join(dir, d.Name()), d, k)
				}
			}
			if dir == root || filepath.Dir(dir) == dir {
				break
			}
		}
	}
	wf := filepath.Join(root, ".github", "workflows")
	ds, _ := os.ReadDir(wf)
	for _, d := range ds {
		if n := d.Name(); !d.IsDir() && (strings.HasSuffix(n, ".yml") || strings.HasSuffix(n, ".yaml")) {
			add(filepath.Join(wf, n), d, Workflow)
		}
	}
	return files, complete
}

// under returns p relative to root, and whether p is root or below it.
func under(root, p string) (string, bool) {
	rel, err := filepath.Rel(root, p)
	if err != nil || rel != "." && !filepath.IsLocal(rel) {
		return "", false
	}
	return rel, true
}

// regularInside returns the real path of p, and whether it is a regular
// file of at most MaxFileSize bytes inside root (a symbolic link is
// followed only to a file inside root).
func regularInside(root, p string, d fs.DirEntry) (string, bool) {
	real := p
	if d.Type()&fs.ModeSymlink != 0 {
		r, err := filepath.EvalSymlinks(p)
		if err != nil {
			return "", false
		}
		if _, ok := under(root, r); !ok {
			return "", false
		}
		real = r
	}
	fi, err := os.Stat(real)
	if err != nil || !fi.Mode().IsRegular() || fi.Size() > MaxFileSize {
		return "", false
	}
	return real, true
}
