package audit

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/modseal/modseal/graph"
)

// TestLoadOnce: load reads each file once; the drift check's snapshot
// (readFile) gets the bytes load checked, not the disk's later content.
func TestLoadOnce(t *testing.T) {
	dir := t.TempDir()
	const gosum = "example.com/b v1.0.0 h1:39Z2nMyp254fr37e0mt49i4PiK3oogxePn04pu8d4ik=\nexample.com/b v1.0.0/go.mod h1:rjc9Jkp/xiv8OktC5V16OuYntMeTjs1dkvTkFbgnZKw="
	write := func(name, data string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o666); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", "module example.com/app\n\ngo 1.21\n\nrequire example.com/b v1.0.0\n")
	write("go.sum", gosum)
	ld, fs, _, err := load(&graph.Env{}, dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 0 {
		t.Errorf("findings %v, want none", fs)
	}
	if m := ld.mods[0]; m.sumLines != 2 || m.modLines != 5 || len(ld.sums) != 1 || len(ld.sums[0].Lines) != 2 {
		t.Errorf("sumLines %d modLines %d sums %d, want 2 (the last without a newline), 5, one file of 2 lines", m.sumLines, m.modLines, len(ld.sums))
	}
	if loc := ld.requires["example.com/b"]; loc != (requireLoc{"go.mod", 5}) {
		t.Errorf("requires example.com/b at %v, want go.mod:5", loc)
	}
	write("go.sum", "changed since\n")
	data, err := ld.readFile(filepath.Join(dir, "go.sum"))
	if err != nil || string(data) != gosum {
		t.Errorf("readFile(go.sum) = %q, %v; want what load read", data, err)
	}
	if _, err := ld.readFile(filepath.Join(dir, "go.work.sum")); !os.IsNotExist(err) {
		t.Errorf("readFile of a file load did not read: %v, want it read from disk (not there)", err)
	}
}
