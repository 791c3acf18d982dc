package goproxy

import (
	"net/url"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
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
		list, err := Parse(tt.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
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
			t.Errorf("Parse(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
	for _, bad := range []string{"ftp://TOKEN@host", "https://TOKEN:pw@bad host/", "file://TOKEN@host/x", "https:///nohost"} {
		_, err := Parse(bad)
		if err == nil {
			t.Errorf("Parse(%q): no error", bad)
		} else if strings.Contains(err.Error(), "TOKEN") {
			t.Errorf("Parse(%q): the error shows the credentials: %v", bad, err)
		}
	}
}

func TestRedact(t *testing.T) {
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
