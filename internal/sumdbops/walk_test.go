package sumdbops

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// directTransport sends requests for https://sum.example.test (the
// database reached directly) to db, and the rest to the network.
type directTransport struct {
	db     *testDB
	direct atomic.Int64
}

func (t *directTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Host == testDBName {
		t.direct.Add(1)
		r = r.Clone(r.Context())
		r.URL.Scheme, r.URL.Host = "http", strings.TrimPrefix(t.db.URL, "http://")
		r.URL.Path = "/sumdb/" + testDBName + r.URL.Path
	}
	return http.DefaultTransport.RoundTrip(r)
}

// TestProxyWalk: the client finds the database through GOPROXY as cmd/go's
// dbClient does, with the walk module downloads use (modproxy.TryProxies):
// a proxy that answers 404 or 410 to /sumdb/NAME/supported, or any error
// before a "|", passes to the next entry; "direct", or a list where every
// proxy said not-found, means the database itself; a proxy's failure that
// ends the walk, or comes before "off", is the error. (Before the walk was
// shared, a failure before a "|" followed by a not-found or "off" went to
// the database directly.)
func TestProxyWalk(t *testing.T) {
	skey, vkey := testKey(t)
	db := newTestDB(t, skey, vkey, goodHashes())
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusInternalServerError)
	}))
	t.Cleanup(bad.Close)
	nf := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(nf.Close)
	good := db.URL
	for _, tt := range []struct {
		goproxy string
		want    string // "proxy", "direct", or an error's text
	}{
		{good, "proxy"},
		{nf.URL + "," + good, "proxy"},
		{bad.URL + "|" + good, "proxy"},
		{"file:///nonexistent/cache," + good, "proxy"},
		{nf.URL, "direct"},
		{nf.URL + ",direct", "direct"},
		{bad.URL + "|direct", "direct"},
		{"off", "direct"},
		{nf.URL + ",off", "direct"},
		{bad.URL + "," + good, "500 Internal Server Error"},
		{bad.URL + "|" + nf.URL, "500 Internal Server Error"},
		{bad.URL + "|off", "500 Internal Server Error"},
	} {
		tr := &directTransport{db: db}
		c := newClient(db, t.TempDir())
		c.GOPROXY = tt.goproxy
		c.HTTP = &http.Client{Transport: tr}
		c.Retries = 1
		c.Timeout = 2 * time.Second
		res, err := c.Check(t.Context(), parseSum(t, sumA+sumAm), "", 1)
		switch tt.want {
		case "proxy", "direct":
			if err != nil || len(res.Findings) > 0 {
				t.Errorf("GOPROXY=%s: %v, %v", tt.goproxy, err, res)
			} else if direct := tr.direct.Load() > 0; direct != (tt.want == "direct") {
				t.Errorf("GOPROXY=%s: reached the database directly: %v, want %s", tt.goproxy, direct, tt.want)
			}
		default:
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "asking proxy "+bad.URL) {
				t.Errorf("GOPROXY=%s: %v, want an error asking proxy %s: %s", tt.goproxy, err, bad.URL, tt.want)
			}
			if n := tr.direct.Load(); n > 0 {
				t.Errorf("GOPROXY=%s: %d requests to the database directly", tt.goproxy, n)
			}
		}
	}
}
