package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"
)

// fault-proxy VAR RULE... starts a module proxy in front of the fixture
// proxy (checksum database included) and sets VAR to its URL. Each RULE is
// REGEXP=ANSWER: a request whose path matches REGEXP gets ANSWER instead of
// the fixture's: a status code (403, 500, ...), or @FILE, the contents of
// FILE (relative to the script's directory, read at each request, so the
// script can change it between runs). The first matching rule wins. Every
// request is logged to $WORK/VAR.log, one path a line.
func faultProxy(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 {
		ts.Fatalf("usage: fault-proxy VAR [REGEXP=STATUS|REGEXP=@FILE]...")
	}
	type rule struct {
		re     *regexp.Regexp
		status int
		file   string
	}
	var rules []rule
	for _, a := range args[1:] {
		pat, answer, ok := strings.Cut(a, "=")
		if !ok {
			ts.Fatalf("fault-proxy: %q is not REGEXP=ANSWER", a)
		}
		r := rule{re: regexp.MustCompile(pat)}
		if f, ok := strings.CutPrefix(answer, "@"); ok {
			r.file = ts.MkAbs(f)
		} else {
			code, err := strconv.Atoi(answer)
			if err != nil {
				ts.Fatalf("fault-proxy: %q: %v", answer, err)
			}
			r.status = code
		}
		rules = append(rules, r)
	}
	target, err := url.Parse(proxyURL)
	if err != nil {
		ts.Fatalf("fault-proxy: %v", err)
	}
	log, err := os.Create(ts.MkAbs(args[0] + ".log"))
	if err != nil {
		ts.Fatalf("fault-proxy: %v", err)
	}
	fixture := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(log, r.URL.Path+"\n")
		for _, rl := range rules {
			if !rl.re.MatchString(r.URL.Path) {
				continue
			}
			if rl.file != "" {
				data, err := os.ReadFile(rl.file)
				if err != nil {
					http.Error(w, err.Error(), http.StatusInternalServerError)
					return
				}
				w.Write(data)
				return
			}
			http.Error(w, http.StatusText(rl.status), rl.status)
			return
		}
		fixture.ServeHTTP(w, r)
	}))
	ts.Defer(func() {
		srv.Close()
		log.Close()
	})
	ts.Setenv(args[0], srv.URL)
}
