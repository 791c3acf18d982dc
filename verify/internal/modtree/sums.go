package modtree

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
)

// A Sum is the SHA-256 of one file of a module, named as the h1 hash names
// it: "path@version/name".
type Sum struct {
	Name string
	Sum  [sha256.Size]byte
}

// Sums are the per-file sums an h1 hash is computed from.
type Sums []Sum

// H1 returns the h1 hash of the files, as golang.org/x/mod/sumdb/dirhash.Hash1
// computes it: the SHA-256 of the lines "<hex sum>  <name>\n" sorted by
// name, in base64.
func (s Sums) H1() (string, error) {
	sorted := slices.Clone(s)
	slices.SortFunc(sorted, func(a, b Sum) int { return strings.Compare(a.Name, b.Name) })
	h := sha256.New()
	var line []byte
	for _, f := range sorted {
		if strings.Contains(f.Name, "\n") {
			return "", errors.New("dirhash: filenames with newlines are not supported")
		}
		line = fmt.Appendf(line[:0], "%x  %s\n", f.Sum, f.Name)
		h.Write(line)
	}
	return "h1:" + base64.StdEncoding.EncodeToString(h.Sum(nil)), nil
}

// GoModSums returns the Sums of a go.mod file's content, whose H1 is the
// "/go.mod" hash of go.sum.
func GoModSums(data []byte) Sums {
	return Sums{{Name: "go.mod", Sum: sha256.Sum256(data)}}
}

// A FileDiff names the files two Sums disagree on, without the
// "path@version/" prefix.
type FileDiff struct {
	Modified, Added, Removed []string
}

func (d FileDiff) String() string {
	var parts []string
	add := func(what string, names []string) {
		if len(names) == 0 {
			return
		}
		const most = 5
		s := strings.Join(names[:min(len(names), most)], ", ")
		if len(names) > most {
			s += fmt.Sprintf(" and %d more", len(names)-most)
		}
		parts = append(parts, what+" "+s)
	}
	add("modified", d.Modified)
	add("added", d.Added)
	add("removed", d.Removed)
	return strings.Join(parts, "; ")
}

// Diff returns the files got has that differ from want, that got adds, and
// that got lacks. prefix ("path@version/") is trimmed from the names.
func Diff(want, got Sums, prefix string) FileDiff {
	w := make(map[string][sha256.Size]byte, len(want))
	for _, f := range want {
		w[f.Name] = f.Sum
	}
	var d FileDiff
	for _, f := range got {
		sum, ok := w[f.Name]
		switch {
		case !ok:
			d.Added = append(d.Added, strings.TrimPrefix(f.Name, prefix))
		case sum != f.Sum:
			d.Modified = append(d.Modified, strings.TrimPrefix(f.Name, prefix))
		}
		delete(w, f.Name)
	}
	for name := range w {
		d.Removed = append(d.Removed, strings.TrimPrefix(name, prefix))
	}
	slices.Sort(d.Modified)
	slices.Sort(d.Added)
	slices.Sort(d.Removed)
	return d
}

// A NotRegularError reports entries of an extracted module directory that
// are neither regular files nor directories: links, FIFOs, devices,
// sockets. A module zip can never produce them, so a directory holding one
// was altered; they are named, never followed or read (a FIFO would block,
// a link to /dev/zero would never end).
type NotRegularError struct {
	Dir   string
	Names []string // slash paths relative to Dir ("." for Dir itself), with their kind
}

func (e *NotRegularError) Error() string {
	return fmt.Sprintf("%s holds what no module zip can: %s", e.Dir, strings.Join(e.Names, ", "))
}

// DirSums returns the per-file sums of the extracted module directory dir,
// with names prefix+"/"+relative path, as dirhash.HashDir names them. It
// walks with directory entries (no per-file lstat, and links are not
// followed). An entry that is not a regular file or a directory is a
// *NotRegularError.
func DirSums(dir, prefix string) (Sums, error) {
	sums, _, _, err := DirSumsKey(dir, prefix)
	return sums, err
}

