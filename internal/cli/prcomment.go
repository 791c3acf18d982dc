package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/modseal/modseal/internal/ghcomment"
	"github.com/modseal/modseal/internal/report"
	"github.com/modseal/modseal/internal/report/sanitize"
	"github.com/modseal/modseal/verify"
)

func init() {
	commandHelp["pr-comment"] = prCommentHelp
}

const prCommentHelp = `usage: modseal pr-comment [--command CMD] [--dir DIR] [--update-only] FILE

Pr-comment posts the Markdown in FILE (the report the GitHub Action wrote to
the job summary) as modseal's comment on the pull request of the current
GitHub Actions run. There is one such comment per pull request, command and
directory: a hidden marker at its top names the command and DIR (relative to
the repository root), and later runs with the same ones edit it in place, so
each job of a matrix over the modules of a monorepo keeps its own comment. A
comment an earlier modseal wrote (a marker without command and directory) is
taken over by the first run that has no comment of its own. Flags:

	--command CMD    the command the report is of (audit, diff, snapshot)
	--dir DIR        the directory it audited (default: none in the marker)
	--update-only    edit the comment if there is one, never create one: a
	                 passing run of the action's comment: on-failure mode

It reads the environment GitHub Actions sets:

	GITHUB_TOKEN        the token to write with (needs pull-requests: write)
	GITHUB_REPOSITORY   owner/name
	GITHUB_EVENT_PATH   the event payload, which names the pull request
	GITHUB_API_URL      the REST API (default https://api.github.com; GitHub
	                    Enterprise Server sets https://HOST/api/v3)

Outside a pull-request event, and when the token may not write (the
read-only token of a pull request from a fork), it prints a notice and exits
0: the job summary has the report. A body longer than GitHub's 65536
characters is cut with a note. The token is never printed, and is sent only
to the scheme and host of GITHUB_API_URL: a redirect to another host, or from
https to http, is refused.
`

// runPRComment implements "modseal pr-comment", which the GitHub Action uses
// to post or update its pull-request comment.
func runPRComment(ctx context.Context, args []string, stdout, stderr io.Writer, e env) error {
	fs := newFlagSet("pr-comment", stderr)
	command := fs.String("command", "", "the `command` the report is of")
	dir := fs.String("dir", "", "the `directory` the report is of")
	updateOnly := fs.Bool("update-only", false, "edit the comment if there is one, never create one")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return flagErr(err)
	}
	if len(pos) != 1 {
		return usageErr("pr-comment takes one file, the Markdown report, got %d arguments: run 'modseal help pr-comment'", len(pos))
	}
	token := e.get("GITHUB_TOKEN")
	// Every message below goes through scrub: a token cannot leak through an
	// error that happens to quote it; and what a server said is printed with
	// its control characters escaped (sanitize.Text), so it cannot start a
	// workflow command of its own in the job log.
	scrub := func(s string) string { return sanitize.Text(ghcomment.Scrub(s, token)) }
	fail := func(format string, args ...any) error {
		return errors.New(scrub(fmt.Sprintf(format, args...)))
	}
	notice := func(msg string) {
		fmt.Fprintln(stdout, report.WorkflowCommand("notice", "modseal pr-comment", scrub(msg)))
	}

	md, err := readLimited(pos[0], 8<<20)
	if err != nil {
		return fail("%v", err)
	}

	eventName, eventPath := e.get("GITHUB_EVENT_NAME"), e.get("GITHUB_EVENT_PATH")
	if eventPath == "" {
		notice("no pull-request comment: GITHUB_EVENT_PATH is not set, so this is not a GitHub Actions run of a pull request")
		return nil
	}
	event, err := verify.ReadFileLimited(eventPath, verify.MaxSumFileSize)
	if err != nil {
		return fail("reading the event payload: %v", err)
	}
	number, isPR, err := ghcomment.PullRequestNumber(event)
	if err != nil {
		return fail("%s: %v", eventPath, err)
	}
	if !isPR {
		notice(fmt.Sprintf("no pull-request comment: the %q event is not about a pull request; the report is in the job summary", eventName))
		return nil
	}
	owner, repo, err := ghcomment.ParseRepository(e.get("GITHUB_REPOSITORY"))
	if err != nil {
		return fail("GITHUB_REPOSITORY: %v", err)
	}
	if token == "" {
		return fail("GITHUB_TOKEN is not set: pass the token to write the comment with (the action's github-token input; the job needs 'permissions: pull-requests: write')")
	}
	client, err := ghcomment.New(ghcomment.Config{
		APIURL:    e.get("GITHUB_API_URL"),
		Token:     token,
		UserAgent: "modseal/" + versionString(),
	})
	if err != nil {
		return fail("GITHUB_API_URL: %v", err)
	}
	pr := ghcomment.PullRequest{Owner: owner, Repo: repo, Number: number}
	key := ghcomment.NewKey(*command, *dir)
	var res *ghcomment.Result
	if *updateOnly {
		res, err = client.Update(ctx, pr, key, string(md))
	} else {
		res, err = client.Upsert(ctx, pr, key, string(md))
	}
	var pe *ghcomment.PermissionError
	switch {
	case errors.As(err, &pe):
		notice(fmt.Sprintf("the pull-request comment was skipped: the token may not write to %s (HTTP %d; a pull request from a fork gets a read-only token). The job summary has the report.", pr, pe.Status))
		return nil
	case err != nil:
		return fail("%v", err)
	case res == nil:
		fmt.Fprintln(stdout, scrub(fmt.Sprintf("modseal: %s has no modseal comment to update: none is created for a passing run", pr)))
		return nil
	}
	verb := "created"
	if res.Updated {
		verb = "updated"
	}
	where := res.URL
	if where == "" {
		where = fmt.Sprintf("%s, comment %d", pr, res.ID)
	}
	fmt.Fprintln(stdout, scrub(fmt.Sprintf("modseal: %s the pull-request comment: %s", verb, where)))
	return nil
}

// readLimited reads file, refusing one larger than limit bytes.
func readLimited(file string, limit int64) ([]byte, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes: not a report", file, limit)
	}
	if len(strings.TrimSpace(string(data))) == 0 {
		return nil, fmt.Errorf("%s is empty: there is no report to post", file)
	}
	return data, nil
}
