package cli

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"

	"github.com/modseal/modseal/graph"
	"github.com/modseal/modseal/verify"
)

// unsafeOutput matches what must never reach a terminal or a job log from
// text modseal did not write: control characters other than the line break
// and a tab (indentation).
var unsafeOutput = regexp.MustCompile("[\x00-\x08\x0b-\x1f\x7f\u0080-\u009f\u202e]")

// checkNoCommands fails if out could drive a terminal or holds a line the
// GitHub Actions runner reads as a workflow command: one starting with "::"
// after white space, or "##[" anywhere.
func checkNoCommands(t *testing.T, out string) {
	t.Helper()
	if loc := unsafeOutput.FindStringIndex(out); loc != nil {
		t.Errorf("control character at %d in %q", loc[0], out)
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(strings.TrimLeftFunc(line, unicode.IsSpace), "::") || strings.Contains(line, "##[") {
			t.Errorf("workflow command line %q in %q", line, out)
		}
	}
}

// Error messages quote the go command, servers and the repository: every
// line is escaped, modseal's own line breaks and indentation stay, and no
// line can start a workflow command.
func TestWriteError(t *testing.T) {
	for _, tc := range []struct {
		prefix, msg, want string
	}{
		{"modseal: ", "plain", "modseal: plain\n"},
		{"modseal: ", "cannot compute the graph: boom\n(run without --offline)", "modseal: cannot compute the graph: boom\n(run without --offline)\n"},
		{"modseal: ", "a@v1: checksum mismatch\n\tzip downloaded: h1:x\n\nSECURITY ERROR\n", "modseal: a@v1: checksum mismatch\n\tzip downloaded: h1:x\n\nSECURITY ERROR\n"},
		{"modseal: ", "go: 403 \x1b]0;title\x07\x1b[2J\n::error file=go.mod,line=1::pwned", "modseal: go: 403 \\x1b]0;title\\x07\\x1b[2J\n\\x3a:error file=go.mod,line=1::pwned\n"},
		{"modseal: ", "server said\r\n  \u00a0::add-mask::x\r\nover\rwritten", "modseal: server said\n  \u00a0\\x3a:add-mask::x\nover\\rwritten\n"},
		{"modseal: ", "body: ##[error]pwned and ##[set-output name=x]y", "modseal: body: ##\\x5berror]pwned and ##\\x5bset-output name=x]y\n"},
		{"modseal: ", "bidi \u202e and C1 \u009b31m", "modseal: bidi \\u202e and C1 \\u009b31m\n"},
		{"", "SECURITY ERROR: the checksum database misbehaved: \x1b[31m\n::error::x", "SECURITY ERROR: the checksum database misbehaved: \\x1b[31m\n\\x3a:error::x\n"},
	} {
		var b bytes.Buffer
		writeError(&b, tc.prefix, tc.msg)
		if b.String() != tc.want {
			t.Errorf("writeError(%q, %q) =\n%q\nwant\n%q", tc.prefix, tc.msg, b.String(), tc.want)
		}
		checkNoCommands(t, b.String())
	}
}

// An error through Main: a file name with an escape sequence and a line
// break followed by a workflow command reaches standard error escaped.
func TestMainErrorSanitized(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/app\n\ngo 1.21\n"), 0o666)
	name := filepath.Join(dir, "snap\x1b]0;pwned\x07\x1b[2J\n::error file=go.mod,line=1::pwned\n##[warning]x.json")
	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), []string{"diff", "--snapshot", name, dir}, nil, &stdout, &stderr, os.Environ())
	if code != ExitFailure {
		t.Fatalf("exit %d, want %d; stderr:\n%s", code, ExitFailure, stderr.String())
	}
	out := stderr.String()
	checkNoCommands(t, out)
	if !strings.Contains(out, `snap\x1b]0;pwned\x07\x1b[2J`) || !strings.Contains(out, "\n\\x3a:error file=go.mod,line=1::pwned\n##\\x5bwarning]x.json: no such file") {
		t.Errorf("stderr does not show the name escaped:\n%s", out)
	}
}

// A snapshot, go.mod, go.work or modules.txt larger than modseal reads is
// refused with the file's name and the limit, without reading it: the files
// here are sparse, 1 byte over the limit.
func TestHugeFilesRefused(t *testing.T) {
	huge := func(t *testing.T, name string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(name), 0o777); err != nil {
			t.Fatal(err)
		}
		f, err := os.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		f.Close()
		if err := os.Truncate(name, verify.MaxSumFileSize+1); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("snapshot", func(t *testing.T) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/app\n\ngo 1.21\n"), 0o666)
		huge(t, filepath.Join(dir, ".modseal", "graph.json"))
		var stdout, stderr bytes.Buffer
		if code := Main(context.Background(), []string{"diff", dir}, nil, &stdout, &stderr, os.Environ()); code != ExitFailure {
			t.Fatalf("exit %d, want %d", code, ExitFailure)
		}
		if want := "graph.json is larger than 64 MiB, the most modseal reads: not a snapshot modseal wrote"; !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
		}
	})

	t.Run("go.mod", func(t *testing.T) {
		if _, err := exec.LookPath("go"); err != nil {
			t.Skip("no go command")
		}
		dir := t.TempDir()
		huge(t, filepath.Join(dir, "go.mod"))
		environ := append(os.Environ(), "GOTOOLCHAIN=local", "GOWORK=off", "GOFLAGS=", "GOPROXY=off")
		var stdout, stderr bytes.Buffer
		if code := Main(context.Background(), []string{"snapshot", "--cache-dir", t.TempDir(), dir}, nil, &stdout, &stderr, environ); code != ExitFailure {
			t.Fatalf("exit %d, want %d", code, ExitFailure)
		}
		if want := "go.mod is larger than 64 MiB, the most modseal reads"; !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
		}
	})
}

// A directory replacement whose name has a control character is refused when
// the snapshot is made, not written for diff and audit to refuse later.
func TestCheckWritable(t *testing.T) {
	snap := func(dir string) *graph.Snapshot {
		s := &graph.Snapshot{
			Schema: graph.SnapshotSchema, Module: "example.com/app", Go: "1.21",
			Modules: []graph.SnapshotModule{
				{Path: "example.com/app", Platforms: []string{}},
				{Path: "example.com/b", Version: "v1.0.0", Replace: &graph.Replacement{Path: dir}, Platforms: []string{}},
			},
			Edges: []string{},
		}
		s.GraphDigest = graph.Digest(s.Edges)
		s.ContentDigest = graph.ContentDigest(s.Modules)
		return s
	}
	if _, err := checkWritable(snap("./my dir")); err != nil {
		t.Errorf("./my dir: %v", err)
	}
	for _, dir := range []string{"./my\tdir", "./a\x1b[2Jb", "./c\u009bd", "./e\x7f"} {
		_, err := checkWritable(snap(dir))
		if err == nil || !strings.Contains(err.Error(), "example.com/b is replaced by the directory") || !strings.Contains(err.Error(), "control character") {
			t.Errorf("%q: %v, want the control character refused", dir, err)
		}
	}
}
