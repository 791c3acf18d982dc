// Package ghcomment keeps modseal's report as one comment on a GitHub pull
// request: the first run creates the comment, later runs edit it in place.
// A hidden marker at the top of the body finds it again; it names the
// command and the audited directory, so each module of a monorepo has its
// own comment.
//
// It is the only package that imports go-github, so that the rest of modseal
// (and the public verify and graph libraries above all) do not carry the
// GitHub client.
package ghcomment

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/go-github/v60/github"

	"github.com/modseal/modseal/internal/report/sanitize"
)

// Marker is the marker of a comment with no key (Key{}): the one comment
// per pull request that modseal wrote before comments had keys. A run that
// has no comment of its own takes such a comment over (see Client.Upsert).
// It is an HTML comment, so GitHub does not render it.
const Marker = "<!-- modseal:comment -->"

// markerPrefix starts every marker; the key's fields follow, then " -->".
const markerPrefix = "<!-- modseal:comment"

// A Key tells the comments of one pull request apart: one comment per
// command and audited directory, so that the jobs of a matrix over the
// modules of a monorepo keep one comment each instead of rewriting one.
type Key struct {
	Command string // audit, diff or snapshot; empty in the keyless Marker
	Dir     string // the audited directory, slash-separated and cleaned ("." for the root)
}

// NewKey returns the key of command run on dir. dir is cleaned and written
// with forward slashes, so "svc", "./svc" and "svc/" are one key.
func NewKey(command, dir string) Key {
	if dir != "" {
		dir = path.Clean(strings.ReplaceAll(dir, "\\", "/"))
	}
	return Key{Command: command, Dir: dir}
}

// Marker returns the hidden first line of the comments of k, e.g.
// "<!-- modseal:comment command=audit dir=svc -->". The values are
// percent-encoded as URL paths, so they hold no space and no "-->".
func (k Key) Marker() string {
	var b strings.Builder
	b.WriteString(markerPrefix)
	if k.Command != "" {
		b.WriteString(" command=" + markerEscape(k.Command))
	}
	if k.Dir != "" {
		b.WriteString(" dir=" + markerEscape(k.Dir))
	}
	b.WriteString(" -->")
	return b.String()
}

// markerEscape percent-encodes v as a URL path: no space, no ">", and "/"
// kept.
func markerEscape(v string) string {
	return (&url.URL{Path: v}).EscapedPath()
}

// ParseMarker reads the key from the first line of a comment body, and
// reports whether that line is a modseal marker. Fields it does not know
// are ignored.
func ParseMarker(body string) (Key, bool) {
	line, _, _ := strings.Cut(body, "\n")
	line = strings.TrimSuffix(line, "\r")
	rest, ok := strings.CutPrefix(line, markerPrefix)
	if !ok {
		return Key{}, false
	}
	inner, ok := strings.CutSuffix(rest, "-->")
	if !ok || inner != "" && inner[0] != ' ' {
		return Key{}, false
	}
	var k Key
	for _, f := range strings.Fields(inner) {
		name, v, ok := strings.Cut(f, "=")
		if !ok {
			continue
		}
		v, err := url.PathUnescape(v)
		if err != nil {
			return Key{}, false
		}
		switch name {
		case "command":
			k.Command = v
		case "dir":
			k.Dir = v
		}
	}
	return k, true
}

// MaxBody is GitHub's limit on the length of a comment body (65536
// characters). Body counts bytes, which are never fewer than characters, so a
// body it returns always fits.
const MaxBody = 65536

// truncatedNote ends a body that Body had to cut.
const truncatedNote = "\n\n---\n\n**The report is cut here:** a pull-request comment holds at most 65536 characters. The full report is in the job summary of this workflow run.\n"

