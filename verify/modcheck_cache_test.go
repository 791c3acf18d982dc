package verify

import (
	"crypto/sha256"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/module"
	modzip "golang.org/x/mod/zip"
)

// memCache is a Cache in memory that counts its hits.
type memCache struct {
	mu   sync.Mutex
	m    map[[sha256.Size]byte]string
	hits int
}

func (c *memCache) Get(key [sha256.Size]byte) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	h, ok := c.m[key]
	if ok {
		c.hits++
	}
	return h, ok
}

func (c *memCache) Put(key [sha256.Size]byte, h1 string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[[sha256.Size]byte]string)
	}
	c.m[key] = h1
	return nil
}

// statCacheModule writes a module's extracted directory and zip and
// returns the check of both against their true hash.
func statCacheModule(t *testing.T) ModuleCheck {
	t.Helper()
	m := module.Version{Path: "example.com/stat", Version: "v1.0.0"}
	dir := filepath.Join(t.TempDir(), "example.com", "stat@v1.0.0")
	for name, content := range map[string]string{"go.mod": "module example.com/stat\n", "a.go": "package stat\n", "sub/b.go": "package sub\n"} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o777); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o666); err != nil {
			t.Fatal(err)
		}
	}
	zipFile := filepath.Join(t.TempDir(), "v1.0.0.zip")
	f, err := os.Create(zipFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := modzip.CreateFromDir(f, m, dir); err != nil {
		t.Fatal(err)
	}
	f.Close()
	_, h1, err := HashZip(zipFile)
	if err != nil {
		t.Fatal(err)
	}
	return ModuleCheck{Module: m, Zip: &SumLine{Line: 1, Path: m.Path, Version: m.Version, Hash: h1}, ZipSum: "go.sum", ZipFile: zipFile, Dir: dir}
}

// rewriteSameStat replaces the bytes of file with other bytes of the same
// length and puts its mode and modification time back: only the change
// time (and what the bytes hash to) tells.
func rewriteSameStat(t *testing.T, file string, edit func([]byte) []byte) {
	t.Helper()
	fi, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(file, 0o666)
	if err := os.WriteFile(file, edit(data), 0o666); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(file, fi.Mode()); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(file, fi.ModTime(), fi.ModTime()); err != nil {
		t.Fatal(err)
	}
	if fi2, err := os.Stat(file); err != nil || fi2.Size() != fi.Size() || !fi2.ModTime().Equal(fi.ModTime()) || fi2.Mode() != fi.Mode() {
		t.Fatalf("%s: size, mode or modification time not restored", file)
	}
}

// TestCheckModuleStatCache: a re-run answers from the metadata keys
// without reading the files, and a file rewritten in place with the same
// size and modification time is still caught (its change time moved).
func TestCheckModuleStatCache(t *testing.T) {
	if runtime.GOOS != "linux" && runtime.GOOS != "darwin" {
		t.Skip("metadata keys are read on Linux and macOS only")
	}
	defer func(f func() time.Time) { now = f }(now)
	now = func() time.Time { return time.Now().Add(time.Hour) } // nothing is racy
	c := statCacheModule(t)
	cache := &memCache{}
	if res, err := CheckModule(c, cache); err != nil || !res.Verified {
		t.Fatalf("first check: %v %v", err, res.Findings)
	}
	if len(cache.m) != 3 {
		t.Fatalf("cache holds %d entries after the first check, want 3 (zip bytes, zip metadata, directory metadata)", len(cache.m))
	}
	cache.hits = 0
	if res, err := CheckModule(c, cache); err != nil || !res.Verified {
		t.Fatalf("second check: %v %v", err, res.Findings)
	}
	if cache.hits != 2 {
		t.Fatalf("second check: %d cache hits, want 2 (the zip's and the directory's metadata)", cache.hits)
	}

	// A file of the extracted directory rewritten: same size, same mtime.
	rewriteSameStat(t, filepath.Join(c.Dir, "a.go"), func(b []byte) []byte { return []byte(strings.Replace(string(b), "stat", "evil", 1)) })
	res, err := CheckModule(c, cache)
	if err != nil || len(res.Findings) != 1 || res.Findings[0].Rule != RuleCacheTampered {
		t.Fatalf("after rewriting a.go: %v %+v", err, res.Findings)
	}
	if !strings.Contains(res.Findings[0].Message, "a.go") {
		t.Errorf("the finding does not name the file: %s", res.Findings[0].Message)
	}
	// Remembered or not, the tampered directory is reported every run.
	if res, err := CheckModule(c, cache); err != nil || len(res.Findings) != 1 || !strings.Contains(res.Findings[0].Message, "a.go") {
		t.Fatalf("re-run after rewriting a.go: %v %+v", err, res.Findings)
	}

	// The zip rewritten the same way.
	c = statCacheModule(t)
	if res, err := CheckModule(c, cache); err != nil || !res.Verified {
		t.Fatalf("fresh module: %v %v", err, res.Findings)
	}
	rewriteSameStat(t, c.ZipFile, func(b []byte) []byte {
		// The first byte of a.go's compressed data, after its name in
		// its local file header.
		i := strings.Index(string(b), "example.com/stat@v1.0.0/a.go")
		if i < 0 {
			t.Fatal("a.go is not in the zip")
		}
		b[i+len("example.com/stat@v1.0.0/a.go")] ^= 0xff
		return b
	})
	res, err = CheckModule(c, cache)
	if err != nil || len(res.Findings) == 0 || res.Findings[0].Rule != RuleHashMismatch {
		t.Fatalf("after rewriting the zip: %v %+v", err, res.Findings)
	}
}

// TestCheckModuleStatCacheRacy: what changed in the last seconds is not
// remembered by its metadata.
func TestCheckModuleStatCacheRacy(t *testing.T) {
	if runtime.GOOS != "linux" && runtime.GOOS != "darwin" {
		t.Skip("metadata keys are read on Linux and macOS only")
	}
	c := statCacheModule(t)
	cache := &memCache{}
	if res, err := CheckModule(c, cache); err != nil || !res.Verified {
		t.Fatalf("check: %v %v", err, res.Findings)
	}
	if len(cache.m) != 1 {
		t.Fatalf("cache holds %d entries, want 1 (only the zip bytes' key: the files were just written)", len(cache.m))
	}
}