// DirSumsKey is DirSums, and the StatKey of the tree that DirStatKey
// would compute for it, taken as it is read (each file fstat'ed once
// opened, see readRegular), so no second walk of the tree is needed; ok
// is false where the platform gives no keys. A file written while it is
// read has another key afterwards, so the key, once remembered, matches
// only the bytes hashed (or is too fresh to remember: StatKey.Fresh,
// which the caller asks after the read).
func DirSumsKey(dir, prefix string) (sums Sums, key StatKey, ok bool, err error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, StatKey{}, false, err
	}
	fi, err := os.Lstat(abs)
	if err != nil {
		return nil, StatKey{}, false, err
	}
	if !fi.IsDir() {
		return nil, StatKey{}, false, &NotRegularError{Dir: dir, Names: []string{". (" + ModeName(fi.Mode()) + ")"}}
	}
	var w keyWriter
	ok = w.add(abs, fi)
	var odd []string
	var walk func(osDir, rel string) error
	walk = func(osDir, rel string) error {
		ents, err := os.ReadDir(osDir)
		if err != nil {
			return err
		}
		for _, e := range ents {
			p := filepath.Join(osDir, e.Name())
			r := path.Join(rel, e.Name())
			switch {
			case e.IsDir():
				if ok {
					info, err := e.Info()
					if err != nil {
						return err
					}
					ok = w.add("/"+r, info)
				}
				if err := walk(p, r); err != nil {
					return err
				}
				continue
			case !e.Type().IsRegular():
				odd = append(odd, r+" ("+ModeName(e.Type())+")")
				continue
			}
			sum, m, keyed, err := readRegular(p)
			if err != nil {
				return err
			}
			if ok = ok && keyed; ok {
				w.addMeta("/"+r, m)
			}
			sums = append(sums, Sum{Name: prefix + "/" + r, Sum: sum})
		}
		return nil
	}
	if err := walk(abs, ""); err != nil {
		return nil, StatKey{}, false, err
	}
	if len(odd) > 0 {
		return nil, StatKey{}, false, &NotRegularError{Dir: dir, Names: odd}
	}
	if !ok {
		return sums, StatKey{}, false, nil
	}
	return sums, w.key("dir"), true, nil
}

// ModeName names the type of a file that is neither regular nor a
// directory, for a message.
func ModeName(m fs.FileMode) string {
	switch {
	case m&fs.ModeSymlink != 0:
		return "symbolic link"
	case m&fs.ModeNamedPipe != 0:
		return "named pipe"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeDevice != 0:
		return "device"
	}
	return "irregular file"
}

// readBufSize is the size of the read buffers file hashing reuses.
const readBufSize = 256 << 10

// bufPool holds the read buffers file hashing reuses, so that hashing
// thousands of files allocates next to nothing.
var bufPool = sync.Pool{New: func() any { b := make([]byte, readBufSize); return &b }}

// onlyReader hides an *os.File's WriterTo, so io.CopyBuffer uses the buffer.
type onlyReader struct{ io.Reader }

// readSum returns the SHA-256 of what r holds.
func readSum(r io.Reader) ([sha256.Size]byte, error) {
	var sum [sha256.Size]byte
	buf := bufPool.Get().(*[]byte)
	defer bufPool.Put(buf)
	h := sha256.New()
	if _, err := io.CopyBuffer(h, onlyReader{r}, *buf); err != nil {
		return sum, err
	}
	h.Sum(sum[:0])
	return sum, nil
}

// FileSum returns the SHA-256 of a file's bytes.
func FileSum(name string) ([sha256.Size]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return [sha256.Size]byte{}, err
	}
	defer f.Close()
	return readSum(f)
}

// SHA256 returns "sha256:" and the hex SHA-256 of the file name in fsys.
func SHA256(fsys fs.FS, name string) (string, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	sum, err := readSum(f)
	if err != nil {
		return "", err
	}
	return "sha256:" + hex.EncodeToString(sum[:]), nil
}
