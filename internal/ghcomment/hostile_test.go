package ghcomment

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// recorder is a server that notes the Authorization header of every request
// it gets and answers 200 with an empty list.
type recorder struct {
	mu    sync.Mutex
	auths []string
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	r.auths = append(r.auths, req.Header.Get("Authorization"))
	r.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.Write([]byte("[]"))
}

// An API that redirects elsewhere does not get the token sent there: the
// redirect is refused, and the other host sees no token (go-github's own
// WithAuthToken would set it again on the redirected request).
func TestTokenNotSentOnRedirect(t *testing.T) {
	other := &recorder{}
	otherSrv := httptest.NewServer(other)
	defer otherSrv.Close()
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, otherSrv.URL+r.URL.RequestURI(), http.StatusTemporaryRedirect)
	}))
	defer api.Close()

	_, err := newClient(t, api.URL, testToken).Upsert(context.Background(), pr7, Key{}, "report")
	if err == nil || !strings.Contains(err.Error(), "refusing a redirect") {
		t.Errorf("err = %v, want a refused redirect", err)
	}
	for _, a := range other.auths {
		if strings.Contains(a, testToken) {
			t.Fatalf("the other host got the token: %q", a)
		}
	}
	if len(other.auths) > 0 {
		t.Errorf("the redirect was followed: %d requests to the other host", len(other.auths))
	}
	if err != nil && strings.Contains(err.Error(), testToken) {
		t.Errorf("token in the error: %v", err)
	}
}

// A redirect within the API's origin is followed, with the token.
func TestSameOriginRedirect(t *testing.T) {
	api, srv := newFakeAPI(t, "/new")
	mux := http.NewServeMux()
	mux.Handle("/new/", api)
	mux.HandleFunc("/old/", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/new/"+strings.TrimPrefix(r.URL.RequestURI(), "/old/"), http.StatusTemporaryRedirect)
	})
	srv.Config.Handler = mux
	if _, err := newClient(t, srv.URL+"/old", testToken).Upsert(context.Background(), pr7, Key{}, "report"); err != nil {
		t.Fatal(err)
	}
	if len(api.requests) == 0 {
		t.Fatal("no request reached the API")
	}
	for _, r := range api.requests {
		if r.Auth != "Bearer "+testToken {
			t.Errorf("%s %s: Authorization %q", r.Method, r.URI, r.Auth)
		}
	}
}

// The transport adds the token for the API's scheme and host only, and
// removes an Authorization header from requests elsewhere.
func TestAuthTransport(t *testing.T) {
	rec := &recorder{}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	c := newClient(t, srv.URL, testToken)
	hc := c.gh.Client()
	u, _ := url.Parse(srv.URL)
	for _, tc := range []struct {
		url  string
		want string
	}{
		{srv.URL + "/x", "Bearer " + testToken},
		{"http://" + strings.ToUpper(u.Hostname()) + ":" + u.Port() + "/x", "Bearer " + testToken},
		{"http://localhost:" + u.Port() + "/x", ""}, // another host name for the same server
	} {
		rec.auths = nil
		req, _ := http.NewRequest("GET", tc.url, nil)
		req.Header.Set("Authorization", "Bearer leaked")
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if len(rec.auths) != 1 || rec.auths[0] != tc.want {
			t.Errorf("GET %s: Authorization %q, want %q", tc.url, rec.auths, tc.want)
		}
	}
}

func TestCheckRedirect(t *testing.T) {
	req := func(s string) *http.Request {
		r, err := http.NewRequest("GET", s, nil)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	for _, tc := range []struct {
		from, to string
		ok       bool
	}{
		{"https://api.example/a", "https://api.example/b", true},
		{"https://api.example/a", "https://API.example:443/b", true},
		{"https://api.example/a", "http://api.example/b", false},
		{"https://api.example/a", "https://evil.example/b", false},
		{"https://api.example/a", "https://api.example:8443/b", false},
		{"http://api.example/a", "https://api.example/b", false},
	} {
		err := checkRedirect(req(tc.to), []*http.Request{req(tc.from)})
		if (err == nil) != tc.ok {
			t.Errorf("%s -> %s: err = %v, want ok=%v", tc.from, tc.to, err, tc.ok)
		}
	}
}

// A server's error message is printed safely: no line break or escape
// sequence of its own reaches the log.
func TestErrorSanitized(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusInternalServerError)
		w.Write([]byte(`{"message":"boom\n::error file=main.go::pwned\u001b]0;title\u0007\u001b[2J"}`))
	}))
	defer srv.Close()
	_, err := newClient(t, srv.URL, testToken).Upsert(context.Background(), pr7, Key{}, "report")
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	if strings.ContainsAny(msg, "\n\r\x1b\x07") {
		t.Errorf("raw control characters in the error: %q", msg)
	}
	if !strings.Contains(msg, `boom\n::error file=main.go::pwned\x1b]0;title\x07\x1b[2J`) {
		t.Errorf("error = %q, want the message escaped", msg)
	}
}
