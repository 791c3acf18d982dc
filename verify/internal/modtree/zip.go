// Package modtree reads the files of one module version: a module zip
// (checked with golang.org/x/mod/zip's CheckZip, then read by streaming and
// never extracted) or an extracted directory, as an io/fs.FS; and it
// computes the per-file SHA-256 sums that go.sum's h1 hash is made of.
//
// It is the one reader of module zips in modseal's verify package. It reads
// only the files it is given: it must not use the network, run the go
// command, or write anything. It imports only the standard library and
// golang.org/x/mod.
package modtree

import (
	"archive/zip"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/mod/module"
	modzip "golang.org/x/mod/zip"
)

// ZipModule reads the module path and version from the "path@version/"
// prefix of the first file in a module zip.
func ZipModule(file string) (module.Version, error) {
	z, err := zip.OpenReader(file)
	if err != nil {
		return module.Version{}, fmt.Errorf("%s: %v", file, err)
	}
	defer z.Close()
	if len(z.File) == 0 {
		return module.Version{}, fmt.Errorf("%s: empty zip: a module zip holds at least one file", file)
	}
	name := z.File[0].Name
	at := strings.Index(name, "@")
	if at <= 0 {
		return module.Version{}, fmt.Errorf("%s: %q does not start with path@version/: not a module zip", file, name)
	}
	slash := strings.Index(name[at:], "/")
	if slash < 0 {
		return module.Version{}, fmt.Errorf("%s: %q does not start with path@version/: not a module zip", file, name)
	}
	m := module.Version{Path: name[:at], Version: name[at+1 : at+slash]}
	if err := module.Check(m.Path, m.Version); err != nil {
		return m, fmt.Errorf("%s: %v", file, err)
	}
	return m, nil
}

// An InvalidZipError is a zip that golang.org/x/mod/zip's CheckZip refuses
// as the zip of Module: a path outside "path@version/", duplicate or
// case-colliding names, sizes over the limits.
type InvalidZipError struct {
	File   string
	Module module.Version
	Err    error // CheckZip's error
}

func (e *InvalidZipError) Error() string {
	return fmt.Sprintf("%s: not a valid module zip for %s: %v", e.File, e.Module, e.Err)
}

func (e *InvalidZipError) Unwrap() error { return e.Err }

// A Zip is an open module zip of one module version. As an fs.FS its names
// are relative to the "path@version/" prefix; every file is a regular
// read-only file, as the go command extracts it into the module cache, and
// is inflated as it is read (archive/zip checks its CRC-32 at the end and
// fails a file that inflates past its declared size).
type Zip struct {
	m      module.Version
	prefix string
	r      *zip.ReadCloser

	index sync.Once
	files map[string]*zip.File
	dirs  map[string][]string // directory → sorted names of its entries
}

// OpenZip checks file with CheckZip as the zip of m (an *InvalidZipError if
// it fails) and opens it. The caller closes it.
func OpenZip(file string, m module.Version) (*Zip, error) {
	if _, err := modzip.CheckZip(m, file); err != nil {
		return nil, &InvalidZipError{file, m, err}
	}
	r, err := zip.OpenReader(file)
	if err != nil {
		return nil, err
	}
	return &Zip{m: m, prefix: m.Path + "@" + m.Version + "/", r: r}, nil
}

// Close closes the zip.
func (z *Zip) Close() error { return z.r.Close() }

// Sums returns the SHA-256 of every file of the zip, in the zip's order,
// named as in the zip ("path@version/name"), as the h1 hash names them.
func (z *Zip) Sums() (Sums, error) {
	sums := make(Sums, 0, len(z.r.File))
	for _, f := range z.r.File {
		r, err := f.Open()
		if err != nil {
			return nil, fmt.Errorf("%s: %v", f.Name, err)
		}
		sum, err := readSum(r)
		r.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %v", f.Name, err)
		}
		sums = append(sums, Sum{Name: f.Name, Sum: sum})
	}
	return sums, nil
}

