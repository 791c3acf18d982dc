package main

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
	"golang.org/x/mod/sumdb/dirhash"

	"github.com/modseal/modseal/verify"
)

// The GitHub Action (action.yml at the repository root) is tested twice:
// its metadata is checked against the rules of STYLE.md and of the runner,
// and its run steps are executed for real, with bash, in a fake runner
// environment against a fake GitHub API.

// action is the part of action.yml the tests read.
type action struct {
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
	Inputs      map[string]struct {
		Description string  `yaml:"description"`
		Default     *string `yaml:"default"`
		Required    bool    `yaml:"required"`
	} `yaml:"inputs"`
	Outputs map[string]struct {
		Description string `yaml:"description"`
		Value       string `yaml:"value"`
	} `yaml:"outputs"`
	Runs struct {
		Using string       `yaml:"using"`
		Steps []actionStep `yaml:"steps"`
	} `yaml:"runs"`
}

type actionStep struct {
	Name  string            `yaml:"name"`
	ID    string            `yaml:"id"`
	If    string            `yaml:"if"`
	Uses  string            `yaml:"uses"`
	Run   string            `yaml:"run"`
	Shell string            `yaml:"shell"`
	Env   map[string]string `yaml:"env"`
	With  map[string]string `yaml:"with"`
}

func readAction(t *testing.T) (*action, []byte) {
	t.Helper()
	data, err := os.ReadFile("../../action.yml")
	if err != nil {
		t.Fatal(err)
	}
	var a action
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(false)
	if err := dec.Decode(&a); err != nil {
		t.Fatalf("action.yml: %v", err)
	}
	return &a, data
}

// TestActionMetadata checks action.yml without running it: actionlint lints
// workflows, not the metadata of a composite action.
func TestActionMetadata(t *testing.T) {
	a, raw := readAction(t)
	if a.Name == "" || a.Description == "" {
		t.Error("action.yml needs a name and a description")
	}
	if a.Runs.Using != "composite" {
		t.Errorf("runs.using = %q, want composite", a.Runs.Using)
	}
	kebab := regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]+)*$`)
	for name, in := range a.Inputs {
		if !kebab.MatchString(name) {
			t.Errorf("input %q is not kebab-case", name)
		}
		if strings.TrimSpace(in.Description) == "" {
			t.Errorf("input %q has no description", name)
		}
		if in.Default == nil {
			t.Errorf("input %q has no default", name)
		}
	}
	for _, name := range []string{"working-directory", "command", "base-ref", "fail-on", "offline", "sarif-file", "comment", "github-token", "key", "verify-cache"} {
		if _, ok := a.Inputs[name]; !ok {
			t.Errorf("input %q is missing", name)
		}
	}
	ids := map[string]bool{}
	for _, s := range a.Runs.Steps {
		ids[s.ID] = true
	}
	outputRef := regexp.MustCompile(`^\$\{\{ steps\.([a-z0-9-]+)\.outputs\.([a-z0-9-]+) \}\}$`)
	for _, name := range []string{"result", "findings", "errors", "graph-digest", "drift", "sarif-file"} {
		out, ok := a.Outputs[name]
		if !ok {
			t.Errorf("output %q is missing", name)
			continue
		}
		m := outputRef.FindStringSubmatch(out.Value)
		if out.Description == "" || m == nil || !ids[m[1]] || m[2] != name {
			t.Errorf("output %q: description %q, value %q: want a description and ${{ steps.ID.outputs.%s }}", name, out.Description, out.Value, name)
		}
	}
	for i, s := range a.Runs.Steps {
		switch {
		case s.Run != "" && s.Uses != "":
			t.Errorf("step %d (%s) has both run and uses", i, s.Name)
		case s.Run != "":
			if s.Shell != "bash" {
				t.Errorf("step %d (%s): shell %q, want bash (composite run steps need a shell)", i, s.Name, s.Shell)
			}
			if strings.Contains(s.Run, "${{") {
				t.Errorf("step %d (%s): ${{ }} inside run: (pass it through env:)", i, s.Name)
			}
			if !strings.HasPrefix(s.Run, "set -euo pipefail\n") {
				t.Errorf("step %d (%s): the script does not start with set -euo pipefail", i, s.Name)
			}
			for k, v := range s.Env {
				if strings.Contains(v, "${{") && !exprOnly.MatchString(v) {
					t.Errorf("step %d (%s): env %s = %q: keep env values to one plain ${{ context.path }}", i, s.Name, k, v)
				}
			}
		case s.Uses != "":
			// Third-party actions are pinned by a full commit SHA, with the
			// release in a comment.
			pin := regexp.MustCompile(`(?m)^\s*uses: ` + regexp.QuoteMeta(s.Uses) + ` # v\d+\.\d+\.\d+$`)
			if !regexp.MustCompile(`^[\w.-]+/[\w./-]+@[0-9a-f]{40}$`).MatchString(s.Uses) || !pin.Match(raw) {
				t.Errorf("step %d: uses %q: pin a full commit SHA with a # vX.Y.Z comment", i, s.Uses)
			}
		default:
			t.Errorf("step %d (%s) has neither run nor uses", i, s.Name)
		}
	}
	if bytes.Contains(raw, []byte("@latest")) {
		t.Error("action.yml mentions @latest: modseal is built from the action's own checkout")
	}

	// The action is a thin wrapper: a little shell to find Go and build
	// modseal, and one run of "modseal action", which does the rest in Go
	// (issue 12). No rule id is typed into action.yml: verify-cache's rule
	// list is computed from verify.Rules.
	lines, calls := 0, 0
	for _, s := range a.Runs.Steps {
		if s.Run == "" {
			continue
		}
		lines += len(strings.Split(strings.TrimRight(s.Run, "\n"), "\n"))
		calls += strings.Count(s.Run, `"$MODSEAL"`)
	}
	if lines >= 80 {
		t.Errorf("%d lines of shell in action.yml: keep it under 80, the logic belongs in modseal action", lines)
	}
	if calls != 1 || !regexp.MustCompile(`(?m)^\s*"\$MODSEAL" action$`).Match(raw) {
		t.Errorf(`action.yml runs "$MODSEAL" %d times: want one "$MODSEAL" action`, calls)
	}
	for _, r := range verify.Rules {
		if regexp.MustCompile(`\b` + regexp.QuoteMeta(r.ID) + `\b`).Match(raw) {
			t.Errorf("action.yml names the rule %s: rule lists belong to verify.Rules", r.ID)
		}
	}

	// shellcheck, when it is installed, on every script.
	if _, err := exec.LookPath("shellcheck"); err == nil {
		for _, s := range a.Runs.Steps {
			if s.Run == "" {
				continue
			}
			cmd := exec.Command("shellcheck", "--shell=bash", "-")
			cmd.Stdin = strings.NewReader(s.Run)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("shellcheck of step %q: %v\n%s", s.Name, err, out)
			}
		}
	}
}

// exprOnly matches an env value the fake runner can evaluate.
var exprOnly = regexp.MustCompile(`^\$\{\{ [a-z_]+(\.[a-z0-9_-]+)+ \}\}$`)

// exprs is the evaluation context of the fake runner's expressions: plain
// context paths such as inputs.command or steps.build.outputs.path.
type exprs map[string]string

var exprRE = regexp.MustCompile(`\$\{\{\s*([^}]*?)\s*\}\}`)

