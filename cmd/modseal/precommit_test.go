package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPreCommit runs the real pre-commit framework from a temporary git
// repository against this checkout's .pre-commit-hooks.yaml, as pre-commit
// try-repo does (precommit_repo_test.go): the golang hook is built by
// pre-commit itself and fails with the finding on a tampered go.sum.
// The audited module depends on golang.org/x/mod, which building modseal has
// put in the module cache, so the offline audit has something to verify.
// pre-commit builds modseal with the go command, from the module cache (or
// the module proxy for anything missing).
func TestPreCommit(t *testing.T) {
	t.Parallel()
	needPreCommit(t)
	ver, sum := xmodSum(t)

	repo := t.TempDir()
	env, run := preCommitRunner(t, repo)
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

	// (A clean module passes: TestPreCommitMonorepo's first run.)
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
	out, err := tryHook(t, repo, env, "modseal-audit", "--all-files")
	if !strings.Contains(out, "modseal audit (offline)") {
		t.Fatalf("pre-commit did not run the hook:\n%s", out)
	}
	if err == nil {
		t.Fatalf("pre-commit passed a tampered go.sum:\n%s", out)
	}
	if !strings.Contains(out, "go.sum:1: hash-mismatch") {
		t.Fatalf("pre-commit failed without the finding:\n%s", out)
	}
}

// TestPreCommitMonorepo runs the real pre-commit framework on a repository
// whose modules are svc/ and api/, none at the root (and a broken fixture
// module under testdata/): modseal-audit audits the modules below the root
// instead of failing with exit 2 on every commit; modseal-audit-mod audits
// the module of each staged file, each once; modseal-audit-repo-mod audits
// every module, leaving testdata/ out.
func TestPreCommitMonorepo(t *testing.T) {
	t.Parallel()
	needPreCommit(t)
	ver, sum := xmodSum(t)
	repo := t.TempDir()
	env, run := preCommitRunner(t, repo)
	write := func(name, data string) {
		t.Helper()
		file := filepath.Join(repo, filepath.FromSlash(name))
		os.MkdirAll(filepath.Dir(file), 0o777)
		if err := os.WriteFile(file, []byte(data), 0o666); err != nil {
			t.Fatal(err)
		}
	}
	git := func(args ...string) {
		t.Helper()
		if out, err := run("git", args...); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	gosum := strings.Join(sum, "\n") + "\n"
	write("svc/go.mod", "module example.com/svc\n\ngo 1.26.0\n\nrequire golang.org/x/mod "+ver+"\n")
	write("svc/go.sum", gosum)
	write("svc/main.go", "package main\n\nimport \"golang.org/x/mod/semver\"\n\nfunc main() { println(semver.IsValid(\"v1.0.0\")) }\n")
	write("api/go.mod", "module example.com/api\n\ngo 1.26.0\n")
	write("api/api.go", "package api\n")
	// A fixture that is not a module of the repository: broken on purpose.
	write("testdata/broken/go.mod", "module example.com/broken\n\ngo 1.26.0\n\nrequire golang.org/x/mod v0.0.0-bad\n")
	git("init", "-q", ".")
	git("add", "-A")
	git("commit", "-q", "-m", "init")

	summaries := func(out string) int { return strings.Count(out, " warnings, ") }
	tryRepo := func(hook string, args ...string) (string, error) {
		return tryHook(t, repo, env, hook, append([]string{"--verbose"}, args...)...)
	}

	// No module at the root: the root hook audits the two below it.
	out, err := tryRepo("modseal-audit", "--all-files")
	if err != nil {
		t.Fatalf("modseal-audit in a repository without a root module failed: %v\n%s", err, out)
	}
	if !strings.Contains(out, "no go.mod or go.work in .: auditing the 2 modules below it") || summaries(out) != 2 || strings.Contains(out, "broken") || !strings.Contains(out, "Passed") {
		t.Fatalf("modseal-audit did not audit api and svc:\n%s", out)
	}

	// A tampered svc/go.sum, staged: the -mod hook audits svc only.
	i := strings.Index(gosum, " h1:") + len(" h1:")
	repl := "AAAA"
	if gosum[i:i+4] == repl {
		repl = "BBBB"
	}
	write("svc/go.sum", gosum[:i]+repl+gosum[i+4:])
	git("add", "svc/go.sum")
	out, err = tryRepo("modseal-audit-mod")
	if err == nil || !strings.Contains(out, "go.sum:1: hash-mismatch") {
		t.Fatalf("modseal-audit-mod passed or failed without the finding: %v\n%s", err, out)
	}
	if summaries(out) != 1 || strings.Contains(out, "auditing api") {
		t.Fatalf("modseal-audit-mod audited more than svc:\n%s", out)
	}
	// Two staged files of api and one of svc: each module once.
	write("api/go.sum", "")
	write("api/go.mod", "module example.com/api\n\ngo 1.26.0\n\n// a change\n")
	git("add", "api/go.sum", "api/go.mod")
	out, err = tryRepo("modseal-audit-mod")
	if err == nil || summaries(out) != 2 || !strings.Contains(out, "auditing api") || !strings.Contains(out, "auditing svc") {
		t.Fatalf("modseal-audit-mod on api and svc: %v\n%s", err, out)
	}

	// The -repo-mod hook: every module, not testdata's.
	out, err = tryRepo("modseal-audit-repo-mod", "--all-files")
	if err == nil || summaries(out) != 2 || !strings.Contains(out, "go.sum:1: hash-mismatch") || strings.Contains(out, "broken") {
		t.Fatalf("modseal-audit-repo-mod: %v\n%s", err, out)
	}
}