// buildIndex indexes the zip's names under its prefix, once. CheckZip has
// made sure every name has the prefix and none collides.
func (z *Zip) buildIndex() {
	z.index.Do(func() {
		z.files = make(map[string]*zip.File)
		z.dirs = map[string][]string{".": nil}
		children := make(map[string]map[string]bool)
		child := func(parent, base string) {
			if children[parent] == nil {
				children[parent] = make(map[string]bool)
			}
			children[parent][base] = true
		}
		addDir := func(d string) {
			for d != "." {
				parent := path.Dir(d)
				child(parent, path.Base(d))
				if _, ok := z.dirs[d]; ok {
					return
				}
				z.dirs[d] = nil
				d = parent
			}
		}
		for _, zf := range z.r.File {
			name, ok := strings.CutPrefix(zf.Name, z.prefix)
			if !ok || name == "" {
				continue
			}
			if d, ok := strings.CutSuffix(name, "/"); ok {
				addDir(d)
				continue
			}
			z.files[name] = zf
			addDir(path.Dir(name))
			child(path.Dir(name), path.Base(name))
		}
		for d := range z.dirs {
			names := make([]string, 0, len(children[d]))
			for n := range children[d] {
				names = append(names, n)
			}
			slices.Sort(names)
			z.dirs[d] = names
		}
	})
}

func (z *Zip) stat(op, name string) (fs.FileInfo, *zip.File, error) {
	z.buildIndex()
	if zf, ok := z.files[name]; ok {
		return fileInfo{path.Base(name), 0o444, int64(zf.UncompressedSize64)}, zf, nil
	}
	if _, ok := z.dirs[name]; ok {
		return fileInfo{path.Base(name), fs.ModeDir | 0o555, 0}, nil, nil
	}
	return nil, nil, &fs.PathError{Op: op, Path: name, Err: fs.ErrNotExist}
}

// Stat implements fs.StatFS.
func (z *Zip) Stat(name string) (fs.FileInfo, error) {
	fi, _, err := z.stat("stat", name)
	return fi, err
}

// Lstat implements fs.ReadLinkFS: a zip has no links.
func (z *Zip) Lstat(name string) (fs.FileInfo, error) {
	fi, _, err := z.stat("lstat", name)
	return fi, err
}

// ReadLink implements fs.ReadLinkFS: a zip has no links.
func (z *Zip) ReadLink(name string) (string, error) {
	if _, _, err := z.stat("readlink", name); err != nil {
		return "", err
	}
	return "", &fs.PathError{Op: "readlink", Path: name, Err: fs.ErrInvalid}
}

// ReadDir implements fs.ReadDirFS: the entries of a directory, sorted.
func (z *Zip) ReadDir(name string) ([]fs.DirEntry, error) {
	z.buildIndex()
	names, ok := z.dirs[name]
	if !ok {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: fs.ErrNotExist}
	}
	entries := make([]fs.DirEntry, 0, len(names))
	for _, n := range names {
		fi, _, _ := z.stat("readdir", path.Join(name, n))
		entries = append(entries, fs.FileInfoToDirEntry(fi))
	}
	return entries, nil
}

// Open implements fs.FS.
func (z *Zip) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	fi, zf, err := z.stat("open", name)
	if err != nil {
		return nil, err
	}
	if zf == nil {
		entries, err := z.ReadDir(name)
		if err != nil {
			return nil, err
		}
		return &dirFile{fi: fi, entries: entries}, nil
	}
	r, err := zf.Open()
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	return &file{r, fi}, nil
}

type fileInfo struct {
	name string
	mode fs.FileMode
	size int64
}

func (fi fileInfo) Name() string       { return fi.name }
func (fi fileInfo) Size() int64        { return fi.size }
func (fi fileInfo) Mode() fs.FileMode  { return fi.mode }
func (fi fileInfo) ModTime() time.Time { return time.Time{} }
func (fi fileInfo) IsDir() bool        { return fi.mode.IsDir() }
func (fi fileInfo) Sys() any           { return nil }

type file struct {
	io.ReadCloser
	fi fs.FileInfo
}

func (f *file) Stat() (fs.FileInfo, error) { return f.fi, nil }

type dirFile struct {
	fi      fs.FileInfo
	entries []fs.DirEntry
}

func (d *dirFile) Stat() (fs.FileInfo, error) { return d.fi, nil }
func (d *dirFile) Close() error               { return nil }
func (d *dirFile) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: d.fi.Name(), Err: fs.ErrInvalid}
}

func (d *dirFile) ReadDir(n int) ([]fs.DirEntry, error) {
	if n <= 0 {
		e := d.entries
		d.entries = nil
		return e, nil
	}
	if len(d.entries) == 0 {
		return nil, io.EOF
	}
	n = min(n, len(d.entries))
	e := d.entries[:n]
	d.entries = d.entries[n:]
	return e, nil
}
