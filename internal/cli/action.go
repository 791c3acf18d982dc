package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/modseal/modseal/internal/ghcomment"
	"github.com/modseal/modseal/internal/gocmd"
	"github.com/modseal/modseal/internal/report"
	"github.com/modseal/modseal/internal/report/sanitize"
	"github.com/modseal/modseal/verify"
)

func init() {
	commandHelp["action"] = actionHelp
}

const actionHelp = `usage: modseal action

Action is the GitHub Action's entry point: action.yml builds modseal and runs
"modseal action", which reads the action's inputs from the environment,

	MODSEAL_COMMAND            audit, diff or snapshot (default audit)
	MODSEAL_WORKING_DIRECTORY  the module or workspace (default .)
	MODSEAL_BASE_REF           diff: the revision to compare with; a branch
	                           name is origin/BRANCH, fetched when missing
	MODSEAL_FAIL_ON            --fail-on (default error)
	MODSEAL_OFFLINE            true or false (--offline)
	MODSEAL_SARIF_FILE         audit and diff: also write SARIF there (--sarif)
	MODSEAL_KEY                audit and diff: --key, a file or the PEM text
	MODSEAL_VERIFY_CACHE       true or false: diff and snapshot first run the
	                           offline hash check (audit always runs it)
	MODSEAL_COMMENT            true, false or on-failure: post the pull-request
	                           comment (one per command and directory);
	                           on-failure posts it only when the result is fail
	                           or error, and a passing run edits an earlier
	                           comment to say so but never creates one
	MODSEAL_GITHUB_TOKEN       for the comment and the base branch fetch only

runs the command once, with --format github, and writes the step outputs
(result, findings, errors, graph-digest, drift, sarif-file), the job summary
and the comment. Its exit status is the command's: 0, 1 or 2.
`

// actionInputs are the action's inputs, as action.yml passes them.
type actionInputs struct {
	command, dir, baseRef, failOn, sarifFile, key, token string
	comment                                              string // false, true or on-failure
	offline, verifyCache                                 bool
}

// actionInputsFrom reads and checks the inputs. Values the command itself
// checks (fail-on, the key, the directory) are left to it, so they are
// checked in one place.
func actionInputsFrom(getenv func(string) string) (actionInputs, error) {
	in := actionInputs{
		command:   getenv("MODSEAL_COMMAND"),
		dir:       getenv("MODSEAL_WORKING_DIRECTORY"),
		baseRef:   getenv("MODSEAL_BASE_REF"),
		failOn:    getenv("MODSEAL_FAIL_ON"),
		sarifFile: getenv("MODSEAL_SARIF_FILE"),
		key:       getenv("MODSEAL_KEY"),
		token:     getenv("MODSEAL_GITHUB_TOKEN"),
		comment:   getenv("MODSEAL_COMMENT"),
	}
	if in.command == "" {
		in.command = "audit"
	}
	if in.dir == "" {
		in.dir = "."
	}
	if in.failOn == "" {
		in.failOn = "error"
	}
	switch in.comment {
	case "":
		in.comment = "false"
	case "true", "false", "on-failure":
	default:
		return in, fmt.Errorf("comment must be true, false or on-failure, not %q", in.comment)
	}
	switch in.command {
	case "audit", "diff", "snapshot":
	default:
		return in, fmt.Errorf("command must be audit, diff or snapshot, not %q", in.command)
	}
	for _, b := range []struct {
		name string
		v    *bool
	}{{"offline", &in.offline}, {"verify-cache", &in.verifyCache}} {
		switch v := getenv("MODSEAL_" + strings.ToUpper(strings.ReplaceAll(b.name, "-", "_"))); v {
		case "true":
			*b.v = true
		case "false", "":
		default:
			return in, fmt.Errorf("%s must be true or false, not %q", b.name, v)
		}
	}
	if strings.ContainsAny(in.sarifFile, "\r\n") {
		return in, errors.New("sarif-file must be one line")
	}
	if strings.HasPrefix(in.baseRef, "-") {
		return in, fmt.Errorf("base-ref %q is neither a revision nor a branch name", in.baseRef)
	}
	return in, nil
}

// hashRules are the rules of audit's hash check: what verify-cache runs.
var hashRules = []string{verify.RuleHashMismatch, verify.RuleCacheTampered, verify.RuleIncompatibleWithGoMod}