// Body returns the comment body of key for the Markdown report md: the
// key's marker on its own line, then md (without a marker line of its own).
// A report that would make the body longer than MaxBody is cut at the end of
// a line and followed by a note that says so and points at the job summary.
func Body(key Key, md string) string {
	if _, ok := ParseMarker(md); ok {
		_, md, _ = strings.Cut(md, "\n")
	}
	md = strings.TrimLeft(md, "\r\n")
	if !utf8.ValidString(md) {
		md = strings.ToValidUTF8(md, "\uFFFD")
	}
	marker := key.Marker()
	body := marker + "\n" + md
	if len(body) <= MaxBody {
		return body
	}
	keep := body[:MaxBody-len(truncatedNote)]
	if i := strings.LastIndexByte(keep, '\n'); i > len(marker) {
		keep = keep[:i]
	} else {
		// One enormous line: cut at a character boundary.
		for !utf8.ValidString(keep) {
			keep = keep[:len(keep)-1]
		}
	}
	return keep + truncatedNote
}

// A PullRequest names the pull request to comment on.
type PullRequest struct {
	Owner, Repo string
	Number      int
}

func (p PullRequest) String() string { return fmt.Sprintf("%s/%s#%d", p.Owner, p.Repo, p.Number) }

// ParseRepository splits GITHUB_REPOSITORY ("owner/repo").
func ParseRepository(s string) (owner, repo string, err error) {
	owner, repo, ok := strings.Cut(s, "/")
	if !ok || owner == "" || repo == "" || strings.Contains(repo, "/") {
		return "", "", fmt.Errorf("repository %q is not owner/name", s)
	}
	return owner, repo, nil
}

// PullRequestNumber returns the number of the pull request an event payload
// (the JSON file $GITHUB_EVENT_PATH names) is about, and false when the event
// is not about a pull request (a push, a schedule, ...). Events about a pull
// request carry it as pull_request.number (pull_request,
// pull_request_target, pull_request_review, ...).
func PullRequestNumber(event []byte) (int, bool, error) {
	var ev struct {
		PullRequest *struct {
			Number int `json:"number"`
		} `json:"pull_request"`
	}
	if err := json.Unmarshal(event, &ev); err != nil {
		return 0, false, fmt.Errorf("the event payload is not JSON: %v", err)
	}
	if ev.PullRequest == nil {
		return 0, false, nil
	}
	if ev.PullRequest.Number <= 0 {
		return 0, false, errors.New("the event payload's pull_request has no number")
	}
	return ev.PullRequest.Number, true, nil
}

// Config configures a Client.
type Config struct {
	// APIURL is the REST API's base URL: $GITHUB_API_URL, which is
	// https://api.github.com on github.com and https://HOST/api/v3 on GitHub
	// Enterprise Server. Empty means https://api.github.com.
	APIURL string
	// Token authenticates every request to APIURL's scheme and host
	// ($GITHUB_TOKEN). It is sent in the Authorization header to that origin
	// and nowhere else, and removed from every error.
	Token string
	// UserAgent names the client, e.g. "modseal/v1.2.3".
	UserAgent string
	// HTTPClient makes the requests; nil means a client with a timeout. New
	// uses a copy of it, with the token added by its transport (to requests
	// for the API's origin only) and redirects to another origin or from
	// https to http refused.
	HTTPClient *http.Client
}

// A Client creates and edits the comment.
type Client struct {
	gh    *github.Client
	token string
	// botOnly: only a comment written by a bot account is ours. A GitHub
	// App installation token (the workflow's GITHUB_TOKEN) always writes as
	// a bot, so a marker in a comment a person wrote, which anyone who can
	// comment can add, does not make modseal overwrite that comment.
	botOnly bool
}