// eval substitutes every ${{ path }} in s. Anything but a known path fails
// the test: action.yml keeps its expressions simple enough for this.
func (x exprs) eval(t *testing.T, s string) string {
	t.Helper()
	return exprRE.ReplaceAllStringFunc(s, func(m string) string {
		path := exprRE.FindStringSubmatch(m)[1]
		v, ok := x[path]
		if !ok {
			if strings.HasPrefix(path, "steps.") {
				return "" // an output the step did not set
			}
			t.Fatalf("the fake runner cannot evaluate %q", m)
		}
		return v
	})
}

// cond evaluates an if: condition of the forms the action uses: terms
// "PATH == 'literal'", "PATH != 'literal'" and "!cancelled()" joined by
// &&. failed says whether an earlier step failed: a condition without a
// status function then does not run the step, as on GitHub; with
// "!cancelled()" it does.
func (x exprs) cond(t *testing.T, s string, failed bool) bool {
	t.Helper()
	ok, status := true, false
	for term := range strings.SplitSeq(s, "&&") {
		term = strings.TrimSpace(term)
		if term == "" && s == "" {
			break
		}
		if term == "!cancelled()" {
			status = true
			continue
		}
		m := regexp.MustCompile(`^([a-z0-9_.-]+) (==|!=) '([^']*)'$`).FindStringSubmatch(term)
		if m == nil {
			t.Fatalf("the fake runner cannot evaluate if: %q", s)
		}
		if (x[m[1]] == m[3]) != (m[2] == "==") {
			ok = false
		}
	}
	return ok && (status || !failed)
}

// fakeCache is actions/cache/restore and actions/cache/save: entries by
// key, each the files below the runner's temporary directory that were
// saved (or, for a poisoned entry, any files at all), by slash path
// relative to RUNNER_TEMP, as actions/cache archives paths relative to the
// workspace and extracts whatever the archive holds.
type fakeCache struct {
	mu      sync.Mutex
	keys    []string // oldest first
	entries map[string]map[string][]byte
	saves   []string
}

func (c *fakeCache) put(key string, files map[string][]byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = map[string]map[string][]byte{}
	}
	if _, ok := c.entries[key]; ok {
		return // entries are immutable: "Cache already exists"
	}
	c.keys = append(c.keys, key)
	c.entries[key] = files
}

// step runs one actions/cache step and returns its outputs.
func (c *fakeCache) step(t *testing.T, uses string, with map[string]string, runnerTemp string) map[string]string {
	t.Helper()
	path, key := with["path"], with["key"]
	if path == "" || key == "" {
		t.Fatalf("%s: path %q, key %q", uses, path, key)
	}
	rel, err := filepath.Rel(runnerTemp, path)
	if err != nil || !filepath.IsLocal(rel) {
		t.Fatalf("%s: the fake cache keeps paths below RUNNER_TEMP, not %s", uses, path)
	}
	switch name, _, _ := strings.Cut(uses, "@"); name {
	case "actions/cache/restore":
		c.mu.Lock()
		defer c.mu.Unlock()
		hit, matched := false, ""
		if _, ok := c.entries[key]; ok {
			hit, matched = true, key
		} else {
			for _, prefix := range strings.Split(strings.TrimSpace(with["restore-keys"]), "\n") {
				for i := len(c.keys) - 1; i >= 0 && matched == "" && prefix != ""; i-- {
					if strings.HasPrefix(c.keys[i], prefix) {
						matched = c.keys[i]
					}
				}
			}
		}
		for name, data := range c.entries[matched] {
			file := filepath.Join(runnerTemp, filepath.FromSlash(name))
			os.MkdirAll(filepath.Dir(file), 0o755)
			if err := os.WriteFile(file, data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return map[string]string{"cache-hit": strconv.FormatBool(hit), "cache-primary-key": key, "cache-matched-key": matched}
	case "actions/cache/save":
		files := map[string][]byte{}
		filepath.WalkDir(path, func(p string, d os.DirEntry, err error) error {
			if err == nil && d.Type().IsRegular() {
				rel, _ := filepath.Rel(runnerTemp, p)
				files[filepath.ToSlash(rel)], _ = os.ReadFile(p)
			}
			return nil
		})
		if len(files) == 0 {
			return nil // "Path Validation Error: ... no cache is being saved"
		}
		c.put(key, files)
		c.mu.Lock()
		c.saves = append(c.saves, key)
		c.mu.Unlock()
		return nil
	}
	t.Fatalf("the fake runner cannot run %s", uses)
	return nil
}

// fakeGitHub is the REST API of one repository's pull request 7: list,
// create and edit issue comments. It records every request.
type fakeGitHub struct {
	mu        sync.Mutex
	forbidden bool // writes answer 403, as for a fork's read-only token
	comments  []map[string]any
	nextID    int
	requests  []ghRequest
}

type ghRequest struct {
	Method, URI, Body, Auth string
}

func (f *fakeGitHub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = append(f.requests, ghRequest{r.Method, r.RequestURI, string(body), r.Header.Get("Authorization")})
	w.Header().Set("Content-Type", "application/json")
	if f.forbidden && r.Method != "GET" {
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprint(w, `{"message":"Resource not accessible by integration","documentation_url":"https://docs.github.com/rest/issues/comments#create-an-issue-comment"}`)
		return
	}
	const list = "/repos/owner/repo/issues/7/comments"
	const edit = "/repos/owner/repo/issues/comments/"
	switch {
	case r.Method == "GET" && r.URL.Path == list:
		json.NewEncoder(w).Encode(f.comments)
	case r.Method == "POST" && r.URL.Path == list:
		var in struct{ Body string }
		json.Unmarshal(body, &in)
		f.nextID++
		c := map[string]any{
			"id": f.nextID, "body": in.Body, "html_url": fmt.Sprintf("https://github.test/owner/repo/pull/7#issuecomment-%d", f.nextID),
			"user": map[string]any{"login": "github-actions[bot]", "type": "Bot"},
		}
		f.comments = append(f.comments, c)
		w.WriteHeader(http.StatusCreated)
		json.NewEncoder(w).Encode(c)
	case r.Method == "PATCH" && strings.HasPrefix(r.URL.Path, edit):
		id, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, edit))
		for _, c := range f.comments {
			if c["id"] == id {
				var in struct{ Body string }
				json.Unmarshal(body, &in)
				c["body"] = in.Body
				json.NewEncoder(w).Encode(c)
				return
			}
		}
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"message":"Not Found"}`)
	default:
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"message":"Not Found"}`)
	}
}

func (f *fakeGitHub) snapshot() ([]ghRequest, []map[string]any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.requests), slices.Clone(f.comments)
}

const fakeToken = "ghs_FAKE_TOKEN_modseal_test"

// runner runs the action's steps as the Actions runner would.
type runner struct {
	t         *testing.T
	action    *action
	root      string // the action's checkout: this repository
	workspace string // GITHUB_WORKSPACE, the working directory of the steps
	api       string // GITHUB_API_URL
	env       []string
	cache     fakeCache
	// installMayFail: the install step may fail (the run ends there);
	// otherwise only the step that runs modseal may.
	installMayFail bool
	// stopAfter: the id of the last step to run ("" for all).
	stopAfter string
	// reuseInstall: the install step (a go build of modseal) runs in the
	// first run only; later runs replay its outputs and output, and run
	// the binary it built. For tests of everything after the install.
	reuseInstall bool
	installed    *installStep
}

// installStep is what the install step of a run gave, to replay.
type installStep struct {
	outputs                     map[string]string // steps.build.outputs.*
	stdout, stderr, outputFiles string
}

