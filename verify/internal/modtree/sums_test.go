package modtree

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"golang.org/x/mod/module"
	"golang.org/x/mod/sumdb/dirhash"
	modzip "golang.org/x/mod/zip"
)

// writeTree writes files (slash names) under dir.
func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o777); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o666); err != nil {
			t.Fatal(err)
		}
	}
}

var treeFiles = map[string]string{
	"go.mod":         "module example.com/m\n",
	"a.go":           "package m\n",
	"a/b.go":         "package a\n",
	"a.b/c.go":       "package ab\n", // sorts between "a.go" and "a/b.go" bytewise: order is global, not per directory
	"z/y/x/deep.txt": strings.Repeat("x", 3*readBufSize+17),
	"LICENSE":        "",
}

// TestDirSumsMatchesDirhash: the fast walk gives dirhash.HashDir's answer.
func TestDirSumsMatchesDirhash(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, treeFiles)
	const prefix = "example.com/m@v1.0.0"
	want, err := dirhash.HashDir(dir, prefix, dirhash.Hash1)
	if err != nil {
		t.Fatal(err)
	}
	sums, err := DirSums(dir, prefix)
	if err != nil {
		t.Fatal(err)
	}
	got, err := sums.H1()
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("DirSums H1 = %s, dirhash.HashDir = %s", got, want)
	}
	if _, err := DirSums(filepath.Join(dir, "go.mod"), prefix); err == nil {
		t.Error("DirSums of a file succeeded")
	}
}

// makeZip creates a module zip of files with golang.org/x/mod/zip.
func makeZip(t *testing.T, m module.Version, files map[string]string) string {
	t.Helper()
	src := t.TempDir()
	writeTree(t, src, files)
	out := filepath.Join(t.TempDir(), "m.zip")
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := modzip.CreateFromDir(f, m, src); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestZipMatchesDirhash(t *testing.T) {
	m := module.Version{Path: "example.com/m", Version: "v1.0.0"}
	zf := makeZip(t, m, treeFiles)
	want, err := dirhash.HashZip(zf, dirhash.Hash1)
	if err != nil {
		t.Fatal(err)
	}
	sums, err := zipSums(zf, m)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := sums.H1(); got != want {
		t.Errorf("ZipSums H1 = %s, dirhash.HashZip = %s", got, want)
	}
	// The extracted tree hashes the same.
	dir := t.TempDir()
	writeTree(t, dir, treeFiles)
	ds, _ := DirSums(dir, m.String())
	if d := Diff(sums, ds, m.String()+"/"); d.String() != "" {
		t.Errorf("zip and dir differ: %s", d)
	}
	z, err := OpenZip(zf, m)
	if err != nil {
		t.Fatal(err)
	}
	defer z.Close()
	if _, err := z.Stat("go.mod"); err != nil {
		t.Errorf("Stat(go.mod): %v", err)
	}
	// As an fs.FS, the zip is the extracted tree.
	var names []string
	for name := range treeFiles {
		names = append(names, name)
	}
	if err := fstest.TestFS(z, names...); err != nil {
		t.Error(err)
	}
}

// zipSums is the Sums of the module zip file of m.
func zipSums(file string, m module.Version) (Sums, error) {
	z, err := OpenZip(file, m)
	if err != nil {
		return nil, err
	}
	defer z.Close()
	return z.Sums()
}

func TestDiff(t *testing.T) {
	m := module.Version{Path: "example.com/m", Version: "v1.0.0"}
	dir := t.TempDir()
	writeTree(t, dir, treeFiles)
	want, _ := DirSums(dir, m.String())
	os.WriteFile(filepath.Join(dir, "a.go"), []byte("package evil\n"), 0o666)
	os.WriteFile(filepath.Join(dir, "new.go"), []byte("package m\n"), 0o666)
	os.Remove(filepath.Join(dir, "a", "b.go"))
	got, _ := DirSums(dir, m.String())
	d := Diff(want, got, m.String()+"/")
	if s := d.String(); s != "modified a.go; added new.go; removed a/b.go" {
		t.Errorf("Diff = %q", s)
	}
}

// hostileZip writes a zip with the given entries (name → content) and
// declared uncompressed sizes, bypassing every check.
func hostileZip(t *testing.T, entries []zipEntry) string {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: e.name, Method: zip.Deflate})
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(e.data))
	}
	zw.Close()
	out := filepath.Join(t.TempDir(), "hostile.zip")
	os.WriteFile(out, buf.Bytes(), 0o666)
	return out
}

type zipEntry struct{ name, data string }

func TestZipHostile(t *testing.T) {
	m := module.Version{Path: "example.com/m", Version: "v1.0.0"}
	p := "example.com/m@v1.0.0/"
	for name, entries := range map[string][]zipEntry{
		"traversal":      {{p + "go.mod", "module example.com/m\n"}, {p + "../../etc/passwd", "x"}},
		"duplicate":      {{p + "a.go", "package m\n"}, {p + "a.go", "package m\n"}},
		"case collision": {{p + "a.go", "package m\n"}, {p + "A.go", "package m\n"}},
		"wrong prefix":   {{"example.com/other@v1.0.0/a.go", "package m\n"}},
		"absolute":       {{"/etc/passwd", "x"}},
	} {
		t.Run(name, func(t *testing.T) {
			zf := hostileZip(t, entries)
			if _, err := zipSums(zf, m); err == nil {
				t.Fatal("ZipSums accepted a hostile zip")
			}
		})
	}
}

// TestZipBomb: a file whose declared size is under every limit but whose
// data inflates far past it fails as soon as it passes the declared size.
func TestZipBomb(t *testing.T) {
	m := module.Version{Path: "example.com/m", Version: "v1.0.0"}
	const real = 64 << 20 // inflates to 64 MiB of zeros: 4 times the allocation allowed
	var comp bytes.Buffer
	fw, _ := flate.NewWriter(&comp, flate.BestSpeed)
	zeros := make([]byte, 1<<20)
	for i := 0; i < real/len(zeros); i++ {
		fw.Write(zeros)
	}
	fw.Close()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.CreateRaw(&zip.FileHeader{
		Name:               "example.com/m@v1.0.0/bomb.go",
		Method:             zip.Deflate,
		CRC32:              0,
		CompressedSize64:   uint64(comp.Len()),
		UncompressedSize64: 1000, // the lie
	})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(comp.Bytes())
	zw.Close()
	zf := filepath.Join(t.TempDir(), "bomb.zip")
	os.WriteFile(zf, buf.Bytes(), 0o666)

	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	_, err = zipSums(zf, m)
	elapsed := time.Since(start)
	runtime.ReadMemStats(&after)
	if err == nil {
		t.Fatal("ZipSums accepted a zip bomb")
	}
	t.Logf("rejected after %v: %v", elapsed, err)
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 16<<20 {
		t.Errorf("ZipSums allocated %d MiB on a zip bomb", grew>>20)
	}
}
