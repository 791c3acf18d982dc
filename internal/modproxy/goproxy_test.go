package modproxy

import (
	"errors"
	"net/url"
	"strings"
	"testing"
)

// TestParseGOPROXYRedacted: how entries print (redacted), and that
// errors never show credentials.
func TestParseGOPROXYRedacted(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "https://proxy.golang.org ,direct"},
		{"proxy.example.com", "https://proxy.example.com"},
		{"proxy.example.com/p|direct", "https://proxy.example.com/p |direct"},
		{"localhost:8080,off,https://ignored", "https://localhost:8080 ,off"},
		{"http://a.test|https://b.test,file:///srv/p", "http://a.test |https://b.test ,file:///srv/p"},
		{" , ", "off"},
		{"direct", "direct"},
		{"TOKEN@proxy.corp", "https://xxxxx@proxy.corp"},
	}
	for _, tt := range tests {
		list, err := ParseGOPROXY(tt.in)
		if err != nil {
			t.Errorf("ParseGOPROXY(%q): %v", tt.in, err)
			continue
		}
		var b strings.Builder
		for i, e := range list {
			if i > 0 {
				if list[i-1].FallBackOnError {
					b.WriteString(" |")
				} else {
					b.WriteString(" ,")
				}
			}
			b.WriteString(e.String())
		}
		if got := b.String(); got != tt.want {
			t.Errorf("ParseGOPROXY(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
	for _, bad := range []string{"ftp://TOKEN@host", "https://TOKEN:pw@bad host/", "file://TOKEN@host/x", "https:///nohost"} {
		_, err := ParseGOPROXY(bad)
		if err == nil {
			t.Errorf("ParseGOPROXY(%q): no error", bad)
		} else if strings.Contains(err.Error(), "TOKEN") {
			t.Errorf("ParseGOPROXY(%q): the error shows the credentials: %v", bad, err)
		}
	}
}

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://TOKEN@proxy.corp/":           "https://xxxxx@proxy.corp/",
		"https://user:TOKEN@proxy.corp/p":     "https://xxxxx@proxy.corp/p",
		"https://TOKEN:x-oauth-basic@h/":      "https://xxxxx@h/",
		"https://h/p?token=TOKEN":             "https://h/p?xxxxx",
		"https://h/p?token=TOKEN#frag":        "https://h/p?xxxxx#xxxxx",
		"https://h/p":                         "https://h/p",
		"https://user:TO/KEN@h:port/":         "https://xxxxx@h:port/",
		"https://user:TOKEN%zz@h/?q=TOKEN%zz": "https://xxxxx@h/?xxxxx",
	} {
		if got := RedactString(in); got != want {
			t.Errorf("RedactString(%q) = %q, want %q", in, got, want)
		}
		if u, err := url.Parse(in); err == nil {
			if got := Redact(u); got != want {
				t.Errorf("Redact(%q) = %q, want %q", in, got, want)
			}
		}
	}
}

// TestTryProxies: the walk over a GOPROXY list, as cmd/go's TryProxies:
// which entries are tried after which errors, where it ends, and which
// error it reports.
func TestTryProxies(t *testing.T) {
	notFound := func(name string) error {
		return &RequestError{URL: name, StatusCode: 404, Err: errors.New("404 Not Found")}
	}
	failed := func(name string) error { return errors.New(name + " failed") }
	tests := []struct {
		goproxy string
		answers map[string]error // by host; absent: success
		tried   string
		end     string
		err     string
	}{
		{"https://a", nil, "a", "", ""},
		{"https://a,https://b", map[string]error{"a": notFound("a")}, "a b", "", ""},
		{"https://a,https://b", map[string]error{"a": failed("a")}, "a", "", "a failed"},
		{"https://a|https://b", map[string]error{"a": failed("a")}, "a b", "", ""},
		{"https://a|https://b", map[string]error{"a": failed("a"), "b": notFound("b")}, "a b", "", "a failed"},
		{"https://a,https://b", map[string]error{"a": notFound("a"), "b": notFound("b")}, "a b", "", "GET b"},
		{"https://a,direct", map[string]error{"a": notFound("a")}, "a", "direct", "GET a"},
		{"https://a|off", map[string]error{"a": failed("a")}, "a", "off", "a failed"},
		{"off", nil, "", "off", ""},
	}
	for _, tt := range tests {
		list, err := ParseGOPROXY(tt.goproxy)
		if err != nil {
			t.Fatal(err)
		}
		var tried []string
		end, err := TryProxies(t.Context(), list, func(e ProxyEntry) error {
			tried = append(tried, e.URL.Host)
			return tt.answers[e.URL.Host]
		})
		got := ""
		if err != nil {
			got = err.Error()
		}
		if strings.Join(tried, " ") != tt.tried || end != tt.end || !strings.HasPrefix(got, tt.err) || (tt.err == "") != (err == nil) {
			t.Errorf("GOPROXY=%s: tried %q, end %q, err %v; want %q, %q, %q", tt.goproxy, tried, end, err, tt.tried, tt.end, tt.err)
		}
	}
}
