package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/modseal/modseal/verify"
)

func TestActionInputs(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want actionInputs
		err  string
	}{
		{env: nil, want: actionInputs{command: "audit", dir: ".", failOn: "error", comment: "false"}},
		{env: map[string]string{"MODSEAL_COMMENT": "on-failure"}, want: actionInputs{command: "audit", dir: ".", failOn: "error", comment: "on-failure"}},
		{
			env: map[string]string{
				"MODSEAL_COMMAND": "diff", "MODSEAL_WORKING_DIRECTORY": "svc", "MODSEAL_BASE_REF": "main",
				"MODSEAL_FAIL_ON": "warning", "MODSEAL_OFFLINE": "true", "MODSEAL_COMMENT": "false",
				"MODSEAL_VERIFY_CACHE": "true", "MODSEAL_SARIF_FILE": "out/m.sarif", "MODSEAL_KEY": "k.pem",
				"MODSEAL_GITHUB_TOKEN": "tok",
			},
			want: actionInputs{
				command: "diff", dir: "svc", baseRef: "main", failOn: "warning", sarifFile: "out/m.sarif",
				key: "k.pem", token: "tok", offline: true, verifyCache: true, comment: "false",
			},
		},
		{env: map[string]string{"MODSEAL_COMMAND": "verify"}, err: `command must be audit, diff or snapshot, not "verify"`},
		{env: map[string]string{"MODSEAL_OFFLINE": "yes"}, err: `offline must be true or false, not "yes"`},
		{env: map[string]string{"MODSEAL_COMMENT": "True"}, err: `comment must be true, false or on-failure, not "True"`},
		{env: map[string]string{"MODSEAL_VERIFY_CACHE": "1"}, err: `verify-cache must be true or false, not "1"`},
		{env: map[string]string{"MODSEAL_SARIF_FILE": "a\nb"}, err: "sarif-file must be one line"},
		{env: map[string]string{"MODSEAL_BASE_REF": "--upload-pack=x"}, err: "neither a revision nor a branch name"},
	} {
		got, err := actionInputsFrom(func(k string) string { return tc.env[k] })
		switch {
		case tc.err != "":
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%v: error %v, want %q", tc.env, err, tc.err)
			}
		case err != nil:
			t.Errorf("%v: %v", tc.env, err)
		case got != tc.want:
			t.Errorf("%v:\ngot  %+v\nwant %+v", tc.env, got, tc.want)
		}
	}
}

func TestActionArgs(t *testing.T) {
	in := actionInputs{command: "audit", dir: "svc", failOn: "note", offline: true, sarifFile: "m.sarif"}
	want := []string{"audit", "--format", "github", "--fail-on", "note", "--offline", "--key", "k.pem", "--sarif", "m.sarif", "--", "svc"}
	if got := actionArgs(in, "k.pem", ""); !slices.Equal(got, want) {
		t.Errorf("audit: %q\nwant %q", got, want)
	}
	in.command = "diff"
	want = []string{"diff", "--format", "github", "--fail-on", "note", "--offline", "--base-ref", "origin/main", "--sarif", "m.sarif", "--", "svc"}
	if got := actionArgs(in, "", "origin/main"); !slices.Equal(got, want) {
		t.Errorf("diff: %q\nwant %q", got, want)
	}
	in.command = "snapshot"
	want = []string{"snapshot", "--offline", "--", "svc"}
	if got := actionArgs(in, "k.pem", ""); !slices.Equal(got, want) {
		t.Errorf("snapshot: %q\nwant %q", got, want)
	}
	// verify-cache's skip list: every rule but the hash check's, from the
	// catalogue, accepted by --skip.
	skip, err := parseSkip(nonHashRules())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range verify.Rules {
		if skip[r.ID] == slices.Contains(hashRules, r.ID) {
			t.Errorf("verify-cache: rule %s skipped = %v", r.ID, skip[r.ID])
		}
	}
}