// stepEnv sets an env: value of the step with id in the runner's copy of
// action.yml (e.g. the release URL and the pins of the install step).
func (r *runner) stepEnv(id, key, value string) {
	r.t.Helper()
	for i := range r.action.Runs.Steps {
		if s := &r.action.Runs.Steps[i]; s.ID == id {
			if _, ok := s.Env[key]; !ok {
				r.t.Fatalf("step %s has no env %s", id, key)
			}
			env := maps.Clone(s.Env)
			env[key] = value
			s.Env = env
			return
		}
	}
	r.t.Fatalf("action.yml has no step %s", id)
}

// actionRun is what one run of the action left behind.
type actionRun struct {
	exit           int
	stdout, stderr string
	outputs        map[string]string // the action's outputs
	outputFiles    string            // every step's GITHUB_OUTPUT file
	summary        string            // GITHUB_STEP_SUMMARY
}

func (r *runner) run(event string, inputs map[string]string) *actionRun {
	t := r.t
	t.Helper()
	tmp := t.TempDir()
	eventPath := filepath.Join(tmp, "event.json")
	payload := `{"ref":"refs/heads/main","commits":[]}`
	if event == "pull_request" {
		payload = `{"action":"synchronize","number":7,"pull_request":{"number":7,"base":{"ref":"main"},"head":{"ref":"feature"}}}`
	}
	if err := os.WriteFile(eventPath, []byte(payload), 0o644); err != nil {
		t.Fatal(err)
	}
	runnerTemp := filepath.Join(tmp, "runner-temp")
	os.Mkdir(runnerTemp, 0o755)
	summaryFile := filepath.Join(tmp, "step-summary.md")
	os.WriteFile(summaryFile, nil, 0o644)

	x := exprs{
		"runner.os":          "Linux",
		"runner.temp":        runnerTemp,
		"github.action_path": r.root,
		"github.action_ref":  strings.Repeat("ab", 20),
		"github.token":       fakeToken,
		"github.base_ref":    "",
		"github.event_name":  event,
	}
	if event == "pull_request" {
		x["github.base_ref"] = "main"
	}
	for name, in := range r.action.Inputs {
		v, ok := inputs[name]
		if !ok && in.Default != nil {
			v = x.eval(t, *in.Default)
		}
		x["inputs."+name] = v
	}
	for name := range inputs {
		if _, ok := r.action.Inputs[name]; !ok {
			t.Fatalf("the test passes input %q, which action.yml does not declare", name)
		}
	}

	res := &actionRun{outputs: map[string]string{}}
	var stdout, stderr, outputFiles strings.Builder
	failed := false
	for i, s := range r.action.Runs.Steps {
		if !x.cond(t, s.If, failed) {
			continue
		}
		if strings.HasPrefix(s.Uses, "actions/cache/") {
			with := map[string]string{}
			for k, v := range s.With {
				with[k] = x.eval(t, v)
			}
			for k, v := range r.cache.step(t, s.Uses, with, runnerTemp) {
				x["steps."+s.ID+".outputs."+k] = v
			}
			continue
		}
		if s.Uses != "" {
			// actions/setup-go and the like: the test needs the runner's Go
			// to be enough, which the Go check step decides.
			t.Fatalf("step %d (%s) would run %s: the fake runner runs only run: steps (is go on PATH older than modseal's go line?)", i, s.Name, s.Uses)
		}
		if s.ID == "build" && r.installed != nil {
			maps.Copy(x, r.installed.outputs)
			stdout.WriteString(r.installed.stdout)
			stderr.WriteString(r.installed.stderr)
			outputFiles.WriteString(r.installed.outputFiles)
			continue
		}
		script := filepath.Join(tmp, fmt.Sprintf("step%d.sh", i))
		if err := os.WriteFile(script, []byte(s.Run), 0o644); err != nil {
			t.Fatal(err)
		}
		outFile := filepath.Join(tmp, fmt.Sprintf("output%d", i))
		os.WriteFile(outFile, nil, 0o644)
		env := append(slices.Clone(r.env),
			"GITHUB_ACTIONS=true",
			"CI=true",
			"RUNNER_TEMP="+runnerTemp,
			"GITHUB_WORKSPACE="+r.workspace,
			"GITHUB_ACTION_PATH="+r.root,
			"GITHUB_OUTPUT="+outFile,
			"GITHUB_STEP_SUMMARY="+summaryFile,
			"GITHUB_EVENT_NAME="+event,
			"GITHUB_EVENT_PATH="+eventPath,
			"GITHUB_REPOSITORY=owner/repo",
			"GITHUB_API_URL="+r.api,
			"GITHUB_SERVER_URL=https://github.test",
			"GITHUB_RUN_ID=4242",
			"RUNNER_OS=Linux",
		)
		for k, v := range s.Env {
			env = append(env, k+"="+x.eval(t, v))
		}
		// The runner's command line for shell: bash.
		cmd := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", script)
		cmd.Dir = r.workspace
		cmd.Env = env
		var so, se bytes.Buffer
		cmd.Stdout, cmd.Stderr = &so, &se
		err := cmd.Run()
		stdout.Write(so.Bytes())
		stderr.Write(se.Bytes())
		out, _ := os.ReadFile(outFile)
		outputFiles.Write(out)
		for k, v := range parseOutputs(t, string(out)) {
			if s.ID != "" {
				x["steps."+s.ID+".outputs."+k] = v
			}
		}
		if s.ID == "build" && r.reuseInstall && err == nil {
			r.installed = &installStep{outputs: map[string]string{}, stdout: so.String(), stderr: se.String(), outputFiles: string(out)}
			for k, v := range x {
				if strings.HasPrefix(k, "steps.build.outputs.") {
					r.installed.outputs[k] = v
				}
			}
		}
		if err != nil {
			var ee *exec.ExitError
			if !errors.As(err, &ee) {
				t.Fatalf("step %q: %v", s.Name, err)
			}
			res.exit = ee.ExitCode()
			if s.ID != "modseal" && !(s.ID == "build" && r.installMayFail) {
				t.Fatalf("step %q failed (exit %d):\n%s\n%s", s.Name, res.exit, so.String(), se.String())
			}
			failed = true
		}
		if s.ID != "" && s.ID == r.stopAfter {
			break
		}
	}
	for name, o := range r.action.Outputs {
		res.outputs[name] = x.eval(t, o.Value)
	}
	res.stdout, res.stderr, res.outputFiles = stdout.String(), stderr.String(), outputFiles.String()
	summary, _ := os.ReadFile(summaryFile)
	res.summary = string(summary)
	return res
}

// parseOutputs reads a GITHUB_OUTPUT file: name=value lines and
// name<<DELIM heredocs.
func parseOutputs(t *testing.T, s string) map[string]string {
	out := map[string]string{}
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if l == "" {
			continue
		}
		if name, delim, ok := strings.Cut(l, "<<"); ok && !strings.Contains(name, "=") {
			var v []string
			for i++; i < len(lines) && lines[i] != delim; i++ {
				v = append(v, lines[i])
			}
			out[name] = strings.Join(v, "\n")
			continue
		}
		name, v, ok := strings.Cut(l, "=")
		if !ok {
			t.Fatalf("malformed output line %q", l)
		}
		out[name] = v
	}
	return out
}