// nonHashRules is the --skip list of the verify-cache check: every other rule.
func nonHashRules() string {
	var ids []string
	for _, r := range verify.Rules {
		if !slices.Contains(hashRules, r.ID) {
			ids = append(ids, r.ID)
		}
	}
	return strings.Join(ids, ",")
}

// actionArgs is the command line of the action's run: keyFile is the --key
// to pass, base the --base-ref.
func actionArgs(in actionInputs, keyFile, base string) []string {
	args := []string{in.command}
	if in.command != "snapshot" {
		args = append(args, "--format", "github", "--fail-on", in.failOn)
	}
	if in.offline {
		args = append(args, "--offline")
	}
	if in.command != "snapshot" {
		if keyFile != "" {
			args = append(args, "--key", keyFile)
		}
		if base != "" {
			args = append(args, "--base-ref", base)
		}
		if in.sarifFile != "" {
			args = append(args, "--sarif", in.sarifFile)
		}
	}
	return append(args, "--", in.dir)
}

// actionRun is one run of the action: what it has found so far.
type actionRun struct {
	ctx            context.Context
	stdout, stderr io.Writer
	environ        []string // the environment, without the token
	tmp            string   // a directory for this run's files
	md             string   // the Markdown report: job summary and comment

	worst            int // the exit status
	findings, errors int
	counted          bool // findings and errors hold a command's counts
	digest           string
	drift            bool
	sarif            string
}

// runAction implements "modseal action" (see actionHelp). It prints its own
// messages and returns the exit status.
func runAction(ctx context.Context, args []string, stdout, stderr io.Writer, environ []string) int {
	if len(args) > 0 {
		fmt.Fprintln(stderr, "modseal: action takes no arguments: it reads the MODSEAL_* variables action.yml sets (run 'modseal help action')")
		return ExitFailure
	}
	getenv := func(k string) string { return gocmd.Getenv(environ, k) }
	a := &actionRun{ctx: ctx, stdout: stdout, stderr: stderr}
	in, err := actionInputsFrom(getenv)
	// The token reaches only pr-comment and git fetch: not the go commands,
	// nor any other program started from here.
	a.environ = withoutEnv(environ, "MODSEAL_GITHUB_TOKEN")
	os.Unsetenv("MODSEAL_GITHUB_TOKEN")
	if err != nil {
		a.errorf("%v", err)
		return a.finish(ExitFailure)
	}
	if a.tmp, err = os.MkdirTemp(getenv("RUNNER_TEMP"), "modseal-action-"); err != nil {
		a.errorf("%v", err)
		return a.finish(ExitFailure)
	}
	defer os.RemoveAll(a.tmp)
	a.md = filepath.Join(a.tmp, "summary.md")
	if err := os.WriteFile(a.md, nil, 0o600); err != nil {
		a.errorf("%v", err)
		return a.finish(ExitFailure)
	}

	keyFile := in.key
	if strings.Contains(in.key, "-----BEGIN ") {
		keyFile = filepath.Join(a.tmp, "key.pem")
		if err := os.WriteFile(keyFile, []byte(in.key+"\n"), 0o600); err != nil {
			a.errorf("%v", err)
			return a.finish(ExitFailure)
		}
	}
	if in.command == "snapshot" {
		if in.key != "" {
			a.workflow("notice", "key is for audit and diff; snapshot does not use it")
		}
		if in.sarifFile != "" {
			a.workflow("notice", "sarif-file is for audit and diff: snapshot writes none")
			in.sarifFile = ""
		}
	}
	var sarifBefore os.FileInfo
	if in.sarifFile != "" {
		if err := checkReportPath(in.sarifFile); err != nil {
			a.errorf("sarif-file %v", err)
			return a.finish(ExitFailure)
		}
		if err := os.MkdirAll(filepath.Dir(in.sarifFile), 0o777); err != nil {
			a.errorf("sarif-file: %v", err)
			return a.finish(ExitFailure)
		}
		sarifBefore, _ = os.Stat(in.sarifFile)
	}

	// verify-cache: the audit runs the hash check anyway; diff and snapshot
	// do not look at the module cache, so the hash check runs first, on its
	// own and offline, into the same outputs and report.
	if in.verifyCache && in.command != "audit" {
		a.appendMD("**Module cache check** (hash rules only, offline)\n\n")
		a.run("cache", []string{"audit", "--format", "github", "--offline", "--fail-on", in.failOn, "--skip", nonHashRules(), "--", in.dir})
	}

	base, baseErr := "", error(nil)
	if in.command == "diff" && in.baseRef != "" {
		if base, baseErr = a.baseRev(in.dir, in.baseRef, in.token, getenv("GITHUB_SERVER_URL")); baseErr != nil {
			a.errorf("%v", baseErr)
			a.worst = ExitFailure
			a.appendMD("## modseal: error\n\nThe base revision could not be found: the step log says why.\n")
		}
	}
	if baseErr == nil {
		args := actionArgs(in, keyFile, base)
		if in.command == "snapshot" {
			a.snapshot(args, in.dir)
		} else {
			rc := a.run(in.command, args)
			if in.sarifFile != "" && (rc != ExitFailure || changed(sarifBefore, in.sarifFile)) {
				a.sarif = in.sarifFile
			}
		}
	}

	if file := getenv("GITHUB_STEP_SUMMARY"); file != "" {
		if md, err := os.ReadFile(a.md); err == nil {
			if err := report.AppendFile(file, md, true); err != nil {
				a.workflow("warning", fmt.Sprintf("writing the job summary: %v", err))
			}
		}
	}
	switch {
	case in.comment == "true":
		a.comment(in, getenv, false)
	case in.comment == "on-failure":
		// A pass creates no comment, but edits one an earlier failing run
		// wrote: a stale failure would stay on the pull request otherwise.
		a.comment(in, getenv, a.worst == ExitOK)
	}
	return a.finish(a.worst)
}