// A pull request can commit a link in the SARIF file's place, or in place
// of a directory on the way to it: the action refuses to write through
// either. A path outside the working directory is the workflow's own.
func TestActionReportPath(t *testing.T) {
	wd := t.TempDir()
	t.Chdir(wd)
	outside := t.TempDir()
	os.Mkdir("reports", 0o777)
	if err := os.Symlink(filepath.Join(outside, "victim"), filepath.Join("reports", "file.sarif")); err != nil {
		t.Skip(err)
	}
	os.Symlink(outside, "linkdir")
	os.MkdirAll(filepath.Join(outside, "real"), 0o777)
	os.Symlink(filepath.Join(outside, "real"), filepath.Join(outside, "alias"))
	for _, tc := range []struct {
		file string
		ok   bool
	}{
		{"reports/new.sarif", true},
		{"new.sarif", true},
		{"reports/file.sarif", false},
		{"linkdir/x.sarif", false},
		{"linkdir/sub/x.sarif", false},
		{filepath.Join(wd, "linkdir", "x.sarif"), false},
		{filepath.Join(outside, "alias", "x.sarif"), true},
	} {
		err := checkReportPath(tc.file)
		if (err == nil) != tc.ok {
			t.Errorf("%s: %v, want ok=%v", tc.file, err, tc.ok)
		}
		if err != nil && !strings.Contains(err.Error(), "is a symbolic link: refusing to write through it") {
			t.Errorf("%s: %v", tc.file, err)
		}
	}
}

func TestActionStepOutputs(t *testing.T) {
	file := filepath.Join(t.TempDir(), "out")
	os.WriteFile(file, []byte("result=pass\nfindings=3\nmsg<<ghadelimiter_x\na=b\nc\nghadelimiter_x\nfindings=4\r\n"), 0o644)
	got := readStepOutputs(file)
	if got["result"] != "pass" || got["findings"] != "4" || got["msg"] != "a=b\nc" || len(got) != 3 {
		t.Errorf("%q", got)
	}
}

// A bad input: an error annotation, every output written once, exit 2, and
// the token nowhere.
func TestActionBadInput(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "output")
	var stdout, stderr bytes.Buffer
	rc := runAction(context.Background(), nil, &stdout, &stderr, []string{
		"MODSEAL_COMMAND=verify", "MODSEAL_GITHUB_TOKEN=ghs_secret", "GITHUB_OUTPUT=" + out, "RUNNER_TEMP=" + dir,
	})
	if rc != ExitFailure || !strings.HasPrefix(stdout.String(), "::error title=modseal::command must be audit, diff or snapshot") {
		t.Errorf("exit %d, stdout %q, stderr %q", rc, stdout.String(), stderr.String())
	}
	data, _ := os.ReadFile(out)
	want := "result=error\nfindings=\nerrors=\ngraph-digest=\ndrift=false\nsarif-file=\n"
	if string(data) != want {
		t.Errorf("outputs:\n%s\nwant:\n%s", data, want)
	}
	if rc := runAction(context.Background(), []string{"audit"}, &stdout, &stderr, nil); rc != ExitFailure {
		t.Errorf("with an argument: exit %d", rc)
	}
}

