package verify

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// allocated returns the bytes f allocates (runtime.MemStats.TotalAlloc).
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// A go.sum of 40 MiB of newlines costs next to nothing: memory follows the
// real lines, not the line breaks (one SumLine and one map slot per '\n'
// were 4 GB).
func TestParseSumNewlinesMemory(t *testing.T) {
	for _, blank := range []string{"\n", "\r\n", " \t\n"} {
		data := bytes.Repeat([]byte(blank), 8<<20/len(blank))
		data = append(data, "example.com/a v1.0.0 "+hA+"\n"...)
		var sf *SumFile
		var fs []Finding
		n := allocated(func() { sf, fs = ParseSum("go.sum", data) })
		if n > 1<<20 {
			t.Errorf("%q: ParseSum of %d MiB of blank lines allocated %d bytes, want < 1 MiB", blank, len(data)>>20, n)
		}
		if len(fs) != 0 || len(sf.Lines) != 1 || sf.Lines[0].Line != 8<<20/len(blank)+1 {
			t.Errorf("%q: findings %v, lines %+v", blank, fs, sf.Lines)
		}
	}
}

// A line longer than MaxSumLineLength is a gosum-syntax finding at that line,
// and the lines around it are parsed.
func TestParseSumLongLine(t *testing.T) {
	data := "example.com/a v1.0.0 " + hA + "\n" +
		"example.com/" + strings.Repeat("x", MaxSumLineLength) + " v1.0.0 " + hA + "\n" +
		strings.Repeat(" ", 2*MaxSumLineLength) + "\n" + // blank, however long
		"example.com/a v1.0.0/go.mod " + hAm + "\n"
	sf, fs := ParseSum("go.sum", []byte(data))
	if len(fs) != 1 || fs[0].Rule != RuleGoSumSyntax || fs[0].Line != 2 || !strings.Contains(fs[0].Message, "64 KiB") {
		t.Errorf("findings = %v, want one gosum-syntax at line 2", fs)
	}
	if len(sf.Lines) != 2 || sf.Lines[1].Line != 4 {
		t.Errorf("lines = %+v", sf.Lines)
	}
	// Exactly the limit is still parsed (and here malformed for its path).
	long := "example.com/a v1.0.0 h1:" + strings.Repeat("A", MaxSumLineLength-len("example.com/a v1.0.0 h1:"))
	_, fs = ParseSum("go.sum", []byte(long))
	if len(fs) != 1 || strings.Contains(fs[0].Message, "KiB") {
		t.Errorf("a line of exactly %d bytes: %v", MaxSumLineLength, fs)
	}
}

func TestParseSumTooLarge(t *testing.T) {
	data := bytes.Repeat([]byte("\n"), MaxSumFileSize+1)
	sf, fs := ParseSum("go.sum", data)
	if len(sf.Lines) != 0 || len(fs) != 1 || fs[0].Rule != RuleGoSumSyntax || !strings.Contains(fs[0].Message, "64 MiB") {
		t.Errorf("findings = %v", fs)
	}
}

func TestReadFileLimited(t *testing.T) {
	dir := t.TempDir()
	small := filepath.Join(dir, "go.sum")
	os.WriteFile(small, []byte("example.com/a v1.0.0 "+hA+"\n"), 0o666)
	if data, err := ReadFileLimited(small, MaxSumFileSize); err != nil || len(data) == 0 {
		t.Errorf("ReadFileLimited: %q, %v", data, err)
	}
	big := filepath.Join(dir, "big.sum")
	if err := os.WriteFile(big, nil, 0o666); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(big, MaxSumFileSize+1); err != nil { // sparse: no 64 MiB written
		t.Fatal(err)
	}
	var tl *FileTooLargeError
	_, err := ReadFileLimited(big, MaxSumFileSize)
	if !errors.As(err, &tl) || tl.File != big || !strings.Contains(err.Error(), big) || !strings.Contains(err.Error(), "64 MiB") {
		t.Errorf("ReadFileLimited of %d bytes: %v", MaxSumFileSize+1, err)
	}
	if _, err := ReadFileLimited(filepath.Join(dir, "none"), MaxSumFileSize); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}
