package sumdbops

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func packFiles(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*"+packExt))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestPackStoreRoundTrip(t *testing.T) {
	dir := t.TempDir()
	s := newPackStore(dir)
	if _, ok := s.get("db/tile/8/0/000"); ok {
		t.Fatal("empty store has an entry")
	}
	tile := bytes.Repeat([]byte{7}, 8192)
	s.put("db/tile/8/0/000", tile)
	s.put("db/lookup/example.com/a@v1.0.0", []byte("1\nexample.com/a v1.0.0 h1:x\n"))
	s.put("db/empty", nil) // never cached: an empty file counts as missing
	if got, ok := s.get("db/tile/8/0/000"); !ok || !bytes.Equal(got, tile) {
		t.Fatal("pending entry not readable before flush")
	}
	if n := len(packFiles(t, dir)); n != 0 {
		t.Fatalf("%d packs before flush", n)
	}
	if err := s.flush(); err != nil {
		t.Fatal(err)
	}
	if n := len(packFiles(t, dir)); n != 1 {
		t.Fatalf("%d packs after flush, want 1", n)
	}
	// Still usable after a flush, and a flush with nothing new writes nothing.
	if got, ok := s.get("db/tile/8/0/000"); !ok || !bytes.Equal(got, tile) {
		t.Fatal("entry lost by flush")
	}
	if err := s.flush(); err != nil {
		t.Fatal(err)
	}

	if err := s.close(); err != nil {
		t.Fatal(err)
	}

	// A new store (the next run) reads it; a store that reads nothing
	// (fresh) does not.
	s2 := newPackStore(dir)
	if got, ok := s2.get("db/lookup/example.com/a@v1.0.0"); !ok || string(got) != "1\nexample.com/a v1.0.0 h1:x\n" {
		t.Fatalf("next run: %q %v", got, ok)
	}
	if _, ok := s2.get("db/empty"); ok {
		t.Error("an empty entry was cached")
	}
	s3 := newPackStore(dir)
	s3.fresh = true
	if _, ok := s3.get("db/tile/8/0/000"); ok {
		t.Error("a fresh store read a pack")
	}
	// After remove, the packs s2 read are gone.
	s2.remove()
	if n := len(packFiles(t, dir)); n != 0 {
		t.Errorf("%d packs after remove", n)
	}
}

// TestPackStoreConcurrent: reads go on while a flush merges packs (run
// with -race).
func TestPackStoreConcurrent(t *testing.T) {
	dir := t.TempDir()
	for i := range maxPacks {
		s := newPackStore(dir)
		s.put(fmt.Sprintf("db/e%d", i), []byte(fmt.Sprint("entry ", i)))
		if err := s.close(); err != nil {
			t.Fatal(err)
		}
	}
	s := newPackStore(dir)
	s.put("db/new", []byte("new"))
	done := make(chan bool)
	go func() {
		defer close(done)
		for range 200 {
			for i := range maxPacks {
				if got, ok := s.get(fmt.Sprintf("db/e%d", i)); !ok || string(got) != fmt.Sprint("entry ", i) {
					t.Errorf("e%d during the merge: %q %v", i, got, ok)
					return
				}
			}
		}
	}()
	if err := s.flush(); err != nil { // maxPacks+1 packs: a merge
		t.Fatal(err)
	}
	<-done
	if n := len(packFiles(t, dir)); n != 1 {
		t.Errorf("%d packs after the merge, want 1", n)
	}
}

// TestPackStoreMerge: runs add packs; more than maxPacks are merged into
// one that keeps every entry.
func TestPackStoreMerge(t *testing.T) {
	dir := t.TempDir()
	for i := range maxPacks + 1 {
		s := newPackStore(dir)
		s.put(fmt.Sprintf("db/lookup/m%d", i), []byte(fmt.Sprint("record ", i)))
		if err := s.flush(); err != nil {
			t.Fatal(err)
		}
		want := i + 1
		if want > maxPacks {
			want = 1
		}
		if n := len(packFiles(t, dir)); n != want {
			t.Fatalf("after run %d: %d packs, want %d", i, n, want)
		}
	}
	s := newPackStore(dir)
	for i := range maxPacks + 1 {
		if got, ok := s.get(fmt.Sprintf("db/lookup/m%d", i)); !ok || string(got) != fmt.Sprint("record ", i) {
			t.Errorf("m%d after the merge: %q %v", i, got, ok)
		}
	}
}

