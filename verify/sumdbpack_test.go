package verify

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
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

	// A new store (the next run) reads it; putting what is there writes nothing.
	s2 := newPackStore(dir)
	if got, ok := s2.get("db/lookup/example.com/a@v1.0.0"); !ok || string(got) != "1\nexample.com/a v1.0.0 h1:x\n" {
		t.Fatalf("next run: %q %v", got, ok)
	}
	if _, ok := s2.get("db/empty"); ok {
		t.Error("an empty entry was cached")
	}
	s2.put("db/tile/8/0/000", tile)
	if err := s2.flush(); err != nil {
		t.Fatal(err)
	}
	if n := len(packFiles(t, dir)); n != 1 {
		t.Fatalf("re-putting cached entries wrote a pack: %d packs", n)
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
		"outside":   []byte(packHeader + "abc" + "0 999 db/evil\n" + fmt.Sprintf("index %d %d\n", len(packHeader)+3, len("0 999 db/evil\n"))),
		"header":    []byte(strings.Replace(string(good), "pack 1", "pack 9", 1)),
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
	if got, ok := s2.get("db/evil"); ok {
		t.Errorf("entry of a malformed pack served: %q", got)
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
		if _, err := CheckSumDB(t.Context(), newClient(db, cache), sums, "", 4); err != nil {
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
