package testproxy

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/modseal/modseal/verify"
)

var printSums = flag.Bool("sums", false, "print the go.sum lines of every fixture module")

func TestFixtures(t *testing.T) {
	mods, err := Load("../../testdata/mod")
	if err != nil {
		t.Fatal(err)
	}
	if len(mods) == 0 {
		t.Fatal("no fixture modules")
	}
	dst := t.TempDir()
	if err := Build(dst, mods); err != nil {
		t.Fatal(err)
	}
	for _, m := range mods {
		if *printSums {
			t.Logf("%s\n%s", filepath.Base(m.Source), m.SumLines())
		}
		// The zip Build wrote must hash, by modseal's own code, to what
		// the fixture computed from its files.
		got, h, err := verify.HashZip(m.ZipFile)
		if err != nil {
			t.Fatalf("%s: %v", m.Source, err)
		}
		if got.Path != m.Path || got.Version != m.Version || h != m.Sum {
			t.Errorf("%s: zip is %s %s %s, want %s %s %s", m.Source, got.Path, got.Version, h, m.Path, m.Version, m.Sum)
		}
		data, err := os.ReadFile(m.GoModFile)
		if err != nil {
			t.Fatal(err)
		}
		gh, err := verify.HashGoMod(data)
		if err != nil || gh != m.GoModSum {
			t.Errorf("%s: .mod hashes to %s (%v), want %s", m.Source, gh, err, m.GoModSum)
		}
		if _, err := os.Stat(filepath.Join(filepath.Dir(m.ZipFile), "list")); err != nil {
			t.Error(err)
		}
	}
}

func TestHashHeaderMismatch(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "m.txt")
	os.WriteFile(f, []byte("module example.com/m v1.0.0\nhash h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n-- m.go --\npackage m\n"), 0o666)
	if _, err := LoadFile(f); err == nil {
		t.Fatal("LoadFile accepted a fixture whose hash header is wrong")
	}
}