// The action runs the audit once, in-process: its outputs and its summary
// are the action's, and the token is not in the environment the go command
// gets.
func TestActionAudit(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	tmp := t.TempDir()
	mod := filepath.Join(tmp, "mod")
	os.Mkdir(mod, 0o777)
	os.WriteFile(filepath.Join(mod, "go.mod"), []byte("module example.com/m\n\ngo 1.22\n"), 0o644)
	os.WriteFile(filepath.Join(mod, "m.go"), []byte("package m\n"), 0o644)
	out, summary := filepath.Join(tmp, "output"), filepath.Join(tmp, "summary.md")
	os.WriteFile(summary, []byte("earlier step"), 0o644)
	environ := append(os.Environ(),
		"MODSEAL_WORKING_DIRECTORY="+mod, "MODSEAL_OFFLINE=true", "MODSEAL_GITHUB_TOKEN=ghs_secret",
		"GITHUB_OUTPUT="+out, "GITHUB_STEP_SUMMARY="+summary, "RUNNER_TEMP="+tmp,
		"XDG_CACHE_HOME="+filepath.Join(tmp, "cache"), "GOFLAGS=", "GOWORK=off", "GOPROXY=off", "NO_COLOR=1",
	)
	var stdout, stderr bytes.Buffer
	rc := runAction(context.Background(), nil, &stdout, &stderr, environ)
	if rc != ExitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", rc, stdout.String(), stderr.String())
	}
	got := readStepOutputs(out)
	if got["result"] != "pass" || got["findings"] != "0" || got["errors"] != "0" || got["drift"] != "false" || !digestRE.MatchString(got["graph-digest"]) {
		t.Errorf("outputs %q", got)
	}
	data, _ := os.ReadFile(out)
	if n := strings.Count(string(data), "result="); n != 1 {
		t.Errorf("result written %d times:\n%s", n, data)
	}
	md, _ := os.ReadFile(summary)
	if !strings.HasPrefix(string(md), "earlier step\n\n## modseal: pass\n") || strings.Count(string(md), "## modseal") != 1 {
		t.Errorf("summary:\n%s", md)
	}
	if strings.Contains(stdout.String()+stderr.String()+string(md)+string(data), "ghs_secret") {
		t.Error("the token was printed")
	}
	entries, _ := os.ReadDir(tmp)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "modseal-action-") {
			t.Errorf("%s left behind", e.Name())
		}
	}
}

func TestActionEnvWithoutToken(t *testing.T) {
	got := withoutEnv([]string{"A=1", "MODSEAL_GITHUB_TOKEN=x", "B=2", "MODSEAL_GITHUB_TOKEN=y"}, "MODSEAL_GITHUB_TOKEN")
	if !slices.Equal(got, []string{"A=1", "B=2"}) {
		t.Errorf("%q", got)
	}
}

func TestActionCommentDir(t *testing.T) {
	ws := t.TempDir()
	t.Chdir(ws)
	for _, tc := range []struct{ dir, ws, want string }{
		{".", ws, "."},
		{"./svc/", ws, "svc"},
		{filepath.Join(ws, "svc", "api"), ws, "svc/api"},
		{"svc", "", "svc"},
		{"../elsewhere", ws, "../elsewhere"},
	} {
		if got := commentDir(tc.dir, tc.ws); got != tc.want {
			t.Errorf("commentDir(%q, %q) = %q, want %q", tc.dir, tc.ws, got, tc.want)
		}
	}
}

// fakeComments is the issue-comment API of owner/repo#7: it keeps the
// comments and records the methods called.
type fakeComments struct {
	mu       sync.Mutex
	bodies   map[int64]string
	next     int64
	requests []string
}

func (f *fakeComments) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = append(f.requests, r.Method)
	w.Header().Set("Content-Type", "application/json")
	var in struct {
		Body string `json:"body"`
	}
	json.NewDecoder(r.Body).Decode(&in)
	type comment struct {
		ID   int64  `json:"id"`
		Body string `json:"body"`
		User struct {
			Type string `json:"type"`
		} `json:"user"`
	}
	switch {
	case r.Method == "GET" && r.URL.Path == "/repos/owner/repo/issues/7/comments":
		var list []comment
		for id := int64(1); id <= f.next; id++ {
			c := comment{ID: id, Body: f.bodies[id]}
			c.User.Type = "Bot"
			list = append(list, c)
		}
		json.NewEncoder(w).Encode(list)
	case r.Method == "POST" && r.URL.Path == "/repos/owner/repo/issues/7/comments":
		f.next++
		f.bodies[f.next] = in.Body
		w.WriteHeader(http.StatusCreated)
		json.NewEncoder(w).Encode(comment{ID: f.next, Body: in.Body})
	case r.Method == "PATCH" && strings.HasPrefix(r.URL.Path, "/repos/owner/repo/issues/comments/"):
		id, _ := strconv.ParseInt(strings.TrimPrefix(r.URL.Path, "/repos/owner/repo/issues/comments/"), 10, 64)
		f.bodies[id] = in.Body
		json.NewEncoder(w).Encode(comment{ID: id, Body: in.Body})
	default:
		w.WriteHeader(http.StatusNotFound)
		w.Write([]byte(`{"message":"Not Found"}`))
	}
}