// actionModule writes a module requiring golang.org/x/mod at the version
// modseal's go.mod requires, with its go.sum lines copied from modseal's
// go.sum: building modseal put it in the module cache, so an offline audit
// has something to verify. It returns the go.sum text.
func actionModule(t *testing.T, dir string) string {
	t.Helper()
	ver, sum := xmodSum(t)
	write := func(name, data string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", "module example.com/actiontest\n\ngo 1.26.0\n\nrequire golang.org/x/mod "+ver+"\n")
	write("go.sum", strings.Join(sum, "\n")+"\n")
	write("main.go", "package main\n\nimport \"golang.org/x/mod/semver\"\n\nfunc main() { println(semver.IsValid(\"v1.0.0\")) }\n")
	return strings.Join(sum, "\n") + "\n"
}

// TestActionRun executes the action's run steps with bash, as the runner
// does, against a temporary module and a fake GitHub API: the build of
// modseal from this checkout, the audit with the github format, the SARIF
// file, the sticky pull-request comment (created, then edited), the read-only
// token of a fork, a tampered go.sum, and diff against a base branch fetched
// from origin. The audits run with offline: true and GOPROXY=off, so nothing
// reaches the network.
func TestActionRun(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds modseal and runs the action's steps (skipped in -short mode)")
	}
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("bash is not installed: the action's steps are bash scripts")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("the go command is not on PATH")
	}
	a, _ := readAction(t)
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	gh := &fakeGitHub{}
	srv := httptest.NewServer(gh)
	defer srv.Close()

	workspace := t.TempDir()
	cleanSum := actionModule(t, workspace)
	home := t.TempDir()
	r := &runner{
		t: t, action: a, root: root, workspace: workspace, api: srv.URL,
		env: []string{
			"PATH=" + os.Getenv("PATH"),
			"HOME=" + home,
			"TMPDIR=" + os.TempDir(),
			"GOMODCACHE=" + goEnv(t, "GOMODCACHE"),
			"GOCACHE=" + goEnv(t, "GOCACHE"),
			"GOPATH=" + filepath.Join(home, "go"),
			"GOPROXY=off",
			"GOFLAGS=",
			"GOTOOLCHAIN=local",
			"GONOSUMDB=", "GONOPROXY=", "GOPRIVATE=", "GOINSECURE=",
			"XDG_CACHE_HOME=" + t.TempDir(),
			"NO_COLOR=1",
			"GIT_CONFIG_GLOBAL=" + filepath.Join(home, "gitconfig"),
			"GIT_CONFIG_NOSYSTEM=1",
			"GIT_AUTHOR_NAME=test", "GIT_AUTHOR_EMAIL=t@example.com",
			"GIT_COMMITTER_NAME=test", "GIT_COMMITTER_EMAIL=t@example.com",
		},
	}
	// install-mode release (the default) with no pin for this source:
	// the notice, then the source build. (Once action.yml pins a release
	// of the same source, its pins would send the test to GitHub:
	// TestActionRelease tests the download, against a local release.)
	r.stepEnv("build", "MODSEAL_PINS", "")
	// The build is the same every run: done once (TestActionRelease tests
	// the install step's modes).
	r.reuseInstall = true
	var runs []*actionRun
	check := func(name string, res *actionRun, exit int) {
		t.Helper()
		runs = append(runs, res)
		if res.exit != exit {
			t.Fatalf("%s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", name, res.exit, exit, res.stdout, res.stderr)
		}
		for _, k := range []string{"result", "findings", "errors", "graph-digest", "drift", "sarif-file"} {
			if !regexp.MustCompile(`(?m)^` + k + `=`).MatchString(res.outputFiles) {
				t.Errorf("%s: the outputs file has no %s:\n%s", name, k, res.outputFiles)
			}
		}
	}
	inputs := map[string]string{"offline": "true", "comment": "true", "sarif-file": "reports/modseal.sarif"}

	// 1. A clean module: pass, the summary table, the SARIF file, and the
	// comment created with the marker.
	res := r.run("pull_request", inputs)
	check("clean", res, 0)
	want := map[string]string{"result": "pass", "errors": "0", "drift": "false", "sarif-file": "reports/modseal.sarif"}
	for k, v := range want {
		if res.outputs[k] != v {
			t.Errorf("clean: output %s = %q, want %q", k, res.outputs[k], v)
		}
	}
	if !regexp.MustCompile(`^sha256:[0-9a-f]{64}$`).MatchString(res.outputs["graph-digest"]) {
		t.Errorf("clean: graph-digest = %q", res.outputs["graph-digest"])
	}
	if _, err := strconv.Atoi(res.outputs["findings"]); err != nil {
		t.Errorf("clean: findings = %q", res.outputs["findings"])
	}
	if !strings.Contains(res.summary, "## modseal: pass") || !strings.Contains(res.summary, "| errors | warnings | notes | modules | hash-verified |") {
		t.Errorf("clean: the summary has no table:\n%s", res.summary)
	}
	sarif, err := os.ReadFile(filepath.Join(workspace, "reports", "modseal.sarif"))
	if err != nil || !bytes.Contains(sarif, []byte(`"version": "2.1.0"`)) {
		t.Errorf("clean: SARIF file: %v\n%.300s", err, sarif)
	}
	reqs, comments := gh.snapshot()
	if n := count(reqs, "POST"); n != 1 || len(comments) != 1 {
		t.Fatalf("clean: %d POSTs, %d comments; want one new comment:\n%v", n, len(comments), reqs)
	}
	firstID := comments[0]["id"].(int)
	body := comments[0]["body"].(string)
	// The marker names the command and the directory (one comment per
	// module of a matrix): internal/cli's tests check its exact form.
	if !regexp.MustCompile(`^<!-- modseal:comment[^\n]*-->\n`).MatchString(body) || !strings.Contains(body, "## modseal: pass") {
		t.Errorf("clean: comment body:\n%s", body)
	}
	if !strings.Contains(res.stdout, "modseal: created the pull-request comment") || !strings.Contains(res.stdout, "commit "+strings.Repeat("ab", 20)) ||
		!strings.Contains(res.stdout, "::notice title=modseal::no release binary is pinned for this revision of the action ("+strings.Repeat("ab", 20)+", ") {
		t.Errorf("clean: stdout:\n%s", res.stdout)
	}
	if !regexp.MustCompile(`\[[^\]\n]*workflow run 4242\]\(https://github\.test/owner/repo/actions/runs/4242\)`).MatchString(body) {
		t.Errorf("clean: the comment does not link the run:\n%s", body)
	}

	// 2. The same again: the comment is edited in place, not added.
	res = r.run("pull_request", inputs)
	check("again", res, 0)
	reqs, comments = gh.snapshot()
	if n := count(reqs, "POST"); n != 1 || len(comments) != 1 {
		t.Errorf("again: %d POSTs, %d comments; want the first comment edited", n, len(comments))
	}
	if last := reqs[len(reqs)-1]; last.Method != "PATCH" || last.URI != fmt.Sprintf("/repos/owner/repo/issues/comments/%d", firstID) {
		t.Errorf("again: last request %s %s, want PATCH of comment %d", last.Method, last.URI, firstID)
	}

	// 2b. A pull request that commits a link in the SARIF file's place,
	// aimed outside the checkout: the action refuses to write through it.
	sarifPath := filepath.Join(workspace, "reports", "modseal.sarif")
	victim := filepath.Join(t.TempDir(), "victim")
	if err := os.WriteFile(victim, []byte("precious\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Remove(sarifPath)
	if err := os.Symlink(victim, sarifPath); err != nil {
		t.Fatal(err)
	}
	noComment := map[string]string{"offline": "true", "comment": "false", "sarif-file": "reports/modseal.sarif"}
	res = r.run("pull_request", noComment)
	if res.exit == 0 || !strings.Contains(res.stdout, "is a symbolic link: refusing to write through it") {
		t.Errorf("sarif link: exit %d, stdout:\n%s", res.exit, res.stdout)
	}
	if data, _ := os.ReadFile(victim); string(data) != "precious\n" {
		t.Errorf("sarif link: the link's target was written: %q", data)
	}
	os.Remove(sarifPath)

	// 3. A tampered go.sum (and verify-cache): exit 1, result=fail, an error
	// annotation on go.sum; the comment says so.
	var b strings.Builder
	h := sha256.Sum256([]byte("tampered"))
	for _, l := range strings.SplitAfter(cleanSum, "\n") {
		if f := strings.Fields(l); len(f) == 3 && !strings.HasSuffix(f[1], "/go.mod") {
			l = f[0] + " " + f[1] + " h1:" + base64.StdEncoding.EncodeToString(h[:]) + "\n"
		}
		b.WriteString(l)
	}
	os.WriteFile(filepath.Join(workspace, "go.sum"), []byte(b.String()), 0o644)
	tampered := map[string]string{"offline": "true", "comment": "true", "verify-cache": "true"}
	res = r.run("pull_request", tampered)
	check("tampered", res, 1)
	if res.outputs["result"] != "fail" || res.outputs["errors"] == "0" || res.outputs["sarif-file"] != "" {
		t.Errorf("tampered: outputs %v", res.outputs)
	}
	if !regexp.MustCompile(`(?m)^::error file=go\.sum,line=\d+,title=hash-mismatch::`).MatchString(res.stdout) {
		t.Errorf("tampered: no hash-mismatch annotation on go.sum:\n%s", res.stdout)
	}
	// audit checks the module cache anyway: verify-cache adds no second
	// run, so the report is there once.
	if strings.Count(res.summary, "## modseal: fail") != 1 || strings.Contains(res.summary, "**Module cache check**") {
		t.Errorf("tampered: summary:\n%s", res.summary)
	}
	_, comments = gh.snapshot()
	if len(comments) != 1 || !strings.Contains(comments[0]["body"].(string), "hash-mismatch") {
		t.Errorf("tampered: comments %v", comments)
	}
	os.WriteFile(filepath.Join(workspace, "go.sum"), []byte(cleanSum), 0o644)

	// 4. A fork's read-only token: the comment is skipped with a notice, the
	// step passes, the summary is written.
	gh.mu.Lock()
	gh.forbidden = true
	gh.mu.Unlock()
	res = r.run("pull_request", map[string]string{"offline": "true", "comment": "true"})
	check("fork", res, 0)
	if !regexp.MustCompile(`(?m)^::notice title=modseal pr-comment::the pull-request comment was skipped: .*job summary`).MatchString(res.stdout) {
		t.Errorf("fork: no notice:\n%s", res.stdout)
	}
	if res.outputs["result"] != "pass" || !strings.Contains(res.summary, "## modseal: pass") {
		t.Errorf("fork: outputs %v, summary:\n%s", res.outputs, res.summary)
	}
	gh.mu.Lock()
	gh.forbidden = false
	gh.mu.Unlock()

	// 5. A push: no pull request, no request to the API.
	before, _ := gh.snapshot()
	res = r.run("push", map[string]string{"offline": "true", "comment": "true"})
	check("push", res, 0)
	if after, _ := gh.snapshot(); len(after) != len(before) {
		t.Errorf("push: %d API requests", len(after)-len(before))
	}
	if !strings.Contains(res.stdout, "::notice title=modseal pr-comment::no pull-request comment") {
		t.Errorf("push: stdout:\n%s", res.stdout)
	}

	// 5b. modseal cannot run (a bad fail-on: exit 2): result=error, the
	// step fails with status 2, the summary and the comment say so. A bad
	// input the script itself rejects ends the same way.
	res = r.run("pull_request", map[string]string{"offline": "true", "comment": "true", "fail-on": "sometimes"})
	check("error", res, 2)
	if res.outputs["result"] != "error" || res.outputs["findings"] != "" || !strings.Contains(res.summary, "## modseal: error") || !strings.Contains(res.stderr, "--fail-on") {
		t.Errorf("error: outputs %v\nsummary:\n%s\nstderr:\n%s", res.outputs, res.summary, res.stderr)
	}
	if _, comments := gh.snapshot(); !strings.Contains(comments[0]["body"].(string), "## modseal: error") {
		t.Errorf("error: the comment does not say so:\n%s", comments[0]["body"])
	}
	res = r.run("pull_request", map[string]string{"command": "verify"})
	check("bad command", res, 2)
	if res.outputs["result"] != "error" || !strings.Contains(res.stdout, "::error title=modseal::command must be audit, diff or snapshot") {
		t.Errorf("bad command: outputs %v\nstdout:\n%s", res.outputs, res.stdout)
	}

	// 5c. snapshot: the file is written, the digest is an output.
	res = r.run("push", map[string]string{"offline": "true", "command": "snapshot"})
	check("snapshot", res, 0)
	snap, err := os.ReadFile(filepath.Join(workspace, ".modseal", "graph.json"))
	if err != nil || res.outputs["result"] != "pass" || res.outputs["graph-digest"] == "" || !bytes.Contains(snap, []byte(res.outputs["graph-digest"])) {
		t.Errorf("snapshot: %v, outputs %v\nsummary:\n%s", err, res.outputs, res.summary)
	}
	os.RemoveAll(filepath.Join(workspace, ".modseal"))

	// 6. diff against the pull request's base branch, which the checkout
	// lacks: fetched from origin, drift reported.
	if _, err := exec.LookPath("git"); err != nil {
		t.Log("git is not installed: diff against base-ref not tested")
	} else {
		git := func(dir string, args ...string) {
			t.Helper()
			cmd := exec.Command("git", args...)
			cmd.Dir, cmd.Env = dir, r.env
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("git %v: %v\n%s", args, err, out)
			}
		}
		origin := filepath.Join(t.TempDir(), "origin.git")
		git(workspace, "init", "-q", "--bare", origin)
		os.RemoveAll(filepath.Join(workspace, "reports"))
		git(workspace, "init", "-q", "-b", "main", ".")
		git(workspace, "add", "-A")
		git(workspace, "commit", "-q", "-m", "base")
		git(workspace, "remote", "add", "origin", origin)
		git(workspace, "push", "-q", "origin", "main")
		git(workspace, "checkout", "-q", "-b", "feature")
		git(workspace, "branch", "-q", "-D", "main")
		git(workspace, "update-ref", "-d", "refs/remotes/origin/main")
		gomod, _ := os.ReadFile(filepath.Join(workspace, "go.mod"))
		os.WriteFile(filepath.Join(workspace, "go.mod"), bytes.Replace(gomod, []byte("go 1.26.0"), []byte("go 1.26.1"), 1), 0o644)
		git(workspace, "commit", "-q", "-am", "head")

		// With verify-cache, diff first runs the hash check: one report of
		// each in the summary, their counts added up.
		res = r.run("pull_request", map[string]string{"offline": "true", "command": "diff", "verify-cache": "true"})
		check("diff", res, 0)
		if !strings.Contains(res.summary, "**Module cache check**") || strings.Count(res.summary, "## modseal: pass") != 2 {
			t.Errorf("diff: summary:\n%s", res.summary)
		}
		if res.outputs["drift"] != "true" || res.outputs["result"] != "pass" {
			t.Errorf("diff: outputs %v\nstdout:\n%s\nstderr:\n%s", res.outputs, res.stdout, res.stderr)
		}
		if !strings.Contains(res.stdout, "Fetching the base branch main from origin") || !strings.Contains(res.stdout, "title=drift-go-version") {
			t.Errorf("diff: stdout:\n%s", res.stdout)
		}
	}

	// The token appears nowhere but in the Authorization header.
	reqs, comments = gh.snapshot()
	for i, res := range runs {
		for what, s := range map[string]string{"stdout": res.stdout, "stderr": res.stderr, "outputs": res.outputFiles, "summary": res.summary} {
			if strings.Contains(s, fakeToken) {
				t.Errorf("run %d: the token is in %s", i+1, what)
			}
		}
	}
	for _, c := range comments {
		if strings.Contains(c["body"].(string), fakeToken) {
			t.Error("the token is in a comment")
		}
	}
	for _, q := range reqs {
		if strings.Contains(q.URI, fakeToken) || strings.Contains(q.Body, fakeToken) {
			t.Errorf("the token is in the request %s %s", q.Method, q.URI)
		}
		if q.Auth != "Bearer "+fakeToken {
			t.Errorf("%s %s: Authorization %q", q.Method, q.URI, q.Auth)
		}
	}
}