// run runs modseal ARGS in-process, its step outputs and job summary going
// to this run's files, and folds its exit status and outputs into the
// action's. It returns the exit status.
func (a *actionRun) run(label string, args []string) int {
	out := filepath.Join(a.tmp, label+".out")
	env := gocmd.Setenv(gocmd.Setenv(a.environ, "GITHUB_OUTPUT", out), "GITHUB_STEP_SUMMARY", a.md)
	rc := Main(a.ctx, args, strings.NewReader(""), a.stdout, a.stderr, env)
	if rc != ExitOK && rc != ExitFindings {
		rc = ExitFailure
	}
	a.worst = max(a.worst, rc)
	if rc == ExitFailure {
		a.appendMD(fmt.Sprintf("## modseal: error\n\nmodseal %s could not run (exit status 2): the step log says why.\n", args[0]))
		return rc
	}
	o := readStepOutputs(out)
	if n, err := strconv.Atoi(o["findings"]); err == nil {
		a.findings += n
		a.counted = true
	}
	if n, err := strconv.Atoi(o["errors"]); err == nil {
		a.errors += n
	}
	if o["drift"] == "true" {
		a.drift = true
	}
	if digestRE.MatchString(o["graph-digest"]) {
		a.digest = o["graph-digest"]
	}
	return rc
}

var digestRE = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

// snapshot runs "modseal snapshot" in-process; the digest comes from the
// snapshot it wrote.
func (a *actionRun) snapshot(args []string, dir string) {
	var out bytes.Buffer
	env := gocmd.Setenv(a.environ, "GITHUB_OUTPUT", filepath.Join(a.tmp, "snapshot.out"))
	rc := Main(a.ctx, args, strings.NewReader(""), io.MultiWriter(a.stdout, &out), a.stderr, env)
	if rc != ExitOK {
		a.worst = ExitFailure
		a.appendMD(fmt.Sprintf("## modseal: error\n\nmodseal snapshot could not run (exit status %d): the step log says why.\n", rc))
		return
	}
	a.counted = true
	var snap struct {
		GraphDigest string `json:"graph_digest"`
	}
	if data, err := verify.ReadFileLimited(filepath.Join(dir, filepath.FromSlash(defaultSnapshot)), verify.MaxSumFileSize); err == nil && json.Unmarshal(data, &snap) == nil && digestRE.MatchString(snap.GraphDigest) {
		a.digest = snap.GraphDigest
	}
	var b strings.Builder
	b.WriteString("## modseal: snapshot written\n\n")
	for l := range strings.Lines(out.String()) {
		b.WriteString("    " + l)
	}
	a.appendMD(b.String())
}