// New returns a Client for cfg.
func New(cfg Config) (*Client, error) {
	if cfg.Token == "" {
		return nil, errors.New("no token")
	}
	api := cfg.APIURL
	if api == "" {
		api = "https://api.github.com"
	}
	base, err := url.Parse(api)
	if err != nil || (base.Scheme != "https" && base.Scheme != "http") || base.Host == "" || base.User != nil {
		return nil, fmt.Errorf("API URL %q is not an http(s) URL", api)
	}
	if !strings.HasSuffix(base.Path, "/") {
		base.Path += "/"
	}
	hc := &http.Client{Timeout: 30 * time.Second}
	if cfg.HTTPClient != nil {
		c := *cfg.HTTPClient
		hc = &c
	}
	// Not go-github's WithAuthToken: its transport sets the Authorization
	// header on every request, below net/http's redirect handling, so a
	// redirect to another host (or to plain http) would carry the token.
	base0 := hc.Transport
	if base0 == nil {
		base0 = http.DefaultTransport
	}
	hc.Transport = &authTransport{base: base0, scheme: base.Scheme, host: canonicalHost(base), token: cfg.Token}
	hc.CheckRedirect = checkRedirect
	gh := github.NewClient(hc)
	// BaseURL, not WithEnterpriseURLs: $GITHUB_API_URL is already the API
	// root on every kind of host (GitHub Enterprise Server's /api/v3/,
	// GHE.com's api. host), which WithEnterpriseURLs would second-guess.
	gh.BaseURL = base
	gh.UploadURL = base
	if cfg.UserAgent != "" {
		gh.UserAgent = cfg.UserAgent
	}
	return &Client{gh: gh, token: cfg.Token, botOnly: strings.HasPrefix(cfg.Token, "ghs_")}, nil
}

// authTransport adds the token to the requests for one origin (scheme and
// host) and removes any Authorization header from the others.
type authTransport struct {
	base         http.RoundTripper
	scheme, host string
	token        string
}

func (t *authTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	if req.URL.Scheme == t.scheme && canonicalHost(req.URL) == t.host {
		req.Header.Set("Authorization", "Bearer "+t.token)
	} else {
		req.Header.Del("Authorization")
	}
	return t.base.RoundTrip(req)
}

// canonicalHost is u's host in lower case with the scheme's default port
// left out, so that https://API.example:443 and https://api.example are one
// origin.
func canonicalHost(u *url.URL) string {
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if port == "" || u.Scheme == "https" && port == "443" || u.Scheme == "http" && port == "80" {
		if strings.Contains(host, ":") {
			return "[" + host + "]"
		}
		return host
	}
	return net.JoinHostPort(host, port)
}

// checkRedirect follows a redirect only within the origin of the first
// request: the API does not redirect the requests modseal makes elsewhere,
// and a redirect to another host or from https to http is not followed (the
// token would not be sent there, but neither would the comment be written).
func checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return errors.New("stopped after 10 redirects")
	}
	from := via[0].URL
	switch {
	case from.Scheme == "https" && req.URL.Scheme != "https":
		return fmt.Errorf("refusing a redirect from https to %s (%s)", req.URL.Scheme, sanitize.Text(req.URL.Redacted()))
	case req.URL.Scheme != from.Scheme || canonicalHost(req.URL) != canonicalHost(from):
		return fmt.Errorf("refusing a redirect to another host or scheme (%s): the API is at %s://%s", sanitize.Text(req.URL.Redacted()), from.Scheme, sanitize.Text(canonicalHost(from)))
	}
	return nil
}

// A Result says what Upsert did.
type Result struct {
	ID      int64  // the comment's id
	URL     string // its HTML URL, if GitHub gave one
	Updated bool   // an existing comment was edited, rather than a new one created
}

// A PermissionError is a request the token may not make: GitHub answered
// 403 Forbidden, or 404 Not Found to a write (GitHub hides what a token may
// not change). The workflow's token on a pull request from a fork is
// read-only, so this is the usual outcome there.
type PermissionError struct {
	Op     string // "list", "create" or "edit"
	Status int
	msg    string
}

func (e *PermissionError) Error() string { return e.msg }

// Upsert writes the comment Body(key, md) on pr: it edits the comment of
// key if the pull request has one, else takes over a keyless comment (the
// Marker an earlier modseal wrote, so upgrading does not leave a stale
// duplicate behind), else creates a comment.
func (c *Client) Upsert(ctx context.Context, pr PullRequest, key Key, md string) (*Result, error) {
	return c.write(ctx, pr, key, md, true)
}

// Update is Upsert that never creates a comment: with no comment of key (nor
// a keyless one) on pr it does nothing and returns nil, nil. A run that
// comments only on failure uses it when it passes, so that a comment that
// reports an earlier failure says the failure is gone.
func (c *Client) Update(ctx context.Context, pr PullRequest, key Key, md string) (*Result, error) {
	return c.write(ctx, pr, key, md, false)
}

