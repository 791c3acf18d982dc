package audit

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"io"
	"path/filepath"
	"strings"

	"github.com/modseal/modseal/internal/atomicfile"
	"github.com/modseal/modseal/verify"
)

// zipCache is the verification cache: the h1 hash of every module zip
// already hashed, keyed by the SHA-256 of the zip's raw bytes, one file per
// zip (dir/<2 hex>/<64 hex>.h1). Entries never depend on a file's name,
// size or modification time. It implements verify.Cache.
type zipCache struct {
	dir string
}

var _ verify.Cache = zipCache{}

func (c zipCache) path(key [sha256.Size]byte) string {
	k := hex.EncodeToString(key[:])
	return filepath.Join(c.dir, k[:2], k+".h1")
}

// Get returns the h1 hash recorded for the zip whose bytes hash to key. A
// missing, unreadable or malformed entry is a miss.
func (c zipCache) Get(key [sha256.Size]byte) (string, bool) {
	data, err := verify.ReadFileLimited(c.path(key), 1<<10) // an h1 line
	if err != nil {
		return "", false
	}
	h := strings.TrimSpace(string(data))
	v, ok := strings.CutPrefix(h, "h1:")
	if sum, err := base64.StdEncoding.Strict().DecodeString(v); !ok || len(v) != 44 || err != nil || len(sum) != sha256.Size {
		return "", false
	}
	return h, true
}

// Put records h1 for the zip whose bytes hash to key. The entry is written
// to a temporary file and renamed, so that a reader never sees part of
// one; it is not synced (renameio would sync each): an entry lost in a
// crash is a miss, and the zip is hashed again.
func (c zipCache) Put(key [sha256.Size]byte, h1 string) error {
	return atomicfile.Write(c.path(key), 0o644, false, func(w io.Writer) error {
		_, err := io.WriteString(w, h1+"\n")
		return err
	})
}
