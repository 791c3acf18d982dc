package graph

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"

	"github.com/modseal/modseal/verify"
)

// linkUserCache makes modseal's module cache (dst, the GOMODCACHE of every go
// command modseal runs) reuse the user's module cache (src) without copying
// it and without ever letting the go command write it: for every module
// version mods names, it adds to dst
//
//   - a symbolic link to each of src's cache/download/PATH/@v/VERSION.mod,
//     .info and .zip that exists;
//   - a copy (a real file of about 50 bytes) of src's VERSION.ziphash, if it
//     holds a well-formed h1: hash;
//   - a symbolic link PATH@VERSION to src's extracted directory, if src's
//     extraction is complete (a directory, no VERSION.partial, a ziphash) and
//     dst now has the ziphash.
//
// Every directory in dst is a real directory, so the lock files
// (VERSION.lock, cache/lock), the .partial and *.tmp files, @v/list and the
// checksum database's tiles the go command creates are created in dst. What
// the go command does with the entries above, read in
// cmd/go/internal/modfetch (fetch.go, cache.go) of Go 1.26:
//
//   - .mod and .info: read; rewritten only through writeDiskCache, which
//     writes a temporary file in dst and renames it over the link: the link
//     is replaced, its target is untouched.
//   - .zip: read; created (temporary file, then rename) only when missing.
//   - .ziphash: read under a shared lock, and rewritten in place
//     (lockedfile.Create, which would follow a link) when it does not hold a
//     valid hash, or created when missing: hence a copy, never a link.
//   - PATH@VERSION: read. The go command removes or extracts into it only
//     when DownloadDir reports it missing or partial: not a directory, a
//     .partial file in dst (only the go command creates one, and only for a
//     module it extracts itself) or no .ziphash in dst (the directory link is
//     made only after the ziphash). Its RemoveAll does not follow a link at
//     the root it is given.
//
// So a user's cache that is read-only (the default: 0555 directories, 0444
// extracted files) and one made writable with -modcacherw are both only
// read. A module version src lacks, or holds incompletely, is not linked: the
// go command fetches it through the file:// proxy of src or the user's
// GOPROXY into dst, as it would without the links. An entry of dst that is
// not a link (a module the go command fetched itself in an earlier run) is
// kept; a link whose target is gone (the user cleaned the cache) is removed,
// so that the go command fetches the module again instead of failing.
//
// The cost is a few system calls per module version of go.sum, and the
// links and ziphash copies take about 200 bytes each in dst: the module
// zips and their extracted trees are not copied.
//
// A version in distrust is not linked, and the links and ziphash copy an
// earlier run made for it are removed: the go command then fetches it through
// the proxies, hashing the zip against go.sum before it extracts it, as it
// would without the links (see Go.Distrust).
func linkUserCache(dst, src string, mods []module.Version, distrust map[module.Version]bool) {
	byPath := make(map[string][]string)
	for _, m := range mods {
		if distrust[m] {
			unlinkVersion(dst, m)
			continue
		}
		byPath[m.Path] = append(byPath[m.Path], m.Version)
	}
	paths := make(chan string)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for p := range paths {
				linkModule(dst, src, p, byPath[p])
			}
		})
	}
	for p := range byPath {
		paths <- p
	}
	close(paths)
	wg.Wait()
}

// linkModule links the versions of one module path (see linkUserCache).
// Every error leaves the entry unlinked: the go command then fetches it.
func linkModule(dst, src, path string, versions []string) {
	enc, err := module.EscapePath(path)
	if err != nil {
		return
	}
	rel := filepath.FromSlash(enc)
	srcV := filepath.Join(src, "cache", "download", rel, "@v")
	have := make(map[string]bool)
	if ents, err := os.ReadDir(srcV); err == nil {
		for _, e := range ents {
			have[e.Name()] = e.Type().IsRegular()
		}
	}
	dstV := filepath.Join(dst, "cache", "download", rel, "@v")
	cur := make(map[string]fs.FileMode)
	if ents, err := os.ReadDir(dstV); err == nil {
		for _, e := range ents {
			cur[e.Name()] = e.Type()
		}
	}
	if len(have) == 0 && len(cur) == 0 {
		return // neither cache has a version of this module
	}
	if err := os.MkdirAll(dstV, 0o777); err != nil {
		return
	}
	for _, v := range versions {
		ev, err := module.EscapeVersion(v)
		if err != nil || module.CanonicalVersion(v) != v {
			continue
		}
		for _, ext := range []string{".mod", ".info", ".zip"} {
			name := ev + ext
			if t, ok := cur[name]; ok && !fixLink(filepath.Join(dstV, name), t) {
				continue // present in dst
			}
			if have[name] {
				os.Symlink(filepath.Join(srcV, name), filepath.Join(dstV, name))
			}
		}
		zh := ev + ".ziphash"
		if _, ok := cur[zh]; !ok && have[zh] && have[ev+".zip"] {
			if h, ok := readZiphash(filepath.Join(srcV, zh)); ok {
				writeNew(filepath.Join(dstV, zh), h)
			}
		}
		if have[ev+".partial"] {
			continue // the user's extraction is incomplete
		}
		dir := filepath.Join(dst, rel+"@"+ev)
		if fi, err := os.Lstat(dir); err == nil && !fixLink(dir, fi.Mode().Type()) {
			continue // present in dst
		}
		if _, err := os.Lstat(filepath.Join(dstV, zh)); err != nil {
			continue // DownloadDir would call the link partial and remove it
		}
		target := filepath.Join(src, rel+"@"+ev)
		if fi, err := os.Stat(target); err != nil || !fi.IsDir() {
			continue
		}
		if err := os.MkdirAll(filepath.Dir(dir), 0o777); err != nil {
			continue
		}
		os.Symlink(target, dir)
	}
}