func count(reqs []ghRequest, method string) int {
	n := 0
	for _, r := range reqs {
		if r.Method == method {
			n++
		}
	}
	return n
}

// TestActionGoCheck runs the step that decides whether the runner's Go can
// build modseal, with a fake go command of several versions.
func TestActionGoCheck(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("bash is not installed: the action's steps are bash scripts")
	}
	a, _ := readAction(t)
	var step *actionStep
	for i := range a.Runs.Steps {
		if a.Runs.Steps[i].ID == "go" {
			step = &a.Runs.Steps[i]
		}
	}
	if step == nil {
		t.Fatal("action.yml has no step with id go")
	}
	root, _ := filepath.Abs("../..")
	gomod, _ := os.ReadFile(filepath.Join(root, "go.mod"))
	m := regexp.MustCompile(`(?m)^go (\d+)\.(\d+)`).FindSubmatch(gomod)
	if m == nil {
		t.Fatal("no go line in go.mod")
	}
	major, _ := strconv.Atoi(string(m[1]))
	minor, _ := strconv.Atoi(string(m[2]))
	want := fmt.Sprintf("%d.%d", major, minor)
	for _, tc := range []struct {
		goVersion string // "" for no go command
		setup     string
	}{
		{fmt.Sprintf("go%d.%d.3", major, minor-2), "true"},
		{fmt.Sprintf("go%d.%d.0", major, minor), "false"},
		{fmt.Sprintf("go%d.%d.12", major, minor), "false"},
		{fmt.Sprintf("go%d.%d.1", major, minor+1), "false"},
		{"devel", "true"},
		{"", "true"},
	} {
		name := tc.goVersion
		if name == "" {
			name = "no-go"
		}
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			bin := filepath.Join(dir, "bin")
			os.Mkdir(bin, 0o755)
			// The system tools the script uses, without the real go command.
			for _, tool := range []string{"sed", "awk", "sort", "head", "cut", "printf"} {
				p, err := exec.LookPath(tool)
				if err != nil {
					continue // a shell builtin, or missing: the script will say
				}
				os.Symlink(p, filepath.Join(bin, tool))
			}
			if tc.goVersion != "" {
				os.WriteFile(filepath.Join(bin, "go"), []byte("#!/bin/sh\necho \"go version "+tc.goVersion+" linux/amd64\"\n"), 0o755)
			}
			out := filepath.Join(dir, "output")
			os.WriteFile(out, nil, 0o644)
			script := filepath.Join(dir, "step.sh")
			os.WriteFile(script, []byte(step.Run), 0o644)
			bash, _ := exec.LookPath("bash")
			cmd := exec.Command(bash, "--noprofile", "--norc", "-eo", "pipefail", script)
			cmd.Env = []string{"PATH=" + bin, "GITHUB_OUTPUT=" + out, "MODSEAL_ACTION_PATH=" + root}
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("%v\n%s", err, b)
			}
			data, _ := os.ReadFile(out)
			got := parseOutputs(t, string(data))
			if got["setup"] != tc.setup || got["version"] != want {
				t.Errorf("outputs %v, want setup=%s version=%s", got, tc.setup, want)
			}
		})
	}
}

