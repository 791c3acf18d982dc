package sumdbops

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/modseal/modseal/internal/atomicfile"
)

// A packStore is the checksum database cache on disk: pack files, each
// written once, atomically, holding every tile and record one run
// verified. The sumdb client caches one small file per tile and per
// record, about 1,200 for a large go.sum; on a shared VM creating those
// took longer than fetching them (docs/performance.md), so a run collects
// them in memory and writes one file at the end.
//
// A pack is
//
//	modseal sumdb pack 1\n
//	DATA...           the entries' contents, one after the other
//	INDEX             "OFFSET LENGTH NAME\n" per entry
//	index OFFSET LENGTH\n
//
// and the last line says where the index is. Nothing in a pack is trusted:
// the sumdb client authenticates every tile and record it reads against a
// signed tree head, whatever the cache says. A pack that does not parse is
// ignored. When there are more than maxPacks, the next flush merges them
// into one and removes the ones it merged.
type packStore struct {
	dir   string
	fresh bool // neither read nor merge the packs on disk: only add one

	mu      sync.RWMutex // held for reading while an entry is read from a pack
	loaded  bool
	packs   []*pack            // loaded, oldest first
	index   map[string]packRef // entry name -> where its newest copy is
	pending map[string][]byte  // written by this run, not flushed yet
}

type pack struct {
	name string
	f    *os.File
}

type packRef struct {
	p      *pack
	off, n int64
}

const (
	packHeader = "modseal sumdb pack 1\n"
	packExt    = ".pack"
	maxPacks   = 8
	// maxPackEntry bounds one entry (tiles are 8 KiB, records smaller).
	maxPackEntry = 1 << 20
	// maxPackIndex bounds the index of one pack (about 60 bytes an entry).
	maxPackIndex = 64 << 20
)

func newPackStore(dir string) *packStore {
	return &packStore{dir: dir, pending: make(map[string][]byte)}
}

// load opens the packs in dir, oldest name first, and reads their
// indexes. s.mu is held.
func (s *packStore) load() {
	s.loaded = true
	s.index = make(map[string]packRef)
	if s.fresh {
		return
	}
	ents, err := os.ReadDir(s.dir)
	if err != nil {
		return
	}
	for _, e := range ents { // sorted by name: names start with a timestamp
		if !e.Type().IsRegular() || !strings.HasSuffix(e.Name(), packExt) {
			continue
		}
		f, err := os.Open(filepath.Join(s.dir, e.Name()))
		if err != nil {
			continue // removed by another process's merge
		}
		p := &pack{name: e.Name(), f: f}
		var idx []packEntry
		fi, err := f.Stat()
		if err == nil && !fi.Mode().IsRegular() {
			err = errors.New("not a regular file")
		}
		if err == nil {
			idx, err = readPackIndex(f, fi.Size())
		}
		if err != nil {
			f.Close()
			continue
		}
		s.packs = append(s.packs, p)
		for _, ent := range idx {
			s.index[ent.name] = packRef{p, ent.off, ent.n}
		}
	}
}

type packEntry struct {
	name   string
	off, n int64
}

// readPackIndex reads and checks the index of the pack f, size bytes long.
func readPackIndex(f io.ReaderAt, size int64) ([]packEntry, error) {
	bad := errors.New("malformed pack")
	head := make([]byte, len(packHeader))
	if _, err := f.ReadAt(head, 0); err != nil || string(head) != packHeader {
		return nil, bad
	}
	// The last line: "index OFFSET LENGTH\n".
	tail := make([]byte, min(size, 64))
	if _, err := f.ReadAt(tail, size-int64(len(tail))); err != nil {
		return nil, err
	}
	if len(tail) == 0 || tail[len(tail)-1] != '\n' {
		return nil, bad
	}
	last := tail[bytes.LastIndexByte(tail[:len(tail)-1], '\n')+1 : len(tail)-1]
	f1, ok := bytes.CutPrefix(last, []byte("index "))
	offs, lens, ok2 := strings.Cut(string(f1), " ")
	ioff, err1 := strconv.ParseInt(offs, 10, 64)
	ilen, err2 := strconv.ParseInt(lens, 10, 64)
	if !ok || !ok2 || err1 != nil || err2 != nil || ioff < int64(len(packHeader)) || ilen < 0 || ilen > maxPackIndex || ioff+ilen != size-int64(len(last))-1 {
		return nil, bad
	}
	buf := make([]byte, ilen)
	if _, err := f.ReadAt(buf, ioff); err != nil {
		return nil, err
	}
	var idx []packEntry
	for line := range strings.SplitSeq(strings.TrimSuffix(string(buf), "\n"), "\n") {
		if line == "" {
			continue
		}
		o, rest, ok1 := strings.Cut(line, " ")
		l, name, ok2 := strings.Cut(rest, " ")
		off, err1 := strconv.ParseInt(o, 10, 64)
		n, err2 := strconv.ParseInt(l, 10, 64)
		if !ok1 || !ok2 || err1 != nil || err2 != nil || name == "" ||
			off < int64(len(packHeader)) || off > ioff || n < 0 || n > min(maxPackEntry, ioff-off) {
			return nil, bad
		}
		idx = append(idx, packEntry{name, off, n})
	}
	return idx, nil
}