// TestPackStoreBadPacks: a pack that does not parse (cut short, garbage,
// an index pointing outside the data) is ignored, not trusted and not an
// error; the good packs next to it still count.
func TestPackStoreBadPacks(t *testing.T) {
	dir := t.TempDir()
	s := newPackStore(dir)
	s.put("db/good", []byte("good data"))
	if err := s.flush(); err != nil {
		t.Fatal(err)
	}
	good, err := os.ReadFile(packFiles(t, dir)[0])
	if err != nil {
		t.Fatal(err)
	}
	bad := map[string][]byte{
		"truncated": good[:len(good)-5],
		"garbage":   []byte("not a pack at all\n"),
		"empty":     nil,
		// db/evil runs past the data; the whole pack is refused, so
		// db/fine, which is well placed, is not served either.
		"outside": []byte(packHeader + "abc" + "21 3 db/fine\n21 999 db/evil\n" + fmt.Sprintf("index %d %d\n", len(packHeader)+3, len("21 3 db/fine\n21 999 db/evil\n"))),
		"header":  []byte(strings.Replace(string(good), "pack 1", "pack 9", 1)),
	}
	for name, data := range bad {
		if err := os.WriteFile(filepath.Join(dir, "0-"+name+packExt), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s2 := newPackStore(dir)
	if got, ok := s2.get("db/good"); !ok || string(got) != "good data" {
		t.Errorf("good entry: %q %v", got, ok)
	}
	for _, name := range []string{"db/evil", "db/fine"} {
		if got, ok := s2.get(name); ok {
			t.Errorf("entry %s of a malformed pack served: %q", name, got)
		}
	}
}

// TestCheckSumDBOnePack: a cold check writes its tiles and records as one
// pack, and the warm check that reads it makes no request (TestCheckSumDB)
// and writes nothing.
func TestCheckSumDBOnePack(t *testing.T) {
	skey, vkey := testKey(t)
	db := newTestDB(t, skey, vkey, goodHashes())
	cache := t.TempDir()
	sums := parseSum(t, sumA+sumAm+sumB+sumBm)
	for run := range 2 {
		if _, err := newClient(db, cache).Check(t.Context(), sums, "", 4); err != nil {
			t.Fatal(err)
		}
		packs := packFiles(t, filepath.Join(cache, "cache"))
		if len(packs) != 1 {
			t.Fatalf("run %d: packs %v, want one", run, packs)
		}
		ents, err := os.ReadDir(filepath.Join(cache, "cache"))
		if err != nil {
			t.Fatal(err)
		}
		if len(ents) != 1 {
			t.Errorf("run %d: cache holds %d files, want only the pack", run, len(ents))
		}
	}
}

func FuzzReadPackIndex(f *testing.F) {
	dir := f.TempDir()
	s := newPackStore(dir)
	s.put("db/a", []byte("aaa"))
	s.put("db/tile/8/0/000", []byte("bbbb"))
	if err := s.flush(); err != nil {
		f.Fatal(err)
	}
	m, _ := filepath.Glob(filepath.Join(dir, "*"+packExt))
	good, err := os.ReadFile(m[0])
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte(packHeader + "index 21 0\n"))
	f.Add([]byte(packHeader + "x" + "21 1 n\n" + "index 22 7\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		idx, err := readPackIndex(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return
		}
		for _, e := range idx {
			if e.off < int64(len(packHeader)) || e.n < 0 || e.off+e.n > int64(len(data)) {
				t.Fatalf("entry %+v outside the %d-byte pack", e, len(data))
			}
		}
	})
}