// unlinkVersion removes what linkModule made for m in dst: the links to the
// user's zip and extracted directory and the copy of the ziphash (which the go
// command recomputes from the zip it fetches). Entries that are not links
// (except the ziphash) are the go command's own and are kept.
func unlinkVersion(dst string, m module.Version) {
	enc, err1 := module.EscapePath(m.Path)
	ev, err2 := module.EscapeVersion(m.Version)
	if err1 != nil || err2 != nil {
		return
	}
	rel := filepath.FromSlash(enc)
	dstV := filepath.Join(dst, "cache", "download", rel, "@v")
	for _, name := range []string{filepath.Join(dst, rel+"@"+ev), filepath.Join(dstV, ev+".zip")} {
		if fi, err := os.Lstat(name); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
			os.Remove(name)
		}
	}
	if fi, err := os.Lstat(filepath.Join(dst, rel+"@"+ev)); err != nil || !fi.IsDir() {
		os.Remove(filepath.Join(dstV, ev+".ziphash"))
	}
}

// fixLink reports whether the entry of type t at name is a link whose target
// is gone, and removes it if so (the link, never its target).
func fixLink(name string, t fs.FileMode) bool {
	if t&fs.ModeSymlink == 0 {
		return false
	}
	if _, err := os.Stat(name); err == nil || !errors.Is(err, fs.ErrNotExist) {
		return false
	}
	return os.Remove(name) == nil
}

// readZiphash returns the content of a .ziphash file if it is a well-formed
// h1: hash, the only content the go command takes without rewriting the file.
func readZiphash(name string) ([]byte, bool) {
	f, err := os.Open(name)
	if err != nil {
		return nil, false
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, 128))
	if err != nil {
		return nil, false
	}
	h := bytes.TrimSpace(data)
	b64, ok := bytes.CutPrefix(h, []byte("h1:"))
	if !ok {
		return nil, false
	}
	sum, err := base64.StdEncoding.DecodeString(string(b64))
	if err != nil || len(sum) != 32 {
		return nil, false
	}
	return h, true
}

// writeNew creates name with data, failing if it exists.
func writeNew(name string, data []byte) {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o666)
	if err != nil {
		return
	}
	_, werr := f.Write(data)
	if cerr := f.Close(); werr != nil || cerr != nil {
		os.Remove(name)
	}
}

// sumModules returns the module versions of the go.sum files the go
// command reads for env: the main module's go.sum, or in a workspace each
// module's go.sum and go.work.sum. The lines are not checked (the audit
// does that); a file that cannot be read is left out: the go command then
// fetches what it needs through the proxies.
func sumModules(env *Env) []module.Version {
	var files []string
	if w := env.GOWORK; w != "" && w != "off" {
		files = append(files, strings.TrimSuffix(w, ".work")+".work.sum")
		if data, err := verify.ReadFileLimited(w, verify.MaxSumFileSize); err == nil {
			if wf, err := modfile.ParseWork(w, data, nil); err == nil {
				for _, u := range wf.Use {
					d := filepath.FromSlash(u.Path)
					if !filepath.IsAbs(d) {
						d = filepath.Join(filepath.Dir(w), d)
					}
					files = append(files, filepath.Join(d, "go.sum"))
				}
			}
		}
	} else if m := env.GOMOD; m != "" && m != os.DevNull {
		files = append(files, filepath.Join(filepath.Dir(m), "go.sum"))
	}
	seen := make(map[module.Version]bool)
	var mods []module.Version
	for _, f := range files {
		data, err := verify.ReadFileLimited(f, verify.MaxSumFileSize)
		if err != nil {
			continue
		}
		for line := range strings.Lines(string(data)) {
			fields := strings.Fields(line)
			if len(fields) != 3 {
				continue
			}
			m := module.Version{Path: fields[0], Version: strings.TrimSuffix(fields[1], "/go.mod")}
			if !seen[m] {
				seen[m] = true
				mods = append(mods, m)
			}
		}
	}
	return mods
}