// baseRev returns the revision diff compares with: a revision the checkout
// has, else origin/REF, fetched when the checkout lacks it.
func (a *actionRun) baseRev(dir, ref, token, server string) (string, error) {
	ctx := a.ctx
	if _, err := gocmd.Git(ctx, dir, "rev-parse", "--verify", "--quiet", "refs/remotes/origin/"+ref+"^{commit}"); err == nil {
		return "origin/" + ref, nil
	}
	if _, err := gocmd.Git(ctx, dir, "rev-parse", "--verify", "--quiet", ref+"^{commit}"); err == nil {
		return ref, nil
	}
	if _, err := gocmd.Git(ctx, dir, "check-ref-format", "--branch", ref); err != nil {
		return "", fmt.Errorf("base-ref %q is neither a revision of this checkout nor a branch name", ref)
	}
	args := []string{"fetch", "--quiet", "--no-tags"}
	if out, err := gocmd.Git(ctx, dir, "rev-parse", "--is-shallow-repository"); err == nil && strings.TrimSpace(string(out)) == "true" {
		args = append(args, "--depth=1")
	}
	args = append(args, "origin", "+refs/heads/"+ref+":refs/remotes/origin/"+ref)
	fmt.Fprintf(a.stdout, "Fetching the base branch %s from origin.\n", safeText(ref))
	if server == "" {
		server = "https://github.com"
	}
	// The token reaches git through a credential helper that reads it from
	// git's environment, for the GitHub server only: never on a command line,
	// never in .git/config, and in the environment of this one git command
	// only (gocmd.GitEnv).
	const helper = `!f() { test "$1" = get && echo username=x-access-token && echo "password=$MODSEAL_GIT_TOKEN"; }; f`
	args = append([]string{"-c", "credential." + server + ".helper=" + helper}, args...)
	_, err := gocmd.GitEnv(ctx, dir, []string{"MODSEAL_GIT_TOKEN=" + token, "GIT_TERMINAL_PROMPT=0"}, args...)
	if err != nil {
		// git's message, without the command line gocmd.Git puts first.
		msg := strings.TrimPrefix(err.Error(), "git "+strings.Join(args, " ")+": ")
		return "", fmt.Errorf("cannot fetch the base branch %s from origin: %s", ref, ghcomment.Scrub(msg, token))
	}
	return "origin/" + ref, nil
}

// comment posts the report as the pull-request comment of the command and
// directory, through "modseal pr-comment" in-process; with updateOnly it only
// edits an existing one.
func (a *actionRun) comment(in actionInputs, getenv func(string) string, updateOnly bool) {
	md, err := os.ReadFile(a.md)
	if err != nil {
		a.workflow("warning", fmt.Sprintf("the pull-request comment could not be written: %v", err))
		return
	}
	dir := commentDir(in.dir, getenv("GITHUB_WORKSPACE"))
	footer := fmt.Sprintf("modseal %s of %s", in.command, sanitize.Markdown(dir))
	if run, repo := getenv("GITHUB_RUN_ID"), getenv("GITHUB_REPOSITORY"); run != "" && repo != "" {
		server := getenv("GITHUB_SERVER_URL")
		if server == "" {
			server = "https://github.com"
		}
		footer += fmt.Sprintf(" in [workflow run %s](%s/%s/actions/runs/%s)", run, server, repo, run)
	}
	md = fmt.Appendf(md, "\n<sub>%s</sub>\n", footer)
	file := filepath.Join(a.tmp, "comment.md")
	if err := os.WriteFile(file, md, 0o600); err != nil {
		a.workflow("warning", fmt.Sprintf("the pull-request comment could not be written: %v", err))
		return
	}
	env := gocmd.Setenv(a.environ, "GITHUB_TOKEN", in.token)
	args := []string{"pr-comment", "--command", in.command, "--dir", dir}
	if updateOnly {
		args = append(args, "--update-only")
	}
	if rc := Main(a.ctx, append(args, "--", file), strings.NewReader(""), a.stdout, a.stderr, env); rc != ExitOK {
		a.workflow("warning", fmt.Sprintf("the pull-request comment could not be written (exit status %d); the job summary has the report", rc))
	}
}

// commentDir is the directory a comment's marker names: dir relative to the
// workspace (the repository root), slash-separated, so that "svc", "./svc"
// and "$GITHUB_WORKSPACE/svc" are one comment. A directory outside the
// workspace is named as given.
func commentDir(dir, workspace string) string {
	if workspace != "" {
		if abs, err := filepath.Abs(dir); err == nil {
			if rel, err := filepath.Rel(workspace, abs); err == nil && filepath.IsLocal(rel) {
				dir = rel
			}
		}
	}
	return ghcomment.NewKey("", dir).Dir
}

