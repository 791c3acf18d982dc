package ghcomment

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"
)

const testToken = "ghs_FAKE_TOKEN_ghcomment_test"

type comment struct {
	ID      int64  `json:"id"`
	Body    string `json:"body"`
	HTMLURL string `json:"html_url"`
	User    struct {
		Login string `json:"login"`
		Type  string `json:"type"`
	} `json:"user"`
}

type request struct {
	Method, URI, Body, Auth string
}

// fakeAPI serves the issue-comment endpoints of one repository under prefix,
// with pages of perPage comments at most (GitHub's cap is 100).
type fakeAPI struct {
	t       *testing.T
	prefix  string
	status  map[string]int // method -> forced status
	headers map[string]string

	mu       sync.Mutex
	comments []*comment
	nextID   int64
	requests []request
}

func newFakeAPI(t *testing.T, prefix string) (*fakeAPI, *httptest.Server) {
	f := &fakeAPI{t: t, prefix: prefix, status: map[string]int{}, nextID: 1000}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

func (f *fakeAPI) add(body, userType string) *comment {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nextID++
	c := &comment{ID: f.nextID, Body: body, HTMLURL: fmt.Sprintf("https://github.example/c/%d", f.nextID)}
	c.User.Login, c.User.Type = "someone", userType
	f.comments = append(f.comments, c)
	return c
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = append(f.requests, request{r.Method, r.RequestURI, string(body), r.Header.Get("Authorization")})
	if st := f.status[r.Method]; st != 0 {
		for k, v := range f.headers {
			w.Header().Set(k, v)
		}
		w.WriteHeader(st)
		fmt.Fprintf(w, `{"message":"forced %d","documentation_url":"https://docs.github.com/rest"}`, st)
		return
	}
	path := strings.TrimPrefix(r.URL.Path, f.prefix)
	switch {
	case r.Method == "GET" && path == "/repos/owner/repo/issues/7/comments":
		per, _ := strconv.Atoi(r.URL.Query().Get("per_page"))
		if per <= 0 || per > 100 {
			per = 30
		}
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		if page <= 0 {
			page = 1
		}
		lo := min((page-1)*per, len(f.comments))
		hi := min(lo+per, len(f.comments))
		if hi < len(f.comments) {
			u := *r.URL
			q := u.Query()
			q.Set("page", strconv.Itoa(page+1))
			u.RawQuery = q.Encode()
			w.Header().Set("Link", fmt.Sprintf(`<http://%s%s>; rel="next"`, r.Host, u.String()))
		}
		json.NewEncoder(w).Encode(f.comments[lo:hi])
	case r.Method == "POST" && path == "/repos/owner/repo/issues/7/comments":
		var in comment
		json.Unmarshal(body, &in)
		f.nextID++
		c := &comment{ID: f.nextID, Body: in.Body, HTMLURL: fmt.Sprintf("https://github.example/c/%d", f.nextID)}
		c.User.Login, c.User.Type = "github-actions[bot]", "Bot"
		f.comments = append(f.comments, c)
		w.WriteHeader(http.StatusCreated)
		json.NewEncoder(w).Encode(c)
	case r.Method == "PATCH" && strings.HasPrefix(path, "/repos/owner/repo/issues/comments/"):
		id, _ := strconv.ParseInt(strings.TrimPrefix(path, "/repos/owner/repo/issues/comments/"), 10, 64)
		for _, c := range f.comments {
			if c.ID == id {
				var in comment
				json.Unmarshal(body, &in)
				c.Body = in.Body
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

func (f *fakeAPI) methods() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var m []string
	for _, r := range f.requests {
		m = append(m, r.Method)
	}
	return m
}

func newClient(t *testing.T, url, token string) *Client {
	t.Helper()
	c, err := New(Config{APIURL: url, Token: token, UserAgent: "modseal/test"})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var pr7 = PullRequest{Owner: "owner", Repo: "repo", Number: 7}

func TestUpsertCreatesThenEdits(t *testing.T) {
	api, srv := newFakeAPI(t, "")
	// 150 other comments: the marker is searched on every page.
	for i := range 150 {
		api.add(fmt.Sprintf("comment %d", i), "User")
	}
	c := newClient(t, srv.URL, testToken)
	res, err := c.Upsert(context.Background(), pr7, Key{}, "## modseal: pass\n")
	if err != nil {
		t.Fatal(err)
	}
	if res.Updated || res.ID == 0 {
		t.Fatalf("first run: %+v, want a new comment", res)
	}
	res2, err := c.Upsert(context.Background(), pr7, Key{}, "## modseal: fail\n")
	if err != nil {
		t.Fatal(err)
	}
	if !res2.Updated || res2.ID != res.ID {
		t.Fatalf("second run: %+v, want comment %d edited", res2, res.ID)
	}
	if got, want := strings.Join(api.methods(), " "), "GET GET POST GET GET PATCH"; got != want {
		t.Errorf("requests %s, want %s", got, want)
	}
	last := api.comments[len(api.comments)-1]
	if last.Body != Marker+"\n## modseal: fail\n" {
		t.Errorf("comment body %q", last.Body)
	}
	for _, r := range api.requests {
		if r.Auth != "Bearer "+testToken {
			t.Errorf("%s %s: Authorization %q", r.Method, r.URI, r.Auth)
		}
		if strings.Contains(r.URI, testToken) || strings.Contains(r.Body, testToken) {
			t.Errorf("%s %s: token in the URL or body", r.Method, r.URI)
		}
	}
}

// Anyone who may comment can write the marker. With the workflow's token
// (a ghs_ installation token, which always writes as a bot) a person's
// comment is never taken for modseal's; with a personal token, whose comments
// are the person's, it is.
func TestUpsertIgnoresMarkerInHumanComment(t *testing.T) {
	api, srv := newFakeAPI(t, "")
	human := api.add(Marker+"\nplease overwrite me", "User")
	res, err := newClient(t, srv.URL, testToken).Upsert(context.Background(), pr7, Key{}, "report")
	if err != nil {
		t.Fatal(err)
	}
	if res.Updated || res.ID == human.ID || !strings.Contains(human.Body, "please overwrite me") {
		t.Fatalf("the person's comment was edited: %+v", res)
	}

	api2, srv2 := newFakeAPI(t, "")
	mine := api2.add(Marker+"\nold report", "User")
	res, err = newClient(t, srv2.URL, "ghp_personal_token").Upsert(context.Background(), pr7, Key{}, "report")
	if err != nil {
		t.Fatal(err)
	}
	if !res.Updated || res.ID != mine.ID {
		t.Fatalf("with a personal token the user's own comment is modseal's: %+v", res)
	}
}

// GitHub Enterprise Server: GITHUB_API_URL is https://HOST/api/v3, and the
// requests go below it.
func TestEnterpriseAPIURL(t *testing.T) {
	api, srv := newFakeAPI(t, "/api/v3")
	if _, err := newClient(t, srv.URL+"/api/v3", testToken).Upsert(context.Background(), pr7, Key{}, "report"); err != nil {
		t.Fatal(err)
	}
	for _, r := range api.requests {
		if !strings.HasPrefix(r.URI, "/api/v3/repos/owner/repo/issues/") {
			t.Errorf("request %s %s is not below /api/v3/", r.Method, r.URI)
		}
	}
}

func TestPermissionErrors(t *testing.T) {
	for _, tc := range []struct {
		method     string
		status     int
		headers    map[string]string
		permission bool
	}{
		{"POST", 403, nil, true},  // fork: read-only token
		{"POST", 404, nil, true},  // GitHub hides what a token may not write
		{"GET", 403, nil, true},   // may not even read
		{"GET", 404, nil, false},  // no such repository or pull request
		{"POST", 401, nil, false}, // bad credentials: a configuration error
		{"POST", 500, nil, false},
		{"POST", 403, map[string]string{"X-RateLimit-Remaining": "0"}, false}, // rate limit, not permission
	} {
		t.Run(fmt.Sprintf("%s-%d", tc.method, tc.status), func(t *testing.T) {
			api, srv := newFakeAPI(t, "")
			api.status[tc.method] = tc.status
			api.headers = tc.headers
			_, err := newClient(t, srv.URL, testToken).Upsert(context.Background(), pr7, Key{}, "report")
			if err == nil {
				t.Fatal("no error")
			}
			var pe *PermissionError
			if errors.As(err, &pe) != tc.permission {
				t.Fatalf("err = %v (%T), permission error: %v, want %v", err, err, !tc.permission, tc.permission)
			}
			if strings.Contains(err.Error(), testToken) {
				t.Errorf("token in the error: %v", err)
			}
		})
	}
}

func TestNoPullRequest(t *testing.T) {
	_, srv := newFakeAPI(t, "")
	c := newClient(t, srv.URL, testToken)
	// Number 0 would list every comment of the repository.
	if _, err := c.Upsert(context.Background(), PullRequest{Owner: "owner", Repo: "repo"}, Key{}, "x"); err == nil {
		t.Error("no error for pull request 0")
	}
}

func TestNew(t *testing.T) {
	for _, u := range []string{"ftp://x/", "not a url", "https://user:pass@host/", "/relative"} {
		if _, err := New(Config{APIURL: u, Token: "t"}); err == nil {
			t.Errorf("New(%q): no error", u)
		}
	}
	if _, err := New(Config{APIURL: "https://api.github.com"}); err == nil {
		t.Error("New without a token: no error")
	}
	c, err := New(Config{Token: "t"})
	if err != nil || c.gh.BaseURL.String() != "https://api.github.com/" {
		t.Errorf("default API URL: %v, %v", c, err)
	}
}

func TestBody(t *testing.T) {
	if got := Body(Key{}, "## modseal: pass\n"); got != Marker+"\n## modseal: pass\n" {
		t.Errorf("Body = %q", got)
	}
	// A report that already has the marker does not get it twice.
	if got := Body(Key{}, Marker+"\n\nx"); got != Marker+"\nx" {
		t.Errorf("Body = %q", got)
	}

	var b strings.Builder
	for i := 0; b.Len() < 3*MaxBody; i++ {
		fmt.Fprintf(&b, "| error | hash-mismatch | go.sum:%d | é—ü %d |\n", i, i)
	}
	got := Body(Key{}, b.String())
	if len(got) > MaxBody || utf8.RuneCountInString(got) > MaxBody {
		t.Fatalf("body of %d bytes, want at most %d", len(got), MaxBody)
	}
	if !strings.HasPrefix(got, Marker+"\n| error |") || !strings.HasSuffix(got, truncatedNote) {
		t.Errorf("truncated body: %q ... %q", got[:80], got[len(got)-200:])
	}
	cut := strings.TrimSuffix(got, truncatedNote)
	if !strings.HasSuffix(cut, "|") || !utf8.ValidString(got) {
		t.Errorf("not cut at the end of a line: %q", cut[len(cut)-80:])
	}

	// One enormous line is cut at a character boundary.
	got = Body(Key{}, strings.Repeat("é", MaxBody))
	if len(got) > MaxBody || !utf8.ValidString(got) {
		t.Errorf("long line: %d bytes, valid %v", len(got), utf8.ValidString(got))
	}
}

func TestPullRequestNumber(t *testing.T) {
	for _, tc := range []struct {
		event  string
		n      int
		pr, ok bool
	}{
		{`{"number":7,"pull_request":{"number":7}}`, 7, true, true},
		{`{"review":{},"pull_request":{"number":12}}`, 12, true, true},
		{`{"ref":"refs/heads/main","commits":[]}`, 0, false, true},
		{`{"pull_request":{}}`, 0, false, false},
		{`not json`, 0, false, false},
	} {
		n, pr, err := PullRequestNumber([]byte(tc.event))
		if n != tc.n || pr != tc.pr || (err == nil) != tc.ok {
			t.Errorf("PullRequestNumber(%s) = %d, %v, %v", tc.event, n, pr, err)
		}
	}
}

func TestParseRepository(t *testing.T) {
	if o, r, err := ParseRepository("owner/repo"); o != "owner" || r != "repo" || err != nil {
		t.Errorf("ParseRepository: %q %q %v", o, r, err)
	}
	for _, s := range []string{"", "owner", "/repo", "owner/", "a/b/c"} {
		if _, _, err := ParseRepository(s); err == nil {
			t.Errorf("ParseRepository(%q): no error", s)
		}
	}
}

func TestScrub(t *testing.T) {
	tok := "ghs_a+b/c=="
	s := Scrub("x "+tok+" y ghs_a%2Bb%2Fc%3D%3D z", tok)
	if strings.Contains(s, "ghs_a") {
		t.Errorf("Scrub left the token: %q", s)
	}
	if Scrub("abc", "") != "abc" {
		t.Error("Scrub with no token changed the text")
	}
}

// The jobs of a matrix over modules each keep their own comment: the key
// (command and directory) is in the marker, and a second run of each edits
// its own comment, not the other's.
func TestUpsertOneCommentPerKey(t *testing.T) {
	api, srv := newFakeAPI(t, "")
	c := newClient(t, srv.URL, testToken)
	ctx := context.Background()
	svc, api2, rootDiff := NewKey("audit", "./svc/"), NewKey("audit", "api"), NewKey("diff", ".")
	ids := map[Key]int64{}
	for _, k := range []Key{svc, api2, rootDiff} {
		res, err := c.Upsert(ctx, pr7, k, "## modseal: fail\n"+k.Dir)
		if err != nil {
			t.Fatal(err)
		}
		if res.Updated {
			t.Fatalf("%v: first run edited comment %d, want a new comment", k, res.ID)
		}
		ids[k] = res.ID
	}
	for _, k := range []Key{api2, svc, rootDiff} {
		res, err := c.Upsert(ctx, pr7, k, "## modseal: pass\n"+k.Dir)
		if err != nil {
			t.Fatal(err)
		}
		if !res.Updated || res.ID != ids[k] {
			t.Fatalf("%v: second run %+v, want comment %d edited", k, res, ids[k])
		}
	}
	if len(api.comments) != 3 {
		t.Fatalf("%d comments, want 3", len(api.comments))
	}
	for _, cm := range api.comments {
		k, ok := ParseMarker(cm.Body)
		if !ok || ids[k] != cm.ID || !strings.HasSuffix(cm.Body, "## modseal: pass\n"+k.Dir) {
			t.Errorf("comment %d: key %+v (%v), body %q", cm.ID, k, ok, cm.Body)
		}
	}
	if got := api.comments[0].Body; !strings.HasPrefix(got, "<!-- modseal:comment command=audit dir=svc -->\n") {
		t.Errorf("marker: %q", got)
	}
}

// A comment an earlier modseal wrote has the keyless Marker: the first run
// with no comment of its own takes it over (whatever its directory: the
// only module may be svc/), so upgrading leaves no stale duplicate; the
// next key gets a comment of its own. A comment of its own key wins over a
// keyless one.
func TestUpsertTakesOverKeylessComment(t *testing.T) {
	api, srv := newFakeAPI(t, "")
	old := api.add(Marker+"\n## modseal: fail\nold report", "Bot")
	c := newClient(t, srv.URL, testToken)
	ctx := context.Background()
	root := NewKey("audit", ".")
	res, err := c.Upsert(ctx, pr7, root, "## modseal: pass\n")
	if err != nil {
		t.Fatal(err)
	}
	if !res.Updated || res.ID != old.ID || old.Body != root.Marker()+"\n## modseal: pass\n" {
		t.Fatalf("root run: %+v, body %q: want the keyless comment %d taken over", res, old.Body, old.ID)
	}
	res, err = c.Upsert(ctx, pr7, NewKey("audit", "svc"), "svc report")
	if err != nil {
		t.Fatal(err)
	}
	if res.Updated || len(api.comments) != 2 {
		t.Fatalf("svc run: %+v, %d comments: want a new comment", res, len(api.comments))
	}

	// Only module svc/: its first keyed run takes the old comment over.
	api, srv = newFakeAPI(t, "")
	old = api.add(Marker+"\nold report", "Bot")
	res, err = newClient(t, srv.URL, testToken).Upsert(ctx, pr7, NewKey("audit", "svc"), "svc report")
	if err != nil {
		t.Fatal(err)
	}
	if !res.Updated || res.ID != old.ID || len(api.comments) != 1 {
		t.Fatalf("svc only: %+v, %d comments", res, len(api.comments))
	}

	// Its own comment first, a keyless one after it (an older modseal ran
	// again): its own is edited.
	api, srv = newFakeAPI(t, "")
	mine := api.add(root.Marker()+"\nmine", "Bot")
	keyless := api.add(Marker+"\nold", "Bot")
	res, err = newClient(t, srv.URL, testToken).Upsert(ctx, pr7, root, "new")
	if err != nil {
		t.Fatal(err)
	}
	if res.ID != mine.ID || keyless.Body != Marker+"\nold" {
		t.Fatalf("%+v: want comment %d edited and %d left alone", res, mine.ID, keyless.ID)
	}
}

// Update edits the comment of its key (or a keyless one) and never creates
// one: a passing run in comment: on-failure mode.
func TestUpdateNeverCreates(t *testing.T) {
	api, srv := newFakeAPI(t, "")
	c := newClient(t, srv.URL, testToken)
	ctx := context.Background()
	k := NewKey("audit", "svc")
	res, err := c.Update(ctx, pr7, k, "## modseal: pass\n")
	if err != nil || res != nil || len(api.comments) != 0 {
		t.Fatalf("no comment yet: %+v, %v, %d comments", res, err, len(api.comments))
	}
	if got := strings.Join(api.methods(), " "); got != "GET" {
		t.Errorf("requests %s, want GET only", got)
	}
	failed, err := c.Upsert(ctx, pr7, k, "## modseal: fail\n")
	if err != nil {
		t.Fatal(err)
	}
	// Another module's comment is not this key's.
	if res, err := c.Update(ctx, pr7, NewKey("audit", "api"), "## modseal: pass\n"); err != nil || res != nil {
		t.Fatalf("other key: %+v, %v", res, err)
	}
	res, err = c.Update(ctx, pr7, k, "## modseal: pass\n")
	if err != nil || res == nil || !res.Updated || res.ID != failed.ID {
		t.Fatalf("after a failure: %+v, %v", res, err)
	}
	if len(api.comments) != 1 || !strings.HasSuffix(api.comments[0].Body, "## modseal: pass\n") {
		t.Errorf("comments %+v", api.comments)
	}
}

func TestMarker(t *testing.T) {
	for _, tc := range []struct {
		key    Key
		marker string
	}{
		{Key{}, Marker},
		{NewKey("audit", "."), "<!-- modseal:comment command=audit dir=. -->"},
		{NewKey("diff", "svc/api/"), "<!-- modseal:comment command=diff dir=svc/api -->"},
		{NewKey("audit", `svc\win`), "<!-- modseal:comment command=audit dir=svc/win -->"},
		{NewKey("audit", "a b/-->x"), "<!-- modseal:comment command=audit dir=a%20b/--%3Ex -->"},
	} {
		if got := tc.key.Marker(); got != tc.marker {
			t.Errorf("%+v: marker %q, want %q", tc.key, got, tc.marker)
		}
		k, ok := ParseMarker(tc.marker + "\r\nreport")
		if !ok || k != tc.key {
			t.Errorf("ParseMarker(%q) = %+v, %v", tc.marker, k, ok)
		}
		if b := Body(tc.key, "x"); b != tc.marker+"\nx" {
			t.Errorf("Body = %q", b)
		}
	}
	for _, body := range []string{"", "report", "<!-- modseal:commentary -->", "<!-- modseal:comment", " " + Marker, "x\n" + Marker, "<!-- modseal:comment dir=%zz -->"} {
		if k, ok := ParseMarker(body); ok {
			t.Errorf("ParseMarker(%q) = %+v, true", body, k)
		}
	}
	// Unknown fields are ignored; a report that has a marker line already
	// gets the key's instead.
	if k, ok := ParseMarker("<!-- modseal:comment dir=svc future=x -->"); !ok || k != (Key{Dir: "svc"}) {
		t.Errorf("unknown field: %+v, %v", k, ok)
	}
	if b := Body(NewKey("audit", "svc"), "<!-- modseal:comment command=diff dir=. -->\nx"); b != "<!-- modseal:comment command=audit dir=svc -->\nx" {
		t.Errorf("Body = %q", b)
	}
}
