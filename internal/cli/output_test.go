package cli

import (
	"io"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

func writeString(s string) func(io.Writer) error {
	return func(w io.Writer) error { _, err := io.WriteString(w, s); return err }
}

// --output onto a symbolic link keeps the link and replaces the file it
// points to; a new name and a regular file are written atomically.
func TestWriteOutputSymlink(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "real", "report.txt")
	os.MkdirAll(filepath.Dir(target), 0o777)
	os.WriteFile(target, []byte("old"), 0o644)
	link := filepath.Join(dir, "link.txt")
	if err := os.Symlink(filepath.Join("real", "report.txt"), link); err != nil {
		t.Skip(err)
	}
	if err := writeFileAtomic(link, writeString("new report")); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the symbolic link was replaced: %v, %v", fi.Mode(), err)
	}
	if b, _ := os.ReadFile(target); string(b) != "new report" {
		t.Errorf("target holds %q", b)
	}
	entries, _ := os.ReadDir(filepath.Dir(target))
	if len(entries) != 1 {
		t.Errorf("temporary files left next to the target: %v", entries)
	}

	// A regular file and a new name.
	for _, name := range []string{target, filepath.Join(dir, "new.txt")} {
		if err := writeFileAtomic(name, writeString("x")); err != nil {
			t.Fatal(err)
		}
		if b, _ := os.ReadFile(name); string(b) != "x" {
			t.Errorf("%s holds %q", name, b)
		}
	}
	// A directory is refused, as a directory.
	if err := writeFileAtomic(dir, writeString("x")); err == nil {
		t.Error("writing onto a directory: no error")
	}
}

// --output onto a pipe (bash's >(cmd), a FIFO) or through a link to one
// (/dev/stdout, /proc/self/fd/N) writes into it; it used to fail at the end
// of the run, after the whole audit, trying to rename a file over it.
func TestWriteOutputFIFO(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skip(err)
	}
	link := filepath.Join(dir, "stdout")
	os.Symlink(fifo, link)
	for _, name := range []string{fifo, link} {
		got := make(chan string, 1)
		go func() {
			f, err := os.Open(fifo)
			if err != nil {
				got <- err.Error()
				return
			}
			b, _ := io.ReadAll(f)
			f.Close()
			got <- string(b)
		}()
		if err := writeFileAtomic(name, writeString("report\n")); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		select {
		case s := <-got:
			if s != "report\n" {
				t.Errorf("%s: the reader got %q", name, s)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: the reader got nothing", name)
		}
		if fi, err := os.Lstat(fifo); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
			t.Fatalf("%s: the FIFO was replaced: %v, %v", name, fi.Mode(), err)
		}
		if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
			t.Fatalf("%s: the link was replaced: %v, %v", name, fi.Mode(), err)
		}
	}

	// A pipe as the shell hands it over: /proc/self/fd/N.
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	name := "/proc/self/fd/" + strconv.Itoa(int(w.Fd()))
	if _, err := os.Lstat(name); err != nil {
		w.Close()
		t.Skip("no /proc/self/fd")
	}
	errc := make(chan error, 1)
	go func() { errc <- writeFileAtomic(name, writeString("piped\n")); w.Close() }()
	b, _ := io.ReadAll(r)
	if err := <-errc; err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if string(b) != "piped\n" {
		t.Errorf("%s: the reader got %q", name, b)
	}
}