// finish writes the step outputs, once, and returns status.
func (a *actionRun) finish(status int) int {
	result, findings, errs := "pass", "", ""
	if a.counted {
		findings, errs = strconv.Itoa(a.findings), strconv.Itoa(a.errors)
	}
	switch status {
	case ExitFindings:
		result = "fail"
	case ExitFailure:
		// Counts of a partial run would read as a result.
		result, findings, errs = "error", "", ""
	}
	var b strings.Builder
	for _, kv := range [][2]string{
		{"result", result}, {"findings", findings}, {"errors", errs},
		{"graph-digest", a.digest}, {"drift", strconv.FormatBool(a.drift)}, {"sarif-file", a.sarif},
	} {
		// Every value is one line: sarif-file is checked, the rest are ours.
		fmt.Fprintf(&b, "%s=%s\n", kv[0], kv[1])
	}
	if file := gocmd.Getenv(a.environ, "GITHUB_OUTPUT"); file != "" {
		if err := report.AppendFile(file, []byte(b.String()), false); err != nil {
			fmt.Fprintf(a.stderr, "modseal: writing the step outputs: %v\n", err)
			return ExitFailure
		}
	}
	return status
}

func (a *actionRun) errorf(format string, args ...any) {
	a.workflow("error", fmt.Sprintf(format, args...))
}

// workflow prints a workflow command titled modseal.
func (a *actionRun) workflow(command, msg string) {
	fmt.Fprintln(a.stdout, report.WorkflowCommand(command, "modseal", msg))
}

func (a *actionRun) appendMD(s string) {
	if err := report.AppendFile(a.md, []byte(s), true); err != nil {
		a.workflow("warning", fmt.Sprintf("writing the report: %v", err))
	}
}

// readStepOutputs reads a $GITHUB_OUTPUT file: name=value lines and
// name<<DELIMITER heredocs. The last value of a name wins, as on GitHub.
func readStepOutputs(file string) map[string]string {
	out := map[string]string{}
	data, err := verify.ReadFileLimited(file, 1<<20)
	if err != nil {
		return out
	}
	lines := strings.Split(strings.TrimSuffix(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n"), "\n")
	for i := 0; i < len(lines); i++ {
		if name, delim, ok := strings.Cut(lines[i], "<<"); ok && !strings.Contains(name, "=") {
			var v []string
			for i++; i < len(lines) && lines[i] != delim; i++ {
				v = append(v, lines[i])
			}
			out[name] = strings.Join(v, "\n")
			continue
		}
		if name, v, ok := strings.Cut(lines[i], "="); ok {
			out[name] = v
		}
	}
	return out
}

// checkReportPath refuses a report file name whose last element, or a
// directory on the way to it inside the working directory, is a symbolic
// link: the checkout of a pull request can commit a link in the report's
// place, aimed at any file the runner may write. A name outside the working
// directory (under $RUNNER_TEMP) is the workflow's own.
func checkReportPath(file string) error {
	abs, err := filepath.Abs(file)
	if err != nil {
		return err
	}
	if fi, err := os.Lstat(abs); err == nil && fi.Mode()&os.ModeSymlink != 0 {
		return fmt.Errorf("%s is a symbolic link: refusing to write through it", file)
	}
	wd, err := os.Getwd()
	if err != nil {
		return err
	}
	rel, err := filepath.Rel(wd, abs)
	if err != nil || !filepath.IsLocal(rel) {
		return nil
	}
	p := wd
	for _, elem := range strings.Split(filepath.Dir(rel), string(filepath.Separator)) {
		if elem == "." {
			continue
		}
		p = filepath.Join(p, elem)
		if fi, err := os.Lstat(p); err == nil && fi.Mode()&os.ModeSymlink != 0 {
			return fmt.Errorf("%s: %s is a symbolic link: refusing to write through it", file, filepath.ToSlash(strings.TrimPrefix(p, wd+string(filepath.Separator))))
		}
	}
	return nil
}

// changed reports whether file exists and differs from before (its state
// before the run; nil when it did not exist).
func changed(before os.FileInfo, file string) bool {
	fi, err := os.Stat(file)
	if err != nil {
		return false
	}
	return before == nil || !fi.ModTime().Equal(before.ModTime()) || fi.Size() != before.Size()
}

// withoutEnv returns environ without the variable key.
func withoutEnv(environ []string, key string) []string {
	return slices.DeleteFunc(slices.Clone(environ), func(kv string) bool {
		k, _, _ := strings.Cut(kv, "=")
		return k == key
	})
}