// actionEnv is the environment of the fake runner's steps: no network
// (GOPROXY=off; the audits run with offline: true), the machine's module
// and build caches, a fresh home.
func actionEnv(t *testing.T) []string {
	home := t.TempDir()
	return []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"TMPDIR=" + os.TempDir(),
		"GOMODCACHE=" + goEnv(t, "GOMODCACHE"),
		"GOCACHE=" + goEnv(t, "GOCACHE"),
		"GOPATH=" + filepath.Join(home, "go"),
		"GOPROXY=off",
		"GOFLAGS=",
		"GOTOOLCHAIN=local",
		"GONOSUMDB=", "GONOPROXY=", "GOPRIVATE=", "GOINSECURE=",
		"XDG_CACHE_HOME=" + t.TempDir(),
		"NO_COLOR=1",
	}
}

// setEnv returns env with key set to value.
func setEnv(env []string, key, value string) []string {
	env = slices.DeleteFunc(slices.Clone(env), func(kv string) bool { return strings.HasPrefix(kv, key+"=") })
	return append(env, key+"="+value)
}

// localRelease is a release of modseal made here as goreleaser lays it
// out: modseal_VERSION_OS_ARCH.tar.gz for this machine's platform, with the
// binary at the top, and checksums.txt.
type localRelease struct {
	dir, archive, bin string
}

func buildLocalRelease(t *testing.T, root, version string) localRelease {
	t.Helper()
	dir := t.TempDir()
	exe := ""
	if goEnv(t, "GOHOSTOS") == "windows" {
		exe = ".exe"
	}
	bin := filepath.Join(t.TempDir(), "modseal"+exe)
	data, err := releaseBinary(root, version, exe)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, f := range []struct {
		name string
		data []byte
		mode int64
	}{{"README.md", []byte("# modseal\n"), 0o644}, {"modseal" + exe, data, 0o755}} {
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Mode: f.mode, Size: int64(len(f.data)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write(f.data)
	}
	tw.Close()
	zw.Close()
	archive := fmt.Sprintf("modseal_%s_%s_%s.tar.gz", strings.TrimPrefix(version, "v"), goEnv(t, "GOHOSTOS"), goEnv(t, "GOHOSTARCH"))
	if err := os.WriteFile(filepath.Join(dir, archive), buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(buf.Bytes())
	if err := os.WriteFile(filepath.Join(dir, "checksums.txt"), fmt.Appendf(nil, "%x  %s\n", sum, archive), 0o644); err != nil {
		t.Fatal(err)
	}
	return localRelease{dir: dir, archive: archive, bin: bin}
}

// releaseBinaries are the binaries buildLocalRelease built, by root and
// version: the tests that need a release share one go build.
var releaseBinaries sync.Map // string -> func() ([]byte, error)

// releaseBinary returns the bytes of modseal built from root as a release
// of version is.
func releaseBinary(root, version, exe string) ([]byte, error) {
	f, _ := releaseBinaries.LoadOrStore(root+"\x00"+version, sync.OnceValues(func() ([]byte, error) {
		dir, err := os.MkdirTemp("", "modseal-release-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
		bin := filepath.Join(dir, "modseal"+exe)
		build := exec.Command("go", "build", "-trimpath", "-ldflags=-X github.com/modseal/modseal/internal/cli.version="+version, "-o", bin, "./cmd/modseal")
		build.Dir = root
		build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=-mod=readonly", "GOWORK=off")
		if out, err := build.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("go build: %v\n%s", err, out)
		}
		return os.ReadFile(bin)
	}))
	return f.(func() ([]byte, error))()
}

// releaseServer serves a release directory as GitHub serves release
// assets, under /VERSION/NAME; tamper replaces every archive's bytes.
type releaseServer struct {
	dir      string
	mu       sync.Mutex
	requests int
	tamper   bool
}

func (s *releaseServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests++
	tamper := s.tamper
	s.mu.Unlock()
	_, name, ok := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	data, err := os.ReadFile(filepath.Join(s.dir, filepath.Base(name)))
	if !ok || err != nil {
		http.NotFound(w, r)
		return
	}
	if tamper {
		data = append(data, "tampered"...)
	}
	w.Write(data)
}

func (s *releaseServer) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

// releasePins runs scripts/release-check.sh pin on the release's checksums,
// as the release process does: the MODSEAL_PINS lines for this checkout.
func releasePins(t *testing.T, root string, rel localRelease) string {
	t.Helper()
	cmd := exec.Command("bash", "scripts/release-check.sh", "pin", filepath.Join(rel.dir, "checksums.txt"))
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("release-check.sh pin: %v\n%s", err, out)
	}
	if !regexp.MustCompile(`^[0-9a-f]{64} v9\.9\.9 [a-z0-9]+_[a-z0-9]+ [0-9a-f]{64}\n$`).Match(out) {
		t.Fatalf("release-check.sh pin printed %q", out)
	}
	return string(out)
}

func releaseTestPrereqs(t *testing.T) {
	if testing.Short() {
		t.Skip("builds modseal and runs the action's steps (skipped in -short mode)")
	}
	for _, tool := range []string{"bash", "go", "curl", "tar", "find", "xargs"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed", tool)
		}
	}
	if _, err := exec.LookPath("sha256sum"); err != nil {
		if _, err := exec.LookPath("shasum"); err != nil {
			t.Skip("neither sha256sum nor shasum is installed")
		}
	}
}

