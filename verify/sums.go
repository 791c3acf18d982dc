package verify

import (
	"archive/zip"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/mod/module"
	modzip "golang.org/x/mod/zip"
)

// A FileSum is the SHA-256 of one file of a module, named as the h1 hash
// names it: "path@version/name".
type FileSum struct {
	Name string
	Sum  [sha256.Size]byte
}

// FileSums are the per-file sums an h1 hash is computed from.
type FileSums []FileSum

// H1 returns the h1 hash of the files, as golang.org/x/mod/sumdb/dirhash.Hash1
// computes it: the SHA-256 of the lines "<hex sum>  <name>\n" sorted by
// name, in base64.
func (fs FileSums) H1() (string, error) {
	sorted := slices.Clone(fs)
	slices.SortFunc(sorted, func(a, b FileSum) int { return strings.Compare(a.Name, b.Name) })
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

// A FileDiff names the files two FileSums disagree on, without the
// "path@version/" prefix.
type FileDiff struct {
	Modified, Added, Removed []string
}

// Empty reports whether the diff has no files.
func (d FileDiff) Empty() bool { return len(d.Modified)+len(d.Added)+len(d.Removed) == 0 }

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
func Diff(want, got FileSums, prefix string) FileDiff {
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

// readBufSize is the size of the read buffer file hashing reuses.
const readBufSize = 256 << 10

// NewReadBuffer returns a buffer for DirSums and ZipSums. Reusing one per
// goroutine keeps hashing allocation-free.
func NewReadBuffer() []byte { return make([]byte, readBufSize) }

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
// followed) and reads every file through buf (nil: a new buffer). An entry
// that is not a regular file or a directory is a *NotRegularError.
func DirSums(dir, prefix string, buf []byte) (FileSums, error) {
	if buf == nil {
		buf = NewReadBuffer()
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return nil, &NotRegularError{Dir: dir, Names: []string{". (" + modeName(fi.Mode()) + ")"}}
	}
	var sums FileSums
	var odd []string
	h := sha256.New()
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
				if err := walk(p, r); err != nil {
					return err
				}
				continue
			case !e.Type().IsRegular():
				odd = append(odd, r+" ("+modeName(e.Type())+")")
				continue
			}
			sum, err := fileSum(h, p, buf)
			if err != nil {
				return err
			}
			sums = append(sums, FileSum{Name: prefix + "/" + r, Sum: sum})
		}
		return nil
	}
	if err := walk(dir, ""); err != nil {
		return nil, err
	}
	if len(odd) > 0 {
		return nil, &NotRegularError{Dir: dir, Names: odd}
	}
	return sums, nil
}

// modeName names the type of a file that is neither regular nor a
// directory, for a message.
func modeName(m fs.FileMode) string {
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

// onlyReader hides an *os.File's WriterTo, so io.CopyBuffer uses buf.
type onlyReader struct{ io.Reader }

func fileSum(h hash.Hash, name string, buf []byte) ([sha256.Size]byte, error) {
	var sum [sha256.Size]byte
	f, err := os.Open(name)
	if err != nil {
		return sum, err
	}
	defer f.Close()
	h.Reset()
	if _, err := io.CopyBuffer(h, onlyReader{f}, buf); err != nil {
		return sum, err
	}
	h.Sum(sum[:0])
	return sum, nil
}

// RawSum returns the SHA-256 of a file's bytes, read through buf.
func RawSum(name string, buf []byte) ([sha256.Size]byte, error) {
	if buf == nil {
		buf = NewReadBuffer()
	}
	return fileSum(sha256.New(), name, buf)
}

// ZipSums returns the per-file sums of the module zip file holding m. The
// zip is untrusted: golang.org/x/mod/zip's CheckZip (path traversal,
// duplicate and case-colliding names, declared sizes) runs first, and every
// file is inflated by streaming into SHA-256, never to disk. archive/zip
// fails a file whose data inflates past its declared size, so a zip bomb
// costs bounded time and memory.
func ZipSums(file string, m module.Version, buf []byte) (FileSums, error) {
	if buf == nil {
		buf = NewReadBuffer()
	}
	if _, err := modzip.CheckZip(m, file); err != nil {
		return nil, fmt.Errorf("not a valid module zip: %v", err)
	}
	z, err := zip.OpenReader(file)
	if err != nil {
		return nil, err
	}
	defer z.Close()
	sums := make(FileSums, 0, len(z.File))
	h := sha256.New()
	for _, f := range z.File {
		r, err := f.Open()
		if err != nil {
			return nil, fmt.Errorf("%s: %v", f.Name, err)
		}
		h.Reset()
		_, err = io.CopyBuffer(h, onlyReader{r}, buf)
		r.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %v", f.Name, err)
		}
		var sum [sha256.Size]byte
		h.Sum(sum[:0])
		sums = append(sums, FileSum{Name: f.Name, Sum: sum})
	}
	return sums, nil
}

// ZipHasGoMod reports whether the module zip of m has a go.mod at its root.
func ZipHasGoMod(file string, m module.Version) (bool, error) {
	z, err := zip.OpenReader(file)
	if err != nil {
		return false, err
	}
	defer z.Close()
	want := m.Path + "@" + m.Version + "/go.mod"
	for _, f := range z.File {
		if f.Name == want {
			return true, nil
		}
	}
	return false, nil
}

// GoModSum returns the FileSums of a go.mod file's content, whose H1 is the
// "/go.mod" hash of go.sum.
func GoModSum(data []byte) FileSums {
	return FileSums{{Name: "go.mod", Sum: sha256.Sum256(data)}}
}