func (c *Client) write(ctx context.Context, pr PullRequest, key Key, md string, create bool) (*Result, error) {
	if pr.Owner == "" || pr.Repo == "" || pr.Number <= 0 {
		// Number 0 would list the comments of every issue of the repository.
		return nil, fmt.Errorf("no pull request to comment on (%s)", pr)
	}
	body := Body(key, md)
	existing, err := c.find(ctx, pr, key)
	if err != nil {
		return nil, c.wrap("list", fmt.Sprintf("listing the comments of %s", pr), err)
	}
	if existing != nil {
		cm, _, err := c.gh.Issues.EditComment(ctx, pr.Owner, pr.Repo, existing.GetID(), &github.IssueComment{Body: github.String(body)})
		if err != nil {
			return nil, c.wrap("edit", fmt.Sprintf("editing comment %d of %s", existing.GetID(), pr), err)
		}
		return &Result{ID: cm.GetID(), URL: cm.GetHTMLURL(), Updated: true}, nil
	}
	if !create {
		return nil, nil
	}
	cm, _, err := c.gh.Issues.CreateComment(ctx, pr.Owner, pr.Repo, pr.Number, &github.IssueComment{Body: github.String(body)})
	if err != nil {
		return nil, c.wrap("create", fmt.Sprintf("commenting on %s", pr), err)
	}
	return &Result{ID: cm.GetID(), URL: cm.GetHTMLURL()}, nil
}

// find returns the oldest comment of pr that modseal wrote for key; without
// one, the oldest keyless one; else nil. It reads every page of comments.
func (c *Client) find(ctx context.Context, pr PullRequest, key Key) (*github.IssueComment, error) {
	var keyless *github.IssueComment
	opts := &github.IssueListCommentsOptions{ListOptions: github.ListOptions{PerPage: 100}}
	for {
		comments, resp, err := c.gh.Issues.ListComments(ctx, pr.Owner, pr.Repo, pr.Number, opts)
		if err != nil {
			return nil, err
		}
		for _, cm := range comments {
			k, ok := c.ours(cm)
			switch {
			case !ok:
			case k == key:
				return cm, nil
			case k == (Key{}) && keyless == nil:
				keyless = cm
			}
		}
		if resp == nil || resp.NextPage == 0 || resp.NextPage == opts.Page {
			return keyless, nil
		}
		opts.Page = resp.NextPage
	}
}

// ours reports whether modseal wrote cm, and for which key.
func (c *Client) ours(cm *github.IssueComment) (Key, bool) {
	k, ok := ParseMarker(cm.GetBody())
	if !ok || c.botOnly && cm.GetUser().GetType() != "Bot" {
		return Key{}, false
	}
	return k, true
}

// wrap turns err into a PermissionError or a plain error, with the token
// removed from the text and the server's words (GitHub's error message, or
// whatever a proxy in between answered) made safe to print (sanitize.Text). The result does not unwrap to err: go-github's
// errors hold the response, and nothing that prints them should find the
// request's headers there.
func (c *Client) wrap(op, what string, err error) error {
	msg := sanitize.Text(c.Scrub(what + ": " + err.Error()))
	var er *github.ErrorResponse
	if errors.As(err, &er) && er.Response != nil {
		switch st := er.Response.StatusCode; {
		case st == http.StatusForbidden, st == http.StatusNotFound && op != "list":
			return &PermissionError{Op: op, Status: st, msg: msg}
		}
	}
	return errors.New(msg)
}

// Scrub removes the token from s.
func (c *Client) Scrub(s string) string {
	return Scrub(s, c.token)
}

// Scrub replaces every occurrence of token in s (and of its URL-encoded and
// JSON-escaped forms) by "***".
func Scrub(s, token string) string {
	if token == "" {
		return s
	}
	for _, t := range []string{token, url.QueryEscape(token), url.PathEscape(token), jsonEscape(token)} {
		if t != "" {
			s = strings.ReplaceAll(s, t, "***")
		}
	}
	return s
}

func jsonEscape(s string) string {
	b, _ := json.Marshal(s)
	return strings.Trim(string(b), `"`)
}