// TestActionRelease runs the action with install-mode release against a
// local release served over HTTP, pinned in the install step's table by
// scripts/release-check.sh pin: the pinned archive is downloaded, checked
// and run, without a build; a download whose sha256 is not the pinned one
// fails the step and is never run; a revision whose source no pin names,
// and install-mode source, build from source.
func TestActionRelease(t *testing.T) {
	t.Parallel()
	releaseTestPrereqs(t)
	a, _ := readAction(t)
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	rel := buildLocalRelease(t, root, "v9.9.9")
	rs := &releaseServer{dir: rel.dir}
	srv := httptest.NewServer(rs)
	defer srv.Close()
	pins := releasePins(t, root, rel)

	workspace := t.TempDir()
	actionModule(t, workspace)
	r := &runner{t: t, action: a, root: root, workspace: workspace, api: "http://127.0.0.1:1", env: actionEnv(t)}
	r.stepEnv("build", "MODSEAL_RELEASES", srv.URL)
	r.stepEnv("build", "MODSEAL_PINS", "0000 v0.0.1 plan9_386 0000\n"+pins)
	offline := map[string]string{"offline": "true"}

	// The pinned release: downloaded, checked, run; no go build.
	res := r.run("push", offline)
	if res.exit != 0 || res.outputs["result"] != "pass" || rs.count() != 1 {
		t.Fatalf("release: exit %d, outputs %v, %d downloads\nstdout:\n%s\nstderr:\n%s", res.exit, res.outputs, rs.count(), res.stdout, res.stderr)
	}
	if !strings.Contains(res.stdout, "Installed modseal v9.9.9 from the release, sha256 ") || !strings.Contains(res.stdout, "modseal v9.9.9\n") || strings.Contains(res.stdout, "building modseal from source") {
		t.Errorf("release: stdout:\n%s", res.stdout)
	}

	// A download that is not the pinned archive: the step fails, modseal
	// does not run.
	rs.mu.Lock()
	rs.tamper = true
	rs.mu.Unlock()
	r.installMayFail = true
	res = r.run("push", offline)
	r.installMayFail = false
	if res.exit != 2 || res.outputs["result"] != "" || !regexp.MustCompile(`(?m)^::error title=modseal::`+regexp.QuoteMeta(rel.archive)+` has sha256 [0-9a-f]{64}, not the [0-9a-f]{64} action.yml pins: not running it$`).MatchString(res.stdout) {
		t.Errorf("tampered download: exit %d, outputs %v\nstdout:\n%s\nstderr:\n%s", res.exit, res.outputs, res.stdout, res.stderr)
	}
	if strings.Contains(res.stdout, "modseal v9.9.9") {
		t.Errorf("tampered download: it ran:\n%s", res.stdout)
	}
	rs.mu.Lock()
	rs.tamper = false
	rs.mu.Unlock()

	// install-mode source: the pins are not looked at.
	before := rs.count()
	res = r.run("push", map[string]string{"offline": "true", "install-mode": "source"})
	if res.exit != 0 || rs.count() != before || strings.Contains(res.stdout, "v9.9.9") || strings.Contains(res.stdout, "::notice title=modseal::no release binary") {
		t.Errorf("source: exit %d, %d downloads\nstdout:\n%s", res.exit, rs.count()-before, res.stdout)
	}

	// A revision whose Go source no pin names (here: the pins of another
	// source): a notice, and the source build.
	r.stepEnv("build", "MODSEAL_PINS", strings.Repeat("0", 64)+pins[64:])
	res = r.run("push", offline)
	if res.exit != 0 || rs.count() != before || !regexp.MustCompile(`(?m)^::notice title=modseal::no release binary is pinned for this revision of the action \(a{0}[^)]*\): building modseal from source$`).MatchString(res.stdout) {
		t.Errorf("unpinned: exit %d, %d downloads\nstdout:\n%s", res.exit, rs.count()-before, res.stdout)
	}

	// A mode that does not exist.
	r.installMayFail = true
	res = r.run("push", map[string]string{"offline": "true", "install-mode": "binary"})
	if res.exit != 2 || !strings.Contains(res.stdout, `::error title=modseal::install-mode must be release or source, not "binary"`) {
		t.Errorf("bad mode: exit %d\nstdout:\n%s", res.exit, res.stdout)
	}
}

// poisonModule writes, in dir, a module requiring example.com/poison
// v1.0.0, and in modcache a module cache where that version's zip has been
// tampered with (another valid module zip; no extracted directory, so the
// zip's hash is the only check). go.sum has the genuine hashes. It returns
// the tampered zip's file and the genuine zip's h1.
func poisonModule(t *testing.T, dir, modcache string) (zipFile, h1 string) {
	t.Helper()
	const gomod = "module example.com/poison\n\ngo 1.21\n"
	mkzip := func(src string) []byte {
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		for name, data := range map[string]string{"go.mod": gomod, "poison.go": src} {
			w, _ := zw.Create("example.com/poison@v1.0.0/" + name)
			io.WriteString(w, data)
		}
		zw.Close()
		return buf.Bytes()
	}
	dl := filepath.Join(modcache, "cache", "download", "example.com", "poison", "@v")
	os.MkdirAll(dl, 0o755)
	genuine := filepath.Join(t.TempDir(), "genuine.zip")
	os.WriteFile(genuine, mkzip("package poison\n\nconst V = 1\n"), 0o644)
	h1, err := dirhash.HashZip(genuine, dirhash.Hash1)
	if err != nil {
		t.Fatal(err)
	}
	modH1, err := dirhash.Hash1([]string{"go.mod"}, func(string) (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(gomod)), nil })
	if err != nil {
		t.Fatal(err)
	}
	zipFile = filepath.Join(dl, "v1.0.0.zip")
	os.WriteFile(zipFile, mkzip("package poison\n\nconst V = 666 // tampered\n"), 0o644)
	os.WriteFile(filepath.Join(dl, "v1.0.0.mod"), []byte(gomod), 0o644)
	os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/poisontest\n\ngo 1.21\n\nrequire example.com/poison v1.0.0\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "go.sum"), []byte("example.com/poison v1.0.0 "+h1+"\nexample.com/poison v1.0.0/go.mod "+modH1+"\n"), 0o644)
	return zipFile, h1
}

