package cli

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// What the API answers is printed safely: a comment URL or an error message
// with a line break cannot start a workflow command in the job log, and no
// escape sequence reaches the terminal.
func TestPRCommentServerTextSanitized(t *testing.T) {
	dir := t.TempDir()
	md := filepath.Join(dir, "summary.md")
	os.WriteFile(md, []byte("## modseal: pass\n"), 0o666)
	event := filepath.Join(dir, "event.json")
	os.WriteFile(event, []byte(`{"pull_request":{"number":7}}`), 0o666)

	for _, tc := range []struct {
		name    string
		handler http.HandlerFunc
	}{
		{"created", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			if r.Method == "GET" {
				w.Write([]byte("[]"))
				return
			}
			w.WriteHeader(http.StatusCreated)
			w.Write([]byte(`{"id":1,"html_url":"https://x.example/c/1\n::error file=main.go::pwned\u001b[2J"}`))
		}},
		{"error", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusInternalServerError)
			w.Write([]byte(`{"message":"boom\n::error file=main.go::pwned\u001b]0;title\u0007"}`))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(tc.handler)
			defer srv.Close()
			var stdout, stderr bytes.Buffer
			e := env{
				"GITHUB_TOKEN=ghs_test_token", "GITHUB_REPOSITORY=owner/repo",
				"GITHUB_EVENT_NAME=pull_request", "GITHUB_EVENT_PATH=" + event,
				"GITHUB_API_URL=" + srv.URL,
			}
			err := runPRComment(context.Background(), []string{md}, &stdout, &stderr, e)
			out := stdout.String() + stderr.String()
			if err != nil {
				out += err.Error()
			}
			if strings.ContainsAny(out, "\x1b\x07") {
				t.Errorf("raw escape in the output: %q", out)
			}
			for _, line := range strings.Split(out, "\n") {
				if strings.HasPrefix(line, "::error") {
					t.Errorf("the server's text started a workflow command: %q", out)
				}
			}
			if !strings.Contains(out, `\n::error file=main.go::pwned\x1b`) {
				t.Errorf("output lacks the server's text, escaped: %q", out)
			}
		})
	}
}
