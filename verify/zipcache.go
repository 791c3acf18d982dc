package verify

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// A ZipCache remembers the h1 hash of module zips, keyed by the SHA-256 of
// the zip's raw bytes. Hashing the raw bytes is far cheaper than inflating
// every file, and exactly as strong: any change to the zip changes the key.
// Entries never depend on a file's name, size or modification time.
type ZipCache struct {
	Dir string // the cache directory; entries are Dir/<2 hex>/<64 hex>.h1
}

func (c *ZipCache) path(raw [sha256.Size]byte) string {
	k := hex.EncodeToString(raw[:])
	return filepath.Join(c.Dir, k[:2], k+".h1")
}

// Get returns the h1 hash recorded for the zip whose bytes hash to raw.
// A missing, unreadable or malformed entry is a miss.
func (c *ZipCache) Get(raw [sha256.Size]byte) (string, bool) {
	if c == nil || c.Dir == "" {
		return "", false
	}
	data, err := ReadFileLimited(c.path(raw), 1<<10) // an h1 line
	if err != nil {
		return "", false
	}
	h := strings.TrimSpace(string(data))
	if !strings.HasPrefix(h, "h1:") || !validH1(h[3:]) {
		return "", false
	}
	return h, true
}

// Put records h1 for the zip whose bytes hash to raw, atomically.
func (c *ZipCache) Put(raw [sha256.Size]byte, h1 string) error {
	if c == nil || c.Dir == "" {
		return nil
	}
	return WriteFileAtomic(c.path(raw), []byte(h1+"\n"))
}

// WriteFileAtomic writes data to name through a temporary file in the same
// directory and a rename, creating the directory if needed: a reader never
// sees a partial file.
func WriteFileAtomic(name string, data []byte) error {
	return writeAtomic(name, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// writeAtomic is WriteFileAtomic with the contents written by write.
func writeAtomic(name string, write func(io.Writer) error) error {
	if err := os.MkdirAll(filepath.Dir(name), 0o777); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), name)
}
