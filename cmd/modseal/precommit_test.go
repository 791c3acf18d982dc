package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestPreCommit runs the real pre-commit framework (pre-commit try-repo)
// from a temporary git repository against this checkout's
// .pre-commit-hooks.yaml: the golang hook is built by pre-commit itself,
// passes on a clean go.sum and fails with the finding on a tampered one.
// The audited module depends on golang.org/x/mod, which building modseal has
// put in the module cache, so the offline audit has something to verify.
// pre-commit builds modseal with the go command, from the module cache (or
// the module proxy for anything missing).
func TestPreCommit(t *testing.T) {
	if testing.Short() {
		t.Skip("runs pre-commit, which builds modseal (skipped in -short mode)")
	}
	if _, err := exec.LookPath("pre-commit"); err != nil {
		t.Skip("pre-commit is not installed (apt-get install pre-commit; .ci/run does)")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	ver, sum := xmodSum(t)

	gomodcache := goEnv(t, "GOMODCACHE")
	repo := t.TempDir()
	env := append(os.Environ(),
		"PRE_COMMIT_HOME="+filepath.Join(t.TempDir(), "pre-commit"),
		"XDG_CACHE_HOME="+filepath.Join(t.TempDir(), "cache"),
		"GOMODCACHE="+gomodcache,
		"GIT_AUTHOR_NAME=test", "GIT_AUTHOR_EMAIL=t@example.com",
		"GIT_COMMITTER_NAME=test", "GIT_COMMITTER_EMAIL=t@example.com",
	)
	run := func(name string, args ...string) (string, error) {
		cmd := exec.Command(name, args...)
		cmd.Dir, cmd.Env = repo, env
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	write := func(name, data string) {
		if err := os.WriteFile(filepath.Join(repo, name), []byte(data), 0o666); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", "module example.com/pc\n\ngo 1.26.0\n\nrequire golang.org/x/mod "+ver+"\n")
	write("go.sum", strings.Join(sum, "\n")+"\n")
	write("main.go", "package main\n\nimport \"golang.org/x/mod/semver\"\n\nfunc main() { println(semver.IsValid(\"v1.0.0\")) }\n")
	for _, args := range [][]string{{"init", "-q", "."}, {"add", "-A"}, {"commit", "-q", "-m", "init"}} {
		if out, err := run("git", args...); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}

	out, err := run("pre-commit", "try-repo", root, "modseal-audit", "--all-files")
	if err != nil {
		t.Fatalf("pre-commit on a clean go.sum failed: %v\n%s", err, out)
	}
	if !strings.Contains(out, "modseal audit (offline)") || !strings.Contains(out, "Passed") {
		t.Fatalf("pre-commit did not run the hook:\n%s", out)
	}

	// Tamper with the zip hash, keeping it well formed.
	tampered := strings.Join(sum, "\n") + "\n"
	i := strings.Index(tampered, " h1:") + len(" h1:")
	repl := "AAAA"
	if tampered[i:i+4] == repl {
		repl = "BBBB"
	}
	write("go.sum", tampered[:i]+repl+tampered[i+4:])
	if o, err := run("git", "add", "go.sum"); err != nil {
		t.Fatalf("git add: %v\n%s", err, o)
	}
	out, err = run("pre-commit", "try-repo", root, "modseal-audit", "--all-files")
	if err == nil {
		t.Fatalf("pre-commit passed a tampered go.sum:\n%s", out)
	}
	if !strings.Contains(out, "go.sum:1: hash-mismatch") {
		t.Fatalf("pre-commit failed without the finding:\n%s", out)
	}
}
