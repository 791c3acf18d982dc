// Package atomicfile writes files so that a reader never sees one half
// written: through a temporary file in the same directory, renamed over the
// name. modseal writes its caches and the user's report files this way.
package atomicfile

import (
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Write creates or replaces the file name with what write writes, with mode
// perm, creating its directory if need be. With sync the data reaches the
// disk before the rename (for the user's files); caches, which are checked
// whenever they are read and written by the thousand, go without.
func Write(name string, perm fs.FileMode, sync bool, write func(io.Writer) error) (err error) {
	dir := filepath.Dir(name)
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(name)+".tmp*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err := write(f); err != nil {
		return err
	}
	if err := f.Chmod(perm); err != nil {
		return err
	}
	if sync {
		if err := f.Sync(); err != nil {
			return err
		}
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), name)
}