// TestCheckSumDBCacheUnwritable: a cache that cannot be written costs the
// next run requests; this run's result (here a mismatch) stands.
func TestCheckSumDBCacheUnwritable(t *testing.T) {
	skey, vkey := testKey(t)
	db := newTestDB(t, skey, vkey, goodHashes())
	cache := t.TempDir()
	if err := os.WriteFile(filepath.Join(cache, "cache"), []byte("a file where the packs go"), 0o644); err != nil {
		t.Fatal(err)
	}
	tampered := strings.Replace(sumB, "h1:39Z2", "h1:AAAA", 1)
	res, err := newClient(db, cache).Check(t.Context(), parseSum(t, sumA+sumAm+tampered+sumBm), "", 2)
	if err != nil {
		t.Fatalf("an unwritable cache failed the check: %v", err)
	}
	if got := ruleLines(res.Findings); got != "sumdb-mismatch@3" {
		t.Errorf("findings %s, want the mismatch", got)
	}
	if !strings.Contains(res.Cache, "could not be saved") {
		t.Errorf("Cache = %q, want it to say the cache was not saved", res.Cache)
	}
}

// TestCheckSumDBDamagedCache: a flipped byte in the cached tiles must not
// become a permanent SECURITY ERROR: the check runs again without the
// caches, passes, says so, and rebuilds the cache; the next run is quiet
// and makes no request.
func TestCheckSumDBDamagedCache(t *testing.T) {
	skey, vkey := testKey(t)
	db := newTestDB(t, skey, vkey, goodHashes())
	cache := t.TempDir()
	sums := parseSum(t, sumA+sumAm+sumB+sumBm)
	if _, err := newClient(db, cache).Check(t.Context(), sums, "", 2); err != nil {
		t.Fatal(err)
	}
	packs := packFiles(t, filepath.Join(cache, "cache"))
	if len(packs) != 1 {
		t.Fatalf("packs %v", packs)
	}
	data, err := os.ReadFile(packs[0])
	if err != nil {
		t.Fatal(err)
	}
	idx, err := readPackIndex(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	damaged := false
	for _, e := range idx {
		if strings.Contains(e.name, "/tile/") && e.n > 0 {
			data[e.off] ^= 0xff
			damaged = true
		}
	}
	if !damaged {
		t.Fatal("no tile in the pack")
	}
	if err := os.WriteFile(packs[0], data, 0o644); err != nil {
		t.Fatal(err)
	}

	res, err := newClient(db, cache).Check(t.Context(), sums, "", 2)
	if err != nil {
		t.Fatalf("a damaged cache: %v", err)
	}
	if len(res.Findings) != 0 || !strings.Contains(res.Cache, "damaged cache") {
		t.Errorf("findings %v, Cache %q", res.Findings, res.Cache)
	}
	if slices.Contains(packFiles(t, filepath.Join(cache, "cache")), packs[0]) {
		t.Error("the damaged pack is still there")
	}

	paths := recordPaths(db)
	c := newClient(db, cache)
	res, err = c.Check(t.Context(), sums, "", 2)
	if err != nil || res.Cache != "" {
		t.Fatalf("after the rebuild: %v, Cache %q", err, res.Cache)
	}
	checkWarmRequests(t, paths(), c.requests.Load())
}

// damagePack rewrites the entries of modseal's pack whose name contains
// what with damage(old contents).
func damagePack(t *testing.T, cache, what string, damage func([]byte) []byte) {
	t.Helper()
	packs := packFiles(t, filepath.Join(cache, "cache"))
	if len(packs) != 1 {
		t.Fatalf("packs %v", packs)
	}
	data, err := os.ReadFile(packs[0])
	if err != nil {
		t.Fatal(err)
	}
	idx, err := readPackIndex(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range idx {
		if strings.Contains(e.name, what) && e.n > 0 {
			ent := data[e.off : e.off+e.n]
			copy(ent, damage(slices.Clone(ent)))
			n++
		}
	}
	if n == 0 {
		t.Fatalf("no %s entry in the pack", what)
	}
	if err := os.WriteFile(packs[0], data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// garbage is what a damaged cache file holds: raw bytes that must never be
// echoed in a message (a short escaped excerpt may be quoted).
const garbage = "\x00\x1b[31mGARBAGE\xff\n"

func checkNoGarbage(t *testing.T, what, msg string) {
	t.Helper()
	if strings.ContainsAny(msg, "\x00\x1b") || strings.Contains(msg, "\xff") || strings.Contains(msg, "GARBAGE\\xff\\n\\x00\\x1b[31mGARBAGE\\xff\\n\\x00\\x1b[31mGARBAGE") {
		t.Errorf("%s echoes the damaged bytes: %q", what, msg)
	}
}

// TestCheckSumDBDamagedRecord: garbled bytes in a record of modseal's pack
// (a record that does not parse, a tree note whose signature does not
// verify, text that does not hash to the tree) are a damaged cache, not a
// failure on every run: checked again without the caches, the pack
// rebuilt, the Cache note says so without echoing the bytes, and the next
// run is clean.
func TestCheckSumDBDamagedRecord(t *testing.T) {
	damages := map[string]func([]byte) []byte{
		"garbage": func(b []byte) []byte {
			for i := range b {
				b[i] = garbage[i%len(garbage)]
			}
			return b
		},
		"signature": func(b []byte) []byte { // the last line is the note's signature
			i := bytes.LastIndex(b[:len(b)-1], []byte("\n"))
			copy(b[i+3:], garbage)
			return b
		},
		"text": func(b []byte) []byte { // the first line after the id: the go.sum text
			i := bytes.IndexByte(b, '\n')
			b[i+1] ^= 0x20
			return b
		},
		"tree note text": func(b []byte) []byte {
			i := bytes.Index(b, []byte("go.sum database tree\n"))
			copy(b[i+len("go.sum database tree\n"):], garbage)
			return b
		},
	}
	skey, vkey := testKey(t)
	db := newTestDB(t, skey, vkey, goodHashes())
	sums := parseSum(t, sumA+sumAm+sumB+sumBm)
	for name, damage := range damages {
		t.Run(name, func(t *testing.T) {
			cache := t.TempDir()
			if _, err := newClient(db, cache).Check(t.Context(), sums, "", 2); err != nil {
				t.Fatal(err)
			}
			damagePack(t, cache, "/lookup/", damage)
			res, err := newClient(db, cache).Check(t.Context(), sums, "", 2)
			if err != nil {
				t.Fatalf("a damaged record: %v", err)
			}
			if len(res.Findings) != 0 || !strings.Contains(res.Cache, "damaged cache") || !strings.Contains(res.Cache, "rebuilt") {
				t.Errorf("findings %v, Cache %q", res.Findings, res.Cache)
			}
			checkNoGarbage(t, "the Cache note", res.Cache)
			t.Logf("Cache: %s", res.Cache)
			res, err = newClient(db, cache).Check(t.Context(), sums, "", 2)
			if err != nil || res.Cache != "" {
				t.Fatalf("after the rebuild: %v, Cache %q", err, res.Cache)
			}
		})
	}
}

// TestCheckSumDBDamagedGoCache: a malformed record file in the go
// command's sumdb cache (GOMODCACHE/cache/download/sumdb), which modseal
// reads and never writes, is ignored: checked again without it, said so,
// left as it is; the next run no longer needs it.
func TestCheckSumDBDamagedGoCache(t *testing.T) {
	skey, vkey := testKey(t)
	db := newTestDB(t, skey, vkey, goodHashes())
	sums := parseSum(t, sumA+sumAm+sumB+sumBm)
	// The go command's cache: what a run fetched, then one record garbled.
	goSumDB := t.TempDir()
	if _, err := newClient(db, t.TempDir()).Check(t.Context(), sums, "", 2); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(goSumDB, testDBName, "lookup", "example.com", "a@v1.0.0")
	os.MkdirAll(filepath.Dir(bad), 0o777)
	if err := os.WriteFile(bad, []byte("12\n"+garbage+"go.sum database tree\n"+garbage), 0o444); err != nil {
		t.Fatal(err)
	}
	cache := t.TempDir()
	c := newClient(db, cache)
	c.GoSumDB = goSumDB
	res, err := c.Check(t.Context(), sums, "", 2)
	if err != nil {
		t.Fatalf("a damaged go command cache: %v", err)
	}
	if len(res.Findings) != 0 || !strings.Contains(res.Cache, "the go command's") {
		t.Errorf("findings %v, Cache %q", res.Findings, res.Cache)
	}
	checkNoGarbage(t, "the Cache note", res.Cache)
	t.Logf("Cache: %s", res.Cache)
	if data, err := os.ReadFile(bad); err != nil || !strings.Contains(string(data), "GARBAGE") {
		t.Errorf("the go command's file was changed: %q, %v", data, err)
	}
	c = newClient(db, cache)
	c.GoSumDB = goSumDB
	if res, err := c.Check(t.Context(), sums, "", 2); err != nil || res.Cache != "" {
		t.Fatalf("next run: %v, Cache %q", err, res.Cache)
	}
}

// TestCheckSumDBDamagedLatest: garbage in the go command's saved tree head
// (GOPATH/pkg/sumdb/NAME/latest) is ignored, with a note that quotes a
// short escaped excerpt at most, on every run (the go command replaces it
// on its own next request; modseal never writes it); garbage in modseal's
// saved tree head is replaced by the database's latest.
func TestCheckSumDBDamagedLatest(t *testing.T) {
	skey, vkey := testKey(t)
	db := newTestDB(t, skey, vkey, goodHashes())
	sums := parseSum(t, sumA+sumAm+sumB+sumBm)
	goConfig := t.TempDir()
	goLatest := filepath.Join(goConfig, testDBName, "latest")
	os.MkdirAll(filepath.Dir(goLatest), 0o777)
	junk := strings.Repeat(garbage, 20)
	if err := os.WriteFile(goLatest, []byte(junk), 0o444); err != nil {
		t.Fatal(err)
	}
	cache := t.TempDir()
	for run := range 2 {
		c := newClient(db, cache)
		c.GoConfig = goConfig
		res, err := c.Check(t.Context(), sums, "", 2)
		if err != nil {
			t.Fatalf("run %d: garbage in the go command's latest: %v", run, err)
		}
		if !strings.Contains(res.Cache, goLatest) || !strings.Contains(res.Cache, "ignored") {
			t.Errorf("run %d: Cache %q", run, res.Cache)
		}
		checkNoGarbage(t, "the Cache note", res.Cache)
	}
	if data, _ := os.ReadFile(goLatest); string(data) != junk {
		t.Error("the go command's latest was changed")
	}

	// modseal's own saved tree head, damaged: replaced.
	mine := filepath.Join(cache, "config", testDBName, "latest")
	if err := os.WriteFile(mine, []byte(junk), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := newClient(db, cache).Check(t.Context(), sums, "", 2)
	if err != nil {
		t.Fatalf("garbage in modseal's latest: %v", err)
	}
	if !strings.Contains(res.Cache, "replaced") {
		t.Errorf("Cache %q", res.Cache)
	}
	checkNoGarbage(t, "the Cache note", res.Cache)
	if data, _ := os.ReadFile(mine); !strings.HasPrefix(string(data), "go.sum database tree\n") {
		t.Errorf("modseal's latest was not repaired: %q", data)
	}
	if res, err := newClient(db, cache).Check(t.Context(), sums, "", 2); err != nil || res.Cache != "" {
		t.Fatalf("after the repair: %v, Cache %q", err, res.Cache)
	}
}
