package sumdbops

import (
	"github.com/modseal/modseal/verify"

	"context"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestIntegrationRealSumDB verifies this repository's own go.sum against the
// real checksum database (sum.golang.org), reached through the module proxy
// exactly as the go command reaches it. It needs the network: it skips,
// saying so, when the proxy does not answer, and in -short mode.
func TestIntegrationRealSumDB(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: needs the module proxy (skipped in -short mode)")
	}
	out, err := exec.Command("go", "env", "GOPROXY").Output()
	if err != nil {
		t.Skipf("integration test: go env GOPROXY: %v", err)
	}
	goproxy := strings.TrimSpace(string(out))
	db, err := verify.ParseGOSUMDB("sum.golang.org")
	if err != nil {
		t.Fatal(err)
	}
	first, _, _ := strings.Cut(goproxy, ",")
	first, _, _ = strings.Cut(first, "|")
	if !strings.HasPrefix(first, "http") {
		t.Skipf("integration test: GOPROXY=%s has no HTTP proxy first", goproxy)
	}
	probe := &http.Client{Timeout: 10 * time.Second}
	resp, err := probe.Get(strings.TrimSuffix(first, "/") + "/sumdb/sum.golang.org/supported")
	if err != nil {
		t.Skipf("integration test: the module proxy is unreachable, so the real checksum database cannot be checked: %v", err)
	}
	resp.Body.Close()

	data, err := os.ReadFile("../../go.sum")
	if err != nil {
		t.Fatal(err)
	}
	sf, fs := verify.ParseSum("go.sum", data)
	if len(fs) > 0 {
		t.Fatalf("modseal's own go.sum: %v", fs)
	}
	cache := t.TempDir()
	c := &Client{DB: db, GOPROXY: goproxy, CacheDir: cache}
	res, err := c.Check(context.Background(), []*verify.SumFile{sf}, "", 16)
	if err != nil {
		t.Fatalf("checking go.sum against sum.golang.org through %s: %v", first, err)
	}
	if len(res.Findings) > 0 {
		t.Fatalf("modseal's own go.sum disagrees with sum.golang.org: %v", res.Findings)
	}
	if res.Lookups != len(sf.Lines) {
		t.Errorf("looked up %d lines of %d", res.Lookups, len(sf.Lines))
	}
	t.Logf("%d go.sum lines verified against sum.golang.org through %s with %d requests", res.Lookups, first, c.requests.Load())

	// Warm: the same lines again need no lookup: the proxy's /supported
	// and the latest signed tree head, proved consistent with the saved
	// one (its tiles when the log grew meanwhile).
	c2 := &Client{DB: db, GOPROXY: goproxy, CacheDir: cache}
	if _, err := c2.Check(context.Background(), []*verify.SumFile{sf}, "", 16); err != nil {
		t.Fatal(err)
	}
	if n := c2.requests.Load(); n > 10 {
		t.Errorf("warm run made %d requests, want at most 10", n)
	}
	t.Logf("warm run: %d requests", c2.requests.Load())
}
