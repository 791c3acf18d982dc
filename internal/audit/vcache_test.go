package audit

import (
	"crypto/sha256"
	"os"
	"path/filepath"
	"testing"
)

// TestZipCache: an entry is read back as written; a missing, malformed or
// non-canonical one is a miss, never a hash to compare with go.sum.
func TestZipCache(t *testing.T) {
	c := zipCache{filepath.Join(t.TempDir(), "verified")}
	key := sha256.Sum256([]byte("zip bytes"))
	if _, ok := c.Get(key); ok {
		t.Fatal("hit in an empty cache")
	}
	const h1 = "h1:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
	if err := c.Put(key, h1); err != nil {
		t.Fatal(err)
	}
	if got, ok := c.Get(key); !ok || got != h1 {
		t.Fatalf("Get = %q, %v; want %q", got, ok, h1)
	}
	if tmp, _ := filepath.Glob(filepath.Join(filepath.Dir(c.path(key)), ".*")); len(tmp) != 0 {
		t.Errorf("temporary files left: %v", tmp)
	}
	for _, bad := range []string{
		"",
		"h1:\n",
		"h2:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n",
		"h1:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFV=\n",   // non-canonical padding bits
		"h1:47DEQpj8HBSa+/TImW+5JCeu\nQeRkm5NMpJWZG3hSuFU=\n", // a newline the decoder would skip
		"h1:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU\n",    // no padding
	} {
		if err := os.WriteFile(c.path(key), []byte(bad), 0o666); err != nil {
			t.Fatal(err)
		}
		if got, ok := c.Get(key); ok {
			t.Errorf("entry %q: a hit, %q", bad, got)
		}
	}
}
