package modtree

import (
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkDirSumsModCache hashes every extracted module directory of the
// module cache MODTREE_BENCH_MODCACHE (skipped when unset): the cold cost
// of the cache-tampered check. -bench DirSumsModCache/keyed reads with
// readRegular and builds the StatKey; /plain with os.Open, no key.
func BenchmarkDirSumsModCache(b *testing.B) {
	root := os.Getenv("MODTREE_BENCH_MODCACHE")
	if root == "" {
		b.Skip("MODTREE_BENCH_MODCACHE is not set")
	}
	var dirs []string
	filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return nil
		}
		if filepath.Base(p) == "cache" && filepath.Dir(p) == root {
			return filepath.SkipDir
		}
		if i := len(filepath.Base(p)); i > 0 && containsAt(filepath.Base(p)) {
			dirs = append(dirs, p)
			return filepath.SkipDir
		}
		return nil
	})
	b.Logf("%d module directories", len(dirs))
	b.Run("keyed", func(b *testing.B) {
		for b.Loop() {
			for _, d := range dirs {
				if _, _, _, err := DirSumsKey(d, "m"); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("plain", func(b *testing.B) {
		for b.Loop() {
			for _, d := range dirs {
				if _, err := plainDirSums(d); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}

func containsAt(s string) bool {
	for i := range len(s) {
		if s[i] == '@' {
			return true
		}
	}
	return false
}

// plainDirSums is DirSums as it was: os.Open and readSum per file.
func plainDirSums(dir string) (Sums, error) {
	var sums Sums
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		sum, err := FileSum(p)
		sums = append(sums, Sum{Name: p, Sum: sum})
		return err
	})
	return sums, err
}