// get returns the cached entry name.
func (s *packStore) get(name string) ([]byte, bool) {
	s.mu.RLock()
	if !s.loaded {
		s.mu.RUnlock()
		s.mu.Lock()
		if !s.loaded {
			s.load()
		}
		s.mu.Unlock()
		s.mu.RLock()
	}
	defer s.mu.RUnlock()
	if data, ok := s.pending[name]; ok {
		return data, true
	}
	ref, ok := s.index[name]
	if !ok || ref.n == 0 {
		return nil, false
	}
	data := make([]byte, ref.n)
	if _, err := ref.p.f.ReadAt(data, ref.off); err != nil {
		return nil, false
	}
	return data, true
}

// getPending returns an entry put since the last flush: what a fresh
// store (one that reads no pack) can answer.
func (s *packStore) getPending(name string) ([]byte, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if data, ok := s.pending[name]; ok {
		return data, nil
	}
	return nil, os.ErrNotExist
}

// put caches data under name, for this run and, after flush, the next.
// The client puts only what it did not find in the cache (or found
// unusable), so a name already in a pack is written again.
func (s *packStore) put(name string, data []byte) {
	if len(data) == 0 || len(data) > maxPackEntry || strings.ContainsAny(name, "\n") {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pending[name] = slices.Clone(data)
}

// close flushes and closes the packs. The store can be used again: it
// reads the packs anew.
func (s *packStore) close() error {
	err := s.flush()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.packs {
		p.f.Close()
	}
	s.packs, s.index, s.loaded = nil, nil, false
	return err
}

// remove deletes the packs this store has loaded, and forgets them.
func (s *packStore) remove() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.packs {
		p.f.Close()
		os.Remove(filepath.Join(s.dir, p.name))
	}
	s.packs, s.index, s.loaded = nil, nil, false
}

// flush writes what this run cached as one new pack, or, when that would
// make more than maxPacks, all packs and it as one, and removes the packs
// merged. The store stays usable.
func (s *packStore) flush() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.loaded {
		s.load()
	}
	if len(s.pending) == 0 {
		return nil
	}
	// What goes in the new pack: this run's entries, and when merging,
	// every entry of the packs merged, read back one at a time as written.
	type source struct {
		data []byte
		ref  packRef
	}
	entries := make(map[string]source, len(s.pending))
	var merged []*pack
	if !s.fresh && len(s.packs)+1 > maxPacks {
		merged = s.packs
		for name, ref := range s.index {
			entries[name] = source{ref: ref}
		}
	}
	for name, data := range s.pending {
		entries[name] = source{data: data, ref: packRef{n: int64(len(data))}}
	}
	if s.dir == "" {
		return nil // no cache on disk
	}
	names := slices.Sorted(maps.Keys(entries))
	offs := make([]int64, len(names))
	off := int64(len(packHeader))
	var index strings.Builder
	for i, name := range names {
		offs[i] = off
		fmt.Fprintf(&index, "%d %d %s\n", off, entries[name].ref.n, name)
		off += entries[name].ref.n
	}
	// A name that sorts after the packs it replaces (the time), and that no
	// other process picks (the pid and a random number).
	name := fmt.Sprintf("%020d-%d-%08x%s", time.Now().UnixNano(), os.Getpid(), rand.Uint32(), packExt)
	file := filepath.Join(s.dir, name)
	err := writeAtomic(file, func(w io.Writer) error {
		bw := bufio.NewWriter(w)
		bw.WriteString(packHeader)
		var buf []byte
		for _, name := range names {
			e := entries[name]
			if e.data == nil {
				buf = slices.Grow(buf[:0], int(e.ref.n))[:e.ref.n]
				if _, err := e.ref.p.f.ReadAt(buf, e.ref.off); err != nil {
					return err
				}
				e.data = buf
			}
			bw.Write(e.data)
		}
		fmt.Fprintf(bw, "%sindex %d %d\n", index.String(), off, index.Len())
		return bw.Flush()
	})
	if err != nil {
		return err
	}
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	p := &pack{name: name, f: f}
	for i, name := range names {
		s.index[name] = packRef{p, offs[i], entries[name].ref.n}
	}
	for _, m := range merged {
		m.f.Close()
		os.Remove(filepath.Join(s.dir, m.name))
	}
	if merged != nil {
		s.packs = nil
	}
	s.packs = append(s.packs, p)
	s.pending = make(map[string][]byte)
	return nil
}

// writeAtomic writes name atomically (atomicfile), mode 0644, without a
// sync: the cache is authenticated whenever it is read.
func writeAtomic(name string, write func(io.Writer) error) error {
	return atomicfile.Write(name, 0o644, false, write)
}