// comment: on-failure: a passing run with no comment creates none; a
// failing one creates the comment of its directory; the next passing run
// edits it to say the module passes, rather than leave the failure up.
func TestActionCommentOnFailure(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	ws := t.TempDir()
	t.Chdir(ws)
	mod := filepath.Join(ws, "svc")
	os.Mkdir(mod, 0o777)
	os.WriteFile(filepath.Join(mod, "go.mod"), []byte("module example.com/svc\n\ngo 1.22\n"), 0o644)
	os.WriteFile(filepath.Join(mod, "m.go"), []byte("package m\n"), 0o644)
	event := filepath.Join(ws, "event.json")
	os.WriteFile(event, []byte(`{"pull_request":{"number":7}}`), 0o644)
	api := &fakeComments{bodies: map[int64]string{}}
	srv := httptest.NewServer(api)
	defer srv.Close()
	environ := append(os.Environ(),
		"MODSEAL_WORKING_DIRECTORY=./svc", "MODSEAL_OFFLINE=true", "MODSEAL_COMMENT=on-failure",
		"MODSEAL_GITHUB_TOKEN=ghs_secret", "GITHUB_WORKSPACE="+ws,
		"GITHUB_EVENT_NAME=pull_request", "GITHUB_EVENT_PATH="+event, "GITHUB_REPOSITORY=owner/repo",
		"GITHUB_API_URL="+srv.URL, "RUNNER_TEMP="+ws, "GITHUB_OUTPUT=", "GITHUB_STEP_SUMMARY=",
		"XDG_CACHE_HOME="+filepath.Join(ws, "cache"), "GOFLAGS=", "GOWORK=off", "GOPROXY=off", "NO_COLOR=1",
	)
	run := func(wantRC int) string {
		t.Helper()
		var stdout, stderr bytes.Buffer
		if rc := runAction(context.Background(), nil, &stdout, &stderr, environ); rc != wantRC {
			t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", rc, wantRC, stdout.String(), stderr.String())
		}
		return stdout.String()
	}
	methods := func() string {
		api.mu.Lock()
		defer api.mu.Unlock()
		return strings.Join(api.requests, " ")
	}

	out := run(ExitOK)
	if got := methods(); got != "GET" || len(api.bodies) != 0 {
		t.Fatalf("a pass with no comment: requests %q, %d comments\n%s", got, len(api.bodies), out)
	}
	if !strings.Contains(out, "no modseal comment to update") {
		t.Errorf("stdout:\n%s", out)
	}

	// A malformed go.sum line: a finding without the network.
	os.WriteFile(filepath.Join(mod, "go.sum"), []byte("example.com/x v1.0.0 h1:short\n"), 0o644)
	run(ExitFindings)
	if got := methods(); got != "GET GET POST" || len(api.bodies) != 1 {
		t.Fatalf("a failure: requests %q, %d comments", got, len(api.bodies))
	}
	body := api.bodies[1]
	if !strings.HasPrefix(body, "<!-- modseal:comment command=audit dir=svc -->\n## modseal: fail\n") || !strings.Contains(body, "modseal audit of `svc`") {
		t.Errorf("comment after the failure:\n%s", body)
	}

	os.Remove(filepath.Join(mod, "go.sum"))
	run(ExitOK)
	if got := methods(); got != "GET GET POST GET PATCH" || len(api.bodies) != 1 {
		t.Fatalf("the pass after it: requests %q, %d comments", got, len(api.bodies))
	}
	if body := api.bodies[1]; !strings.HasPrefix(body, "<!-- modseal:comment command=audit dir=svc -->\n## modseal: pass\n") {
		t.Errorf("comment after the pass:\n%s", body)
	}
	if strings.Contains(strings.Join(slices.Collect(maps.Values(api.bodies)), ""), "ghs_secret") {
		t.Error("the token is in a comment")
	}
}
