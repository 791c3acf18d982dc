package modtree

import (
	"crypto/sha256"
	"encoding/binary"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// A StatKey identifies the exact state of a file or directory tree by its
// metadata alone, without reading it: for every file its name, size,
// modification and change times (nanoseconds), inode and device. Any write
// to a file changes its change time (ctime), which no unprivileged process
// can set back (utimes sets mtime and atime only), and a file renamed over
// another has another inode and ctime: so for as long as the key stays the
// same, so do the bytes. It is what git's index does to avoid rehashing a
// work tree, and it has git's racy case: a file written again within the
// timestamp granularity of a key computed just before would keep its key.
// Fresh reports that case: a key whose newest time is under a few seconds
// old must not be remembered.
//
// Where modseal reads no change time or inode (other than Linux and
// macOS), there is no key: FileStatKey and DirStatKey return ok false, and
// callers hash the bytes.
type StatKey struct {
	Sum    [sha256.Size]byte
	Newest time.Time // the newest modification or change time in the key
}

// racyWindow is how old the newest time in a key must be for the key to
// be remembered: comfortably above any file system's timestamp granularity
// (FAT's 2 s; ext4, xfs, btrfs and tmpfs have nanoseconds).
const racyWindow = 3 * time.Second

// Fresh reports whether a file in the key changed so recently that the key
// must not be remembered (see StatKey).
func (k StatKey) Fresh(now time.Time) bool { return now.Sub(k.Newest) < racyWindow }

// keyWriter builds a StatKey.
type keyWriter struct {
	buf    []byte
	newest time.Time
}

// meta is what a StatKey records of one file.
type meta struct {
	mode         fs.FileMode
	size         int64
	mtime, ctime int64 // nanoseconds since 1970
	ino, dev     uint64
}

func (w *keyWriter) add(name string, fi fs.FileInfo) bool {
	m, ok := metaOf(fi)
	if ok {
		w.addMeta(name, m)
	}
	return ok
}

func (w *keyWriter) addMeta(name string, m meta) {
	w.buf = binary.AppendUvarint(w.buf, uint64(len(name)))
	w.buf = append(w.buf, name...)
	w.buf = binary.AppendUvarint(w.buf, uint64(m.mode))
	w.buf = binary.AppendVarint(w.buf, m.size)
	w.buf = binary.AppendVarint(w.buf, m.mtime)
	w.buf = binary.AppendVarint(w.buf, m.ctime)
	w.buf = binary.AppendUvarint(w.buf, m.ino)
	w.buf = binary.AppendUvarint(w.buf, m.dev)
	for _, t := range []int64{m.mtime, m.ctime} {
		if t := time.Unix(0, t); t.After(w.newest) {
			w.newest = t
		}
	}
}

func (w *keyWriter) key(kind string) StatKey {
	return StatKey{Sum: sha256.Sum256(append([]byte(kind+"\x00"), w.buf...)), Newest: w.newest}
}

// FileStatKey returns the StatKey of the regular file name (links are
// followed, as the hash of its bytes would).
func FileStatKey(name string) (StatKey, bool, error) {
	fi, err := os.Stat(name)
	if err != nil {
		return StatKey{}, false, err
	}
	var w keyWriter
	if !fi.Mode().IsRegular() {
		return StatKey{}, false, nil
	}
	abs, err := filepath.Abs(name)
	if err != nil {
		return StatKey{}, false, err
	}
	if !w.add(abs, fi) {
		return StatKey{}, false, nil
	}
	return w.key("file"), true, nil
}

// DirStatKey returns the StatKey of the directory tree dir: its path, and
// every entry below it (each one lstat'ed; links are not followed), named
// "/" and its slash path relative to dir, in the order DirSumsKey reads
// them. A tree holding anything but regular files and directories has no
// key (ok false): DirSums then says what it holds.
func DirStatKey(dir string) (StatKey, bool, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return StatKey{}, false, err
	}
	fi, err := os.Lstat(abs)
	if err != nil {
		return StatKey{}, false, err
	}
	if !fi.IsDir() {
		return StatKey{}, false, nil
	}
	var w keyWriter
	if !w.add(abs, fi) {
		return StatKey{}, false, nil
	}
	ok := true
	var walk func(osDir, rel string) error
	walk = func(osDir, rel string) error {
		ents, err := os.ReadDir(osDir)
		if err != nil {
			return err
		}
		for _, e := range ents {
			if !e.IsDir() && !e.Type().IsRegular() {
				ok = false
				return nil
			}
			info, err := e.Info()
			if err != nil {
				return err
			}
			r := rel + "/" + e.Name()
			if !w.add(r, info) {
				ok = false
				return nil
			}
			if e.IsDir() {
				if err := walk(filepath.Join(osDir, e.Name()), r); err != nil || !ok {
					return err
				}
			}
		}
		return nil
	}
	if err := walk(abs, ""); err != nil {
		return StatKey{}, false, err
	}
	if !ok {
		return StatKey{}, false, nil
	}
	return w.key("dir"), true, nil
}
