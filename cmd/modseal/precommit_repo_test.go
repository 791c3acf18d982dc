package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// The pre-commit tests run the real framework on this checkout's
// .pre-commit-hooks.yaml as pre-commit try-repo does (a shadow repository
// holding the uncommitted changes, a config naming it and the hook), with
// one difference: one pre-commit store for the whole test process, where
// try-repo makes a new one per call. The hooks' environment (a go install
// of modseal, several seconds of CPU) is then built once, not per run.

// preCommitDir holds the shadow repository and the store; TestMain removes it.
var preCommitDir string

// hookRepo returns the repository and revision pre-commit installs the hooks
// from: root at HEAD when it has no uncommitted changes to tracked files,
// else a shadow clone with them committed (try-repo's _repo_ref).
var hookRepo = sync.OnceValues(func() ([2]string, error) {
	root, err := filepath.Abs("../..")
	if err != nil {
		return [2]string{}, err
	}
	git := func(dir string, env []string, args ...string) (string, error) {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), env...)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			return "", fmt.Errorf("git %s: %v\n%s", strings.Join(args, " "), err, out.String())
		}
		return strings.TrimSpace(out.String()), nil
	}
	head, err := git(root, nil, "rev-parse", "HEAD")
	if err != nil {
		return [2]string{}, err
	}
	if _, err := git(root, nil, "diff", "--quiet", "HEAD"); err == nil {
		return [2]string{root, head}, nil
	}
	dir, err := preCommitTemp()
	if err != nil {
		return [2]string{}, err
	}
	shadow := filepath.Join(dir, "shadow-repo")
	if _, err := git(dir, nil, "clone", "-q", root, shadow); err != nil {
		return [2]string{}, err
	}
	if _, err := git(shadow, nil, "checkout", "-q", head, "-b", "_pc_tmp"); err != nil {
		return [2]string{}, err
	}
	env := []string{"GIT_INDEX_FILE=" + filepath.Join(shadow, ".git", "index"), "GIT_OBJECT_DIRECTORY=" + filepath.Join(shadow, ".git", "objects")}
	if staged, err := git(root, nil, "diff", "--cached", "--name-only", "-z"); err == nil && staged != "" {
		files := strings.Split(strings.TrimRight(staged, "\x00"), "\x00")
		if _, err := git(root, env, append([]string{"add", "--"}, files...)...); err != nil {
			return [2]string{}, err
		}
	}
	if _, err := git(root, env, "add", "-u"); err != nil {
		return [2]string{}, err
	}
	ident := []string{"GIT_AUTHOR_NAME=test", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=test", "GIT_COMMITTER_EMAIL=t@example.com"}
	if _, err := git(shadow, ident, "commit", "-q", "--no-verify", "--no-gpg-sign", "-m", "uncommitted changes"); err != nil {
		return [2]string{}, err
	}
	rev, err := git(shadow, nil, "rev-parse", "HEAD")
	return [2]string{shadow, rev}, err
})

var preCommitTempOnce = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "modseal-pre-commit-")
	preCommitDir = dir
	return dir, err
})

func preCommitTemp() (string, error) { return preCommitTempOnce() }

// preCommitStore returns the PRE_COMMIT_HOME every test shares.
func preCommitStore(t *testing.T) string {
	t.Helper()
	dir, err := preCommitTemp()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, "store")
}

// tryHook runs pre-commit run HOOK with args in dir, with env, on a
// config naming the hook in this checkout: what pre-commit try-repo ROOT
// HOOK does, in the shared store.
func tryHook(t *testing.T, dir string, env []string, hook string, args ...string) (string, error) {
	t.Helper()
	repo, err := hookRepo()
	if err != nil {
		t.Fatal(err)
	}
	config := filepath.Join(t.TempDir(), ".pre-commit-config.yaml")
	cfg := fmt.Sprintf("repos:\n-   repo: %s\n    rev: %s\n    hooks:\n    -   id: %s\n", repo[0], repo[1], hook)
	if err := os.WriteFile(config, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("pre-commit", append([]string{"run", "--config", config, hook}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(env, "PRE_COMMIT_HOME="+preCommitStore(t))
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// needPreCommit skips the test in -short mode or without pre-commit.
func needPreCommit(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("runs pre-commit, which builds modseal (skipped in -short mode)")
	}
	if _, err := exec.LookPath("pre-commit"); err != nil {
		t.Skip("pre-commit is not installed (apt-get install pre-commit; .ci/run does)")
	}
}

// preCommitRunner returns the environment of a pre-commit test's commands
// and a function that runs one in the git repository repo.
func preCommitRunner(t *testing.T, repo string) ([]string, func(name string, args ...string) (string, error)) {
	env := append(os.Environ(),
		"XDG_CACHE_HOME="+filepath.Join(t.TempDir(), "cache"),
		// The build cache is the real one, not one under XDG_CACHE_HOME:
		// pre-commit builds modseal for the hooks' environment.
		"GOCACHE="+goEnv(t, "GOCACHE"),
		"GOMODCACHE="+goEnv(t, "GOMODCACHE"),
		"GIT_AUTHOR_NAME=test", "GIT_AUTHOR_EMAIL=t@example.com",
		"GIT_COMMITTER_NAME=test", "GIT_COMMITTER_EMAIL=t@example.com",
	)
	return env, func(name string, args ...string) (string, error) {
		cmd := exec.Command(name, args...)
		cmd.Dir, cmd.Env = repo, env
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
}