// TestActionCachePoison: a restored cache can never make a check pass that
// would fail without it. The cache restored here (as a crafted archive
// could) holds a verification-cache entry saying the tampered zip's bytes
// hash to go.sum's h1, and damaged checksum-database state. modseal trusts
// its own verification cache (the control run shows the poisoned entry
// would pass the tampered zip), so the action takes nothing but sumdb/ from
// a restored cache: the audit still fails with hash-mismatch. (What sumdb/
// holds is authenticated by the database's signatures:
// testdata/script/ship_c_cache_poison.txtar.)
func TestActionCachePoison(t *testing.T) {
	t.Parallel()
	releaseTestPrereqs(t)
	a, _ := readAction(t)
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	// The release install: the source build would need modseal's own
	// dependencies in this test's module cache.
	rel := buildLocalRelease(t, root, "v9.9.9")
	srv := httptest.NewServer(&releaseServer{dir: rel.dir})
	defer srv.Close()
	pins := releasePins(t, root, rel)

	workspace, modcache := t.TempDir(), t.TempDir()
	zipFile, h1 := poisonModule(t, workspace, modcache)
	env := setEnv(actionEnv(t), "GOMODCACHE", modcache)
	key, err := os.ReadFile(zipFile)
	if err != nil {
		t.Fatal(err)
	}
	k := fmt.Sprintf("%x", sha256.Sum256(key))
	entry := "modseal-cache/modseal/verified/" + k[:2] + "/" + k + ".h1"
	poison := map[string][]byte{
		entry: []byte(h1 + "\n"),
		"modseal-cache/modseal/sumdb/config/sum.golang.org/latest":        []byte("go.sum database tree\n999999999\nAAAA\n\n— forged\n"),
		"modseal-cache/modseal/sumdb/cache/0000.pack":                     []byte("modseal sumdb pack 1\nforged\n"),
		"modseal-cache/modseal/download/example.com/poison/@v/v1.0.0.zip": key,
	}

	// Control: modseal itself, pointed at the poisoned cache, passes the
	// tampered zip. Were that to change (an authenticated verification
	// cache), this test would need a stronger poison.
	poisoned := t.TempDir()
	for name, data := range poison {
		p := filepath.Join(poisoned, filepath.FromSlash(name))
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, data, 0o644)
	}
	for _, cacheDir := range []string{t.TempDir(), filepath.Join(poisoned, "modseal-cache", "modseal")} {
		cmd := exec.Command(rel.bin, "audit", "--offline", "--cache-dir", cacheDir, ".")
		cmd.Dir, cmd.Env = workspace, env
		out, err := cmd.CombinedOutput()
		rc := 0
		if ee, ok := errors.AsType[*exec.ExitError](err); ok {
			rc = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if want := map[bool]int{true: 1, false: 0}[!strings.Contains(cacheDir, "modseal-cache")]; rc != want {
			t.Fatalf("control, cache %s: exit %d, want %d\n%s", cacheDir, rc, want, out)
		}
	}

	r := &runner{t: t, action: a, root: root, workspace: workspace, api: "http://127.0.0.1:1", env: env}
	r.stepEnv("build", "MODSEAL_RELEASES", srv.URL)
	r.stepEnv("build", "MODSEAL_PINS", pins)
	r.cache.put("modseal-sumdb-Linux-000000000000000000000000", poison)
	res := r.run("push", map[string]string{"offline": "true"})
	if res.exit != 1 || res.outputs["result"] != "fail" || !regexp.MustCompile(`(?m)^::error file=go\.sum,line=1,title=hash-mismatch::example\.com/poison@v1\.0\.0: module zip`).MatchString(res.stdout) {
		t.Fatalf("poisoned cache: exit %d, outputs %v\nstdout:\n%s\nstderr:\n%s", res.exit, res.outputs, res.stdout, res.stderr)
	}
	// The step after the failure saved the cache under the new key: only
	// sumdb/, never what the poisoned cache brought besides.
	r.cache.mu.Lock()
	defer r.cache.mu.Unlock()
	for _, key := range r.cache.saves {
		for name := range r.cache.entries[key] {
			if !strings.HasPrefix(name, "modseal-cache/modseal/sumdb/") {
				t.Errorf("cache %s holds %s", key, name)
			}
		}
	}
}

// TestActionInstallTime measures how long the action takes to get modseal
// ready: the steps before the one that runs it (the Go check, the cache's
// key, the install), with install-mode release against a local release
// served over HTTP (median of 5), and with the source build from an empty
// build cache, as on a fresh runner, and from a warm one (medians of 3).
// The module cache is warm in every case: on a hosted runner the source
// build also downloads modseal's dependencies, and the release download
// comes from GitHub instead of this machine. MODSEAL_MEASURE_INSTALL=1
// runs it (go test ./cmd/modseal -run TestActionInstallTime -v);
// docs/release.md has the figures.
func TestActionInstallTime(t *testing.T) {
	if os.Getenv("MODSEAL_MEASURE_INSTALL") == "" {
		t.Skip("a measurement, not a test: set MODSEAL_MEASURE_INSTALL=1")
	}
	releaseTestPrereqs(t)
	a, _ := readAction(t)
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	rel := buildLocalRelease(t, root, "v9.9.9")
	srv := httptest.NewServer(&releaseServer{dir: rel.dir})
	defer srv.Close()
	workspace := t.TempDir()
	actionModule(t, workspace)
	r := &runner{t: t, action: a, root: root, workspace: workspace, api: "http://127.0.0.1:1", env: actionEnv(t), stopAfter: "build"}
	r.stepEnv("build", "MODSEAL_RELEASES", srv.URL)
	r.stepEnv("build", "MODSEAL_PINS", releasePins(t, root, rel))
	median := func(name string, n int, inputs map[string]string, before func()) time.Duration {
		var ds []time.Duration
		for range n {
			if before != nil {
				before()
			}
			start := time.Now()
			res := r.run("push", inputs)
			d := time.Since(start)
			if res.exit != 0 {
				t.Fatalf("%s: exit %d\n%s\n%s", name, res.exit, res.stdout, res.stderr)
			}
			if release := strings.Contains(res.stdout, "from the release"); release != (inputs["install-mode"] == "") {
				t.Fatalf("%s: installed from the release: %v\n%s", name, release, res.stdout)
			}
			ds = append(ds, d)
		}
		slices.Sort(ds)
		t.Logf("%-34s median %7.2fs of %v", name, ds[len(ds)/2].Seconds(), ds)
		return ds[len(ds)/2]
	}
	median("install-mode release", 5, map[string]string{}, nil)
	warm := r.env
	median("install-mode source, cold GOCACHE", 3, map[string]string{"install-mode": "source"}, func() { r.env = setEnv(warm, "GOCACHE", t.TempDir()) })
	r.env = warm
	median("install-mode source, warm GOCACHE", 3, map[string]string{"install-mode": "source"}, nil)
}
